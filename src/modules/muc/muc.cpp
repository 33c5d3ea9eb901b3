// XEP-0045 Multi-User Chat: one service per host, on <[muc] subdomain>.<host>, registered with
// the router as a service domain and listed in the host's disco#items (§6.1). The rooms and what
// happens in them are in room*.cpp; how stanzas reach them is in service.cpp and
// docs/architecture/muc.md.

#include "modules/muc/muc.hpp"

#include "hooks/events.hpp"
#include "modules/muc/service.hpp"
#include "router/router.hpp"

namespace parley::mod {

namespace {

class Muc final : public Module {
 public:
  std::string_view Name() const override { return "muc"; }
  std::string_view Implements() const override { return "XEP-0045 Multi-User Chat 1.34"; }

  void Start(ModuleContext& ctx) override {
    ModuleServices& svc = ctx.Services();
    const config::Settings::Muc* settings = svc.muc;
    if (settings == nullptr || !settings->enabled) return;
    muc::Limits limits{settings->max_occupants, settings->default_history, settings->max_history,
                       settings->max_nick_length, settings->max_subject_length};
    std::vector<muc::PredefinedRoom> predefined;
    for (const auto& r : settings->rooms) predefined.push_back({r.name, r.title, r.description});
    for (const std::string& host : svc.hosts.Domains()) {
      std::string domain = settings->subdomain + "." + host;
      auto service = std::make_unique<muc::Service>(svc, host, domain, limits, settings->max_rooms);
      service->LoadRooms(predefined);
      svc.router.AddService(domain, service.get());
      ctx.AddDiscoItem({host, domain, "Chatrooms"});
      services_.push_back(std::move(service));
    }
    // A session that ends leaves its rooms (the others see it go unavailable).
    ctx.On<hooks::ResourceUnbound>([this](hooks::ResourceUnbound& ev) {
      std::optional<jid::Jid> full = ev.account.bare.WithResource(ev.resource.resource);
      if (full) {
        for (auto& service : services_) service->SessionGone(*full);
      }
      return hooks::Flow::kContinue;
    });
  }

 private:
  std::vector<std::unique_ptr<muc::Service>> services_;
};

}  // namespace

std::unique_ptr<Module> MakeMuc() { return std::make_unique<Muc>(); }

}  // namespace parley::mod
