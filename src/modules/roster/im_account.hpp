#pragma once
// ImAccount: an account's instant-messaging state in memory on its home shard — roster items with
// their subscription states (RFC 6121 §2, §3), stored inbound subscription requests, and the block
// list (XEP-0191). Loaded from storage by an account loader before the first operation on the
// account runs (router/account.hpp) and written back through the ordered db pool after every
// change, so the cache and the database never disagree for longer than the write queue.
// Shared by the roster, presence, offline and blocking modules.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "im/subscription.hpp"
#include "modules/module.hpp"
#include "router/account.hpp"
#include "storage/roster_store.hpp"

namespace parley::mod {

// The block list as a session sees it (an attachment): the bare JIDs and domains the user blocks.
struct BlockList {
  std::set<std::string> jids;
  // XEP-0191 §3.4 blocking by JID: a blocked bare JID blocks its full JIDs; a blocked domain
  // blocks everyone there.
  bool Blocks(const jid::Jid& other) const;
};

struct ImAccount {
  bool load_failed = false;
  std::uint64_t roster_version = 0;
  std::map<std::string, storage::RosterItem> items;  // by contact bare JID
  std::map<std::string, std::string> pending;        // contact → stored subscribe stanza
  std::shared_ptr<const BlockList> blocked = std::make_shared<BlockList>();
  std::set<std::string> blocklist_requested;  // resources that fetched the block list

  im::SubState StateOf(const std::string& contact) const;
  // Applies a new subscription state to a contact's item (creating it when `create`), bumps the
  // roster version and writes it through. Returns the item (nullptr if there is none).
  const storage::RosterItem* ApplyState(ModuleServices& services, const jid::Jid& user,
                                        const std::string& contact, const im::SubState& next,
                                        bool create);
  // Writes/removes a whole item (roster set/remove), bumping the version.
  void PutItem(ModuleServices& services, const jid::Jid& user, storage::RosterItem item);
  void RemoveItem(ModuleServices& services, const jid::Jid& user, const std::string& contact);
  void StorePending(ModuleServices& services, const jid::Jid& user, const std::string& contact,
                    std::string stanza);
  void ClearPending(ModuleServices& services, const jid::Jid& user, const std::string& contact);
};

// Registers the loader that fills ImAccount (and the BlockList attachment) for every account.
void RegisterImAccountLoader(ModuleServices& services);

// <item/> for a roster push or result (RFC 6121 §2.1.2).
xml::Element RosterItemElement(const storage::RosterItem& item);
// Sends a roster push (RFC 6121 §2.1.6) of `item` (or subscription='remove' when `removed`) to
// every interested resource of the account. Home shard only.
void PushRosterItem(ModuleServices& services, router::AccountState& account,
                    const storage::RosterItem& item, bool removed);

// Routes a stanza built on the home shard (from/to already set).
void RouteStanza(ModuleServices& services, xml::Element stanza);

}  // namespace parley::mod
