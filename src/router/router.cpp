#include "router/router.hpp"

#include <spdlog/spdlog.h>

#include "core/check.hpp"
#include "hooks/events.hpp"
#include "xep/stanzas.hpp"
#include "xml/serializer.hpp"

namespace parley::router {

using stanza::StanzaCondition;
using xep::StanzaKind;

SharedStanza Share(const xml::Element& element) {
  auto out = std::make_shared<OutStanza>();
  std::string bytes;
  bytes.reserve(256);  // most stanzas fit: no regrowth while serializing
  xml::Serialize(element, bytes, "jabber:client");
  out->bytes = std::make_shared<const std::string>(std::move(bytes));
  return out;
}

Router::Router(net::ShardSet& shards, const hosts::HostTable& hosts)
    : shards_(shards), hosts_(hosts) {
  for (std::size_t i = 0; i < shards_.Size(); ++i) state_.push_back(std::make_unique<ShardState>());
}

Router::ShardState& Router::Local() {
  net::Shard* s = net::Shard::Current();
  PARLEY_CHECK(s != nullptr);
  return *state_[s->Index()];
}

net::Shard& Router::HomeOf(const std::string& bare) {
  return shards_.ForHash(std::hash<std::string>{}(bare));
}

std::uint64_t Router::AddLocalSession(std::weak_ptr<LocalSession> session) {
  ShardState& st = Local();
  std::uint64_t id = st.next_id++;
  st.sessions.emplace(id, std::move(session));
  st.session_count.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void Router::RemoveLocalSession(std::uint64_t id) {
  ShardState& st = Local();
  if (st.sessions.erase(id) > 0) st.session_count.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t Router::SessionCount() const {
  std::size_t n = 0;
  for (const auto& s : state_) n += s->session_count.load(std::memory_order_relaxed);
  return n;
}

// --- Accounts on their home shard ---

ResourceState* AccountState::FindResource(std::string_view resource) {
  for (auto& r : resources) {
    if (r.resource == resource) return &r;
  }
  return nullptr;
}

ResourceState* AccountState::FindResource(const SessionRef& ref) {
  for (auto& r : resources) {
    if (r.ref == ref) return &r;
  }
  return nullptr;
}

bool AccountState::AnyAvailable() const {
  for (const auto& r : resources) {
    if (r.available) return true;
  }
  return false;
}

void Router::WithAccount(const jid::Jid& bare_jid, std::function<void(AccountState&)> fn) {
  std::string key = bare_jid.BareString();
  HomeOf(key).Post([this, key, bare = bare_jid.Bare(), fn = std::move(fn)]() mutable {
    auto [it, inserted] = Local().accounts.try_emplace(key);
    AccountState& account = it->second;
    if (inserted) {
      account.bare = std::move(bare);
      account.key = key;
    }
    RunLoaded(account, std::move(fn));
  });
}

void Router::RunLoaded(AccountState& account, std::function<void(AccountState&)> fn) {
  if (account.loaded) {
    fn(account);
    ForgetIfIdle(account.key);
    return;
  }
  account.waiting.push_back(std::move(fn));
  if (!account.loading) Load(account);
}

void Router::Load(AccountState& account) {
  account.loading = true;
  auto remaining = std::make_shared<std::size_t>(loaders_.size() + 1);
  std::string key = account.key;
  auto done = [this, remaining, key] {
    if (--*remaining > 0) return;
    auto it = Local().accounts.find(key);
    if (it == Local().accounts.end()) return;
    AccountState& acc = it->second;
    acc.loading = false;
    acc.loaded = true;
    // Operations queued while loading run in order; each may queue more.
    while (!acc.waiting.empty()) {
      auto fn = std::move(acc.waiting.front());
      acc.waiting.erase(acc.waiting.begin());
      fn(acc);
    }
    ForgetIfIdle(key);
  };
  for (const auto& loader : loaders_) loader(account, done);
  done();  // the +1: completes when no loader is registered, or after the synchronous ones
}

void Router::ForgetIfIdle(const std::string& key) {
  auto& accounts = Local().accounts;
  auto it = accounts.find(key);
  if (it == accounts.end()) return;
  const AccountState& a = it->second;
  if (a.resources.empty() && a.waiting.empty() && !a.loading) accounts.erase(it);
}

void Router::AddService(std::string domain, ServiceHandler* handler) {
  PARLEY_CHECK(handler != nullptr && !hosts_.Serves(domain));
  PARLEY_CHECK(services_.emplace(std::move(domain), handler).second);
}

void Router::PushAttachments(AccountState& account) {
  for (const ResourceState& r : account.resources) {
    SessionRef ref = r.ref;
    Attachments snapshot = account.attachments;
    shards_.At(ref.shard).Post([this, ref, snapshot] {
      auto it = Local().sessions.find(ref.id);
      if (it == Local().sessions.end()) return;
      if (auto s = it->second.lock()) s->SetAttachments(snapshot);
    });
  }
}

void Router::Deliver(SessionRef ref, SharedStanza stanza) { DeliverTo(ref, stanza, nullptr); }

void Router::Bind(const jid::Jid& full_jid, SessionRef ref, std::function<void(BindResult)> done) {
  net::Shard* caller = net::Shard::Current();
  PARLEY_CHECK(caller != nullptr);
  WithAccount(full_jid, [this, resource = full_jid.Resource(), ref, caller,
                         done = std::move(done)](AccountState& account) mutable {
    BindResult result{true, false, account.attachments};
    if (ResourceState* r = account.FindResource(resource)) {
      if (!(r->ref == ref)) {
        // RFC 6120 §7.7.2.2: the server's policy is to end the older session. Its presence goes
        // first, as for any resource that leaves.
        if (hooks_) {
          hooks::ResourceUnbound gone{account, *r};
          hooks_->Fire(gone);
        }
        SessionRef old = r->ref;
        shards_.At(old.shard).Post([this, old] {
          auto it = Local().sessions.find(old.id);
          if (it == Local().sessions.end()) return;
          if (auto s = it->second.lock()) {
            s->Kick(stanza::StreamCondition::kConflict, "Replaced by new connection");
          }
        });
        *r = ResourceState{};
        r->resource = resource;
        r->ref = ref;
        result.replaced = true;
      }
    } else {
      account.resources.push_back(ResourceState{});
      account.resources.back().resource = resource;
      account.resources.back().ref = ref;
    }
    if (hooks_) {
      hooks::ResourceBound bound{account, *account.FindResource(resource)};
      hooks_->Fire(bound);
    }
    caller->Post([done = std::move(done), result = std::move(result)] { done(result); });
  });
}

void Router::Unbind(const jid::Jid& full_jid, SessionRef ref) {
  WithAccount(full_jid, [this, resource = full_jid.Resource(), ref](AccountState& account) {
    ResourceState* r = account.FindResource(resource);
    if (!r || !(r->ref == ref)) return;  // already replaced by a newer session
    if (hooks_) {
      hooks::ResourceUnbound gone{account, *r};
      hooks_->Fire(gone);
    }
    std::erase_if(account.resources,
                  [&](const ResourceState& x) { return x.resource == resource && x.ref == ref; });
  });
}

void Router::SetPresence(const jid::Jid& full_jid, SessionRef ref, bool available, int priority) {
  WithAccount(full_jid,
              [resource = full_jid.Resource(), ref, available, priority](AccountState& a) {
                ResourceState* r = a.FindResource(resource);
                if (!r || !(r->ref == ref)) return;
                r->available = available;
                r->priority = priority;
              });
}

void Router::KickUser(const jid::Jid& bare_jid, stanza::StreamCondition condition,
                      std::string text) {
  std::string bare = bare_jid.BareString();
  HomeOf(bare).Post([this, bare, condition, text = std::move(text)] {
    auto& accounts = Local().accounts;
    auto it = accounts.find(bare);
    if (it == accounts.end()) return;
    for (const ResourceState& r : it->second.resources) {
      SessionRef ref = r.ref;
      shards_.At(ref.shard).Post([this, ref, condition, text] {
        auto s = Local().sessions.find(ref.id);
        if (s == Local().sessions.end()) return;
        if (auto session = s->second.lock()) session->Kick(condition, text);
      });
    }
  });
}

void Router::KickAll(stanza::StreamCondition condition, std::string text) {
  for (std::size_t i = 0; i < shards_.Size(); ++i) {
    shards_.At(i).Post([this, condition, text] {
      // Copy first: Kick() removes sessions from the map.
      std::vector<std::shared_ptr<LocalSession>> all;
      for (auto& [id, weak] : Local().sessions) {
        if (auto s = weak.lock()) all.push_back(std::move(s));
      }
      for (auto& s : all) s->Kick(condition, text);
    });
  }
}

void Router::Route(xml::Element stanza) {
  StanzaKind kind = xep::KindOf(stanza);
  const std::string* to_attr = stanza.Attr("to");
  if (to_attr == nullptr || to_attr->empty()) {
    // RFC 6120 §10.3: no 'to' means the server handles it on behalf of the sender's account.
    if (server_handler_) server_handler_->HandleServerStanza(std::move(stanza));
    return;
  }
  std::optional<jid::Jid> to = jid::Jid::Parse(*to_attr);
  if (!to) {
    Bounce(stanza, stanza::StanzaError(StanzaCondition::kJidMalformed));
    return;
  }
  if (auto service = services_.find(to->Domain()); service != services_.end()) {
    service->second->HandleServiceStanza(std::move(stanza), std::move(*to));
    return;
  }
  if (!hosts_.Serves(to->Domain())) {
    // No federation yet (s2s is a later issue): RFC 6120 §10.4.3.
    Bounce(stanza, stanza::StanzaError(StanzaCondition::kRemoteServerNotFound));
    return;
  }
  if (to->Local().empty() || (kind == StanzaKind::kIq && to->IsBare())) {
    // The server itself, or an iq to an account's bare JID (RFC 6121 §8.5.1: the server answers on
    // the account's behalf).
    if (server_handler_) server_handler_->HandleServerStanza(std::move(stanza));
    return;
  }
  RouteToLocalUser(std::move(stanza), std::move(*to));
}

void Router::RouteToLocalUser(xml::Element stanza, jid::Jid to) {
  auto shared = std::make_shared<xml::Element>(std::move(stanza));
  std::string bare = to.BareString();
  net::Shard& home = HomeOf(bare);
  home.Post([this, shared, to = std::move(to), bare = std::move(bare)] {
    DeliverOnHome(shared, to, bare);
  });
}

void Router::DeliverOnHome(const std::shared_ptr<xml::Element>& stanza, const jid::Jid& to,
                           const std::string& bare) {
  StanzaKind kind = xep::KindOf(*stanza);
  std::string_view type = stanza->AttrOr("type");
  auto& accounts = Local().accounts;
  auto it = accounts.find(bare);
  AccountState* account = it == accounts.end() ? nullptr : &it->second;
  if (account && !account->loaded) {
    // Keep the order of everything that reaches this account while its state loads.
    RunLoaded(*account,
              [this, stanza, to, bare](AccountState&) { DeliverOnHome(stanza, to, bare); });
    return;
  }
  if (hooks_ && kind != StanzaKind::kIq) {
    hooks::InboundStanza inbound{*stanza, to, account};
    if (hooks_->Fire(inbound) == hooks::Flow::kStop) return;
    it = accounts.find(bare);  // a handler may have created or removed it
    account = it == accounts.end() ? nullptr : &it->second;
  }
  const std::vector<ResourceState>* resources = account ? &account->resources : nullptr;

  if (!to.IsBare()) {
    // RFC 6121 §8.5.3.1: a connected resource with this exact full JID gets the stanza.
    if (resources) {
      for (const ResourceState& r : *resources) {
        if (r.resource == to.Resource()) {
          DeliverTo(r.ref, Share(*stanza), stanza);
          return;
        }
      }
    }
    // §8.5.3.2: no such resource.
    switch (kind) {
      case StanzaKind::kMessage:
        if (type == "groupchat") {
          Bounce(*stanza, stanza::StanzaError(StanzaCondition::kServiceUnavailable));
          return;
        }
        if (type == "error") return;
        break;  // normal, chat, headline: treated as addressed to the bare JID (§8.5.3.2.1)
      case StanzaKind::kIq:
        Bounce(*stanza, stanza::StanzaError(StanzaCondition::kServiceUnavailable));
        return;
      default:
        return;  // presence to an unknown resource is dropped (§8.5.3.2.3)
    }
  }

  // Bare JID (RFC 6121 §8.5.2).
  std::vector<SessionRef> targets;
  if (resources) {
    if (kind == StanzaKind::kMessage && type != "headline") {
      // §8.5.2.1.1: the available resources with the highest non-negative priority.
      int best = -1;
      for (const ResourceState& r : *resources) {
        if (r.available && r.priority >= 0 && r.priority > best) best = r.priority;
      }
      for (const ResourceState& r : *resources) {
        if (r.available && r.priority == best && best >= 0) targets.push_back(r.ref);
      }
    } else if (kind == StanzaKind::kMessage) {
      for (const ResourceState& r : *resources) {
        if (r.available && r.priority >= 0) targets.push_back(r.ref);
      }
    } else {
      for (const ResourceState& r : *resources) {
        if (r.available) targets.push_back(r.ref);
      }
    }
  }
  if (kind == StanzaKind::kMessage && type == "groupchat") {
    Bounce(*stanza, stanza::StanzaError(StanzaCondition::kServiceUnavailable));
    return;
  }
  if (targets.empty()) {
    // §8.5.2.2: no available resource. The offline module may store a message; otherwise a chat
    // or normal message is bounced so that the sender knows it was not delivered.
    if (kind == StanzaKind::kMessage && type != "headline" && type != "error") {
      if (hooks_) {
        hooks::Undeliverable undeliverable{*stanza, to};
        if (hooks_->Fire(undeliverable) == hooks::Flow::kStop) return;
      }
      Bounce(*stanza, stanza::StanzaError(StanzaCondition::kServiceUnavailable));
    }
    return;
  }
  SharedStanza shared = Share(*stanza);  // serialized once for every recipient
  for (const SessionRef& ref : targets) {
    DeliverTo(ref, shared, targets.size() == 1 ? stanza : nullptr);
  }
}

void Router::DeliverTo(SessionRef ref, const SharedStanza& stanza,
                       std::shared_ptr<xml::Element> original_for_bounce) {
  if (net::Shard* here = net::Shard::Current(); here != nullptr && here->Index() == ref.shard) {
    // Already on the session's shard: hand it over now instead of through the shard's queue (one
    // post less per delivery). Order holds: whatever this shard delivers to that session takes
    // this path, in the order it is delivered; the session only queues the bytes.
    DeliverLocal(ref.id, stanza, original_for_bounce);
    return;
  }
  shards_.At(ref.shard).Post(
      [this, id = ref.id, stanza, original = std::move(original_for_bounce)] {
        DeliverLocal(id, stanza, original);
      });
}

void Router::DeliverLocal(std::uint64_t id, const SharedStanza& stanza,
                          const std::shared_ptr<xml::Element>& original) {
  auto& sessions = Local().sessions;
  auto it = sessions.find(id);
  if (it != sessions.end()) {
    if (auto s = it->second.lock()) {
      s->Deliver(stanza);
      return;
    }
  }
  // The session ended while the stanza was on its way.
  if (original && xep::KindOf(*original) != StanzaKind::kPresence) {
    Bounce(*original, stanza::StanzaError(StanzaCondition::kServiceUnavailable));
  }
}

void Router::Bounce(const xml::Element& stanza, stanza::StanzaError error) {
  std::string_view type = stanza.AttrOr("type");
  if (type == "error" || type == "result") return;  // RFC 6120 §8.3.1: never answer an error
  if (stanza.Attr("from") == nullptr) return;
  xml::Element reply = xep::MakeErrorReply(stanza, error);
  if (reply.Attr("from") == nullptr) {
    // Sent without 'to': the reply comes from the sender's own server.
    if (auto from = jid::Jid::Parse(*stanza.Attr("from"))) reply.SetAttr("from", from->Domain());
  }
  Route(std::move(reply));
}

}  // namespace parley::router
