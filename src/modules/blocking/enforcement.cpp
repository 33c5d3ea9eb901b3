#include "modules/blocking/enforcement.hpp"

#include "hooks/events.hpp"
#include "modules/roster/im_account.hpp"
#include "router/router.hpp"
#include "xep/stanzas.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

// Before the presence and roster handlers, which would otherwise route or store the stanza.
constexpr int kPriority = 100;

// XEP-0191 §3.3: "the user's server MUST NOT route the stanza to the JID but instead MUST return a
// <not-acceptable/> error containing an application-specific error condition of <blocked/>".
xml::Element BlockedError(const xml::Element& stanza) {
  xml::Element reply = xep::MakeErrorReply(stanza, StanzaError(StanzaCondition::kNotAcceptable));
  if (xml::Element* error = reply.Child("error")) {
    error->AddChild("blocked", std::string(kNsBlockingErrors));
  }
  return reply;
}

// The user's own stanza to a blocked JID (sender's shard).
hooks::Flow Outbound(router::Router& router, hooks::ClientStanza& ev) {
  const BlockList* blocked = router::GetAttachment<BlockList>(ev.attachments);
  const std::string* to_attr = ev.stanza.Attr("to");
  if (!blocked || blocked->jids.empty() || !to_attr) return hooks::Flow::kContinue;
  std::optional<jid::Jid> to = jid::Jid::Parse(*to_attr);
  // XEP-0191 §5 (note): never between the user's own resources.
  if (!to || to->BareString() == ev.from.BareString() || !blocked->Blocks(*to)) {
    return hooks::Flow::kContinue;
  }
  std::string_view name = ev.stanza.Name();
  std::string_view type = ev.stanza.AttrOr("type");
  // Presence is dropped; an error or an iq result is never answered with an error (RFC 6120
  // §8.3.1).
  if (name != "presence" && type != "error" && type != "result") {
    router.Deliver(ev.session, router::Share(BlockedError(ev.stanza)));
  }
  return hooks::Flow::kStop;
}

// A stanza from a blocked JID to the user (the user's home shard). Only while the account is in
// memory; otherwise no resource can receive it, and the offline module checks the list itself.
hooks::Flow Inbound(router::Router& router, hooks::InboundStanza& ev) {
  if (!ev.account || !ev.account->loaded) return hooks::Flow::kContinue;
  const BlockList& blocked = *ev.account->Ext<ImAccount>().blocked;
  if (blocked.jids.empty()) return hooks::Flow::kContinue;
  std::optional<jid::Jid> from = jid::Jid::Parse(ev.stanza.AttrOr("from"));
  if (!from || from->BareString() == ev.account->key || !blocked.Blocks(*from)) {
    return hooks::Flow::kContinue;
  }
  // XEP-0191 §3.3: presence "MUST NOT respond and MUST NOT return an error"; a message "SHOULD
  // return an error, which SHOULD be <service-unavailable/>" (Bounce never answers an error).
  if (ev.stanza.Name() == "message") {
    router.Bounce(ev.stanza, StanzaError(StanzaCondition::kServiceUnavailable));
  }
  // TODO(blocking): an iq get/set from a blocked JID to one of the user's full JIDs MUST get
  // <service-unavailable/>, but the router does not pass inbound iqs through InboundStanza yet.
  return hooks::Flow::kStop;
}

}  // namespace

void RegisterBlockingEnforcement(ModuleContext& ctx) {
  router::Router& router = ctx.Services().router;
  ctx.On<hooks::ClientStanza>([&router](hooks::ClientStanza& ev) { return Outbound(router, ev); },
                              kPriority);
  ctx.On<hooks::InboundStanza>([&router](hooks::InboundStanza& ev) { return Inbound(router, ev); },
                               kPriority);
}

}  // namespace parley::mod
