#pragma once
// AdminServer: serves the AdminRegistry to parleyctl over a local Unix socket.

// clang-format off
#include <utility>  // Before any Boost.Asio header (BOOST_ASIO_SEPARATE_COMPILATION).
// clang-format on

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "admin/admin.hpp"
#include "storage/blocking_pool.hpp"

namespace parley::admin {

namespace internal {
struct AdminServerState;  // admin_server.cpp
}  // namespace internal

struct AdminServerOptions {
  std::chrono::milliseconds read_timeout{10'000};   // Until the whole request has arrived.
  std::chrono::milliseconds write_timeout{10'000};  // For the reply.
  std::size_t max_connections = 16;                 // More are closed at once.
};

// Owns the listening socket at `socket_path` (mode 0600; a stale file left by a dead server is
// replaced; removed again by Stop) and the connections accepted on it. Accepts and does all socket
// I/O on `io` (shard 0); each request runs on `pool` and its reply is written back on `io`. Only
// peers running as the same user (or root) are served. One request per connection: a frame of at
// most wire::kMaxRequestBytes within the read timeout, then one reply frame, then close.
// Lives from start-up to shutdown. Stop() may be called from any thread; afterwards no new
// connection is accepted. Shutdown order: Stop(), stop the io_context's threads, stop the pool,
// then destroy env, registry and the io_context (jobs in the pool refer to them).
class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, std::string socket_path, const AdminRegistry& registry,
              AdminEnv& env, storage::BlockingPool& pool, AdminServerOptions options = {});
  ~AdminServer();  // Stop()

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts accepting. False and `*error` set when the path is unusable, is not a
  // socket, or another server is listening on it. Call once, before or on io's thread.
  bool Start(std::string* error);
  void Stop();

  const std::string& SocketPath() const { return socket_path_; }

 private:
  std::string socket_path_;
  std::shared_ptr<internal::AdminServerState>
      state_;  // Shared with pending handlers, which may outlive this.
};

}  // namespace parley::admin
