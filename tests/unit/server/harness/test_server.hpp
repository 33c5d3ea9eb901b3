#pragma once
// TestServer: the real server stack, in process, wired exactly as app/parleyd_main.cpp wires it:
// shards, blocking pool, SQLite in a temporary directory, the TLS context (self-signed, generated
// into that directory), router, module registry with the built-in modules, and two c2s listeners on
// 127.0.0.1 with ephemeral ports (STARTTLS and direct TLS). Created by a test on the test thread,
// runs on its own shard threads, and is torn down (shards stopped, storage drained, directory
// removed) when destroyed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/settings.hpp"
#include "server/harness/test_client.hpp"

namespace parley::net {
class ShardSet;
}
namespace parley::router {
class Router;
}
namespace parley::storage {
class UserStore;
}

namespace parley::testing_util {

struct TestServerOptions {
  std::size_t shards = 1;
  std::string domain = "parley.test";
  bool allow_registration = false;
  std::chrono::seconds handshake_timeout{30};
  std::chrono::seconds ping_interval{300};
  std::chrono::seconds ping_timeout{60};
  std::uint32_t scram_iterations = 4096;  // the minimum SCRAM allows: fast tests
  config::Settings::Muc muc = {};         // [muc] (the service is on by default)
  // Where the database lives; empty: a fresh temporary directory, removed at the end. A test that
  // restarts the server passes the same directory to the second instance (and removes it).
  std::string data_dir = {};
};

class TestServer {
 public:
  using Options = TestServerOptions;

  explicit TestServer(Options options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  const std::string& Domain() const { return options_.domain; }
  // "user@domain".
  std::string Bare(std::string_view user) const;
  std::uint16_t StartTlsPort() const;
  std::uint16_t DirectTlsPort() const;

  // Creates an account directly in the store (as parleyctl would). False if it already exists.
  bool CreateUser(std::string_view user, std::string_view password);
  bool UserExists(std::string_view user);

  // A connection to the STARTTLS port, nothing sent yet.
  TestClient Connect();
  // A connection to the direct-TLS port, TLS established, nothing else sent.
  TestClient ConnectDirectTls();
  // Connected, TLS, authenticated with PLAIN and bound to `resource` (empty: server-generated).
  TestClient Login(std::string_view user, std::string_view password, std::string_view resource);

  net::ShardSet& Shards();
  router::Router& Router();
  storage::UserStore& Users();

 private:
  struct Impl;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::testing_util
