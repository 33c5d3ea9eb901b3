#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <filesystem>
#include <optional>
#include <type_traits>

#include "http/web_content.hpp"
#include "http/websocket_transport.hpp"
#include "net/acceptor.hpp"

namespace parley::http {

namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr std::string_view kWebSocketPath = "/xmpp-websocket";
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

// Boost 1.74's Beast has its own string_view.
std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view Bv(std::string_view s) { return {s.data(), s.size()}; }

std::string_view PathOf(std::string_view target) {
  std::size_t cut = target.find_first_of("?#");
  return cut == std::string_view::npos ? target : target.substr(0, cut);
}

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using Request = bhttp::request<bhttp::string_body>;

  HttpSession(Stream stream, HttpContext& ctx, std::size_t shard, std::shared_ptr<void> admission)
      : stream_(std::move(stream)), ctx_(ctx), shard_(shard), admission_(std::move(admission)) {
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    auto remote = socket.remote_endpoint(ec);
    if (!ec) {
      peer_ = remote.address().to_string();
      loopback_ = remote.address().is_loopback();
    }
    auto local = socket.local_endpoint(ec);
    if (!ec) {
      local_ = local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                       : local.address().to_string();
      local_ += ":" + std::to_string(local.port());
    }
  }

  void Run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(ctx_.options.request_timeout);
      auto self = this->shared_from_this();
      stream_.async_handshake(boost::asio::ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) {
          spdlog::debug("https from {}: handshake failed: {}", self->peer_, ec.message());
          return;
        }
        self->Read();
      });
    } else {
      Read();
    }
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.options.max_header_bytes));
    parser_->body_limit(ctx_.options.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(ctx_.options.request_timeout);
    auto self = this->shared_from_this();
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset) {
      Shutdown();
      return;
    }
    if (ec) {
      // Bad or oversized requests and slow clients get a status and the connection is closed:
      // nothing else is spent on them.
      bhttp::status status = bhttp::status::bad_request;
      if (ec == bhttp::error::header_limit) status = bhttp::status::request_header_fields_too_large;
      if (ec == bhttp::error::body_limit) status = bhttp::status::payload_too_large;
      if (ec == beast::error::timeout) {
        // Slow or idle: the stream has already closed the socket when its deadline passed.
        spdlog::debug("http from {}: request not received within {} s, closed", peer_,
                      ctx_.options.request_timeout.count());
        return;
      }
      spdlog::debug("http from {}: {} ({})", peer_, static_cast<unsigned>(status), ec.message());
      ReplyText(status, ec.message() + "\n", 11, false, true);
      return;
    }
    Request req = parser_->release();
    if (websocket::is_upgrade(req)) {
      Upgrade(std::move(req));
      return;
    }
    Handle(req);
  }

  // --- plain requests ---

  void Handle(const Request& req) {
    int version = req.version();
    bool keep_alive = req.keep_alive();
    bool head = req.method() == bhttp::verb::head;
    if (req.method() != bhttp::verb::get && !head) {
      auto res = MakeText(bhttp::status::method_not_allowed, "Only GET and HEAD are served\n",
                          version, keep_alive);
      res.set(bhttp::field::allow, "GET, HEAD");
      Reply(std::move(res), head);
      return;
    }
    std::string_view path = PathOf(Sv(req.target()));
    if (path == kWebSocketPath) {
      auto res = MakeText(bhttp::status::upgrade_required,
                          "XMPP over WebSocket (RFC 7395): connect with the 'xmpp' subprotocol\n",
                          version, keep_alive);
      res.set(bhttp::field::upgrade, "websocket");
      Reply(std::move(res), head);
      return;
    }
    if (path == "/.well-known/host-meta" || path == "/.well-known/host-meta.json") {
      bool json = path.ends_with(".json");
      std::string url = WebSocketUrl(req);
      auto res = MakeText(bhttp::status::ok, json ? HostMetaJson(url) : HostMetaXrd(url), version,
                          keep_alive);
      res.set(bhttp::field::content_type,
              json ? "application/json" : "application/xrd+xml; charset=utf-8");
      res.set(bhttp::field::access_control_allow_origin, "*");  // XEP-0156 §3
      Reply(std::move(res), head);
      return;
    }
    if (path == "/parley-client.json") {
      auto res =
          MakeText(bhttp::status::ok, ClientInfoJson(ClientInfoFor(req)), version, keep_alive);
      res.set(bhttp::field::content_type, "application/json");
      res.set(bhttp::field::cache_control, "no-cache");
      Reply(std::move(res), head);
      return;
    }
    ServeFile(req, version, keep_alive, head);
  }

  void ServeFile(const Request& req, int version, bool keep_alive, bool head) {
    auto file_path = ResolveStaticPath(ctx_.options.web_root, Sv(req.target()));
    if (!file_path) {
      Reply(MakeText(bhttp::status::bad_request, "Bad path\n", version, keep_alive), head);
      return;
    }
    std::error_code fec;
    if (std::filesystem::is_directory(*file_path, fec)) {
      // "/dir" → "/dir/" so that relative links inside resolve.
      auto res = MakeText(bhttp::status::moved_permanently, "", version, keep_alive);
      res.set(bhttp::field::location, std::string(PathOf(Sv(req.target()))) + "/");
      Reply(std::move(res), head);
      return;
    }
    bhttp::file_body::value_type body;
    beast::error_code ec;
    if (std::filesystem::is_regular_file(*file_path, fec)) {
      body.open(file_path->c_str(), beast::file_mode::scan, ec);
    } else {
      ec = beast::errc::make_error_code(beast::errc::no_such_file_or_directory);
    }
    if (ec) {
      bool index = PathOf(Sv(req.target())) == "/";
      Reply(MakeText(bhttp::status::not_found,
                     index ? "The web client is not built: run scripts/build (it runs "
                             "scripts/build-web), or set [http] web_root\n"
                           : "Not found\n",
                     version, keep_alive),
            head);
      return;
    }
    std::uint64_t size = body.size();
    bhttp::response<bhttp::file_body> res{std::piecewise_construct,
                                          std::make_tuple(std::move(body)),
                                          std::make_tuple(bhttp::status::ok, version)};
    SetCommonHeaders(res);
    res.set(bhttp::field::content_type, Bv(ContentTypeFor(*file_path)));
    res.set(bhttp::field::cache_control,
            file_path->ends_with(".html") ? "no-cache" : "public, max-age=3600");
    res.set("Content-Security-Policy", Bv(kContentSecurityPolicy));
    res.content_length(size);
    res.keep_alive(keep_alive);
    if (head) {
      bhttp::response<bhttp::empty_body> head_res{res.result(), version};
      head_res.base() = res.base();
      head_res.content_length(size);
      Reply(std::move(head_res), false);
      return;
    }
    Reply(std::move(res), false);
  }

  bhttp::response<bhttp::string_body> MakeText(bhttp::status status, std::string text, int version,
                                               bool keep_alive) {
    bhttp::response<bhttp::string_body> res{status, version};
    SetCommonHeaders(res);
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(keep_alive);
    res.body() = std::move(text);
    res.prepare_payload();
    return res;
  }

  template <class Body>
  void SetCommonHeaders(bhttp::response<Body>& res) {
    res.set(bhttp::field::server, "parleyd");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
  }

  void ReplyText(bhttp::status status, std::string text, int version, bool keep_alive, bool close) {
    auto res = MakeText(status, std::move(text), version, keep_alive && !close);
    if (close) res.set(bhttp::field::connection, "close");
    Reply(std::move(res), false);
  }

  // Writes the response (without its body for HEAD), then reads the next request or closes.
  template <class Body>
  void Reply(bhttp::response<Body>&& res, bool head) {
    if (head) {
      bhttp::response<bhttp::empty_body> head_res{res.result(), res.version()};
      head_res.base() = res.base();
      Reply(std::move(head_res), false);
      return;
    }
    bool close = !res.keep_alive();
    auto sp = std::make_shared<bhttp::response<Body>>(std::move(res));
    auto self = this->shared_from_this();
    beast::get_lowest_layer(stream_).expires_after(ctx_.options.request_timeout);
    bhttp::async_write(stream_, *sp, [self, sp, close](beast::error_code ec, std::size_t) {
      if (ec || close) {
        self->Shutdown();
        return;
      }
      self->Read();
    });
  }

  void Shutdown() {
    beast::error_code ec;
    if constexpr (kTls) {
      auto self = this->shared_from_this();
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self](beast::error_code) {
        beast::error_code e;
        beast::get_lowest_layer(self->stream_).socket().close(e);
      });
    } else {
      stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
      stream_.socket().close(ec);
    }
  }

  // --- discovery ---

  // Whether the request came through a trusted TLS-terminating proxy that says the client used
  // HTTPS; and the client's address as that proxy reports it.
  bool FromTrustedProxy() const {
    const auto& proxies = ctx_.options.trusted_proxies;
    return std::find(proxies.begin(), proxies.end(), peer_) != proxies.end();
  }

  bool ForwardedHttps(const Request& req) const {
    if (!FromTrustedProxy()) return false;
    auto it = req.find("X-Forwarded-Proto");
    return it != req.end() && beast::iequals(it->value(), "https");
  }

  // A request that names the client it was forwarded for came through a proxy: its peer address
  // (perhaps loopback, a proxy on the same box) says nothing about the browser's connection.
  static bool Proxied(const Request& req) {
    return req.find("X-Forwarded-For") != req.end() || req.find("X-Forwarded-Proto") != req.end() ||
           req.find(bhttp::field::forwarded) != req.end() || req.find("X-Real-IP") != req.end();
  }

  std::string ClientAddress(const Request& req) const {
    if (!FromTrustedProxy()) return peer_;
    auto it = req.find("X-Forwarded-For");
    if (it == req.end()) return peer_;
    auto hops = HeaderTokens(Sv(it->value()));
    return hops.empty() ? peer_ : hops.back();
  }

  std::string WebSocketUrl(const Request& req) const {
    bool secure_scheme = kTls || ForwardedHttps(req);
    auto host = SafeHostHeader(Sv(req[bhttp::field::host]));
    return std::string(secure_scheme ? "wss://" : "ws://") + (host ? *host : local_) +
           std::string(kWebSocketPath);
  }

  ClientInfo ClientInfoFor(const Request& req) const {
    const hosts::HostTable& table = ctx_.c2s.hosts;
    const hosts::Host* host = table.Find(HostName(Sv(req[bhttp::field::host])));
    if (!host) host = &table.Default();
    ClientInfo info;
    info.domain = host->domain;
    info.muc =
        ctx_.options.muc_subdomain.empty() ? "" : ctx_.options.muc_subdomain + "." + host->domain;
    info.websocket_path = std::string(kWebSocketPath);
    info.registration = host->allow_registration;
    return info;
  }

  // --- WebSocket ---

  void Upgrade(Request req) {
    int version = req.version();
    if (PathOf(Sv(req.target())) != kWebSocketPath) {
      ReplyText(bhttp::status::not_found, "No WebSocket endpoint here\n", version, false, true);
      return;
    }
    if (!ctx_.options.allowed_origins.empty()) {
      const auto& allowed = ctx_.options.allowed_origins;
      std::string origin(Sv(req[bhttp::field::origin]));
      if (std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
        spdlog::info("websocket from {}: origin '{}' not allowed", peer_, origin);
        ReplyText(bhttp::status::forbidden, "Origin not allowed\n", version, false, true);
        return;
      }
    }
    auto protocols = HeaderTokens(Sv(req[bhttp::field::sec_websocket_protocol]));
    if (std::find(protocols.begin(), protocols.end(), "xmpp") == protocols.end()) {
      // RFC 7395 §3.2: the client asks for the 'xmpp' subprotocol.
      ReplyText(bhttp::status::bad_request, "The 'xmpp' WebSocket subprotocol is required\n",
                version, false, true);
      return;
    }
    WebSocketParams params;
    bool forwarded = ForwardedHttps(req);
    // Loopback counts as secure only for a browser on this machine, not for a proxy here that
    // forwards plain ws:// from elsewhere (unless it is trusted and says the client used https).
    bool local_browser = loopback_ && !Proxied(req);
    params.secure = kTls || local_browser || forwarded;
    params.peer_address = ClientAddress(req);
    params.description = kTls            ? "WebSocket over TLS"
                         : forwarded     ? "WebSocket behind proxy " + peer_
                         : local_browser ? "WebSocket from loopback"
                                         : "WebSocket without TLS";
    params.max_message_bytes = ctx_.c2s.options.parser.max_stanza_bytes + 1024;
    params.max_send_queue_bytes = ctx_.c2s.options.max_send_queue_bytes;
    params.handshake_timeout = ctx_.options.request_timeout;
    auto transport =
        std::make_shared<WebSocketTransport<Stream>>(std::move(stream_), std::move(req), params);
    auto session = std::make_shared<c2s::C2sSession>(ctx_.c2s, transport, shard_);
    session->SetAdmission(std::move(admission_));
    session->Start(false);
  }

  Stream stream_;
  HttpContext& ctx_;
  std::size_t shard_;
  std::shared_ptr<void> admission_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string peer_;
  std::string local_;
  bool loopback_ = false;
};

}  // namespace

HttpListener::HttpListener(net::ShardSet& shards, c2s::C2sContext& c2s,
                           c2s::AdmissionControl& admission, HttpOptions options,
                           std::shared_ptr<boost::asio::ssl::context> tls)
    : shards_(shards),
      admission_(admission),
      tls_(std::move(tls)),
      ctx_(std::make_unique<HttpContext>(HttpContext{c2s, std::move(options), tls_ != nullptr})),
      acceptor_(shards.At(0).Io()) {}

HttpListener::~HttpListener() = default;

bool HttpListener::Listen(const std::string& address, uint16_t port, std::string* error) {
  if (!net::OpenAcceptor(acceptor_, address, port, error)) return false;
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return true;
}

void HttpListener::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void HttpListener::Accept() {
  net::Shard& target = shards_.Next();
  acceptor_.async_accept(target.Io(), [this, &target](const boost::system::error_code& ec,
                                                      boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      spdlog::warn("http: accept failed: {}", ec.message());
      Accept();
      return;
    }
    boost::system::error_code e2;
    auto remote = socket.remote_endpoint(e2);
    std::string address = e2 ? "" : remote.address().to_string();
    auto token = admission_.Admit(address);
    if (!token) {
      spdlog::warn("http: connection limit reached, refusing {}", address);
      socket.close(e2);
      Accept();
      return;
    }
    socket.set_option(boost::asio::ip::tcp::no_delay(true), e2);
    target.Post([this, &target, s = std::move(socket), token = std::move(token)]() mutable {
      if (tls_) {
        auto session = std::make_shared<HttpSession<TlsStream>>(
            TlsStream(beast::tcp_stream(std::move(s)), *tls_), *ctx_, target.Index(),
            std::move(token));
        session->Run();
      } else {
        auto session = std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(s)), *ctx_,
                                                                  target.Index(), std::move(token));
        session->Run();
      }
    });
    Accept();
  });
}

}  // namespace parley::http
