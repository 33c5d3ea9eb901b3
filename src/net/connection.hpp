#pragma once
// Connection: one client socket (plain TCP, then TLS after STARTTLS, or TLS from the start for
// direct TLS, XEP-0368) on one shard. It reads bytes and hands them to its handler, and writes
// queued byte buffers with one gathered write per wake-up. It knows nothing of XML. Lives while an
// operation is pending or its owner holds it; runs only on its shard's thread.
//
// Memory: an idle connection keeps no buffer of its own. Reads wait for readiness and then read
// into a per-thread buffer; TLS is OpenSSL driven directly on the non-blocking socket (no Asio SSL
// stream, whose two 17 KiB record buffers per connection would dominate), with
// SSL_MODE_RELEASE_BUFFERS so that OpenSSL frees its own buffers between records. See
// docs/architecture/performance.md.

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/transport.hpp"

namespace parley::net {

struct ConnectionLimits {
  std::size_t max_send_queue_bytes = 1 << 20;
};

class Connection final : public Transport, public std::enable_shared_from_this<Connection> {
 public:
  using Tcp = boost::asio::ip::tcp;

  Connection(Tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
             ConnectionLimits limits);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading; with direct_tls, performs the TLS handshake first.
  void Start(std::shared_ptr<ConnectionHandler> handler, bool direct_tls) override;
  // Queues bytes. Returns false (and closes) when the send queue limit is exceeded.
  bool Send(SharedBytes bytes) override;
  using Transport::Send;
  bool CanStartTls() const override { return tls_ctx_ != nullptr && ssl_ == nullptr; }
  // STARTTLS: after everything queued so far is written, performs the server handshake; reading
  // stops until it completes (RFC 6120 §5.4.3.3: the client sends nothing else before the
  // handshake).
  void StartTls() override;
  // Flushes what is queued, then shuts the socket down. Idempotent.
  void Close() override;
  // Closes now, dropping queued bytes.
  void Abort(std::string_view reason) override;

  Framing GetFraming() const override { return Framing::kStream; }
  bool IsSecure() const override { return IsTls(); }
  bool IsTls() const { return ssl_ != nullptr && tls_up_; }
  bool IsClosing() const override { return closing_ || closed_; }
  SSL* NativeSsl() override { return ssl_; }
  const std::string& PeerAddress() const override { return peer_address_; }
  bool PeerIsLoopback() const { return peer_loopback_; }
  std::size_t QueuedBytes() const override { return queued_bytes_; }
  std::string SecurityDescription() override { return ssl_ ? TlsVersion() : "plain TCP"; }
  std::string TlsVersion();

 private:
  enum class Wait { kNone, kRead, kWrite };

  void Read();
  void OnReadable();
  void Flush();
  void WriteTls();
  void OnWritten(const boost::system::error_code& ec);
  void Handshake();
  void ContinueHandshake();
  void WaitFor(Wait what, void (Connection::*then)());
  void FinishClose(std::string_view reason);
  void Linger();
  std::string TlsError(int ssl_error);

  Tcp::socket socket_;
  std::shared_ptr<boost::asio::ssl::context> tls_ctx_;
  SSL* ssl_ = nullptr;
  std::shared_ptr<ConnectionHandler> handler_;
  ConnectionLimits limits_;
  std::vector<SharedBytes> queue_;
  std::vector<SharedBytes> in_flight_;
  std::string tls_out_;  // bytes being written through TLS
  std::size_t tls_out_offset_ = 0;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer linger_;
  std::string peer_address_;
  bool peer_loopback_ = false;
  bool reading_ = false;       // a read readiness wait is pending
  bool writing_ = false;       // a write (or its readiness wait) is pending
  bool flush_posted_ = false;  // a Flush() is queued on the shard
  bool tls_wanted_ = false;
  bool tls_up_ = false;
  bool handshaking_ = false;
  bool closing_ = false;
  bool lingering_ = false;
  bool closed_ = false;
};

}  // namespace parley::net
