#pragma once
// XmppConn: one client connection of the load generator: a TCP socket (bound to a chosen
// 127.0.0.x source address), TLS after STARTTLS, and just enough XMPP to reach a bound session
// (stream open, STARTTLS, SASL SCRAM-SHA-1 or PLAIN, bind, presence) or to register an account
// (XEP-0077). Negotiation steps are coroutines that throw BenchError; once established, the owner
// reads with ReadMore()/Poll() and writes with Send(), which keeps one write in flight and
// gathers everything queued meanwhile into the next. Runs only on the thread of the io_context
// it was made on; lives as long as a coroutine or handler holds its shared_ptr.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "parley_bench/element_scanner.hpp"

namespace parley::bench {

namespace asio = boost::asio;
using Tcp = asio::ip::tcp;

struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Target {
  asio::ip::address host;
  uint16_t port = 5222;
  std::string domain;
};

class ScramKeyCache;

class XmppConn : public std::enable_shared_from_this<XmppConn> {
 public:
  enum class Mechanism { kScramSha1, kPlain };
  enum class RegisterResult { kCreated, kExists };

  XmppConn(asio::io_context& io, asio::ssl::context& tls, const Target& target);
  ~XmppConn();
  XmppConn(const XmppConn&) = delete;
  XmppConn& operator=(const XmppConn&) = delete;

  // --- negotiation (one step at a time; each throws BenchError) ---------------------------------
  asio::awaitable<void> Connect(const asio::ip::address* source);
  // Sends a stream header and waits for the server's header and <stream:features/>.
  asio::awaitable<void> OpenStream();
  // STARTTLS (RFC 6120 §5), the TLS handshake without certificate checks, and the new stream.
  asio::awaitable<void> StartTls();
  // SASL, then the stream restart (RFC 6120 §6.4.6).
  asio::awaitable<void> Authenticate(Mechanism mech, std::string_view user,
                                     std::string_view password, ScramKeyCache& cache);
  // Resource binding (RFC 6120 §7); returns the full JID.
  asio::awaitable<std::string> Bind(std::string_view resource);
  // XEP-0077 in-band registration on an encrypted, unauthenticated stream.
  asio::awaitable<RegisterResult> Register(std::string_view user, std::string_view password);
  // parley-relay instead of XMPP (bench/relay/relay.hpp): a TLS handshake first when `tls`, then
  // "HELLO <id>" and the relay's "OK". Afterwards Poll() finds the <message/> elements inside the
  // relayed lines (the scanner skips the "<id> " before each and the newline after).
  asio::awaitable<void> RelayHello(std::string_view id, bool tls);
  asio::awaitable<void> Write(std::string_view bytes);
  // The next top-level element; throws on a stream error or the end of the stream.
  asio::awaitable<std::string_view> NextElement();
  // </stream:stream>, then waits (bounded by the armed timeout) for the server's end, and closes.
  asio::awaitable<void> CloseStream();

  // --- established phase -------------------------------------------------------------------------
  void Send(std::string_view bytes);
  // Reads once and feeds the scanner; false when the connection is gone.
  asio::awaitable<bool> ReadMore();
  StreamEvent Poll() { return scanner_.Next(); }
  // Read-buffer size; idle connections use a small one.
  void SetReadChunk(std::size_t bytes);

  // Closes the socket when `d` passes without another Arm/Disarm.
  void ArmTimeout(std::chrono::steady_clock::duration d);
  void DisarmTimeout();
  void Close();
  bool IsOpen() const { return sock_.is_open(); }
  const std::string& LastError() const { return last_error_; }

 private:
  template <class Buffers, class Token>
  auto AsyncWrite(const Buffers& buffers, Token&& token);
  template <class Buffers, class Token>
  auto AsyncReadSome(const Buffers& buffers, Token&& token);
  void Flush();
  asio::awaitable<void> TlsHandshake();
  asio::awaitable<std::string_view> IqResponse(std::string_view id);

  const Target& target_;
  asio::ssl::context& tls_ctx_;
  Tcp::socket sock_;
  std::unique_ptr<asio::ssl::stream<Tcp::socket&>> tls_;
  asio::steady_timer timer_;
  ElementScanner scanner_;
  std::unique_ptr<char[]> rbuf_;
  std::size_t rbuf_size_ = 16384;
  std::string features_;
  std::string out_pending_;
  std::string out_flight_;
  bool writing_ = false;
  std::string last_error_;
};

// A client TLS context: no certificate verification (the servers use self-signed certificates),
// no session resumption (every login pays a full handshake, as a new client would), released
// buffers when idle.
std::unique_ptr<asio::ssl::context> MakeClientTlsContext();

}  // namespace parley::bench
