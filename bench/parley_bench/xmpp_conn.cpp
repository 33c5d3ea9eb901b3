#include "parley_bench/xmpp_conn.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "parley_bench/scram_client.hpp"
#include "sasl/credentials.hpp"

namespace parley::bench {
namespace {

constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";

using asio::use_awaitable;

// The character data of a simple element such as <challenge xmlns='...'>BASE64</challenge>.
std::string_view TextOf(std::string_view element) {
  std::size_t gt = element.find('>');
  if (gt == std::string_view::npos || element[gt - 1] == '/') return {};
  std::size_t lt = element.find('<', gt + 1);
  if (lt == std::string_view::npos) return {};
  return element.substr(gt + 1, lt - gt - 1);
}

std::string Clip(std::string_view s) { return std::string(s.substr(0, 300)); }

}  // namespace

std::unique_ptr<asio::ssl::context> MakeClientTlsContext() {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_verify_mode(asio::ssl::verify_none);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

XmppConn::XmppConn(asio::io_context& io, asio::ssl::context& tls, const Target& target)
    : target_(target), tls_ctx_(tls), sock_(io), timer_(io) {}

XmppConn::~XmppConn() = default;

template <class Buffers, class Token>
auto XmppConn::AsyncWrite(const Buffers& buffers, Token&& token) {
  if (tls_) return asio::async_write(*tls_, buffers, std::forward<Token>(token));
  return asio::async_write(sock_, buffers, std::forward<Token>(token));
}

template <class Buffers, class Token>
auto XmppConn::AsyncReadSome(const Buffers& buffers, Token&& token) {
  if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
  return sock_.async_read_some(buffers, std::forward<Token>(token));
}

asio::awaitable<void> XmppConn::Connect(const asio::ip::address* source) {
  boost::system::error_code ec;
  sock_.open(Tcp::v4(), ec);
  if (ec) throw BenchError("socket: " + ec.message());
  if (source != nullptr) {
    // Let connect() choose the port per destination, so that each source address offers the
    // whole ephemeral range.
    int one = 1;
    ::setsockopt(sock_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sock_.bind(Tcp::endpoint(*source, 0), ec);
    if (ec) throw BenchError("bind " + source->to_string() + ": " + ec.message());
  }
  co_await sock_.async_connect(Tcp::endpoint(target_.host, target_.port),
                               asio::redirect_error(use_awaitable, ec));
  if (ec) throw BenchError("connect: " + ec.message());
  sock_.set_option(Tcp::no_delay(true), ec);
}

asio::awaitable<void> XmppConn::Write(std::string_view bytes) {
  boost::system::error_code ec;
  co_await AsyncWrite(asio::buffer(bytes.data(), bytes.size()),
                      asio::redirect_error(use_awaitable, ec));
  if (ec) throw BenchError("write: " + ec.message());
}

asio::awaitable<bool> XmppConn::ReadMore() {
  if (!rbuf_) rbuf_ = std::make_unique<char[]>(rbuf_size_);
  boost::system::error_code ec;
  std::size_t n = co_await AsyncReadSome(asio::buffer(rbuf_.get(), rbuf_size_),
                                         asio::redirect_error(use_awaitable, ec));
  if (ec) {
    if (last_error_.empty()) last_error_ = ec.message();
    co_return false;
  }
  scanner_.Append(std::string_view(rbuf_.get(), n));
  co_return true;
}

void XmppConn::SetReadChunk(std::size_t bytes) {
  rbuf_size_ = bytes;
  rbuf_.reset();
}

asio::awaitable<std::string_view> XmppConn::NextElement() {
  for (;;) {
    StreamEvent ev = scanner_.Next();
    switch (ev.kind) {
      case StreamEvent::Kind::kElement:
        if (IsElement(ev.bytes, "error") && ev.bytes.starts_with("<stream:")) {
          throw BenchError("stream error: " + Clip(ev.bytes));
        }
        co_return ev.bytes;
      case StreamEvent::Kind::kStreamClose:
        throw BenchError("the server closed the stream");
      case StreamEvent::Kind::kStreamOpen:
        throw BenchError("unexpected stream header");
      case StreamEvent::Kind::kNone:
        break;
    }
    if (!co_await ReadMore()) throw BenchError("connection lost: " + last_error_);
  }
}

asio::awaitable<void> XmppConn::OpenStream() {
  scanner_.Reset();
  co_await Write("<?xml version='1.0'?><stream:stream to='" + target_.domain +
                 "' version='1.0' xml:lang='en' xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams'>");
  for (;;) {
    StreamEvent ev = scanner_.Next();
    if (ev.kind == StreamEvent::Kind::kStreamOpen) break;
    if (ev.kind != StreamEvent::Kind::kNone) throw BenchError("expected a stream header");
    if (!co_await ReadMore()) throw BenchError("connection lost: " + last_error_);
  }
  std::string_view el = co_await NextElement();
  if (!IsElement(el, "features")) throw BenchError("expected stream features: " + Clip(el));
  features_.assign(el);
}

asio::awaitable<void> XmppConn::StartTls() {
  if (features_.find("<starttls") == std::string::npos) {
    throw BenchError("the server does not offer STARTTLS");
  }
  co_await Write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  std::string_view el = co_await NextElement();
  if (!IsElement(el, "proceed")) throw BenchError("STARTTLS refused: " + Clip(el));
  co_await TlsHandshake();
  co_await OpenStream();
}

asio::awaitable<void> XmppConn::TlsHandshake() {
  tls_ = std::make_unique<asio::ssl::stream<Tcp::socket&>>(sock_, tls_ctx_);
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::client,
                                 asio::redirect_error(use_awaitable, ec));
  if (ec) throw BenchError("TLS handshake: " + ec.message());
}

asio::awaitable<void> XmppConn::RelayHello(std::string_view id, bool tls) {
  if (tls) co_await TlsHandshake();
  co_await Write("HELLO " + std::string(id) + "\n");
  if (!rbuf_) rbuf_ = std::make_unique<char[]>(rbuf_size_);
  std::string got;
  std::size_t nl;
  while ((nl = got.find('\n')) == std::string::npos) {
    if (got.size() > 256) throw BenchError("relay: no answer line to HELLO: " + Clip(got));
    boost::system::error_code ec;
    std::size_t n = co_await AsyncReadSome(asio::buffer(rbuf_.get(), rbuf_size_),
                                           asio::redirect_error(use_awaitable, ec));
    if (ec) throw BenchError("relay: connection lost after HELLO: " + ec.message());
    got.append(rbuf_.get(), n);
  }
  if (got.compare(0, nl, "OK") != 0) throw BenchError("relay refused HELLO: " + Clip(got));
  // A synthetic stream header, so that the scanner reports the relayed <message/>s as elements.
  scanner_.Reset();
  scanner_.Append("<relay>");
  if (scanner_.Next().kind != StreamEvent::Kind::kStreamOpen) throw BenchError("relay: scanner");
  scanner_.Append(std::string_view(got).substr(nl + 1));
}

asio::awaitable<void> XmppConn::Authenticate(Mechanism mech, std::string_view user,
                                             std::string_view password, ScramKeyCache& cache) {
  std::string_view el;
  if (mech == Mechanism::kPlain) {
    co_await Write("<auth xmlns='" + std::string(kNsSasl) + "' mechanism='PLAIN'>" +
                   PlainResponse(user, password) + "</auth>");
    el = co_await NextElement();
  } else {
    ScramClient scram(user, password);
    co_await Write("<auth xmlns='" + std::string(kNsSasl) + "' mechanism='SCRAM-SHA-1'>" +
                   scram.ClientFirst() + "</auth>");
    el = co_await NextElement();
    if (!IsElement(el, "challenge")) throw BenchError("SASL: " + Clip(el));
    auto server_first = sasl::Base64Decode(TextOf(el));
    if (!server_first) throw BenchError("SASL: challenge is not base64");
    std::string error;
    auto final_msg = scram.ClientFinal(*server_first, cache, &error);
    if (!final_msg) throw BenchError("SCRAM: " + error);
    co_await Write("<response xmlns='" + std::string(kNsSasl) + "'>" + *final_msg + "</response>");
    el = co_await NextElement();
    if (IsElement(el, "success")) {
      auto server_final = sasl::Base64Decode(TextOf(el));
      if (!server_final || !scram.VerifyServerFinal(*server_final)) {
        throw BenchError("SCRAM: the server's signature does not verify");
      }
    }
  }
  if (!IsElement(el, "success"))
    throw BenchError("SASL failed for " + std::string(user) + ": " + Clip(el));
  co_await OpenStream();
}

asio::awaitable<std::string_view> XmppConn::IqResponse(std::string_view id) {
  for (;;) {
    std::string_view el = co_await NextElement();
    if (IsElement(el, "iq") && AttributeOf(el, "id") == id) co_return el;
  }
}

asio::awaitable<std::string> XmppConn::Bind(std::string_view resource) {
  co_await Write(
      "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
      "<resource>" +
      std::string(resource) + "</resource></bind></iq>");
  std::string_view el = co_await IqResponse("bind1");
  if (AttributeOf(el, "type") != "result") throw BenchError("bind failed: " + Clip(el));
  std::string_view jid = ChildText(el, "jid");
  if (jid.empty()) throw BenchError("bind result without a JID: " + Clip(el));
  co_return std::string(jid);
}

asio::awaitable<XmppConn::RegisterResult> XmppConn::Register(std::string_view user,
                                                             std::string_view password) {
  co_await Write("<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>" +
                 std::string(user) + "</username><password>" + std::string(password) +
                 "</password></query></iq>");
  std::string_view el = co_await IqResponse("reg1");
  if (AttributeOf(el, "type") == "result") co_return RegisterResult::kCreated;
  if (el.find("<conflict") != std::string_view::npos) co_return RegisterResult::kExists;
  throw BenchError("registration of " + std::string(user) + " failed: " + Clip(el));
}

asio::awaitable<void> XmppConn::CloseStream() {
  co_await Write("</stream:stream>");
  for (;;) {
    StreamEvent ev = scanner_.Next();
    if (ev.kind == StreamEvent::Kind::kStreamClose) break;
    if (ev.kind != StreamEvent::Kind::kNone) continue;
    if (!co_await ReadMore()) break;
  }
  Close();
}

void XmppConn::Send(std::string_view bytes) {
  out_pending_.append(bytes);
  if (!writing_) Flush();
}

void XmppConn::Flush() {
  if (!sock_.is_open()) {
    out_pending_.clear();
    return;
  }
  std::swap(out_pending_, out_flight_);
  out_pending_.clear();
  writing_ = true;
  AsyncWrite(asio::buffer(out_flight_),
             [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
               self->writing_ = false;
               if (ec) {
                 self->last_error_ = "write: " + ec.message();
                 self->Close();
                 return;
               }
               if (!self->out_pending_.empty()) self->Flush();
             });
}

void XmppConn::ArmTimeout(std::chrono::steady_clock::duration d) {
  timer_.expires_after(d);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->last_error_ = "timed out";
      self->Close();
    }
  });
}

void XmppConn::DisarmTimeout() { timer_.cancel(); }

void XmppConn::Close() {
  boost::system::error_code ec;
  timer_.cancel();
  sock_.close(ec);
}

}  // namespace parley::bench
