#include "router/router.hpp"

#include <spdlog/spdlog.h>

#include "core/check.hpp"
#include "xep/stanzas.hpp"
#include "xml/serializer.hpp"

namespace parley::router {

using stanza::StanzaCondition;
using xep::StanzaKind;

SharedStanza Share(xml::Element element) {
  auto out = std::make_shared<OutStanza>();
  std::string bytes;
  xml::Serialize(element, bytes, "jabber:client");
  out->bytes = std::make_shared<const std::string>(std::move(bytes));
  out->element = std::move(element);
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

void Router::Bind(const jid::Jid& full_jid, SessionRef ref, std::function<void(BindResult)> done) {
  net::Shard* caller = net::Shard::Current();
  PARLEY_CHECK(caller != nullptr);
  std::string bare = full_jid.BareString();
  HomeOf(bare).Post(
      [this, bare, resource = full_jid.Resource(), ref, caller, done = std::move(done)]() mutable {
        Account& account = Local().accounts[bare];
        BindResult result{true, false};
        bool found = false;
        for (Resource& r : account.resources) {
          if (r.resource != resource) continue;
          found = true;
          if (!(r.ref == ref)) {
            // RFC 6120 §7.7.2.2: the server's policy is to end the older session.
            SessionRef old = r.ref;
            shards_.At(old.shard).Post([this, old] {
              auto it = Local().sessions.find(old.id);
              if (it == Local().sessions.end()) return;
              if (auto s = it->second.lock()) {
                s->Kick(stanza::StreamCondition::kConflict, "Replaced by new connection");
              }
            });
            r = Resource{resource, ref, false, 0};
            result.replaced = true;
          }
        }
        if (!found) account.resources.push_back(Resource{resource, ref, false, 0});
        caller->Post([done = std::move(done), result] { done(result); });
      });
}

void Router::Unbind(const jid::Jid& full_jid, SessionRef ref) {
  std::string bare = full_jid.BareString();
  HomeOf(bare).Post([this, bare, resource = full_jid.Resource(), ref] {
    auto& accounts = Local().accounts;
    auto it = accounts.find(bare);
    if (it == accounts.end()) return;
    auto& rs = it->second.resources;
    std::erase_if(rs, [&](const Resource& r) { return r.resource == resource && r.ref == ref; });
    if (rs.empty()) accounts.erase(it);
  });
}

void Router::SetPresence(const jid::Jid& full_jid, SessionRef ref, bool available, int priority) {
  std::string bare = full_jid.BareString();
  HomeOf(bare).Post([this, bare, resource = full_jid.Resource(), ref, available, priority] {
    auto& accounts = Local().accounts;
    auto it = accounts.find(bare);
    if (it == accounts.end()) return;
    for (Resource& r : it->second.resources) {
      if (r.resource == resource && r.ref == ref) {
        r.available = available;
        r.priority = priority;
      }
    }
  });
}

void Router::KickUser(const jid::Jid& bare_jid, stanza::StreamCondition condition,
                      std::string text) {
  std::string bare = bare_jid.BareString();
  HomeOf(bare).Post([this, bare, condition, text = std::move(text)] {
    auto& accounts = Local().accounts;
    auto it = accounts.find(bare);
    if (it == accounts.end()) return;
    for (const Resource& r : it->second.resources) {
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
  HomeOf(bare).Post([this, shared, to = std::move(to)] { DeliverOnHome(shared, to); });
}

void Router::DeliverOnHome(const std::shared_ptr<xml::Element>& stanza, const jid::Jid& to) {
  StanzaKind kind = xep::KindOf(*stanza);
  std::string_view type = stanza->AttrOr("type");
  auto& accounts = Local().accounts;
  auto it = accounts.find(to.BareString());
  const std::vector<Resource>* resources = it == accounts.end() ? nullptr : &it->second.resources;

  if (!to.IsBare()) {
    // RFC 6121 §8.5.3.1: a connected resource with this exact full JID gets the stanza.
    if (resources) {
      for (const Resource& r : *resources) {
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
      for (const Resource& r : *resources) {
        if (r.available && r.priority >= 0 && r.priority > best) best = r.priority;
      }
      for (const Resource& r : *resources) {
        if (r.available && r.priority == best && best >= 0) targets.push_back(r.ref);
      }
    } else if (kind == StanzaKind::kMessage) {
      for (const Resource& r : *resources) {
        if (r.available && r.priority >= 0) targets.push_back(r.ref);
      }
    } else {
      for (const Resource& r : *resources) {
        if (r.available) targets.push_back(r.ref);
      }
    }
  }
  if (kind == StanzaKind::kMessage && type == "groupchat") {
    Bounce(*stanza, stanza::StanzaError(StanzaCondition::kServiceUnavailable));
    return;
  }
  if (targets.empty()) {
    // §8.5.2.2: no available resource. Offline storage comes with the IM issue; until then a chat
    // or normal message is bounced so the sender knows it was not delivered.
    if (kind == StanzaKind::kMessage && type != "headline" && type != "error") {
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
