// Presence of the user's own resources (RFC 6121 §4.2, §4.5): available/unavailable and priority,
// which the router needs to route messages sent to the bare JID (§8.5.2). Broadcast to contacts and
// probes come with rosters and subscriptions (the IM issue) and will extend this module.

#include "modules/presence/presence.hpp"

#include <algorithm>
#include <charconv>

#include "hooks/events.hpp"
#include "router/router.hpp"

namespace parley::mod {

namespace {

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

class Presence final : public Module {
 public:
  std::string_view Name() const override { return "presence"; }
  std::string_view Implements() const override { return "RFC 6121 §4 (own resources only)"; }

  void Start(ModuleContext& ctx) override {
    router::Router& router = ctx.Services().router;
    ctx.On<hooks::ClientStanza>([&router](hooks::ClientStanza& ev) {
      const xml::Element& st = ev.stanza;
      if (st.Name() != "presence" || st.Attr("to")) return hooks::Flow::kContinue;
      std::string_view type = st.AttrOr("type");
      if (type.empty()) {
        router.SetPresence(ev.from, ev.session, true, ParsePriority(st));
      } else if (type == "unavailable") {
        router.SetPresence(ev.from, ev.session, false, 0);
      }
      return hooks::Flow::kStop;  // presence without 'to' is never routed as such
    });
  }
};

}  // namespace

std::unique_ptr<Module> MakePresence() { return std::make_unique<Presence>(); }

}  // namespace parley::mod
