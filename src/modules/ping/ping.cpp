// XEP-0199 XMPP Ping: the server answers pings addressed to it. (Pinging clients to find dead
// connections is done by the c2s session, which owns the connection.)

#include "modules/ping/ping.hpp"

#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {
class Ping final : public Module {
 public:
  std::string_view Name() const override { return "ping"; }
  std::string_view Implements() const override { return "XEP-0199 XMPP Ping 2.0.1"; }
  void Start(ModuleContext& ctx) override {
    ctx.OnIq(IqType::kGet, xep::kNsPing, "ping", [](IqRequest& req) { req.Result(); });
  }
};
}  // namespace

std::unique_ptr<Module> MakePing() { return std::make_unique<Ping>(); }

}  // namespace parley::mod
