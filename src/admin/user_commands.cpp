// user add / del / passwd / list: account management on AdminEnv::users.

#include <algorithm>
#include <optional>
#include <string>

#include "admin/admin.hpp"
#include "sasl/credentials.hpp"

namespace parley::admin {
namespace {

// The served domains, prepared like a Jid's domain so that they compare with one.
std::vector<std::string> ServedDomains(const AdminEnv& env) {
  std::vector<std::string> out;
  for (const std::string& domain : env.domains) {
    out.push_back(jid::PrepareDomain(domain).value_or(domain));
  }
  return out;
}

bool IsServed(const AdminEnv& env, const std::string& domain) {
  std::vector<std::string> served = ServedDomains(env);
  return std::find(served.begin(), served.end(), domain) != served.end();
}

std::string ServedList(const AdminEnv& env) {
  std::string out;
  for (const std::string& domain : ServedDomains(env)) out += (out.empty() ? "" : ", ") + domain;
  return out.empty() ? "none" : out;
}

AdminReply Fail(std::string message) { return {false, std::move(message) + "\n"}; }
AdminReply Ok(std::string message) { return {true, std::move(message) + "\n"}; }

// An account address: a bare JID with a local part on a served domain. On failure returns
// nullopt and sets `*reply`.
std::optional<jid::Jid> ParseAccount(const AdminEnv& env, const std::string& text,
                                     AdminReply* reply) {
  std::optional<jid::Jid> jid = jid::Jid::Parse(text);
  if (!jid) {
    *reply = Fail("invalid JID '" + text + "'");
  } else if (!jid->Resource().empty()) {
    *reply = Fail("'" + text + "' has a resource; give a bare JID (user@domain)");
  } else if (jid->Local().empty()) {
    *reply = Fail("'" + text + "' has no user part; give user@domain");
  } else if (!IsServed(env, jid->Domain())) {
    *reply =
        Fail("domain '" + jid->Domain() + "' is not served here (served: " + ServedList(env) + ")");
  } else {
    return jid;
  }
  return std::nullopt;
}

// PBKDF2 for both hashes; the slow part of add and passwd.
std::optional<sasl::StoredCredentials> Derive(const AdminEnv& env, const std::string& password,
                                              AdminReply* reply) {
  if (password.empty()) {
    *reply = Fail("the password must not be empty");
    return std::nullopt;
  }
  std::optional<sasl::StoredCredentials> creds =
      sasl::DeriveCredentials(password, env.scram_iterations);
  if (!creds) *reply = Fail("the password contains characters that SASLprep (RFC 4013) prohibits");
  return creds;
}

AdminReply StoreFailure(const std::string& what) {
  return Fail(what + " failed: storage error (see the log)");
}

AdminReply UserAdd(AdminEnv& env, const AdminRequest& req) {
  AdminReply reply;
  std::optional<jid::Jid> account = ParseAccount(env, req.args[0], &reply);
  if (!account) return reply;
  std::string bare = account->BareString();
  // Checked first to spare a PBKDF2; CreateUser checks again.
  if (env.users.GetCredentials(account->Domain(), account->Local())) {
    return Fail("user " + bare + " already exists");
  }
  std::optional<sasl::StoredCredentials> creds = Derive(env, req.input, &reply);
  if (!creds) return reply;
  switch (env.users.CreateUser(account->Domain(), account->Local(), *creds)) {
    case storage::StoreStatus::kOk:
      return Ok("created user " + bare);
    case storage::StoreStatus::kExists:
      return Fail("user " + bare + " already exists");
    default:
      return StoreFailure("creating " + bare);
  }
}

AdminReply UserDel(AdminEnv& env, const AdminRequest& req) {
  AdminReply reply;
  std::optional<jid::Jid> account = ParseAccount(env, req.args[0], &reply);
  if (!account) return reply;
  std::string bare = account->BareString();
  switch (env.users.DeleteUser(account->Domain(), account->Local())) {
    case storage::StoreStatus::kOk:
      break;
    case storage::StoreStatus::kNotFound:
      return Fail("no such user " + bare);
    default:
      return StoreFailure("deleting " + bare);
  }
  if (!env.disconnect_user) return Ok("deleted user " + bare);
  env.disconnect_user(account->Bare());
  return Ok("deleted user " + bare + " and closed its sessions");
}

AdminReply UserPasswd(AdminEnv& env, const AdminRequest& req) {
  AdminReply reply;
  std::optional<jid::Jid> account = ParseAccount(env, req.args[0], &reply);
  if (!account) return reply;
  std::string bare = account->BareString();
  if (!env.users.GetCredentials(account->Domain(), account->Local())) {
    return Fail("no such user " + bare);
  }
  std::optional<sasl::StoredCredentials> creds = Derive(env, req.input, &reply);
  if (!creds) return reply;
  switch (env.users.SetCredentials(account->Domain(), account->Local(), *creds)) {
    case storage::StoreStatus::kOk:
      // Sessions already authenticated stay connected; the new password applies at next login.
      return Ok("changed the password of " + bare + " (existing sessions stay connected)");
    case storage::StoreStatus::kNotFound:
      return Fail("no such user " + bare);
    default:
      return StoreFailure("changing the password of " + bare);
  }
}

AdminReply UserList(AdminEnv& env, const AdminRequest& req) {
  std::vector<std::string> domains;
  if (req.args.size() == 1) {
    std::optional<std::string> domain = jid::PrepareDomain(req.args[0]);
    if (!domain) return Fail("invalid domain '" + req.args[0] + "'");
    if (!IsServed(env, *domain)) {
      return Fail("domain '" + *domain + "' is not served here (served: " + ServedList(env) + ")");
    }
    domains.push_back(*domain);
  } else {
    domains = ServedDomains(env);
  }
  std::vector<std::string> jids;
  for (const std::string& domain : domains) {
    for (const std::string& user : env.users.ListUsers(domain)) jids.push_back(user + "@" + domain);
  }
  std::sort(jids.begin(), jids.end());
  jids.erase(std::unique(jids.begin(), jids.end()), jids.end());
  AdminReply reply{true, ""};
  for (const std::string& jid : jids) reply.output += jid + "\n";
  return reply;
}

}  // namespace

void AddUserCommands(AdminRegistry& registry) {
  registry.Add({.name = "user add",
                .usage = "JID",
                .help = "Create an account (reads its password)",
                .needs_input = true,
                .run = &UserAdd,
                .min_operands = 1,
                .max_operands = 1});
  registry.Add({.name = "user del",
                .usage = "JID",
                .help = "Delete an account and disconnect its sessions",
                .run = &UserDel,
                .min_operands = 1,
                .max_operands = 1});
  registry.Add({.name = "user passwd",
                .usage = "JID",
                .help = "Set a new password (sessions stay connected)",
                .needs_input = true,
                .run = &UserPasswd,
                .min_operands = 1,
                .max_operands = 1});
  registry.Add({.name = "user list",
                .usage = "[DOMAIN]",
                .help = "List accounts (bare JIDs, sorted) of one or all domains",
                .run = &UserList,
                .max_operands = 1});
}

}  // namespace parley::admin
