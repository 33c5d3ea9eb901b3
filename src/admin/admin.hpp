#pragma once
// The one registry of admin commands ("user add", ...), served by parleyctl directly on the
// database and by a running server over its admin socket (AdminServer).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "jid/jid.hpp"
#include "storage/user_store.hpp"

namespace parley::admin {

// What a command may act on. Filled in by the wiring (parleyd or parleyctl); a test fills it by
// hand. Commands run on a BlockingPool thread (server) or parleyctl's main thread, so everything
// reachable from here must be thread-safe.
struct AdminEnv {
  storage::UserStore& users;
  uint32_t scram_iterations = 4096;
  std::vector<std::string> domains;  // Served domains; a JID outside them is refused.
  // Closes every session of the bare JID. Empty when no server runs; thread-safe.
  std::function<void(const jid::Jid& bare)> disconnect_user;
};

struct AdminRequest {
  std::vector<std::string> args;  // {"user", "add", "alice@localhost"}
  std::string input;              // Secret input (a password); never logged, never in args.
};

struct AdminReply {
  bool ok = false;
  std::string output;        // Human-readable lines, each ending in '\n'.
  bool usage_error = false;  // Unknown command or wrong arguments (parleyctl exits 2).
};

struct AdminCommand {
  std::string name;          // Space-separated words: "user add".
  std::string usage;         // Operands after the name: "JID".
  std::string help;          // One line.
  bool needs_input = false;  // Reads a password (parleyctl prompts for it).
  // Gets the request with the command's name words removed from args, their number within the
  // bounds below. May block (PBKDF2, storage); may throw (reported as an internal error).
  std::function<AdminReply(AdminEnv&, const AdminRequest&)> run;
  std::size_t min_operands = 0;
  std::size_t max_operands = SIZE_MAX;

  bool AcceptsOperands(std::size_t n) const { return n >= min_operands && n <= max_operands; }
};

// The commands, in the order added. Filled at start-up, then read-only, so Run() may be called
// from any number of threads at once. Lives as long as whatever serves it.
class AdminRegistry {
 public:
  void Add(AdminCommand command);  // A duplicate name is a programmer error (PARLEY_CHECK).

  // The command whose name is the longest prefix (in words) of args; `*consumed` is the number
  // of words in its name. nullptr if none matches.
  const AdminCommand* Find(const std::vector<std::string>& args, std::size_t* consumed) const;
  const std::vector<AdminCommand>& Commands() const { return commands_; }

  // Finds and runs the command and logs it (arguments and outcome; never the input). Unknown
  // command: ok=false, usage_error=true and the usage list; wrong number of operands:
  // usage_error and the command's usage.
  AdminReply Run(AdminEnv& env, const AdminRequest& request) const;

  // "  user add JID    Create an account (reads the password)\n" for every command.
  std::string UsageList() const;

 private:
  std::vector<AdminCommand> commands_;
};

// user add JID, user del JID, user passwd JID, user list [DOMAIN].
void AddUserCommands(AdminRegistry& registry);

// A reply for wrong operands: "usage: <name> <usage>".
AdminReply UsageError(const AdminCommand& command);

// Overwrites a string holding a secret before it is freed (best effort) and clears it.
void WipeSecret(std::string& secret);

}  // namespace parley::admin
