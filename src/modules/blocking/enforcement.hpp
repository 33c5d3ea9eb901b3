#pragma once
// The XEP-0191 block list applied to stanzas: what the user sends to a blocked JID is refused on
// the sender's shard (from the session's BlockList attachment, no hop), and what a blocked JID
// sends to the user is stopped on the user's home shard (from ImAccount). Registered by the
// blocking module.

#include "modules/module.hpp"

namespace parley::mod {

inline constexpr std::string_view kNsBlocking = "urn:xmpp:blocking";
inline constexpr std::string_view kNsBlockingErrors = "urn:xmpp:blocking:errors";

void RegisterBlockingEnforcement(ModuleContext& ctx);

}  // namespace parley::mod
