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
  int occupants = 0, senders = 0, contacts = 0;
};

// Normal sizes take a few seconds to a minute on a 2-core box; --smoke ones a few seconds.
Sizes DefaultSizes(const std::string& scenario, bool smoke) {
  if (smoke) {
    if (scenario == "register") return {20, 5, 0, 0, 0, 0, 60};
    if (scenario == "idle") return {20, 10, 0, 0, 1, 0, 60};
    if (scenario == "login") return {20, 5, 0, 0, 2, 0, 60};
    if (scenario == "muc") return {0, 5, 0, 2, 2, 0.5, 60, 10, 2, 0};
    if (scenario == "roster-login") return {12, 5, 0, 1, 0, 0, 90, 0, 0, 4};
    return {10, 10, 5, 2, 2, 0.5, 60};  // msg
  }
  if (scenario == "register") return {1000, 50, 0, 0, 0, 0, 600};
  if (scenario == "idle") return {1000, 100, 0, 0, 5, 0, 600};
  if (scenario == "login") return {100, 50, 0, 0, 10, 0, 300};
  if (scenario == "muc") return {0, 50, 0, 10, 10, 2, 300, 200, 5, 0};
  if (scenario == "roster-login") return {500, 50, 0, 1, 0, 0, 600, 0, 0, 50};
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
      "Scenarios: register, idle, login, msg, muc, roster-login"};
  app.add_option("scenario", o.scenario, "register | idle | login | msg | muc | roster-login")
      ->required();
  app.add_option("--host", o.host, "Server address (IPv4)");
  app.add_option("--port", o.port, "Client port (STARTTLS)");
  app.add_option("--domain", o.domain, "XMPP domain");
  app.add_option("--password", o.password, "Password of every account");
  auto* prefix = app.add_option("--user-prefix", o.user_prefix,
                                "Accounts are <prefix>0 .. <prefix>N-1 (roster-login: "
                                "default \"roster\", its own accounts)");
  app.add_option("--resource", o.resource, "Resource to bind");
  app.add_option("--mechanism", o.mechanism, "SCRAM-SHA-1 or PLAIN")
      ->check(CLI::IsMember({"SCRAM-SHA-1", "PLAIN"}));
  app.add_option("--server-name", o.server_name, "Name for the report");
  app.add_option("--relay", o.relay,
                 "msg only: drive a parley-relay (bench/relay), plain TCP or TLS, instead of an "
                 "XMPP server")
      ->check(CLI::IsMember({"plain", "tls"}));
  auto* users =
      app.add_option("--users", o.users, "Accounts (register, login) / connections (idle)");
  auto* conc = app.add_option("--concurrency", o.concurrency, "Concurrent negotiations");
  auto* pairs = app.add_option("--pairs", o.pairs, "msg: sender/receiver pairs");
  auto* window =
      app.add_option("--window", o.window, "msg: messages in flight per pair; muc: per sender");
  auto* occupants = app.add_option("--occupants", o.occupants, "muc: occupants of the room");
  auto* senders = app.add_option("--senders", o.senders, "muc: occupants that send");
  auto* contacts =
      app.add_option("--contacts", o.contacts, "roster-login: contacts per roster (even)");
  app.add_option("--room", o.room, "muc: the room's local part");
  app.add_option("--muc-service", o.muc_service, "muc: the service (default conference.DOMAIN)");
  auto* duration = app.add_option("--duration", o.duration, "Measurement window, seconds");
  auto* warmup = app.add_option("--warmup", o.warmup, "msg: seconds before the window opens");
  app.add_option("--rate", o.rate, "msg, muc: open loop at this many messages/s in total");
  auto* timeout = app.add_option("--timeout", o.timeout, "Hard bound on the whole run, seconds");
  app.add_option("--op-timeout", o.op_timeout, "Bound on one login or negotiation, seconds");
  app.add_option("--threads", o.threads, "Worker threads (default: hardware threads)");
  app.add_option("--server-pid", o.server_pid, "Server PID, for RSS and CPU time from /proc");
  app.add_option("--source-addresses", o.source_addresses,
                 "Comma-separated local addresses to spread connections over")
      ->delimiter(',');
  app.add_flag("--smoke", o.smoke, "Tiny sizes: every scenario runs in a few seconds");
  app.add_flag("--no-tls", o.no_tls,
               "Log in over plain TCP without STARTTLS (the server must allow it; register "
               "always uses TLS)");
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
  if (occupants->count() == 0) o.occupants = d.occupants;
  if (senders->count() == 0) o.senders = d.senders;
  if (contacts->count() == 0) o.contacts = d.contacts;
  if (prefix->count() == 0 && o.scenario == "roster-login") o.user_prefix = "roster";
  if (o.muc_service.empty()) o.muc_service = "conference." + o.domain;
  if (duration->count() == 0) o.duration = d.duration;
  if (warmup->count() == 0) o.warmup = d.warmup;
  if (timeout->count() == 0) o.timeout = d.timeout + o.duration;
  if (o.threads <= 0)
    o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.users < 0 || o.concurrency < 1 || o.pairs < 0 || o.window < 1 || o.duration < 0 ||
      o.rate < 0 || o.timeout <= 0 || o.op_timeout <= 0 || o.occupants < 0 || o.senders < 0 ||
      o.contacts < 0) {
    std::cerr << "parley-bench: sizes must be positive\n";
    *exit_code = 2;
    return false;
  }
  if (o.scenario == "muc" && (o.occupants < 1 || o.senders < 1 || o.senders > o.occupants)) {
    std::cerr << "parley-bench: muc needs 1 <= --senders <= --occupants\n";
    *exit_code = 2;
    return false;
  }
  if (o.scenario == "roster-login" &&
      (o.contacts < 2 || o.contacts % 2 != 0 || o.users <= o.contacts)) {
    std::cerr << "parley-bench: roster-login needs an even --contacts >= 2 and --users > it\n";
    *exit_code = 2;
    return false;
  }
  return true;
}

}  // namespace parley::bench
