#pragma once
// Command-line options of parley-bench and the per-scenario default sizes (normal and --smoke).
// Filled once by ParseOptions on the main thread and read-only afterwards.

#include <string>
#include <vector>

namespace parley::bench {

struct Options {
  std::string scenario;
  std::string host = "127.0.0.1";
  int port = 5222;
  std::string domain = "localhost";
  std::string password = "bench-password";
  std::string user_prefix = "user";
  std::string resource = "bench";
  std::string mechanism = "SCRAM-SHA-1";  // or PLAIN
  std::string server_name;                // default: /proc/PID/comm, else host:port
  std::string relay;                      // msg: "plain" or "tls" drives a parley-relay
  int users = 0;
  int concurrency = 0;
  int pairs = 0;
  int window = 0;
  int occupants = 0;  // muc
  int senders = 0;    // muc
  int contacts = 0;   // roster-login: roster size (even: the K/2 accounts either side in a ring)
  std::string room = "bench";
  std::string muc_service;  // default: conference.<domain>
  double duration = 0;
  double warmup = 0;
  double rate = 0;         // msg: offered messages/s in total; 0 = closed loop
  double timeout = 0;      // hard bound on the whole run, seconds
  double op_timeout = 30;  // one negotiation step or one login
  int threads = 0;
  int server_pid = 0;
  std::vector<std::string> source_addresses;
  bool smoke = false;
  bool no_tls = false;  // log in over plain TCP, without STARTTLS (not for register)
};

// Parses argv; on --help or a usage error prints to stderr and returns the exit code to use
// (0 or 2) through *exit_code, with false.
bool ParseOptions(int argc, char** argv, Options* out, int* exit_code);

std::string UserName(const Options& opts, int index);

}  // namespace parley::bench
