#include "net/connection.hpp"

#include <openssl/err.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <climits>

namespace parley::net {

namespace {
constexpr std::size_t kReadBufferBytes = 16384;  // one TLS record's worth
constexpr int kReadsPerWakeup = 16;              // then yield to the other connections
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kHandshakeTime = std::chrono::seconds(30);

// Reads land here and are handed to the handler synchronously, so one buffer per shard thread
// serves every connection of the shard.
char* ReadBuffer() {
  thread_local std::array<char, kReadBufferBytes> buffer;
  return buffer.data();
}
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
  socket_.non_blocking(true, ec);
}

Connection::~Connection() {
  if (ssl_) SSL_free(ssl_);
}

std::string Connection::TlsVersion() { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string Connection::TlsError(int ssl_error) {
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    return buf;
  }
  return ssl_error == SSL_ERROR_SYSCALL ? "connection reset" : "TLS error";
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

void Connection::WaitFor(Wait what, void (Connection::*then)()) {
  auto self = shared_from_this();
  auto kind = what == Wait::kRead ? Tcp::socket::wait_read : Tcp::socket::wait_write;
  socket_.async_wait(kind, [self, then](const boost::system::error_code& ec) {
    if (self->closed_) return;
    if (ec) {
      self->FinishClose(ec.message());
      return;
    }
    ((*self).*then)();
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

void Connection::Read() {
  if (reading_ || closed_ || (tls_wanted_ && !tls_up_)) return;
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_wait(Tcp::socket::wait_read, [self](const boost::system::error_code& ec) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) {
      self->FinishClose(ec.message());
      return;
    }
    self->OnReadable();
  });
}

void Connection::OnReadable() {
  char* buf = ReadBuffer();
  for (int round = 0; round < kReadsPerWakeup; ++round) {
    std::size_t n = 0;
    if (tls_up_) {
      ERR_clear_error();
      int r = SSL_read(ssl_, buf, static_cast<int>(kReadBufferBytes));
      if (r <= 0) {
        int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        FinishClose(e == SSL_ERROR_ZERO_RETURN ? "peer closed" : TlsError(e));
        return;
      }
      n = static_cast<std::size_t>(r);
    } else {
      boost::system::error_code ec;
      n = socket_.read_some(boost::asio::buffer(buf, kReadBufferBytes), ec);
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) break;
      if (ec) {
        FinishClose(ec == boost::asio::error::eof ? "peer closed" : ec.message());
        return;
      }
    }
    if (!closing_ && handler_) {
      auto h = handler_;  // the handler may close us
      h->OnData(std::string_view(buf, n));
    }
    if (closed_) return;
    if (tls_wanted_ && !tls_up_) return;  // STARTTLS: the handshake takes over the socket
    if (closing_ && !lingering_) return;  // Flush() decides when to half-close
    if (round + 1 == kReadsPerWakeup) {
      // A busy peer: let the shard's other connections run, then go on where we stopped. (Waiting
      // for readiness here could miss data the kernel already holds.)
      auto self = shared_from_this();
      reading_ = true;
      boost::asio::post(socket_.get_executor(), [self] {
        self->reading_ = false;
        if (!self->closed_) self->OnReadable();
      });
      return;
    }
  }
  Read();
}

// ---------------------------------------------------------------------------------------------
// Writing

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
  if (!writing_ && !flush_posted_) {
    // Write after the handlers already queued on this shard have run, not now: the stanzas they
    // produce for this connection (a burst of deliveries, a MUC fan-out, replies to a batch of
    // reads) then leave in one write and one TLS record instead of one per stanza.
    flush_posted_ = true;
    auto self = shared_from_this();
    boost::asio::post(socket_.get_executor(), [self] {
      self->flush_posted_ = false;
      self->Flush();
    });
  }
  return true;
}

void Connection::Flush() {
  if (writing_ || closed_) return;
  if (queue_.empty()) {
    if (tls_wanted_ && !tls_up_ && !handshaking_ && !closing_) {
      Handshake();
    } else if (closing_) {
      Linger();
    }
    return;
  }
  if (tls_wanted_ && !tls_up_) return;  // written once the handshake is done
  writing_ = true;
  in_flight_.swap(queue_);
  if (tls_up_) {
    // One TLS record (or a few) per wake-up rather than one per stanza.
    tls_out_.clear();
    for (const auto& b : in_flight_) tls_out_ += *b;
    tls_out_offset_ = 0;
    WriteTls();
    return;
  }
  std::vector<boost::asio::const_buffer> bufs;
  bufs.reserve(in_flight_.size());
  for (const auto& b : in_flight_) bufs.emplace_back(b->data(), b->size());
  auto self = shared_from_this();
  boost::asio::async_write(socket_, bufs, [self](const boost::system::error_code& ec, std::size_t) {
    self->OnWritten(ec);
  });
}

void Connection::WriteTls() {
  while (tls_out_offset_ < tls_out_.size()) {
    std::size_t left = tls_out_.size() - tls_out_offset_;
    ERR_clear_error();
    int r = SSL_write(ssl_, tls_out_.data() + tls_out_offset_,
                      static_cast<int>(std::min<std::size_t>(left, INT_MAX)));
    if (r > 0) {
      tls_out_offset_ += static_cast<std::size_t>(r);
      continue;
    }
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_WRITE) {
      WaitFor(Wait::kWrite, &Connection::WriteTls);
      return;
    }
    if (e == SSL_ERROR_WANT_READ) {
      WaitFor(Wait::kRead, &Connection::WriteTls);
      return;
    }
    writing_ = false;
    FinishClose(TlsError(e));
    return;
  }
  OnWritten({});
}

void Connection::OnWritten(const boost::system::error_code& ec) {
  writing_ = false;
  for (const auto& b : in_flight_) queued_bytes_ -= b->size();
  in_flight_.clear();
  // An idle connection keeps no output buffer (memory per idle connection is what a small VPS runs
  // out of first; the allocation per flush is cheap next to the encryption).
  std::string().swap(tls_out_);
  if (queue_.empty() && queue_.capacity() > 8) std::vector<SharedBytes>().swap(queue_);
  if (in_flight_.capacity() > 8) std::vector<SharedBytes>().swap(in_flight_);
  if (closed_) return;
  if (ec) {
    FinishClose(ec.message());
    return;
  }
  Flush();
}

// ---------------------------------------------------------------------------------------------
// TLS

void Connection::StartTls() {
  if (ssl_ || closed_) return;
  if (!writing_ && !queue_.empty()) Flush();  // what is queued (the <proceed/>) goes in clear
  tls_wanted_ = true;
  if (!writing_ && queue_.empty()) Handshake();
  // otherwise Flush() starts the handshake once the <proceed/> is written
}

void Connection::Handshake() {
  if (!tls_ctx_) {
    Abort("TLS not configured");
    return;
  }
  ssl_ = SSL_new(tls_ctx_->native_handle());
  if (!ssl_ || SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle())) != 1) {
    Abort("cannot create a TLS session");
    return;
  }
  SSL_set_accept_state(ssl_);
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
  handshaking_ = true;
  auto self = shared_from_this();
  linger_.expires_after(kHandshakeTime);
  linger_.async_wait([self](const boost::system::error_code& ec) {
    if (!ec && self->handshaking_ && !self->closed_) self->Abort("TLS handshake timeout");
  });
  ContinueHandshake();
}

void Connection::ContinueHandshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshaking_ = false;
    linger_.cancel();
    tls_up_ = true;
    if (handler_) handler_->OnTlsEstablished();
    if (closed_) return;
    Read();
    Flush();
    return;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ) {
    WaitFor(Wait::kRead, &Connection::ContinueHandshake);
  } else if (e == SSL_ERROR_WANT_WRITE) {
    WaitFor(Wait::kWrite, &Connection::ContinueHandshake);
  } else {
    spdlog::info("connection {}: TLS handshake failed: {}", peer_address_, TlsError(e));
    FinishClose("TLS handshake failed");
  }
}

// ---------------------------------------------------------------------------------------------
// Closing

void Connection::Close() {
  if (closing_ || closed_) return;
  closing_ = true;
  if (!writing_) Flush();
}

void Connection::Linger() {
  if (lingering_ || closed_) return;
  lingering_ = true;
  if (tls_up_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify, best effort (non-blocking)
  }
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
  handshaking_ = false;
  boost::system::error_code ec;
  linger_.cancel();
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  auto h = std::move(handler_);
  if (h) h->OnClosed(reason);
}

}  // namespace parley::net
