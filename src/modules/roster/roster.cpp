// RFC 6121 §2 roster management with XEP-0237 roster versioning. Every roster operation runs on the
// account's home shard against its ImAccount, so concurrent changes from several resources are
// applied one after the other and each interested resource gets every push in order.

#include "modules/roster/roster.hpp"

#include <set>

#include "modules/roster/im_account.hpp"
#include "router/router.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

constexpr std::string_view kNsRoster = "jabber:iq:roster";
constexpr std::size_t kMaxNameBytes = 1023;
constexpr std::size_t kMaxGroups = 64;

xml::Element Presence(std::string_view type, const std::string& from, const std::string& to) {
  xml::Element p("presence", std::string(xep::kNsClient));
  p.SetAttr("from", from);
  p.SetAttr("to", to);
  if (!type.empty()) p.SetAttr("type", std::string(type));
  return p;
}

class Roster final : public Module {
 public:
  std::string_view Name() const override { return "roster"; }
  std::string_view Implements() const override {
    return "RFC 6121 §2 rosters; XEP-0237 Roster Versioning 1.3";
  }

  void Start(ModuleContext& ctx) override {
    services_ = &ctx.Services();
    // The IM modules need the IM stores; without them (unit tests of the registry) they stay out.
    if (services_->stores == nullptr || services_->db == nullptr) return;
    RegisterImAccountLoader(*services_);
    ctx.AddStreamFeature(xml::Element("ver", "urn:xmpp:features:rosterver"));
    ctx.OnIq(
        IqType::kGet, kNsRoster, "query", [this](IqRequest& req) { Get(req); }, kScopeAccount);
    ctx.OnIq(
        IqType::kSet, kNsRoster, "query", [this](IqRequest& req) { Set(req); }, kScopeAccount);
  }

 private:
  // RFC 6121 §2.1.3: only the user may read or change the roster.
  static bool OwnRoster(const IqRequest& req) { return req.To() == req.From().Bare(); }

  void Get(IqRequest& req) {
    if (!OwnRoster(req)) {
      req.Error(StanzaError(StanzaCondition::kForbidden));
      return;
    }
    auto shared = std::make_shared<IqRequest>(std::move(req));
    std::string resource = shared->From().Resource();
    services_->router.WithAccount(shared->From(), [shared, resource](router::AccountState& a) {
      ImAccount& im = a.Ext<ImAccount>();
      if (router::ResourceState* r = a.FindResource(resource)) r->roster_requested = true;
      std::string version = std::to_string(im.roster_version);
      const std::string* asked = shared->Payload().Attr("ver");
      if (asked && *asked == version) {
        // XEP-0237 §2.4: up to date; changes will come as pushes.
        shared->Result();
        return;
      }
      xml::Element query("query", std::string(kNsRoster));
      query.SetAttr("ver", version);
      for (const auto& [jid, item] : im.items) query.AddChild(RosterItemElement(item));
      shared->Result(std::move(query));
    });
  }

  void Set(IqRequest& req) {
    if (!OwnRoster(req)) {
      req.Error(StanzaError(StanzaCondition::kForbidden));
      return;
    }
    // RFC 6121 §2.3.3: exactly one <item/>, with a valid JID.
    const xml::Element* item_el = nullptr;
    int count = 0;
    for (const auto& c : req.Payload().Children()) {
      if (c.IsText()) continue;
      if (c.Name() != "item") {
        req.Error(StanzaError(StanzaCondition::kBadRequest));
        return;
      }
      item_el = &c;
      ++count;
    }
    if (count != 1) {
      req.Error(StanzaError(StanzaCondition::kBadRequest, "Exactly one item expected"));
      return;
    }
    auto contact = jid::Jid::Parse(item_el->AttrOr("jid"));
    if (!contact || !contact->IsBare()) {
      req.Error(StanzaError(StanzaCondition::kBadRequest, "Invalid JID"));
      return;
    }
    bool remove = item_el->AttrOr("subscription") == "remove";
    storage::RosterItem wanted;
    wanted.jid = contact->BareString();
    wanted.name = std::string(item_el->AttrOr("name"));
    if (wanted.name.size() > kMaxNameBytes) {
      req.Error(StanzaError(StanzaCondition::kNotAcceptable, "Name too long"));
      return;
    }
    std::set<std::string> groups;
    for (const auto& c : item_el->Children()) {
      if (c.IsText() || c.Name() != "group") continue;
      std::string g = c.Text();
      if (g.empty() || g.size() > kMaxNameBytes) {
        req.Error(StanzaError(StanzaCondition::kNotAcceptable, "Invalid group name"));
        return;
      }
      if (!groups.insert(g).second) {
        req.Error(StanzaError(StanzaCondition::kBadRequest, "Duplicate group"));
        return;
      }
    }
    if (groups.size() > kMaxGroups) {
      req.Error(StanzaError(StanzaCondition::kNotAcceptable, "Too many groups"));
      return;
    }
    wanted.groups.assign(groups.begin(), groups.end());
    auto shared = std::make_shared<IqRequest>(std::move(req));
    ModuleServices* svc = services_;
    svc->router.WithAccount(shared->From(), [svc, shared, wanted = std::move(wanted),
                                             remove](router::AccountState& a) mutable {
      if (remove) {
        Remove(*svc, a, *shared, wanted.jid);
      } else {
        Update(*svc, a, *shared, std::move(wanted));
      }
    });
  }

  static void Update(ModuleServices& svc, router::AccountState& a, IqRequest& req,
                     storage::RosterItem wanted) {
    ImAccount& im = a.Ext<ImAccount>();
    auto it = im.items.find(wanted.jid);
    if (it == im.items.end() && im.items.size() >= svc.roster_max_items) {
      req.Error(StanzaError(StanzaCondition::kPolicyViolation,
                            "Roster full (" + std::to_string(svc.roster_max_items) + " items)"));
      return;
    }
    if (it != im.items.end()) {
      // §2.3.2: the client may change name and groups, never the subscription state.
      wanted.subscription = it->second.subscription;
      wanted.pending_out = it->second.pending_out;
      wanted.pending_in = it->second.pending_in;
      wanted.preapproved = it->second.preapproved;
    }
    im.PutItem(svc, a.bare, wanted);
    req.Result();
    PushRosterItem(svc, a, wanted, false);
  }

  static void Remove(ModuleServices& svc, router::AccountState& a, IqRequest& req,
                     const std::string& contact) {
    ImAccount& im = a.Ext<ImAccount>();
    auto it = im.items.find(contact);
    if (it == im.items.end()) {
      req.Error(StanzaError(StanzaCondition::kItemNotFound));  // §2.5.3
      return;
    }
    storage::RosterItem item = it->second;
    im::SubState state = im.StateOf(contact);
    // §2.5.2: removing a contact cancels both directions of the subscription.
    if (state.sub == im::Sub::kTo || state.sub == im::Sub::kBoth || state.pending_out) {
      RouteStanza(svc, Presence("unsubscribe", a.key, contact));
    }
    if (state.sub == im::Sub::kFrom || state.sub == im::Sub::kBoth || state.pending_in) {
      if (im::ContactReceivesPresence(state)) {
        for (const router::ResourceState& r : a.resources) {
          if (r.available)
            RouteStanza(svc, Presence("unavailable", a.key + "/" + r.resource, contact));
        }
      }
      RouteStanza(svc, Presence("unsubscribed", a.key, contact));
    }
    im.ClearPending(svc, a.bare, contact);
    im.RemoveItem(svc, a.bare, contact);
    req.Result();
    PushRosterItem(svc, a, item, true);
  }

  ModuleServices* services_ = nullptr;
};

}  // namespace

std::unique_ptr<Module> MakeRoster() { return std::make_unique<Roster>(); }

}  // namespace parley::mod
