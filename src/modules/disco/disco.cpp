// XEP-0030 Service Discovery. The server's features are read from the module registry's handler
// table, so what is advertised is exactly what is handled.

#include "modules/disco/disco.hpp"

#include "modules/registry.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {
class Disco final : public Module {
 public:
  explicit Disco(const ModuleRegistry& registry) : registry_(registry) {}
  std::string_view Name() const override { return "disco"; }
  std::string_view Implements() const override { return "XEP-0030 Service Discovery 2.5rc3"; }

  void Start(ModuleContext& ctx) override {
    ctx.AddIdentity({"server", "im", "Parley"});
    ctx.OnIq(IqType::kGet, xep::kNsDiscoInfo, "query", [this](IqRequest& req) { Info(req); });
    ctx.OnIq(IqType::kGet, xep::kNsDiscoItems, "query", [this](IqRequest& req) {
      if (req.Payload().Attr("node")) {
        req.Error(stanza::StanzaError(stanza::StanzaCondition::kItemNotFound));
        return;
      }
      // The host's services (e.g. MUC, XEP-0045 §6.1); an account has no items.
      xml::Element query("query", std::string(xep::kNsDiscoItems));
      if (req.To().Local().empty()) {
        for (const DiscoItem& item : registry_.DiscoItems()) {
          if (item.host != req.To().Domain()) continue;
          auto& e = query.AddChild("item").SetAttr("jid", item.jid);
          if (!item.name.empty()) e.SetAttr("name", item.name);
        }
      }
      req.Result(std::move(query));
    });
  }

 private:
  void Info(IqRequest& req) {
    if (req.Payload().Attr("node")) {
      req.Error(stanza::StanzaError(stanza::StanzaCondition::kItemNotFound));
      return;
    }
    xml::Element query("query", std::string(xep::kNsDiscoInfo));
    if (req.To().Local().empty()) {
      for (const DiscoIdentity& id : registry_.Identities()) {
        auto& e = query.AddChild("identity");
        e.SetAttr("category", id.category).SetAttr("type", id.type).SetAttr("name", id.name);
      }
    } else {
      // XEP-0030 §3.1 / disco registry: an account answers as account/registered. Only the
      // account's owner may look (others get the same answer whether or not it exists).
      if (!(req.From().Bare() == req.To().Bare())) {
        req.Error(stanza::StanzaError(stanza::StanzaCondition::kServiceUnavailable));
        return;
      }
      query.AddChild("identity").SetAttr("category", "account").SetAttr("type", "registered");
    }
    for (const std::string& f : registry_.Features()) {
      query.AddChild("feature").SetAttr("var", f);
    }
    req.Result(std::move(query));
  }

  const ModuleRegistry& registry_;
};
}  // namespace

std::unique_ptr<Module> MakeDisco(const ModuleRegistry& registry) {
  return std::make_unique<Disco>(registry);
}

}  // namespace parley::mod
