#include "modules/roster/im_account.hpp"

#include <spdlog/spdlog.h>

#include "core/check.hpp"
#include "net/shard.hpp"
#include "router/router.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/stores.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {
constexpr std::string_view kNsRoster = "jabber:iq:roster";

im::Sub ToSub(storage::Subscription s) {
  switch (s) {
    case storage::Subscription::kTo:
      return im::Sub::kTo;
    case storage::Subscription::kFrom:
      return im::Sub::kFrom;
    case storage::Subscription::kBoth:
      return im::Sub::kBoth;
    default:
      return im::Sub::kNone;
  }
}

storage::Subscription FromSub(im::Sub s) {
  switch (s) {
    case im::Sub::kTo:
      return storage::Subscription::kTo;
    case im::Sub::kFrom:
      return storage::Subscription::kFrom;
    case im::Sub::kBoth:
      return storage::Subscription::kBoth;
    default:
      return storage::Subscription::kNone;
  }
}
}  // namespace

bool BlockList::Blocks(const jid::Jid& other) const {
  if (jids.empty()) return false;
  return jids.count(other.BareString()) > 0 || jids.count(other.Domain()) > 0 ||
         (!other.Resource().empty() && jids.count(other.Full()) > 0);
}

im::SubState ImAccount::StateOf(const std::string& contact) const {
  im::SubState s;
  auto it = items.find(contact);
  if (it != items.end()) {
    s.in_roster = true;
    s.sub = ToSub(it->second.subscription);
    s.pending_out = it->second.pending_out;
    s.preapproved = it->second.preapproved;
  }
  s.pending_in = pending.count(contact) > 0;
  return s;
}

const storage::RosterItem* ImAccount::ApplyState(ModuleServices& services, const jid::Jid& user,
                                                 const std::string& contact,
                                                 const im::SubState& next, bool create) {
  auto it = items.find(contact);
  if (it == items.end()) {
    if (!create && !next.in_roster) return nullptr;
    storage::RosterItem item;
    item.jid = contact;
    it = items.emplace(contact, std::move(item)).first;
  }
  storage::RosterItem& item = it->second;
  item.subscription = FromSub(next.sub);
  item.pending_out = next.pending_out;
  item.preapproved = next.preapproved;
  item.pending_in = next.pending_in;
  PutItem(services, user, item);
  return &items.at(contact);
}

void ImAccount::PutItem(ModuleServices& services, const jid::Jid& user, storage::RosterItem item) {
  std::uint64_t version = ++roster_version;
  items[item.jid] = item;
  storage::Stores* stores = services.stores;
  services.db->Post([stores, domain = user.Domain(), local = user.Local(), item, version] {
    if (stores->rosters.Put(domain, local, item, version) != storage::StoreStatus::kOk) {
      spdlog::error("roster: could not store {} in {}@{}'s roster", item.jid, local, domain);
    }
  });
}

void ImAccount::RemoveItem(ModuleServices& services, const jid::Jid& user,
                           const std::string& contact) {
  std::uint64_t version = ++roster_version;
  items.erase(contact);
  storage::Stores* stores = services.stores;
  services.db->Post([stores, domain = user.Domain(), local = user.Local(), contact, version] {
    stores->rosters.Remove(domain, local, contact, version);
  });
}

void ImAccount::StorePending(ModuleServices& services, const jid::Jid& user,
                             const std::string& contact, std::string stanza) {
  pending[contact] = stanza;
  storage::Stores* stores = services.stores;
  services.db->Post(
      [stores, domain = user.Domain(), local = user.Local(), contact, stanza = std::move(stanza)] {
        stores->rosters.PutPending(domain, local, storage::PendingRequest{contact, stanza});
      });
}

void ImAccount::ClearPending(ModuleServices& services, const jid::Jid& user,
                             const std::string& contact) {
  if (pending.erase(contact) == 0) return;
  storage::Stores* stores = services.stores;
  services.db->Post([stores, domain = user.Domain(), local = user.Local(), contact] {
    stores->rosters.RemovePending(domain, local, contact);
  });
}

void RegisterImAccountLoader(ModuleServices& services) {
  PARLEY_CHECK(services.stores != nullptr && services.db != nullptr);
  ModuleServices* svc = &services;
  services.router.AddAccountLoader(
      [svc](router::AccountState& account, std::function<void()> done) {
        net::Shard* home = net::Shard::Current();
        // The account stays in the home shard's table while it is loading (its node is stable).
        router::AccountState* acc = &account;
        std::string key = account.key;
        struct Loaded {
          std::optional<storage::Roster> roster;
          std::vector<storage::PendingRequest> pending;
          std::optional<std::vector<std::string>> blocked;
        };
        storage::Stores* stores = svc->stores;
        svc->db->Post([acc, stores, home, key, domain = account.bare.Domain(),
                       local = account.bare.Local(), done = std::move(done)]() mutable {
          auto loaded = std::make_shared<Loaded>();
          loaded->roster = stores->rosters.Load(domain, local);
          loaded->pending = stores->rosters.LoadPending(domain, local);
          loaded->blocked = stores->blocks.Load(domain, local);
          home->Post([acc, key, loaded, done = std::move(done)] {
            {
              router::AccountState& account = *acc;
              ImAccount& im = account.Ext<ImAccount>();
              if (!loaded->roster || !loaded->blocked) {
                im.load_failed = true;
                spdlog::error("roster: could not load {}'s roster or block list", key);
              }
              if (loaded->roster) {
                im.roster_version = loaded->roster->version;
                for (auto& item : loaded->roster->items) im.items[item.jid] = std::move(item);
              }
              for (auto& p : loaded->pending) im.pending[p.jid] = std::move(p.stanza);
              auto blocked = std::make_shared<BlockList>();
              if (loaded->blocked)
                blocked->jids.insert(loaded->blocked->begin(), loaded->blocked->end());
              im.blocked = blocked;
              account.SetAttachment<BlockList>(blocked);
            }
            done();
          });
        });
      });
}

xml::Element RosterItemElement(const storage::RosterItem& item) {
  xml::Element el("item");
  el.SetAttr("jid", item.jid);
  if (!item.name.empty()) el.SetAttr("name", item.name);
  im::SubState s;
  s.in_roster = true;
  s.sub = ToSub(item.subscription);
  s.pending_out = item.pending_out;
  s.preapproved = item.preapproved;
  im::ItemAttributes attrs = im::ItemAttributesOf(s);
  el.SetAttr("subscription", std::string(im::ToString(attrs.subscription)));
  if (attrs.ask_subscribe) el.SetAttr("ask", "subscribe");
  if (attrs.approved) el.SetAttr("approved", "true");
  for (const std::string& g : item.groups) el.AddChild("group").AddText(g);
  return el;
}

void PushRosterItem(ModuleServices& services, router::AccountState& account,
                    const storage::RosterItem& item, bool removed) {
  ImAccount& im = account.Ext<ImAccount>();
  for (const router::ResourceState& r : account.resources) {
    if (!r.roster_requested) continue;
    xml::Element iq("iq", std::string(xep::kNsClient));
    iq.SetAttr("type", "set");
    iq.SetAttr("id", "push" + std::to_string(im.roster_version));
    iq.SetAttr("to", account.key + "/" + r.resource);
    auto& query = iq.AddChild("query", std::string(kNsRoster));
    query.SetAttr("ver", std::to_string(im.roster_version));
    xml::Element el = RosterItemElement(item);
    if (removed) {
      el = xml::Element("item");
      el.SetAttr("jid", item.jid);
      el.SetAttr("subscription", "remove");
    }
    query.AddChild(std::move(el));
    services.router.Deliver(r.ref, router::Share(std::move(iq)));
  }
}

void RouteStanza(ModuleServices& services, xml::Element stanza) {
  services.router.Route(std::move(stanza));
}

}  // namespace parley::mod
