#pragma once
// WebSocketTransport: an RFC 7395 WebSocket (subprotocol "xmpp") as a net::Transport, so that a
// C2sSession runs over it unchanged. One text message in is one OnData() call; one Send() is one
// text message out, written in order with at most one write in flight (Beast's rule). Ping/pong
// and the closing handshake are Beast's; the session's own XEP-0199 pings keep liveness. Included
// only by server.cpp; runs only on its shard's thread.

#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/transport.hpp"

namespace parley::http {

namespace beast = boost::beast;

struct WebSocketParams {
  bool secure = false;
  std::string peer_address;
  std::string description;  // for logs
  std::size_t max_message_bytes = 262144;
  std::size_t max_send_queue_bytes = 1 << 20;
  std::chrono::seconds handshake_timeout{30};
};

template <class Stream>
class WebSocketTransport final : public net::Transport,
                                 public std::enable_shared_from_this<WebSocketTransport<Stream>> {
 public:
  using Request = beast::http::request<beast::http::string_body>;

  WebSocketTransport(Stream stream, Request upgrade, WebSocketParams params)
      : ws_(std::move(stream)), upgrade_(std::move(upgrade)), params_(std::move(params)) {}

  void Start(std::shared_ptr<net::ConnectionHandler> handler, bool /*direct_tls*/) override {
    handler_ = std::move(handler);
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    beast::websocket::stream_base::timeout timeouts{params_.handshake_timeout,
                                                    beast::websocket::stream_base::none(), false};
    ws_.set_option(timeouts);
    ws_.set_option(beast::websocket::stream_base::decorator([](beast::websocket::response_type& r) {
      r.set(beast::http::field::sec_websocket_protocol, "xmpp");
      r.set(beast::http::field::server, "parleyd");
    }));
    ws_.read_message_max(params_.max_message_bytes);
    auto self = this->shared_from_this();
    ws_.async_accept(upgrade_, [self](beast::error_code ec) {
      self->upgrade_ = {};
      if (ec) {
        self->Finish("WebSocket handshake: " + ec.message());
        return;
      }
      self->accepted_ = true;
      self->Read();
      if (self->closing_ && !self->writing_) {
        self->ShutDown();
      } else {
        self->Write();
      }
    });
  }

  bool Send(net::SharedBytes bytes) override {
    if (closed_ || closing_) return false;
    queued_bytes_ += bytes->size();
    queue_.push_back(std::move(bytes));
    if (queued_bytes_ > params_.max_send_queue_bytes) {
      spdlog::info("websocket from {}: send queue over {} bytes, closing", params_.peer_address,
                   params_.max_send_queue_bytes);
      Abort("send queue full");
      return false;
    }
    Write();
    return true;
  }

  bool CanStartTls() const override { return false; }
  void StartTls() override {}

  void Close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    if (!accepted_) {
      Abort("closed before the handshake finished");
    } else if (!writing_) {
      ShutDown();
    }
  }

  void Abort(std::string_view reason) override {
    if (closed_) return;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    Finish(reason);
  }

  net::Framing GetFraming() const override { return net::Framing::kWebSocket; }
  bool IsSecure() const override { return params_.secure; }
  bool IsClosing() const override { return closing_ || closed_; }
  SSL* NativeSsl() override { return nullptr; }
  const std::string& PeerAddress() const override { return params_.peer_address; }
  std::string SecurityDescription() override { return params_.description; }
  std::size_t QueuedBytes() const override { return queued_bytes_; }

 private:
  void Read() {
    auto self = this->shared_from_this();
    ws_.async_read(in_, [self](beast::error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec) {
        self->Finish(ec == beast::websocket::error::closed ? "peer closed" : ec.message());
        return;
      }
      auto data = self->in_.cdata();
      std::string_view message(static_cast<const char*>(data.data()), data.size());
      if (self->handler_) self->handler_->OnData(message);
      self->in_.consume(self->in_.size());
      if (self->in_.capacity() > 16384) self->in_.shrink_to_fit();  // keep idle sockets small
      if (!self->closed_) self->Read();
    });
  }

  void Write() {
    if (writing_ || !accepted_ || closed_ || queue_.empty()) return;
    writing_ = true;
    ws_.text(true);
    auto self = this->shared_from_this();
    const net::SharedBytes& front = queue_.front();
    ws_.async_write(boost::asio::buffer(*front), [self](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (self->closed_) return;
      if (ec) {
        self->Finish(ec.message());
        return;
      }
      self->queued_bytes_ -= self->queue_.front()->size();
      self->queue_.erase(self->queue_.begin());
      if (!self->queue_.empty()) {
        self->Write();
      } else if (self->closing_) {
        self->ShutDown();
      }
    });
  }

  void ShutDown() {
    if (shutting_down_ || closed_) return;
    shutting_down_ = true;
    auto self = this->shared_from_this();
    ws_.async_close(beast::websocket::close_code::normal,
                    [self](beast::error_code ec) { self->Finish(ec ? ec.message() : "closed"); });
  }

  void Finish(std::string_view reason) {
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    auto handler = std::move(handler_);
    if (handler) handler->OnClosed(reason);
  }

  beast::websocket::stream<Stream> ws_;
  Request upgrade_;
  WebSocketParams params_;
  std::shared_ptr<net::ConnectionHandler> handler_;
  beast::flat_buffer in_;
  std::vector<net::SharedBytes> queue_;
  std::size_t queued_bytes_ = 0;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
};

}  // namespace parley::http
