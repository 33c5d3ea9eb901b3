#include "parley_bench/options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <thread>

namespace parley::bench {
namespace {

struct Sizes {
  int users, concurrency, pairs, window;
  double duration, warmup, timeout;
};

// Normal sizes take a few seconds to a minute on a 2-core box; --smoke ones a few seconds.
Sizes DefaultSizes(const std::string& scenario, bool smoke) {
  if (smoke) {
    if (scenario == "register") return {20, 5, 0, 0, 0, 0, 60};
    if (scenario == "idle") return {20, 10, 0, 0, 1, 0, 60};
    if (scenario == "login") return {20, 5, 0, 0, 2, 0, 60};
    return {10, 10, 5, 2, 2, 0.5, 60};  // msg
  }
  if (scenario == "register") return {1000, 50, 0, 0, 0, 0, 600};
  if (scenario == "idle") return {1000, 100, 0, 0, 5, 0, 600};
  if (scenario == "login") return {100, 50, 0, 0, 10, 0, 300};
  return {200, 50, 100, 10, 10, 2, 300};  // msg
}

}  // namespace

std::string UserName(const Options& opts, int index) {
  return opts.user_prefix + std::to_string(index);
}

bool ParseOptions(int argc, char** argv, Options* out, int* exit_code) {
  Options& o = *out;
  CLI::App app{
      "parley-bench: XMPP load generator (issue 4). Prints one JSON line per run.\n"
      "Scenarios: register, idle, login, msg (muc, roster-login: not implemented yet)"};
  app.add_option("scenario", o.scenario, "register | idle | login | msg | muc | roster-login")
      ->required();
  app.add_option("--host", o.host, "Server address (IPv4)");
  app.add_option("--port", o.port, "Client port (STARTTLS)");
  app.add_option("--domain", o.domain, "XMPP domain");
  app.add_option("--password", o.password, "Password of every account");
  app.add_option("--user-prefix", o.user_prefix, "Accounts are <prefix>0 .. <prefix>N-1");
  app.add_option("--resource", o.resource, "Resource to bind");
  app.add_option("--mechanism", o.mechanism, "SCRAM-SHA-1 or PLAIN")
      ->check(CLI::IsMember({"SCRAM-SHA-1", "PLAIN"}));
  app.add_option("--server-name", o.server_name, "Name for the report");
  auto* users =
      app.add_option("--users", o.users, "Accounts (register, login) / connections (idle)");
  auto* conc = app.add_option("--concurrency", o.concurrency, "Concurrent negotiations");
  auto* pairs = app.add_option("--pairs", o.pairs, "msg: sender/receiver pairs");
  auto* window = app.add_option("--window", o.window, "msg: messages in flight per pair");
  auto* duration = app.add_option("--duration", o.duration, "Measurement window, seconds");
  auto* warmup = app.add_option("--warmup", o.warmup, "msg: seconds before the window opens");
  app.add_option("--rate", o.rate, "msg: open loop at this many messages/s in total");
  auto* timeout = app.add_option("--timeout", o.timeout, "Hard bound on the whole run, seconds");
  app.add_option("--op-timeout", o.op_timeout, "Bound on one login or negotiation, seconds");
  app.add_option("--threads", o.threads, "Worker threads (default: hardware threads)");
  app.add_option("--server-pid", o.server_pid, "Server PID, for RSS and CPU time from /proc");
  app.add_option("--source-addresses", o.source_addresses,
                 "Comma-separated local addresses to spread connections over")
      ->delimiter(',');
  app.add_flag("--smoke", o.smoke, "Tiny sizes: every scenario runs in a few seconds");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e) == 0 ? 0 : 2;
    return false;
  }
  Sizes d = DefaultSizes(o.scenario, o.smoke);
  if (users->count() == 0) o.users = d.users;
  if (conc->count() == 0) o.concurrency = d.concurrency;
  if (pairs->count() == 0) o.pairs = d.pairs;
  if (window->count() == 0) o.window = std::max(1, d.window);
  if (duration->count() == 0) o.duration = d.duration;
  if (warmup->count() == 0) o.warmup = d.warmup;
  if (timeout->count() == 0) o.timeout = d.timeout + o.duration;
  if (o.threads <= 0)
    o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.users < 0 || o.concurrency < 1 || o.pairs < 0 || o.window < 1 || o.duration < 0 ||
      o.rate < 0 || o.timeout <= 0 || o.op_timeout <= 0) {
    std::cerr << "parley-bench: sizes must be positive\n";
    *exit_code = 2;
    return false;
  }
  return true;
}

}  // namespace parley::bench
