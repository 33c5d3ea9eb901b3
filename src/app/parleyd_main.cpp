// parleyd: the server. Wiring only: read the settings, open storage, build the shards, router,
// modules and listeners, run until SIGTERM/SIGINT, then close every stream cleanly and drain
// storage.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <thread>
#include <utility>

#include "admin/admin.hpp"
#include "admin/admin_server.hpp"
#include "c2s/auth_throttle.hpp"
#include "c2s/listener.hpp"
#include "config/command_line.hpp"
#include "hooks/events.hpp"
#include "hosts/host.hpp"
#include "http/server.hpp"
#include "modules/registry.hpp"
#include "net/shard.hpp"
#include "net/tls_context.hpp"
#include "router/router.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/stores.hpp"

using namespace parley;

namespace {

// Enough descriptors for the configured connection limit (the soft limit is often 1024).
void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<config::Settings> parsed = config::ParseCommandLine(argc, argv, &exit_code);
  if (!parsed) return exit_code;
  const config::Settings& settings = *parsed;

  auto logger = spdlog::stderr_color_mt("parley");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  spdlog::flush_on(spdlog::level::info);
  RaiseFileLimit();

  std::error_code fs_ec;
  std::filesystem::create_directories(settings.data_dir, fs_ec);
  if (fs_ec) {
    spdlog::critical("cannot create data directory {}: {}", settings.data_dir, fs_ec.message());
    return 1;
  }

  std::string error;
  auto db = storage::sqlite::SqliteDatabase::Open(settings.data_dir + "/parley.db", &error);
  if (!db) {
    spdlog::critical("cannot open the database: {}", error);
    return 1;
  }

  std::vector<std::string> domains = settings.Domains();
  net::TlsSetup tls;
  try {
    tls = net::MakeServerTlsContext(domains, settings.tls_cert_file, settings.tls_key_file,
                                    settings.data_dir);
  } catch (const std::exception& e) {
    spdlog::critical("TLS: {}", e.what());
    return 1;
  }

  std::vector<hosts::Host> host_list;
  for (const auto& h : settings.hosts) host_list.push_back({h.domain, h.allow_registration});
  hosts::HostTable host_table(std::move(host_list));

  std::size_t shard_count = settings.shards ? settings.shards : net::UsableCores();
  // Destroyed explicitly at the end, before the objects its pending handlers point to.
  auto shard_set = std::make_unique<net::ShardSet>(
      shard_count, std::chrono::microseconds(settings.busy_poll_microseconds));
  net::ShardSet& shards = *shard_set;
  storage::BlockingPool pool(settings.storage_threads);
  router::Router router(shards, host_table);

  // One thread for the database: writes for an account land in the order they were made.
  storage::BlockingPool db_pool(1, "parley-db");
  storage::Stores stores{db->Users(),  db->Rosters(), db->Offline(),
                         db->Blocks(), db->VCards(),  &db->Mucs()};
  mod::ModuleRegistry modules(
      mod::ModuleServices{router, pool, db->Users(), host_table, settings.sasl.scram_iterations,
                          settings.registration.per_address_per_hour, &stores, &db_pool,
                          settings.roster.max_items, settings.offline.max_messages});
  modules.Services().muc = &settings.muc;
  mod::LoadBuiltinModules(modules);

  c2s::AuthThrottle throttle(c2s::AuthThrottle::Options{settings.sasl.max_failures_per_address,
                                                        settings.sasl.max_failures_per_account});
  c2s::C2sOptions c2s_options;
  c2s_options.parser.max_stanza_bytes = settings.limits.max_stanza_bytes;
  c2s_options.parser.max_depth = settings.limits.max_depth;
  c2s_options.max_send_queue_bytes = settings.limits.max_send_queue_bytes;
  c2s_options.handshake_timeout =
      std::chrono::seconds(settings.c2s_options.handshake_timeout_seconds);
  c2s_options.ping_interval = std::chrono::seconds(settings.c2s_options.ping_interval_seconds);
  c2s_options.ping_timeout = std::chrono::seconds(settings.c2s_options.ping_timeout_seconds);
  c2s_options.strict_downgrade_check = settings.sasl.strict_downgrade_check;
  c2s_options.require_encryption = settings.c2s_options.require_encryption;
  if (!c2s_options.require_encryption) {
    spdlog::warn("c2s: require_encryption = false: clients may log in (SCRAM) without TLS");
  }
  c2s::C2sContext c2s_ctx{router, modules, pool, db->Users(), host_table, throttle, c2s_options};
  c2s::AdmissionControl admission(settings.limits.max_connections,
                                  settings.limits.max_connections_per_address);

  std::vector<std::unique_ptr<c2s::C2sListener>> listeners;
  auto listen = [&](const std::optional<config::Endpoint>& ep, bool direct_tls) {
    if (!ep) return true;
    auto l =
        std::make_unique<c2s::C2sListener>(shards, c2s_ctx, admission, tls.context, direct_tls);
    if (!l->Listen(ep->address, ep->port, &error)) {
      spdlog::critical("{}", error);
      return false;
    }
    spdlog::info("c2s listening on {} ({})", ep->ToString(),
                 direct_tls ? "direct TLS, XEP-0368" : "STARTTLS");
    listeners.push_back(std::move(l));
    return true;
  };
  if (!listen(settings.c2s, false) || !listen(settings.c2s_tls, true)) return 1;
  std::unique_ptr<http::HttpListener> http_listener;
  if (settings.http) {
    http::HttpOptions http_options;
    http_options.web_root = settings.http_options.web_root.empty()
                                ? std::string(PARLEY_DEFAULT_WEB_ROOT)
                                : settings.http_options.web_root;
    http_options.allowed_origins = settings.http_options.allowed_origins;
    http_options.trusted_proxies = settings.http_options.trusted_proxies;
    http_options.muc_subdomain = settings.muc.enabled ? settings.muc.subdomain : "";
    http_options.max_header_bytes = settings.http_options.max_header_bytes;
    http_options.request_timeout =
        std::chrono::seconds(settings.http_options.request_timeout_seconds);
    http_listener =
        std::make_unique<http::HttpListener>(shards, c2s_ctx, admission, std::move(http_options),
                                             settings.http_options.tls ? tls.context : nullptr);
    if (!http_listener->Listen(settings.http->address, settings.http->port, &error)) {
      spdlog::critical("{}", error);
      return 1;
    }
    spdlog::info("http listening on {} ({}): web client at {}://{}/, WebSocket at /xmpp-websocket",
                 settings.http->ToString(), settings.http_options.tls ? "HTTPS" : "plain HTTP",
                 settings.http_options.tls ? "https" : "http", settings.http->ToString());
  }

  admin::AdminRegistry admin_registry;
  admin::AddUserCommands(admin_registry);
  admin::AdminEnv admin_env{db->Users(), settings.sasl.scram_iterations, domains,
                            [&router, &modules](const jid::Jid& bare) {
                              // Runs on a blocking-pool thread after the account was deleted.
                              hooks::AccountDeleted event{bare};
                              modules.Hooks().Fire(event);
                              router.KickUser(bare, stanza::StreamCondition::kNotAuthorized,
                                              "Account deleted");
                            }};
  auto admin_server = std::make_unique<admin::AdminServer>(
      shards.At(0).Io(), settings.data_dir + "/admin.sock", admin_registry, admin_env, pool);
  if (!admin_server->Start(&error)) {
    spdlog::critical("admin socket: {}", error);
    return 1;
  }

  // Shutdown: stop accepting, close every stream with <system-shutdown/>, wait (bounded) for the
  // sessions to go, then stop the shards and drain the storage queue so nothing stored is lost.
  auto signal_set = std::make_unique<boost::asio::signal_set>(shards.At(0).Io(), SIGTERM, SIGINT);
  auto timer = std::make_unique<boost::asio::steady_timer>(shards.At(0).Io());
  boost::asio::signal_set& signals = *signal_set;
  boost::asio::steady_timer& drain_timer = *timer;
  auto deadline = std::make_shared<std::chrono::steady_clock::time_point>();
  // Work still in flight when the last session has gone (a message on its way to offline
  // storage, a storage answer on its way back to a shard) must finish before the shards stop:
  // settle() waits until every shard has run what was queued before it and neither storage pool
  // has a job waiting, three rounds in a row, 5 ms apart (bounded by the same deadline + 2 s).
  auto quiet_rounds = std::make_shared<int>(0);
  std::function<void()> settle = [&] {
    auto pending = std::make_shared<std::atomic<std::size_t>>(shards.Size());
    for (std::size_t i = 0; i < shards.Size(); ++i) {
      shards.At(i).Post([&, pending] {
        if (pending->fetch_sub(1) != 1) return;
        shards.At(0).Post([&] {
          bool idle = pool.QueuedJobs() == 0 && db_pool.QueuedJobs() == 0;
          *quiet_rounds = idle ? *quiet_rounds + 1 : 0;
          if (*quiet_rounds >= 3 ||
              std::chrono::steady_clock::now() > *deadline + std::chrono::seconds(2)) {
            shards.Stop();
            return;
          }
          drain_timer.expires_after(std::chrono::milliseconds(5));
          drain_timer.async_wait([&](const boost::system::error_code&) { settle(); });
        });
      });
    }
  };
  std::function<void()> wait_drain = [&] {
    if (router.SessionCount() == 0 || std::chrono::steady_clock::now() > *deadline) {
      settle();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](const boost::system::error_code&) { wait_drain(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signo);
    for (auto& l : listeners) l->Stop();
    if (http_listener) http_listener->Stop();
    admin_server->Stop();
    router.KickAll(stanza::StreamCondition::kSystemShutdown, "Server is shutting down");
    *deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    wait_drain();
  });

  std::string domain_list;
  for (const auto& d : domains) domain_list += (domain_list.empty() ? "" : ", ") + d;
  spdlog::info("parleyd {} serving {} on {} shard(s), data in {}", config::kVersion, domain_list,
               shard_count, settings.data_dir);
  shards.Start();
  shards.Join();
  pool.Stop();  // runs every storage job already queued: nothing accepted is lost
  db_pool.Stop();
  // I/O objects die before their io_contexts; the io_contexts (and the sessions still queued in
  // them) before the router, modules and counters those sessions point to.
  admin_server.reset();
  listeners.clear();
  http_listener.reset();
  signal_set.reset();
  timer.reset();
  shard_set.reset();
  spdlog::info("parleyd stopped");
  return 0;
}
