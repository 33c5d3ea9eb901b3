#pragma once
// C2sListener: accepts client connections on one address (STARTTLS port or direct-TLS port,
// XEP-0368), enforces the connection limits (total and per source address) and hands each
// connection to a shard round-robin, where its C2sSession lives. The acceptor runs on shard 0;
// lives until Stop().

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "c2s/session.hpp"
#include "net/shard.hpp"

namespace parley::c2s {

// Counts live connections in total and per address. Touched at accept and at close only.
class AdmissionControl {
 public:
  AdmissionControl(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}
  // A token that releases the slot when destroyed, or nullptr when a limit is reached.
  std::shared_ptr<void> Admit(const std::string& address);

 private:
  void Release(const std::string& address);
  std::size_t max_total_, max_per_address_;
  std::mutex mu_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

class C2sListener {
 public:
  C2sListener(net::ShardSet& shards, C2sContext& ctx, AdmissionControl& admission,
              std::shared_ptr<boost::asio::ssl::context> tls, bool direct_tls);
  // Binds and listens; false with *error set on failure.
  bool Listen(const std::string& address, uint16_t port, std::string* error);
  void Stop();
  uint16_t Port() const { return port_; }

 private:
  void Accept();

  net::ShardSet& shards_;
  C2sContext& ctx_;
  AdmissionControl& admission_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  bool direct_tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
};

}  // namespace parley::c2s
