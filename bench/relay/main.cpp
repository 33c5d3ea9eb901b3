// parley-relay: the bare relay of issue 4, the ceiling for one-to-one messages. See relay.hpp for
// the protocol and bench/README.md for how parley-bench drives it (`msg --relay plain|tls`).
// Runs until SIGTERM or SIGINT, then prints one JSON line of totals to stdout and exits 0.

#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "relay/relay.hpp"

int main(int argc, char** argv) {
  parley::relay::Settings s;
  std::string listen = "127.0.0.1:0";
  std::string domain;
  CLI::App app{"parley-relay: forwards lines by a hash lookup on their first word (issue 4)"};
  app.add_option("--listen", listen, "IPv4 address:port (port 0: any; printed on stderr)");
  app.add_option("--threads", s.threads, "Worker threads, each with its own epoll (1..64)");
  app.add_option("--cert", s.cert, "PEM certificate: serve TLS to clients that start with it");
  app.add_option("--key", s.key, "PEM private key for --cert");
  app.add_option("--domain", domain, "Ignored (bench/compare gives every server one)");
  CLI11_PARSE(app, argc, argv);
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "parley-relay: --listen ADDRESS:PORT\n";
    return 2;
  }
  s.host = listen.substr(0, colon);
  s.port = std::atoi(listen.c_str() + colon + 1);

  // SIGTERM/SIGINT are taken by sigwait below; every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  try {
    parley::relay::Relay relay(s);
    relay.Listen();
    relay.Start();
    std::cerr << "parley-relay: listening on " << s.host << ":" << relay.settings().port << " ("
              << s.threads << " thread(s), TLS " << (relay.tls() ? "on" : "off") << ")"
              << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    relay.Stop();
    relay.Join();
    auto t = relay.Total();
    std::cout << "{\"accepted\":" << t.accepted << ",\"forwarded\":" << t.forwarded
              << ",\"unknown\":" << t.unknown << ",\"bytes\":" << t.bytes << "}" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "parley-relay: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
