#pragma once
// HttpListener: the HTTP(S) side of parleyd (Boost.Beast). Serves the web client's static files,
// XMPP over WebSocket (RFC 7395) at /xmpp-websocket, and XEP-0156 discovery. A WebSocket becomes a
// full C2sSession (same SASL, binding, routing and limits as TCP) over a WebSocketTransport.
// Accepts on shard 0 and hands connections to shards round-robin, like C2sListener; connections
// count against the same AdmissionControl. Lives until Stop(). See docs/architecture/http.md.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "c2s/listener.hpp"
#include "c2s/session.hpp"
#include "net/shard.hpp"

namespace parley::http {

struct HttpOptions {
  std::string web_root;                      // directory of the built web client
  std::vector<std::string> allowed_origins;  // WebSocket Origin allow-list; empty: any
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-Proto/-For are believed
  std::string muc_subdomain = "conference";  // for /parley-client.json; "" when MUC is off
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 4096;
  std::chrono::seconds request_timeout{30};  // to receive one request (and idle keep-alive)
};

// Shared by every HTTP connection; outlives them.
struct HttpContext {
  c2s::C2sContext& c2s;
  HttpOptions options;
  bool tls = false;
};

class HttpListener {
 public:
  HttpListener(net::ShardSet& shards, c2s::C2sContext& c2s, c2s::AdmissionControl& admission,
               HttpOptions options, std::shared_ptr<boost::asio::ssl::context> tls);
  ~HttpListener();
  // Binds and listens; false with *error set on failure.
  bool Listen(const std::string& address, uint16_t port, std::string* error);
  void Stop();
  uint16_t Port() const { return port_; }

 private:
  void Accept();

  net::ShardSet& shards_;
  c2s::AdmissionControl& admission_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<HttpContext> ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
};

}  // namespace parley::http
