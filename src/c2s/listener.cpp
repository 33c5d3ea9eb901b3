#include "c2s/listener.hpp"

#include <spdlog/spdlog.h>

#include "net/acceptor.hpp"
#include "net/connection.hpp"

namespace parley::c2s {

std::shared_ptr<void> AdmissionControl::Admit(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t& n = per_address_[address];
  if (total_ >= max_total_ || n >= max_per_address_) {
    if (n == 0) per_address_.erase(address);
    return nullptr;
  }
  ++n;
  ++total_;
  return std::shared_ptr<void>(static_cast<void*>(this),
                               [this, address](void*) { Release(address); });
}

void AdmissionControl::Release(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  --total_;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

C2sListener::C2sListener(net::ShardSet& shards, C2sContext& ctx, AdmissionControl& admission,
                         std::shared_ptr<boost::asio::ssl::context> tls, bool direct_tls)
    : shards_(shards),
      ctx_(ctx),
      admission_(admission),
      tls_(std::move(tls)),
      direct_tls_(direct_tls),
      acceptor_(shards.At(0).Io()) {}

bool C2sListener::Listen(const std::string& address, uint16_t port, std::string* error) {
  if (!net::OpenAcceptor(acceptor_, address, port, error)) return false;
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return true;
}

void C2sListener::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void C2sListener::Accept() {
  net::Shard& target = shards_.Next();
  acceptor_.async_accept(target.Io(), [this, &target](const boost::system::error_code& ec,
                                                      boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      boost::system::error_code e2;
      auto remote = socket.remote_endpoint(e2);
      std::string address = e2 ? "" : remote.address().to_string();
      auto token = admission_.Admit(address);
      if (!token) {
        spdlog::warn("c2s: connection limit reached, refusing {}", address);
        socket.close(e2);
      } else {
        target.Post([this, &target, s = std::move(socket), token = std::move(token)]() mutable {
          net::ConnectionLimits limits{ctx_.options.max_send_queue_bytes};
          auto conn = std::make_shared<net::Connection>(std::move(s), tls_, limits);
          auto session = std::make_shared<C2sSession>(ctx_, conn, target.Index());
          session->SetAdmission(std::move(token));
          session->Start(direct_tls_);
        });
      }
    } else {
      spdlog::warn("c2s: accept failed: {}", ec.message());
    }
    Accept();
  });
}

}  // namespace parley::c2s
