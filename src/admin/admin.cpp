#include "admin/admin.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <sstream>

#include "core/check.hpp"

namespace parley::admin {
namespace {

std::vector<std::string> SplitWords(const std::string& name) {
  std::vector<std::string> words;
  std::istringstream in(name);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& arg : args) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

}  // namespace

void AdminRegistry::Add(AdminCommand command) {
  PARLEY_CHECK(!SplitWords(command.name).empty());
  PARLEY_CHECK(command.run != nullptr);
  for (const AdminCommand& existing : commands_) PARLEY_CHECK(existing.name != command.name);
  commands_.push_back(std::move(command));
}

const AdminCommand* AdminRegistry::Find(const std::vector<std::string>& args,
                                        std::size_t* consumed) const {
  const AdminCommand* best = nullptr;
  std::size_t best_words = 0;
  for (const AdminCommand& command : commands_) {
    std::vector<std::string> words = SplitWords(command.name);
    if (words.size() <= best_words || words.size() > args.size()) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      best = &command;
      best_words = words.size();
    }
  }
  if (consumed) *consumed = best_words;
  return best;
}

std::string AdminRegistry::UsageList() const {
  std::size_t width = 0;
  for (const AdminCommand& c : commands_) {
    width = std::max(width, c.name.size() + 1 + c.usage.size());
  }
  std::string out;
  for (const AdminCommand& c : commands_) {
    std::string synopsis = c.usage.empty() ? c.name : c.name + " " + c.usage;
    out += "  " + synopsis + std::string(width - synopsis.size() + 2, ' ') + c.help + "\n";
  }
  return out;
}

AdminReply AdminRegistry::Run(AdminEnv& env, const AdminRequest& request) const {
  std::size_t consumed = 0;
  const AdminCommand* command = Find(request.args, &consumed);
  if (command == nullptr) {
    AdminReply reply;
    reply.usage_error = true;
    reply.output = request.args.empty() ? "no command given\n"
                                        : "unknown command: " + Join(request.args) + "\n";
    reply.output += "commands:\n" + UsageList();
    spdlog::info("admin: unknown command '{}'", Join(request.args));
    return reply;
  }
  if (!command->AcceptsOperands(request.args.size() - consumed)) {
    spdlog::info("admin: {} -> usage error", Join(request.args));
    return UsageError(*command);
  }
  AdminRequest operands{
      {request.args.begin() + static_cast<std::ptrdiff_t>(consumed), request.args.end()},
      request.input};
  AdminReply reply;
  try {
    reply = command->run(env, operands);
  } catch (const std::exception& e) {
    spdlog::error("admin: '{}' threw: {}", command->name, e.what());
    reply = {false, "internal error (see the server log)\n"};
  }
  WipeSecret(operands.input);
  spdlog::info("admin: {} -> {}", Join(request.args),
               reply.ok ? "ok" : (reply.usage_error ? "usage error" : "failed"));
  return reply;
}

AdminReply UsageError(const AdminCommand& command) {
  AdminReply reply;
  reply.usage_error = true;
  reply.output =
      "usage: " + command.name + (command.usage.empty() ? "" : " " + command.usage) + "\n";
  return reply;
}

void WipeSecret(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace parley::admin
