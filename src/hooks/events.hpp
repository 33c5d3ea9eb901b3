#pragma once
// The events modules can hook (hooks.hpp). One struct per event; fields are what a handler needs.

#include "jid/jid.hpp"
#include "router/local_session.hpp"
#include "xml/element.hpp"

namespace parley::hooks {

// A client stanza after 'from' was stamped, before routing. Fired on the sender's shard. A handler
// that fully handles it (e.g. presence broadcast) returns Flow::kStop and the router never sees it.
struct ClientStanza {
  xml::Element& stanza;
  const jid::Jid& from;        // full JID of the sending session
  router::SessionRef session;  // the sending session
};

// A resource was bound (RFC 6120 §7). Fired on the session's shard.
struct SessionBound {
  const jid::Jid& jid;
};

// A bound session ended, for whatever reason (logout, stream error, lost connection). Fired on the
// session's shard after the router forgot it.
struct SessionClosed {
  const jid::Jid& jid;
};

// An account was deleted (in-band or by an administrator). Fired on a blocking-pool thread after
// storage removed it; handlers may do blocking cleanup of their own stores.
struct AccountDeleted {
  const jid::Jid& bare;
};

}  // namespace parley::hooks
