// parley-bench: the XMPP load generator of issue 4. Parses the options, runs one scenario, and
// prints one JSON line to stdout. See bench/README.md.

#include <signal.h>
#include <sys/resource.h>

#include <iostream>

#include "parley_bench/options.hpp"
#include "parley_bench/report.hpp"
#include "parley_bench/runner.hpp"
#include "parley_bench/scenarios.hpp"

namespace {

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley::bench;
  Options opts;
  int exit_code = 0;
  if (!ParseOptions(argc, argv, &opts, &exit_code)) return exit_code;
  if (opts.scenario != "register" && opts.scenario != "idle" && opts.scenario != "login" &&
      opts.scenario != "msg" && opts.scenario != "muc" && opts.scenario != "roster-login") {
    std::cerr << "parley-bench: unknown scenario '" << opts.scenario
              << "' (register, idle, login, msg, muc, roster-login)\n";
    return 2;
  }
  if (!opts.relay.empty() && opts.scenario != "msg") {
    std::cerr << "parley-bench: --relay drives the msg scenario only\n";
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  JsonLine json;
  json.Add("scenario", opts.scenario);
  // register always negotiates TLS (parleyd takes no registration in the clear).
  bool tls = opts.relay.empty() ? !opts.no_tls || opts.scenario == "register" : opts.relay == "tls";
  json.Add("tls", tls);
  std::string server = opts.server_name;
  if (server.empty() && opts.server_pid > 0) server = ProcessName(opts.server_pid).value_or("");
  if (server.empty()) server = opts.host + ":" + std::to_string(opts.port);
  json.Add("server", server);
  json.Add("host", opts.host);
  json.Add("port", opts.port);
  json.Add("domain", opts.domain);
  json.Add("threads", opts.threads);
  json.Add("source_addresses",
           static_cast<int>(std::max<std::size_t>(1, opts.source_addresses.size())));
  json.Add("smoke", opts.smoke);

  int rc = 0;
  try {
    Env env(opts);
    if (opts.scenario == "register") rc = RunRegister(env, json);
    if (opts.scenario == "idle") rc = RunIdle(env, json);
    if (opts.scenario == "login") rc = RunLogin(env, json);
    if (opts.scenario == "msg") rc = RunMsg(env, json);
    if (opts.scenario == "muc") rc = RunMuc(env, json);
    if (opts.scenario == "roster-login") rc = RunRosterLogin(env, json);
    env.pool.Stop();
    Stats total = env.pool.Total();
    json.Add("errors", total.errors + (env.timed_out ? 1 : 0));
    json.Add("error_samples", total.error_samples);
    json.Add("timed_out", env.timed_out);
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: " << e.what() << "\n";
    return 1;
  }
  std::cout << json.Str() << std::endl;
  return rc;
}
