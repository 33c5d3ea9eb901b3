#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace parley::net {

namespace {
constexpr std::size_t kReadBufferBytes = 4096;
constexpr auto kLingerTime = std::chrono::seconds(2);
}  // namespace

Connection::Connection(Tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
                       ConnectionLimits limits)
    : socket_(std::move(socket)),
      tls_ctx_(std::move(tls)),
      limits_(limits),
      linger_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_address_ = ep.address().to_string();
    peer_loopback_ = ep.address().is_loopback();
  }
  socket_.set_option(Tcp::no_delay(true), ec);
}

Connection::~Connection() = default;

SSL* Connection::NativeSsl() { return tls_stream_ ? tls_stream_->native_handle() : nullptr; }

std::string Connection::TlsVersion() {
  SSL* ssl = NativeSsl();
  return ssl ? SSL_get_version(ssl) : "";
}

void Connection::Start(std::shared_ptr<ConnectionHandler> handler, bool direct_tls) {
  handler_ = std::move(handler);
  if (direct_tls) {
    tls_wanted_ = true;
    Handshake();
  } else {
    Read();
  }
}

void Connection::Read() {
  if (reading_ || closed_ || (tls_wanted_ && !tls_up_)) return;
  if (!read_buf_) read_buf_ = std::make_unique<char[]>(kReadBufferBytes);
  reading_ = true;
  auto self = shared_from_this();
  auto buf = boost::asio::buffer(read_buf_.get(), kReadBufferBytes);
  auto cb = [self](const boost::system::error_code& ec, std::size_t n) { self->OnRead(ec, n); };
  if (tls_up_) {
    tls_stream_->async_read_some(buf, cb);
  } else {
    socket_.async_read_some(buf, cb);
  }
}

void Connection::OnRead(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    FinishClose(ec == boost::asio::error::eof ? "peer closed" : ec.message());
    return;
  }
  if (!closing_ && handler_) {
    auto h = handler_;  // the handler may close us
    h->OnData(std::string_view(read_buf_.get(), n));
  }
  if (closed_) return;
  if (closing_ && !lingering_) return;  // Flush() decides when to half-close
  Read();                               // while closing we drain until EOF or the linger timer
}

bool Connection::Send(SharedBytes bytes) {
  if (closing_ || closed_) return false;
  queued_bytes_ += bytes->size();
  if (queued_bytes_ > limits_.max_send_queue_bytes) {
    spdlog::warn("connection {}: send queue over {} bytes, closing", peer_address_,
                 limits_.max_send_queue_bytes);
    Abort("send queue full");
    return false;
  }
  queue_.push_back(std::move(bytes));
  if (!writing_) Flush();
  return true;
}

void Connection::Flush() {
  if (writing_ || closed_) return;
  if (queue_.empty()) {
    if (tls_wanted_ && !tls_up_ && !closing_) {
      Handshake();
    } else if (closing_) {
      Linger();
    }
    return;
  }
  writing_ = true;
  in_flight_.swap(queue_);
  auto self = shared_from_this();
  auto cb = [self](const boost::system::error_code& ec, std::size_t) { self->OnWritten(ec); };
  if (tls_up_) {
    // One TLS record per wake-up rather than one per stanza.
    tls_scratch_.clear();
    for (const auto& b : in_flight_) tls_scratch_ += *b;
    boost::asio::async_write(*tls_stream_, boost::asio::buffer(tls_scratch_), cb);
  } else {
    std::vector<boost::asio::const_buffer> bufs;
    bufs.reserve(in_flight_.size());
    for (const auto& b : in_flight_) bufs.emplace_back(b->data(), b->size());
    boost::asio::async_write(socket_, bufs, cb);
  }
}

void Connection::OnWritten(const boost::system::error_code& ec) {
  writing_ = false;
  for (const auto& b : in_flight_) queued_bytes_ -= b->size();
  in_flight_.clear();
  if (tls_scratch_.capacity() > 64 * 1024) std::string().swap(tls_scratch_);
  if (closed_) return;
  if (ec) {
    FinishClose(ec.message());
    return;
  }
  Flush();
}

void Connection::StartTls() {
  if (tls_stream_ || closed_) return;
  tls_wanted_ = true;
  if (!writing_ && queue_.empty()) Handshake();
  // otherwise Flush() starts the handshake once the <proceed/> is written
}

void Connection::Handshake() {
  if (!tls_ctx_) {
    Abort("TLS not configured");
    return;
  }
  tls_stream_ = std::make_unique<TlsStream>(socket_, *tls_ctx_);
  auto self = shared_from_this();
  linger_.expires_after(std::chrono::seconds(30));
  linger_.async_wait([self](const boost::system::error_code& ec) {
    if (!ec && !self->tls_up_ && !self->closed_) self->Abort("TLS handshake timeout");
  });
  tls_stream_->async_handshake(boost::asio::ssl::stream_base::server,
                               [self](const boost::system::error_code& ec) {
                                 self->linger_.cancel();
                                 if (self->closed_) return;
                                 if (ec) {
                                   spdlog::info("connection {}: TLS handshake failed: {}",
                                                self->peer_address_, ec.message());
                                   self->FinishClose("TLS handshake failed");
                                   return;
                                 }
                                 self->tls_up_ = true;
                                 if (self->handler_) self->handler_->OnTlsEstablished();
                                 self->Read();
                                 self->Flush();
                               });
}

void Connection::Close() {
  if (closing_ || closed_) return;
  closing_ = true;
  if (!writing_) Flush();
}

void Connection::Linger() {
  if (lingering_ || closed_) return;
  lingering_ = true;
  // Half-close so the peer gets everything written, then wait briefly for its FIN: closing with
  // unread input would send a RST that can destroy our last bytes (the stream error) in flight.
  boost::system::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_send, ec);
  auto self = shared_from_this();
  linger_.expires_after(kLingerTime);
  linger_.async_wait([self](const boost::system::error_code& e) {
    if (!e) self->FinishClose("closed by server");
  });
  Read();
}

void Connection::Abort(std::string_view reason) {
  queue_.clear();
  FinishClose(reason);
}

void Connection::FinishClose(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  linger_.cancel();
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  auto h = std::move(handler_);
  if (h) h->OnClosed(reason);
}

}  // namespace parley::net
