#include "server/harness/test_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <optional>

#include "sasl/credentials.hpp"
#include "server/harness/matchers.hpp"
#include "xml/serializer.hpp"

namespace parley::testing_util {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kNsTest = "parley:test";

xml::Element Placeholder(std::string_view what) {
  return xml::Element(std::string(what), std::string(kNsTest));
}

std::string Escaped(std::string_view text) {
  std::string out;
  xml::AppendEscapedText(out, text);
  return out;
}

}  // namespace

// The socket, the TLS state and the parser of the server's stream. Heap-allocated so that the
// parser's reference to its handler survives moves of TestClient.
struct TestClient::Impl : xml::StreamHandler {
  enum class Io { kData, kClosed, kTimeout };

  int fd = -1;
  SSL_CTX* ssl_ctx = nullptr;
  SSL* ssl = nullptr;
  xml::StreamParser parser{*this};
  std::optional<xml::StreamHeader> header;
  std::deque<xml::Element> inbox;
  bool ignore_presence = true;
  bool stream_closed = false;  // </stream:stream> received
  bool eof = false;            // the connection is gone
  std::optional<xml::ParseError> parse_error;
  std::string jid;
  int next_id = 0;

  ~Impl() override {
    if (ssl) SSL_free(ssl);
    if (ssl_ctx) SSL_CTX_free(ssl_ctx);
    if (fd >= 0) ::close(fd);
  }

  // xml::StreamHandler
  void OnStreamOpen(xml::StreamHeader h) override { header = std::move(h); }
  void OnStanza(xml::Element stanza) override { inbox.push_back(std::move(stanza)); }
  void OnStreamClose() override { stream_closed = true; }
  void OnError(xml::ParseError error) override { parse_error = std::move(error); }

  bool Connect(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return true;
  }

  // Waits until fd is ready for `events` or the deadline passes.
  bool Wait(short events, Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  // Drives an OpenSSL call that may want to read or write; true once it succeeded.
  template <typename Op>
  bool SslRetry(Op op, Clock::time_point deadline, int* result) {
    for (;;) {
      int r = op();
      if (r > 0) {
        *result = r;
        return true;
      }
      int err = SSL_get_error(ssl, r);
      if (err == SSL_ERROR_WANT_READ && Wait(POLLIN, deadline)) continue;
      if (err == SSL_ERROR_WANT_WRITE && Wait(POLLOUT, deadline)) continue;
      *result = err;
      return false;
    }
  }

  bool Handshake(std::string_view sni) {
    ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!ssl_ctx) return false;
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, nullptr);  // the server's cert is self-signed
    SSL_CTX_set_options(ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    ssl = SSL_new(ssl_ctx);
    SSL_set_fd(ssl, fd);
    std::string host(sni);
    if (!host.empty()) SSL_set_tlsext_host_name(ssl, host.c_str());
    int result = 0;
    bool ok = SslRetry([this] { return SSL_connect(ssl); }, Clock::now() + kTimeout, &result);
    if (!ok) ERR_clear_error();
    return ok;
  }

  bool Write(std::string_view bytes) {
    auto deadline = Clock::now() + kTimeout;
    while (!bytes.empty()) {
      if (ssl) {
        int n = 0;
        if (!SslRetry([&] { return SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())); },
                      deadline, &n)) {
          return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
      } else {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
          bytes.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          if (!Wait(POLLOUT, deadline)) return false;
        } else {
          return false;
        }
      }
    }
    return true;
  }

  // Reads one chunk and feeds it to the parser.
  Io Pump(Clock::time_point deadline) {
    if (eof) return Io::kClosed;
    char buf[8192];
    std::size_t got = 0;
    if (ssl) {
      int n = 0;
      if (!SslRetry([&] { return SSL_read(ssl, buf, sizeof buf); }, deadline, &n)) {
        ERR_clear_error();
        if (n == SSL_ERROR_WANT_READ || n == SSL_ERROR_WANT_WRITE) return Io::kTimeout;
        eof = true;
        return Io::kClosed;
      }
      got = static_cast<std::size_t>(n);
    } else {
      for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
          got = static_cast<std::size_t>(n);
          break;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          if (!Wait(POLLIN, deadline)) return Io::kTimeout;
          continue;
        }
        eof = true;  // orderly shutdown or reset
        return Io::kClosed;
      }
    }
    parser.Feed(std::string_view(buf, got));
    return Io::kData;
  }

  // The next element, reading as needed; a placeholder and a test failure when none comes.
  // Presence broadcasts (a user's own resources see each other's presence, RFC 6121 §4.2.2) are
  // skipped unless a test asks for them, so that message and iq transcripts stay short.
  void DropIgnoredPresence() {
    while (ignore_presence && !inbox.empty() && inbox.front().Name() == "presence")
      inbox.pop_front();
  }

  xml::Element Next(std::string_view waiting_for) {
    auto deadline = Clock::now() + kTimeout;
    DropIgnoredPresence();
    while (inbox.empty()) {
      if (parse_error) {
        ADD_FAILURE() << "the server's stream did not parse (" << parse_error->text
                      << ") while waiting for " << waiting_for;
        return Placeholder("closed");
      }
      if (stream_closed || eof) {
        ADD_FAILURE() << "the server closed the stream while the client waited for " << waiting_for;
        return Placeholder("closed");
      }
      if (Pump(deadline) == Io::kTimeout) {
        ADD_FAILURE() << "nothing from the server within " << kTimeout.count()
                      << " ms while waiting for " << waiting_for;
        return Placeholder("timeout");
      }
      DropIgnoredPresence();
    }
    xml::Element e = std::move(inbox.front());
    inbox.pop_front();
    return e;
  }

  // Restarts the client's view of the stream (after <proceed/> and <success/>).
  void Restart() {
    parser.Reset();
    header.reset();
    stream_closed = false;
  }
};

TestClient::TestClient(std::uint16_t port, bool direct_tls) : impl_(std::make_unique<Impl>()) {
  if (!impl_->Connect(port)) {
    ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
    impl_->eof = true;
    return;
  }
  if (direct_tls && !impl_->Handshake("")) {
    ADD_FAILURE() << "direct TLS handshake failed";
    impl_->eof = true;
  }
}

TestClient::~TestClient() = default;
TestClient::TestClient(TestClient&&) noexcept = default;
TestClient& TestClient::operator=(TestClient&&) noexcept = default;

xml::Element TestClient::Open(std::string_view domain) {
  Send(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='" +
      std::string(domain) + "' version='1.0' xml:lang='en'>");
  xml::Element first = impl_->Next("the server's first element after its stream header");
  EXPECT_TRUE(impl_->header.has_value()) << "no stream header from the server";
  return first;
}

const xml::StreamHeader& TestClient::ServerHeader() const {
  static const xml::StreamHeader kNone;
  return impl_->header ? *impl_->header : kNone;
}

bool TestClient::StartTls() {
  Send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  xml::Element proceed = Receive();
  if (proceed.Name() != "proceed") {
    ADD_FAILURE() << "expected <proceed/>, got " << xml::ToString(proceed);
    return false;
  }
  impl_->Restart();
  if (!impl_->Handshake("")) {
    ADD_FAILURE() << "TLS handshake after <proceed/> failed";
    impl_->eof = true;
    return false;
  }
  return true;
}

xml::Element TestClient::AuthPlain(std::string_view user, std::string_view password) {
  std::string message;
  message += '\0';
  message += user;
  message += '\0';
  message += password;
  Send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       sasl::Base64Encode(message) + "</auth>");
  xml::Element answer = Receive();
  if (answer.Name() == "success") impl_->Restart();
  return answer;
}

xml::Element TestClient::Bind(std::string_view resource) {
  std::string id = NextId("bind");
  std::string request =
      "<iq type='set' id='" + id + "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>";
  if (!resource.empty()) request += "<resource>" + Escaped(resource) + "</resource>";
  request += "</bind></iq>";
  Send(request);
  xml::Element reply = Receive();
  if (reply.AttrOr("type") == "result" && reply.AttrOr("id") == id) {
    if (const xml::Element* bind = reply.Child("bind")) {
      if (const xml::Element* jid = bind->Child("jid")) impl_->jid = jid->Text();
    }
  }
  return reply;
}

bool TestClient::Login(std::string_view domain, std::string_view user, std::string_view password,
                       std::string_view resource) {
  xml::Element features = Open(domain);
  if (features.Name() != "features" || !StartTls()) {
    ADD_FAILURE() << "login: no STARTTLS (got " << xml::ToString(features) << ")";
    return false;
  }
  Open(domain);
  xml::Element auth = AuthPlain(user, password);
  if (auth.Name() != "success") {
    ADD_FAILURE() << "login as " << user << " failed: " << xml::ToString(auth);
    return false;
  }
  features = Open(domain);
  if (!features.Child("bind")) {
    ADD_FAILURE() << "login: no <bind/> offered after authentication: " << xml::ToString(features);
    return false;
  }
  xml::Element bound = Bind(resource);
  if (bound.AttrOr("type") != "result") {
    ADD_FAILURE() << "login: bind failed: " << xml::ToString(bound);
    return false;
  }
  return true;
}

const std::string& TestClient::Jid() const { return impl_->jid; }

void TestClient::Send(std::string_view xml) {
  if (impl_->eof || !impl_->Write(xml)) {
    ADD_FAILURE() << "cannot send (connection closed): " << xml;
    impl_->eof = true;
  }
}

xml::Element TestClient::Receive() { return impl_->Next("a stanza"); }

void TestClient::IgnorePresence(bool ignore) { impl_->ignore_presence = ignore; }

std::string TestClient::ReceiveStreamError() {
  xml::Element e = impl_->Next("a stream error");
  std::string condition = StreamErrorCondition(e);
  if (condition.empty()) ADD_FAILURE() << "expected a stream error, got " << xml::ToString(e);
  return condition;
}

::testing::AssertionResult TestClient::ExpectClosed() {
  auto deadline = Clock::now() + kTimeout;
  for (;;) {
    impl_->DropIgnoredPresence();
    if (!impl_->inbox.empty()) {
      return ::testing::AssertionFailure()
             << "expected the connection to close, got " << xml::ToString(impl_->inbox.front());
    }
    if (impl_->eof) return ::testing::AssertionSuccess();
    if (impl_->Pump(deadline) == Impl::Io::kTimeout) {
      return ::testing::AssertionFailure()
             << "the connection is still open after " << kTimeout.count() << " ms";
    }
  }
}

void TestClient::Available(int priority) {
  Send("<presence><priority>" + std::to_string(priority) + "</priority></presence>");
  std::string id = NextId("sync");
  Send("<message to='" + Jid() + "' id='" + id + "'/>");
  EXPECT_THAT(Receive(), IsMessage(id)) << "presence sync for " << Jid();
}

std::string TestClient::NextId(std::string_view prefix) {
  return std::string(prefix) + "-" + std::to_string(++impl_->next_id);
}

}  // namespace parley::testing_util
