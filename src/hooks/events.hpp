#pragma once
// The events modules can hook (hooks.hpp). One struct per event; fields are what a handler needs.

#include "jid/jid.hpp"
#include "router/account.hpp"
#include "router/local_session.hpp"
#include "xml/element.hpp"

namespace parley::hooks {

// A client stanza after 'from' was stamped, before routing. Fired on the sender's shard. A handler
// that fully handles it (e.g. presence broadcast) returns Flow::kStop and the router never sees it.
struct ClientStanza {
  xml::Element& stanza;
  const jid::Jid& from;                    // full JID of the sending session
  router::SessionRef session;              // the sending session
  const router::Attachments& attachments;  // the account's snapshots (e.g. its block list)
};

// A message or presence for a local account reached the account's home shard, before the delivery
// rules run. `account` is null when the account has no state in memory (no session). A handler that
// takes over (subscription handling, blocking) returns Flow::kStop.
struct InboundStanza {
  xml::Element& stanza;
  const jid::Jid& to;
  router::AccountState* account;
};

// A message for a local account found no resource to take it (RFC 6121 §8.5.2.2, §8.5.3.2.1).
// Fired on the home shard. The offline module stores it and returns Flow::kStop; otherwise the
// router bounces it with <service-unavailable/>.
struct Undeliverable {
  const xml::Element& stanza;
  const jid::Jid& to;
};

// A resource was bound (RFC 6120 §7). Fired on the account's home shard, account loaded.
struct ResourceBound {
  router::AccountState& account;
  router::ResourceState& resource;
};

// A resource sent available presence (RFC 6121 §4.2, §4.4); `initial` when it was not available
// before. Fired on the home shard after the presence went out (the offline module delivers then).
struct ResourceAvailable {
  router::AccountState& account;
  router::ResourceState& resource;
  bool initial;
};

// A bound resource is going away (logout, stream error, lost connection). Fired on the home shard
// just before it is removed, so presence can broadcast its unavailable state.
struct ResourceUnbound {
  router::AccountState& account;
  router::ResourceState& resource;
};

// A bound session ended. Fired on the session's shard.
struct SessionClosed {
  const jid::Jid& jid;
};

// An account was deleted (in-band or by an administrator). Fired on a blocking-pool thread after
// storage removed it.
struct AccountDeleted {
  const jid::Jid& bare;
};

}  // namespace parley::hooks
