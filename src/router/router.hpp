#pragma once
// Router: the delivery rules of RFC 6120 §10 and RFC 6121 §8, and the directory of bound resources.
//
// Every local account has a home shard (hash of its bare JID). The home shard alone owns that
// account's resource list (priority, availability), so binding conflicts and bare-JID routing are
// decided without locks; the sessions themselves live on whichever shard accepted their connection.
// A stanza to a local user hops to the user's home shard, which picks the target sessions and posts
// the shared bytes to each session's shard. Route() may be called from any shard; all state is
// touched only on its owner shard. See docs/architecture/routing.md.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hooks/hooks.hpp"
#include "hosts/host.hpp"
#include "jid/jid.hpp"
#include "net/shard.hpp"
#include "router/account.hpp"
#include "router/local_session.hpp"
#include "stanza/error.hpp"
#include "xml/element.hpp"

namespace parley::router {

// Handles stanzas addressed to the server itself or to an account's bare JID on the user's behalf
// (iq to the domain, iq without 'to'); implemented by the module registry.
class ServerHandler {
 public:
  virtual ~ServerHandler() = default;
  // Called on the sender's shard. `stanza` carries validated 'from' and 'to'.
  virtual void HandleServerStanza(xml::Element stanza) = 0;
};

// Handles every stanza addressed to a service sub-domain (e.g. the MUC service at
// conference.example.org): the domain itself and any JID on it. Registered at start-up with
// Router::AddService; called on the sender's shard with 'from' and 'to' validated.
class ServiceHandler {
 public:
  virtual ~ServiceHandler() = default;
  virtual void HandleServiceStanza(xml::Element stanza, jid::Jid to) = 0;
};

struct BindResult {
  bool ok = false;
  bool replaced = false;  // an older session with the same full JID was kicked (RFC 6120 §7.7.2.2)
  Attachments attachments;  // the account's snapshots at bind time
};

// Loads a module's per-account state on the home shard before the account's first operation runs;
// calls done() on the home shard when finished (e.g. after a storage read posted back).
using AccountLoader = std::function<void(AccountState& account, std::function<void()> done)>;

class Router {
 public:
  Router(net::ShardSet& shards, const hosts::HostTable& hosts);
  void SetServerHandler(ServerHandler* handler) { server_handler_ = handler; }
  // Start-up only: where router events are fired, and the per-account loaders.
  void SetHooks(const hooks::Hooks* hooks) { hooks_ = hooks; }
  void AddAccountLoader(AccountLoader loader) { loaders_.push_back(std::move(loader)); }
  // Start-up only: stanzas to `domain` (and JIDs on it) go to `handler` (docs/architecture/muc.md).
  // The table is read-only once the shards run. A domain is served once.
  void AddService(std::string domain, ServiceHandler* handler);
  bool ServesService(std::string_view domain) const { return services_.contains(domain); }

  // Runs fn on the account's home shard with its state loaded (creating it if needed). Operations
  // on one account run in the order they were requested. Any shard.
  void WithAccount(const jid::Jid& bare, std::function<void(AccountState&)> fn);
  // Sends each of the account's sessions its current attachments. Home shard only.
  void PushAttachments(AccountState& account);
  // Delivers a serialized stanza to one session. Any shard.
  void Deliver(SessionRef ref, SharedStanza stanza);
  const hosts::HostTable& Hosts() const { return hosts_; }
  net::ShardSet& Shards() { return shards_; }

  // --- Local sessions (called on the session's shard) ---
  std::uint64_t AddLocalSession(std::weak_ptr<LocalSession> session);
  void RemoveLocalSession(std::uint64_t id);

  // --- Directory (any shard; results posted back to the calling shard) ---
  // Binds full_jid to the session. A session already bound to the same full JID is kicked with
  // <conflict/> and replaced. `done` runs on the caller's shard.
  void Bind(const jid::Jid& full_jid, SessionRef ref, std::function<void(BindResult)> done);
  void Unbind(const jid::Jid& full_jid, SessionRef ref);
  // Presence state used for bare-JID routing (RFC 6121 §8.5.2): available + priority.
  void SetPresence(const jid::Jid& full_jid, SessionRef ref, bool available, int priority);
  // Ends every session of an account (used when it is deleted). Any thread.
  void KickUser(const jid::Jid& bare_jid, stanza::StreamCondition condition, std::string text);
  // Ends every local session on every shard (shutdown). Any thread.
  void KickAll(stanza::StreamCondition condition, std::string text);
  // Number of local sessions on every shard (approximate; any thread).
  std::size_t SessionCount() const;

  // --- Routing (any shard) ---
  // Routes a stanza whose 'from' has been stamped by the sender's session (or is a server address).
  void Route(xml::Element stanza);
  // Sends an error reply for `stanza` back to its sender, unless it is itself an error (RFC 6120
  // §8.3.1).
  void Bounce(const xml::Element& stanza, stanza::StanzaError error);

 private:
  // State owned by one shard; touched only on that shard's thread.
  struct ShardState {
    std::unordered_map<std::string, AccountState> accounts;  // users homed here, by bare JID
    std::unordered_map<std::uint64_t, std::weak_ptr<LocalSession>> sessions;
    std::uint64_t next_id = 1;
    std::atomic<std::size_t> session_count{0};
  };

  ShardState& Local();
  void RunLoaded(AccountState& account, std::function<void(AccountState&)> fn);
  void Load(AccountState& account);
  void ForgetIfIdle(const std::string& key);
  net::Shard& HomeOf(const std::string& bare);
  void RouteToLocalUser(xml::Element stanza, jid::Jid to);
  // `bare` is to.BareString(), the account's key, made once by RouteToLocalUser.
  void DeliverOnHome(const std::shared_ptr<xml::Element>& stanza, const jid::Jid& to,
                     const std::string& bare);
  void DeliverTo(SessionRef ref, const SharedStanza& stanza,
                 std::shared_ptr<xml::Element> original_for_bounce);
  void DeliverLocal(std::uint64_t id, const SharedStanza& stanza,
                    const std::shared_ptr<xml::Element>& original_for_bounce);

  net::ShardSet& shards_;
  const hosts::HostTable& hosts_;
  ServerHandler* server_handler_ = nullptr;
  const hooks::Hooks* hooks_ = nullptr;
  std::vector<AccountLoader> loaders_;
  std::map<std::string, ServiceHandler*, std::less<>> services_;
  std::vector<std::unique_ptr<ShardState>> state_;
};

}  // namespace parley::router
