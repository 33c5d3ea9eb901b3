// parleyctl: administers Parley. Sends the command to the running server over DATA_DIR/admin.sock;
// when no server runs, opens DATA_DIR/parley.db itself and runs the same command registry.
// Wiring only: the commands live in admin/.

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin.hpp"
#include "admin/admin_client.hpp"
#include "config/config.hpp"
#include "storage/sqlite/database.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Terminal state to restore if a signal arrives while echo is off.
struct termios g_saved_termios;
volatile sig_atomic_t g_echo_off = 0;

void RestoreEchoAndDie(int sig) {
  if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Reads one line from the terminal with echo off.
std::optional<std::string> PromptHidden(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return std::nullopt;
  struct termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  ::signal(SIGINT, RestoreEchoAndDie);
  ::signal(SIGTERM, RestoreEchoAndDie);
  ::signal(SIGQUIT, RestoreEchoAndDie);
  g_echo_off = 1;
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  g_echo_off = 0;
  if (!got) return std::nullopt;
  return line;
}

// The password: typed twice at a terminal, else the first line of standard input. Never argv.
std::optional<std::string> ReadPassword(std::string* error) {
  if (::isatty(STDIN_FILENO)) {
    std::optional<std::string> first = PromptHidden("Password: ");
    if (!first) {
      *error = "no password entered";
      return std::nullopt;
    }
    std::optional<std::string> second = PromptHidden("Repeat password: ");
    bool match = second && *second == *first;
    if (second) parley::admin::WipeSecret(*second);
    if (!match) {
      parley::admin::WipeSecret(*first);
      *error = "the passwords do not match";
      return std::nullopt;
    }
    return first;
  }
  std::string line;
  if (!std::getline(std::cin, line)) {
    *error = "no password on standard input (expected one line)";
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int ExitCode(const parley::admin::AdminReply& reply) {
  if (reply.ok) return kExitOk;
  return reply.usage_error ? kExitUsage : kExitFailure;
}

int Print(const parley::admin::AdminReply& reply) {
  (reply.ok ? std::cout : std::cerr) << reply.output << std::flush;
  return ExitCode(reply);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley;
  // Logs go to stderr, so that stdout carries only command output; details only on request.
  spdlog::set_default_logger(spdlog::stderr_color_st("parleyctl"));
  spdlog::set_level(spdlog::level::warn);
  admin::AdminRegistry registry;
  admin::AddUserCommands(registry);

  CLI::App app{"parleyctl: administer a Parley server (or its database when no server runs)"};
  std::string config_file;
  std::string data_dir;
  uint32_t iterations = 0;
  std::vector<std::string> args;
  app.add_option("-c,--config", config_file, "parleyd's TOML configuration (domains, data dir)")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir,
                 "Data directory with admin.sock and parley.db (default: the configuration's, "
                 "else ./data)");
  app.add_option("--scram-iterations", iterations,
                 "PBKDF2 iterations for new passwords when no server runs (default: the "
                 "configuration's, else 4096); a running server uses its own")
      ->check(CLI::Range(4096u, 1'000'000u));
  app.add_option("command", args, "A command and its arguments (see below)");
  app.footer("Commands:\n" + registry.UsageList() +
             "\nPasswords are read from the terminal (twice, not echoed) or, when standard input\n"
             "is not a terminal, from its first line; never from the command line.\n"
             "Exit status: 0 success, 1 failure, 2 usage error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  config::Settings settings = config::DefaultSettings();
  if (!config_file.empty()) {
    try {
      settings = config::LoadFile(config_file);
    } catch (const config::ConfigError& e) {
      std::cerr << "parleyctl: " << e.what() << "\n";
      return kExitFailure;
    }
  }
  if (!data_dir.empty()) settings.data_dir = data_dir;
  if (iterations != 0) settings.sasl.scram_iterations = iterations;

  std::size_t consumed = 0;
  const admin::AdminCommand* command = registry.Find(args, &consumed);
  if (command == nullptr) {
    std::string words;
    for (const std::string& arg : args) words += " " + arg;
    std::cerr << (args.empty() ? std::string("parleyctl: no command given\n")
                               : "parleyctl: unknown command:" + words + "\n")
              << "Commands:\n"
              << registry.UsageList() << "Run parleyctl --help for options.\n";
    return kExitUsage;
  }

  if (!command->AcceptsOperands(args.size() - consumed)) {
    std::cerr << "usage: parleyctl [OPTIONS] " << command->name << " " << command->usage << "\n";
    return kExitUsage;
  }

  admin::AdminRequest request;
  request.args = args;
  if (command->needs_input) {
    std::string error;
    std::optional<std::string> password = ReadPassword(&error);
    if (!password) {
      std::cerr << "parleyctl: " << error << "\n";
      return kExitFailure;
    }
    request.input = std::move(*password);
  }

  // A running server executes the command itself, so that e.g. a deleted user is disconnected.
  std::string socket_path = settings.data_dir + "/admin.sock";
  std::string error;
  std::optional<admin::AdminReply> reply = admin::SendToServer(socket_path, request, &error);
  if (reply) {
    admin::WipeSecret(request.input);
    return Print(*reply);
  }

  std::string db_path = settings.data_dir + "/parley.db";
  std::unique_ptr<storage::sqlite::SqliteDatabase> db =
      storage::sqlite::SqliteDatabase::Open(db_path, &error);
  if (!db) {
    admin::WipeSecret(request.input);
    std::cerr << "parleyctl: " << error << "\n";
    return kExitFailure;
  }
  admin::AdminEnv env{db->Users(), settings.sasl.scram_iterations, settings.Domains(), {}};
  admin::AdminReply direct = registry.Run(env, request);
  admin::WipeSecret(request.input);
  return Print(direct);
}
