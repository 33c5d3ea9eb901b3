// XEP-0191 Blocking Command: the user's block list, kept in ImAccount on the account's home shard
// (modules/roster/im_account.hpp) and written through to the block store on the ordered db pool.
// Every command runs on the home shard, so commands from several resources apply one after the
// other and every interested resource sees every push. The sessions get the new list as their
// BlockList attachment; enforcement.cpp applies it to stanzas.

#include "modules/blocking/blocking.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "hooks/events.hpp"
#include "modules/blocking/enforcement.hpp"
#include "modules/roster/im_account.hpp"
#include "router/router.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/stores.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

// The most JIDs one account may block; the list is loaded with the account and copied per change.
constexpr std::size_t kMaxBlockedJids = 1000;

// The JIDs of a <block/> or <unblock/>, prepared.
stanza::Result<std::vector<std::string>> ParseItems(const xml::Element& command) {
  std::vector<std::string> jids;
  for (const xml::Element& c : command.Children()) {
    if (c.IsText() || c.Name() != "item") continue;
    const std::string* attr = c.Attr("jid");
    if (!attr) return StanzaError(StanzaCondition::kBadRequest, "<item/> without 'jid'");
    std::optional<jid::Jid> jid = jid::Jid::Parse(*attr);
    // §3.3: "Other standard XMPP stanza errors also apply" (RFC 6120 §8.3.3.8).
    if (!jid) return StanzaError(StanzaCondition::kJidMalformed, "Invalid JID: " + *attr);
    jids.push_back(jid->Full());
    if (jids.size() > kMaxBlockedJids) {
      return StanzaError(StanzaCondition::kPolicyViolation, "Too many items");
    }
  }
  return jids;
}

xml::Element Unavailable(const std::string& from, const std::string& to) {
  xml::Element p("presence", std::string(xep::kNsClient));
  p.SetAttr("from", from);
  p.SetAttr("to", to);
  p.SetAttr("type", "unavailable");
  return p;
}

class Blocking final : public Module {
 public:
  std::string_view Name() const override { return "blocking"; }
  std::string_view Implements() const override { return "XEP-0191 Blocking Command 1.3"; }

  void Start(ModuleContext& ctx) override {
    services_ = &ctx.Services();
    // Without the IM stores (a test wiring) the feature is not offered at all.
    if (services_->stores == nullptr || services_->db == nullptr) return;
    ctx.OnIq(
        IqType::kGet, kNsBlocking, "blocklist", [this](IqRequest& req) { Get(req); },
        kScopeAccount);
    ctx.OnIq(
        IqType::kSet, kNsBlocking, "block", [this](IqRequest& req) { Change(req, true); },
        kScopeAccount);
    ctx.OnIq(
        IqType::kSet, kNsBlocking, "unblock", [this](IqRequest& req) { Change(req, false); },
        kScopeAccount);
    ctx.On<hooks::ResourceUnbound>([](hooks::ResourceUnbound& ev) {
      ev.account.Ext<ImAccount>().blocklist_requested.erase(ev.resource.resource);
      return hooks::Flow::kContinue;
    });
    RegisterBlockingEnforcement(ctx);
  }

 private:
  // §3.2-3.5: "an IQ ... with no 'to' address (thus handled by the user's server)".
  static bool OwnList(const IqRequest& req) { return req.To() == req.From().Bare(); }

  // §3.2: the list, and the resource now gets the pushes (§3.3: "all of the user's resources that
  // have requested the blocklist").
  void Get(IqRequest& req) {
    if (!OwnList(req)) {
      req.Error(StanzaError(StanzaCondition::kForbidden));
      return;
    }
    auto shared = std::make_shared<IqRequest>(std::move(req));
    services_->router.WithAccount(shared->From(), [shared](router::AccountState& a) {
      ImAccount& im = a.Ext<ImAccount>();
      if (im.load_failed) {
        shared->Error(StanzaError(StanzaCondition::kInternalServerError));
        return;
      }
      const std::string& resource = shared->From().Resource();
      if (a.FindResource(resource)) im.blocklist_requested.insert(resource);
      xml::Element list("blocklist", std::string(kNsBlocking));
      for (const std::string& jid : im.blocked->jids) list.AddChild("item").SetAttr("jid", jid);
      shared->Result(std::move(list));
    });
  }

  // §3.3 block, §3.4 unblock, §3.5 unblock all (an <unblock/> without items).
  void Change(IqRequest& req, bool block) {
    if (!OwnList(req)) {
      req.Error(StanzaError(StanzaCondition::kForbidden));
      return;
    }
    stanza::Result<std::vector<std::string>> jids = ParseItems(req.Payload());
    if (!jids) {
      req.Error(jids.error());
      return;
    }
    if (block && jids->empty()) {
      // §3.3: "If the <block/> element does not contain at least one <item/> child element, the
      // server MUST return a <bad-request/> error."
      req.Error(StanzaError(StanzaCondition::kBadRequest, "Nothing to block"));
      return;
    }
    auto shared = std::make_shared<IqRequest>(std::move(req));
    services_->router.WithAccount(
        shared->From(), [this, shared, block, jids = std::move(*jids)](router::AccountState& a) {
          Apply(a, *shared, block, jids);
        });
  }

  // Home shard.
  void Apply(router::AccountState& a, IqRequest& req, bool block,
             const std::vector<std::string>& jids) {
    ImAccount& im = a.Ext<ImAccount>();
    if (im.load_failed) {
      // The stored list is unknown: a change now would hide or drop what is stored.
      req.Error(StanzaError(StanzaCondition::kInternalServerError));
      return;
    }
    std::shared_ptr<const BlockList> before = im.blocked;
    auto after = std::make_shared<BlockList>(*before);
    if (block) {
      after->jids.insert(jids.begin(), jids.end());
      if (after->jids.size() > kMaxBlockedJids) {
        req.Error(StanzaError(StanzaCondition::kPolicyViolation, "Block list full"));
        return;
      }
    } else if (jids.empty()) {
      after->jids.clear();
    } else {
      for (const std::string& jid : jids) after->jids.erase(jid);
    }
    im.blocked = after;
    Persist(a.bare, block, jids);
    a.SetAttachment<BlockList>(after);
    services_->router.PushAttachments(a);
    req.Result();
    Push(a, block ? "block" : "unblock", jids);
    PresenceEffects(a, *before, *after);
  }

  void Persist(const jid::Jid& user, bool block, const std::vector<std::string>& jids) {
    storage::Stores* stores = services_->stores;
    services_->db->Post([stores, domain = user.Domain(), local = user.Local(), block, jids] {
      storage::StoreStatus status = block          ? stores->blocks.Add(domain, local, jids)
                                    : jids.empty() ? stores->blocks.Clear(domain, local)
                                                   : stores->blocks.Remove(domain, local, jids);
      if (status != storage::StoreStatus::kOk) {
        spdlog::error("blocking: could not store {}@{}'s block list: {}", local, domain,
                      storage::ToString(status));
      }
    });
  }

  // §3.3-3.5: the command goes as an iq set to every resource that requested the list. Routed
  // (not delivered directly), so that the requester gets the result first.
  void Push(router::AccountState& a, std::string_view command,
            const std::vector<std::string>& jids) {
    ImAccount& im = a.Ext<ImAccount>();
    xml::Element payload{std::string(command), std::string(kNsBlocking)};
    for (const std::string& jid : jids) payload.AddChild("item").SetAttr("jid", jid);
    for (const router::ResourceState& r : a.resources) {
      if (!im.blocklist_requested.count(r.resource)) continue;
      xml::Element iq("iq", std::string(xep::kNsClient));
      iq.SetAttr("type", "set");
      iq.SetAttr("id", "block-push-" + std::to_string(++push_ids_));
      iq.SetAttr("to", a.key + "/" + r.resource);
      iq.AddChild(payload);
      services_->router.Route(std::move(iq));
    }
  }

  // §3.3: on block, "the user's server MUST send unavailable presence information to the JID (but
  // only if the JID is allowed to receive presence notifications from the user)": the contacts
  // with a 'from' or 'both' subscription, and the JIDs a resource sent directed presence to.
  // §3.4: on unblock, "the user's current presence information" to those contacts.
  void PresenceEffects(router::AccountState& a, const BlockList& before, const BlockList& after) {
    if (!a.AnyAvailable()) return;
    ImAccount& im = a.Ext<ImAccount>();
    std::vector<std::string> now_blocked, now_unblocked;
    for (const auto& [contact, item] : im.items) {
      if (!im::ContactReceivesPresence(im.StateOf(contact))) continue;
      std::optional<jid::Jid> c = jid::Jid::Parse(contact);
      if (!c) continue;
      bool was = before.Blocks(*c), is = after.Blocks(*c);
      if (!was && is) now_blocked.push_back(contact);
      if (was && !is) now_unblocked.push_back(contact);
    }
    for (const router::ResourceState& r : a.resources) {
      if (!r.available) continue;
      std::string full = a.key + "/" + r.resource;
      std::set<std::string> unavailable(now_blocked.begin(), now_blocked.end());
      for (const std::string& target : r.directed) {
        std::optional<jid::Jid> t = jid::Jid::Parse(target);
        if (t && !before.Blocks(*t) && after.Blocks(*t)) unavailable.insert(target);
      }
      for (const std::string& to : unavailable) {
        services_->router.Route(Unavailable(full, to));
      }
      if (!r.presence) continue;
      for (const std::string& to : now_unblocked) {
        xml::Element p = *r.presence;
        p.SetAttr("from", full);
        p.SetAttr("to", to);
        services_->router.Route(std::move(p));
      }
    }
  }

  ModuleServices* services_ = nullptr;
  std::atomic<std::uint64_t> push_ids_{0};
};

}  // namespace

std::unique_ptr<Module> MakeBlocking() { return std::make_unique<Blocking>(); }

}  // namespace parley::mod
