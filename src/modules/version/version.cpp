// XEP-0092 Software Version: name and version of the server. The operating system is not disclosed
// (XEP-0092 §3: <os/> is optional, and telling it helps attackers).

#include "modules/version/version.hpp"

#include "core/version.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {
class Version final : public Module {
 public:
  std::string_view Name() const override { return "version"; }
  std::string_view Implements() const override { return "XEP-0092 Software Version 1.1"; }
  void Start(ModuleContext& ctx) override {
    ctx.OnIq(
        IqType::kGet, xep::kNsVersion, "query",
        [](IqRequest& req) {
          xml::Element query("query", std::string(xep::kNsVersion));
          query.AddChild("name").AddText("Parley");
          query.AddChild("version").AddText(std::string(kParleyVersion));
          req.Result(std::move(query));
        },
        kScopeServer);
  }
};
}  // namespace

std::unique_ptr<Module> MakeVersion() { return std::make_unique<Version>(); }

}  // namespace parley::mod
