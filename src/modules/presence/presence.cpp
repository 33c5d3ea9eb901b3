// RFC 6121 §3 (subscriptions) and §4 (presence): the user's presence goes to the contacts that are
// subscribed to it and to the user's own resources; initial presence probes the contacts the user
// is subscribed to; directed presence is remembered so that an unavailable follows it; a resource
// that disappears (logout, stream error, dead connection) is announced unavailable. All of it runs
// on the account's home shard against ImAccount (modules/roster/im_account.hpp). Subscription state
// changes are decided by the pure state machine in src/im/subscription.hpp.

#include "modules/presence/presence.hpp"

#include <algorithm>
#include <charconv>

#include "hooks/events.hpp"
#include "modules/roster/im_account.hpp"
#include "router/router.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"
#include "xml/serializer.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

// RFC 6121 §4.7.2.3: priority is an integer in -128..127; anything else counts as 0.
int ParsePriority(const xml::Element& presence) {
  const xml::Element* p = presence.Child("priority");
  if (!p) return 0;
  std::string text = p->Text();
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return 0;
  return std::clamp(value, -128, 127);
}

xml::Element Addressed(const xml::Element& stanza, const std::string& from, const std::string& to) {
  xml::Element copy = stanza;
  copy.SetAttr("from", from);
  copy.SetAttr("to", to);
  return copy;
}

xml::Element Bare(std::string_view type, const std::string& from, const std::string& to) {
  xml::Element p("presence", std::string(xep::kNsClient));
  p.SetAttr("from", from);
  p.SetAttr("to", to);
  if (!type.empty()) p.SetAttr("type", std::string(type));
  return p;
}

std::string FullOf(const router::AccountState& a, const router::ResourceState& r) {
  return a.key + "/" + r.resource;
}

class Presence final : public Module {
 public:
  std::string_view Name() const override { return "presence"; }
  std::string_view Implements() const override { return "RFC 6121 §3 subscriptions, §4 presence"; }

  void Start(ModuleContext& ctx) override {
    svc_ = &ctx.Services();
    // The IM modules need the IM stores; without them (unit tests of the registry) they stay out.
    if (svc_->stores == nullptr || svc_->db == nullptr) return;
    hooks_ = ctx.Hooks();
    // RFC 6121 §3.4: subscription pre-approval is supported.
    ctx.AddStreamFeature(xml::Element("sub", "urn:xmpp:features:pre-approval"));
    ctx.On<hooks::ClientStanza>([this](hooks::ClientStanza& ev) { return FromClient(ev); });
    ctx.On<hooks::InboundStanza>([this](hooks::InboundStanza& ev) { return Inbound(ev); });
    ctx.On<hooks::ResourceUnbound>([this](hooks::ResourceUnbound& ev) {
      if (ev.resource.available || !ev.resource.directed.empty()) {
        // §4.5.2 / §4.6.3: the resource went away without saying so; say it for it.
        xml::Element gone("presence", std::string(xep::kNsClient));
        gone.SetAttr("type", "unavailable");
        BroadcastUnavailable(ev.account, ev.resource, gone, /*to_self=*/false);
      }
      return hooks::Flow::kContinue;
    });
  }

 private:
  // ---- Outbound: the user's own presence stanzas (sender's shard) ----

  hooks::Flow FromClient(hooks::ClientStanza& ev) {
    xml::Element& st = ev.stanza;
    if (st.Name() != "presence") return hooks::Flow::kContinue;
    std::string_view type = st.AttrOr("type");
    router::SessionRef ref = ev.session;
    if (!st.Attr("to")) {
      if (type.empty() || type == "unavailable") {
        auto shared = std::make_shared<xml::Element>(std::move(st));
        bool available = type.empty();
        svc_->router.WithAccount(ev.from, [this, shared, ref, available](router::AccountState& a) {
          router::ResourceState* r = a.FindResource(ref);
          if (!r) return;
          if (available) {
            Available(a, *r, *shared);
          } else {
            BroadcastUnavailable(a, *r, *shared, /*to_self=*/true);
          }
        });
      }
      return hooks::Flow::kStop;  // other types without 'to' mean nothing (§4.7.1)
    }
    std::optional<jid::Jid> to = jid::Jid::Parse(*st.Attr("to"));
    if (!to) return hooks::Flow::kContinue;  // the router answers jid-malformed
    if (auto sub = im::ParseSubType(type)) {
      auto shared = std::make_shared<xml::Element>(std::move(st));
      jid::Jid contact = to->Bare();
      svc_->router.WithAccount(ev.from, [this, shared, contact, t = *sub](router::AccountState& a) {
        OutboundSubscription(a, *shared, contact, t);
      });
      return hooks::Flow::kStop;
    }
    if (type.empty() || type == "unavailable") {
      // §4.6: directed presence. Remember it, so that an unavailable follows when the resource
      // leaves (unless the contact gets broadcasts anyway).
      std::string target = to->Full();
      bool available = type.empty();
      svc_->router.WithAccount(
          ev.from, [ref, target, contact = to->BareString(), available](router::AccountState& a) {
            router::ResourceState* r = a.FindResource(ref);
            if (!r) return;
            auto& d = r->directed;
            d.erase(std::remove(d.begin(), d.end(), target), d.end());
            if (available && !im::ContactReceivesPresence(a.Ext<ImAccount>().StateOf(contact))) {
              if (d.size() < 1000) d.push_back(target);
            }
          });
      return hooks::Flow::kContinue;  // routed as it is
    }
    if (type == "probe") return hooks::Flow::kStop;  // probes are the server's business (§4.3)
    return hooks::Flow::kContinue;                   // error: routed
  }

  void Available(router::AccountState& a, router::ResourceState& r, xml::Element presence) {
    ImAccount& im = a.Ext<ImAccount>();
    bool initial = !r.available;
    r.available = true;
    r.priority = ParsePriority(presence);
    std::string full = FullOf(a, r);
    presence.RemoveAttr("to");
    presence.SetAttr("from", full);
    r.presence = std::make_shared<const xml::Element>(presence);
    // §4.2.2 / §4.4.2: to every contact with a subscription from the user...
    for (const auto& [contact, item] : im.items) {
      if (!im::ContactReceivesPresence(im.StateOf(contact))) continue;
      if (auto cj = jid::Jid::Parse(contact); cj && im.blocked->Blocks(*cj)) continue;
      svc_->router.Route(Addressed(presence, full, contact));
    }
    // ...and to all of the user's available resources, the sender included.
    for (const router::ResourceState& o : a.resources) {
      if (!o.available) continue;
      svc_->router.Deliver(o.ref, router::Share(Addressed(presence, full, FullOf(a, o))));
    }
    if (initial) {
      // §4.3: probe the contacts the user is subscribed to; their servers answer with presence.
      for (const auto& [contact, item] : im.items) {
        if (!im::UserProbesContact(im.StateOf(contact))) continue;
        svc_->router.Route(Bare("probe", full, contact));
      }
      // The other resources' presence, and stored subscription requests (§3.1.3), to the new one.
      for (const router::ResourceState& o : a.resources) {
        if (&o == &r || !o.available || !o.presence) continue;
        svc_->router.Deliver(r.ref, router::Share(Addressed(*o.presence, FullOf(a, o), full)));
      }
      for (const auto& [contact, request] : im.pending) {
        auto out = std::make_shared<router::OutStanza>();
        out->bytes = std::make_shared<const std::string>(request);
        svc_->router.Deliver(r.ref, out);
      }
    }
    hooks::ResourceAvailable ev{a, r, initial};
    hooks_->Fire(ev);
  }

  void BroadcastUnavailable(router::AccountState& a, router::ResourceState& r,
                            xml::Element presence, bool to_self) {
    ImAccount& im = a.Ext<ImAccount>();
    std::string full = FullOf(a, r);
    presence.RemoveAttr("to");
    presence.SetAttr("from", full);
    presence.SetAttr("type", "unavailable");
    if (r.available) {
      for (const auto& [contact, item] : im.items) {
        if (!im::ContactReceivesPresence(im.StateOf(contact))) continue;
        svc_->router.Route(Addressed(presence, full, contact));
      }
      for (const router::ResourceState& o : a.resources) {
        if (!o.available || (&o == &r && !to_self)) continue;
        svc_->router.Deliver(o.ref, router::Share(Addressed(presence, full, FullOf(a, o))));
      }
    }
    for (const std::string& target : r.directed) {
      svc_->router.Route(Addressed(presence, full, target));
    }
    r.directed.clear();
    r.available = false;
    r.priority = 0;
    r.presence.reset();
  }

  // §3.1.2, §3.2.2, §3.3.2, §3.4: the user subscribes, approves, unsubscribes or cancels.
  void OutboundSubscription(router::AccountState& a, xml::Element stanza, const jid::Jid& contact,
                            im::SubType type) {
    ImAccount& im = a.Ext<ImAccount>();
    std::string key = contact.BareString();
    if (key == a.key) return;  // subscribing to oneself means nothing
    im::SubState state = im.StateOf(key);
    im::OutboundEffect eff = im::Outbound(state, type);
    if (eff.create_item && !state.in_roster && im.items.size() >= svc_->roster_max_items) {
      stanza.SetAttr("from", a.key);
      svc_->router.Bounce(stanza, StanzaError(StanzaCondition::kPolicyViolation, "Roster full"));
      return;
    }
    const storage::RosterItem* item = nullptr;
    if (!(eff.next == state) || eff.create_item) {
      item = im.ApplyState(*svc_, a.bare, key, eff.next, eff.create_item);
    }
    if (eff.clear_pending) im.ClearPending(*svc_, a.bare, key);
    if (eff.roster_push && item) PushRosterItem(*svc_, a, *item, false);
    if (eff.route) {
      // §3.1.2: stamped with the user's bare JID.
      xml::Element out = Bare(im::ToString(type), a.key, key);
      for (const auto& c : stanza.Children()) out.AddChild(c);  // e.g. <status/>, <nick/>
      svc_->router.Route(std::move(out));
    }
    SendPresenceEffects(a, key, eff.send_current_presence, eff.send_unavailable);
  }

  void SendPresenceEffects(router::AccountState& a, const std::string& contact, bool current,
                           bool unavailable) {
    for (const router::ResourceState& r : a.resources) {
      if (!r.available) continue;
      if (current && r.presence) svc_->router.Route(Addressed(*r.presence, FullOf(a, r), contact));
      if (unavailable) svc_->router.Route(Bare("unavailable", FullOf(a, r), contact));
    }
  }

  // ---- Inbound: presence from others to a local user (its home shard) ----

  hooks::Flow Inbound(hooks::InboundStanza& ev) {
    if (ev.stanza.Name() != "presence") return hooks::Flow::kContinue;
    std::string_view type = ev.stanza.AttrOr("type");
    auto sub = im::ParseSubType(type);
    if (!sub && type != "probe") return hooks::Flow::kContinue;  // available/unavailable: delivered
    std::optional<jid::Jid> from = jid::Jid::Parse(ev.stanza.AttrOr("from"));
    if (!from) return hooks::Flow::kStop;
    auto handle = [this, from = *from, sub](router::AccountState& a, const xml::Element& stanza) {
      ImAccount& im = a.Ext<ImAccount>();
      if (im.blocked->Blocks(from)) return;  // XEP-0191 §3.5: nothing from a blocked entity
      if (sub) {
        InboundSubscription(a, stanza, from.Bare(), *sub);
      } else {
        Probe(a, from);
      }
    };
    if (ev.account && ev.account->loaded) {
      // In line, so that it keeps its place before what follows (e.g. 'subscribed' before the
      // presence that comes with it).
      handle(*ev.account, ev.stanza);
    } else {
      auto shared = std::make_shared<xml::Element>(std::move(ev.stanza));
      svc_->router.WithAccount(ev.to,
                               [handle, shared](router::AccountState& a) { handle(a, *shared); });
    }
    return hooks::Flow::kStop;
  }

  // §4.3.2: answer a probe with the user's current presence when the prober is subscribed to it.
  void Probe(router::AccountState& a, const jid::Jid& prober) {
    ImAccount& im = a.Ext<ImAccount>();
    if (!im::ContactReceivesPresence(im.StateOf(prober.BareString()))) return;
    for (const router::ResourceState& r : a.resources) {
      if (r.available && r.presence) {
        svc_->router.Route(Addressed(*r.presence, FullOf(a, r), prober.Full()));
      }
    }
  }

  void InboundSubscription(router::AccountState& a, const xml::Element& stanza,
                           const jid::Jid& contact, im::SubType type) {
    ImAccount& im = a.Ext<ImAccount>();
    std::string key = contact.BareString();
    im::SubState state = im.StateOf(key);
    im::InboundEffect eff = im::Inbound(state, type);
    if (eff.store_pending && !state.pending_in && im.pending.size() >= svc_->roster_max_items) {
      // Stored requests are bounded like the roster: a flood of strangers' requests is dropped.
      return;
    }
    const storage::RosterItem* item = nullptr;
    if (state.in_roster && !(eff.next == state)) {
      item = im.ApplyState(*svc_, a.bare, key, eff.next, false);
    } else if (eff.create_item) {
      item = im.ApplyState(*svc_, a.bare, key, eff.next, true);
    }
    xml::Element delivered = Addressed(stanza, key, a.key);
    if (eff.store_pending)
      im.StorePending(*svc_, a.bare, key, xml::ToString(delivered, "jabber:client"));
    if (eff.clear_pending) im.ClearPending(*svc_, a.bare, key);
    if (eff.roster_push && item) PushRosterItem(*svc_, a, *item, false);
    if (eff.deliver) {
      router::SharedStanza out = router::Share(std::move(delivered));
      for (const router::ResourceState& r : a.resources) {
        if (r.available) svc_->router.Deliver(r.ref, out);
      }
    }
    if (eff.auto_reply_subscribed) svc_->router.Route(Bare("subscribed", a.key, key));
    SendPresenceEffects(a, key, eff.send_current_presence, eff.send_unavailable);
  }

  ModuleServices* svc_ = nullptr;
  const hooks::Hooks* hooks_ = nullptr;
};

}  // namespace

std::unique_ptr<Module> MakePresence() { return std::make_unique<Presence>(); }

}  // namespace parley::mod
