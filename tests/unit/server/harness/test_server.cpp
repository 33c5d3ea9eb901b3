#include "server/harness/test_server.hpp"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "c2s/auth_throttle.hpp"
#include "c2s/listener.hpp"
#include "hosts/host.hpp"
#include "modules/registry.hpp"
#include "net/shard.hpp"
#include "net/tls_context.hpp"
#include "router/router.hpp"
#include "sasl/credentials.hpp"
#include "server/harness/shard_util.hpp"
#include "stanza/error.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/stores.hpp"
#include "storage/user_store.hpp"

namespace parley::testing_util {

namespace {

std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "parley-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

// Declaration order is construction order, as in parleyd_main.cpp. Destruction is explicit in
// ~TestServer: the shards must stop before the pool drains, and the io_contexts (which hold the
// last references to sessions) must go before what the sessions point to.
struct TestServer::Impl {
  std::string dir;
  std::unique_ptr<storage::sqlite::SqliteDatabase> db;
  net::TlsSetup tls;
  hosts::HostTable hosts;
  std::unique_ptr<net::ShardSet> shards;
  std::unique_ptr<storage::BlockingPool> pool;
  std::unique_ptr<storage::BlockingPool> db_pool;
  std::unique_ptr<storage::Stores> stores;
  std::unique_ptr<router::Router> router;
  std::unique_ptr<mod::ModuleRegistry> modules;
  std::unique_ptr<c2s::AuthThrottle> throttle;
  std::unique_ptr<c2s::C2sContext> c2s_ctx;
  std::unique_ptr<c2s::AdmissionControl> admission;
  std::unique_ptr<c2s::C2sListener> starttls;
  std::unique_ptr<c2s::C2sListener> direct_tls;
};

TestServer::TestServer(Options options) : options_(std::move(options)), impl_(new Impl) {
  spdlog::set_level(std::getenv("PARLEY_TEST_LOG") ? spdlog::level::debug : spdlog::level::err);
  Impl& s = *impl_;
  s.dir = options_.data_dir.empty() ? MakeTempDir() : options_.data_dir;
  std::string error;
  s.db = storage::sqlite::SqliteDatabase::Open(s.dir + "/parley.db", &error);
  if (!s.db) throw std::runtime_error("cannot open the database: " + error);
  s.tls = net::MakeServerTlsContext({options_.domain}, "", "", s.dir);
  s.hosts = hosts::HostTable({hosts::Host{options_.domain, options_.allow_registration}});

  s.shards = std::make_unique<net::ShardSet>(options_.shards);
  s.pool = std::make_unique<storage::BlockingPool>(2);
  s.router = std::make_unique<router::Router>(*s.shards, s.hosts);
  s.db_pool = std::make_unique<storage::BlockingPool>(1);
  s.stores = std::make_unique<storage::Stores>(storage::Stores{s.db->Users(), s.db->Rosters(),
                                                               s.db->Offline(), s.db->Blocks(),
                                                               s.db->VCards(), &s.db->Mucs()});
  s.modules = std::make_unique<mod::ModuleRegistry>(
      mod::ModuleServices{*s.router, *s.pool, s.db->Users(), s.hosts, options_.scram_iterations,
                          1000, s.stores.get(), s.db_pool.get(), 1000, 1000});
  s.modules->Services().muc = &options_.muc;
  mod::LoadBuiltinModules(*s.modules);

  s.throttle = std::make_unique<c2s::AuthThrottle>();
  c2s::C2sOptions c2s_options;
  c2s_options.handshake_timeout = options_.handshake_timeout;
  c2s_options.ping_interval = options_.ping_interval;
  c2s_options.ping_timeout = options_.ping_timeout;
  s.c2s_ctx = std::make_unique<c2s::C2sContext>(c2s::C2sContext{
      *s.router, *s.modules, *s.pool, s.db->Users(), s.hosts, *s.throttle, c2s_options});
  s.admission = std::make_unique<c2s::AdmissionControl>(1000, 1000);

  s.starttls =
      std::make_unique<c2s::C2sListener>(*s.shards, *s.c2s_ctx, *s.admission, s.tls.context, false);
  s.direct_tls =
      std::make_unique<c2s::C2sListener>(*s.shards, *s.c2s_ctx, *s.admission, s.tls.context, true);
  if (!s.starttls->Listen("127.0.0.1", 0, &error) ||
      !s.direct_tls->Listen("127.0.0.1", 0, &error)) {
    throw std::runtime_error(error);
  }
  s.shards->Start();
}

TestServer::~TestServer() {
  Impl& s = *impl_;
  // As parleyd does on SIGTERM: stop accepting, end every stream, wait (bounded) for the sessions.
  RunOn(s.shards->At(0), [&s] {
    s.starttls->Stop();
    s.direct_tls->Stop();
  });
  s.router->KickAll(stanza::StreamCondition::kSystemShutdown, "Test server stopping");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (s.router->SessionCount() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Drain(*s.shards);  // lets connections whose peer already left see the EOF and let go
  s.shards->Stop();
  s.shards->Join();
  s.db_pool->Stop();
  s.pool->Stop();  // storage jobs still queued run now; their replies go to stopped shards
  s.starttls.reset();
  s.direct_tls.reset();
  s.shards.reset();  // destroys what is left in the io_contexts, sessions included
  std::error_code ec;
  s.db.reset();
  if (options_.data_dir.empty()) std::filesystem::remove_all(s.dir, ec);
}

std::string TestServer::Bare(std::string_view user) const {
  return std::string(user) + "@" + options_.domain;
}

std::uint16_t TestServer::StartTlsPort() const { return impl_->starttls->Port(); }
std::uint16_t TestServer::DirectTlsPort() const { return impl_->direct_tls->Port(); }

bool TestServer::CreateUser(std::string_view user, std::string_view password) {
  auto creds = sasl::DeriveCredentials(password, options_.scram_iterations);
  if (!creds) return false;
  return Users().CreateUser(options_.domain, user, *creds) == storage::StoreStatus::kOk;
}

bool TestServer::UserExists(std::string_view user) {
  return Users().GetCredentials(options_.domain, user).has_value();
}

TestClient TestServer::Connect() { return TestClient(StartTlsPort(), false); }
TestClient TestServer::ConnectDirectTls() { return TestClient(DirectTlsPort(), true); }

TestClient TestServer::Login(std::string_view user, std::string_view password,
                             std::string_view resource) {
  TestClient client = Connect();
  client.Login(options_.domain, user, password, resource);
  return client;
}

net::ShardSet& TestServer::Shards() { return *impl_->shards; }
router::Router& TestServer::Router() { return *impl_->router; }
storage::UserStore& TestServer::Users() { return impl_->db->Users(); }

}  // namespace parley::testing_util
