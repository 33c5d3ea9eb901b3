// XEP-0160 Best Practices for Handling Offline Messages: a normal or chat message for an account
// with no available resource is stored with a XEP-0203 <delay/> and delivered, in order, when a
// resource becomes available with a non-negative priority. Stored messages are deleted only after
// they were handed to the session, so a crash in between loses nothing (they may come twice
// instead). A full store answers the sender with <resource-constraint/>; a message for an account
// that does not exist gets <service-unavailable/> (RFC 6121 §8.5.1).

#include "modules/offline/offline.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "core/check.hpp"
#include "hooks/events.hpp"
#include "modules/roster/im_account.hpp"
#include "net/shard.hpp"
#include "router/router.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/stores.hpp"
#include "xml/serializer.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

constexpr std::size_t kBatch = 200;

// XEP-0082 date-time in UTC with milliseconds.
std::string Stamp(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Per-account delivery state (home shard).
struct OfflineState {
  bool flushing = false;
};

class Offline final : public Module {
 public:
  std::string_view Name() const override { return "offline"; }
  std::string_view Implements() const override {
    return "XEP-0160 Offline Messages 1.0.1; XEP-0203 Delayed Delivery 2.0";
  }

  void Start(ModuleContext& ctx) override {
    svc_ = &ctx.Services();
    // The IM modules need the IM stores; without them (unit tests of the registry) they stay out.
    if (svc_->stores == nullptr || svc_->db == nullptr) return;
    ctx.AddFeature("msgoffline");  // XEP-0160 §5: the disco feature
    ctx.On<hooks::Undeliverable>([this](hooks::Undeliverable& ev) { return Store(ev); });
    ctx.On<hooks::ResourceAvailable>([this](hooks::ResourceAvailable& ev) {
      if (ev.resource.priority >= 0) Flush(ev.account, ev.resource.ref);
      return hooks::Flow::kContinue;
    });
  }

 private:
  hooks::Flow Store(hooks::Undeliverable& ev) {
    std::string_view type = ev.stanza.AttrOr("type", "normal");
    // XEP-0160 §3: normal and chat messages are stored; groupchat, headline and error are not.
    if ((type != "normal" && type != "chat") || svc_->offline_max_messages == 0) {
      return hooks::Flow::kContinue;
    }
    xml::Element msg = ev.stanza;
    auto& delay = msg.AddChild("delay", "urn:xmpp:delay");
    delay.SetAttr("from", ev.to.Domain());
    delay.SetAttr("stamp", Stamp(std::chrono::system_clock::now()));
    delay.AddText("Offline storage");
    auto original = std::make_shared<xml::Element>(ev.stanza);
    auto bytes = std::make_shared<std::string>(xml::ToString(msg, "jabber:client"));
    std::optional<jid::Jid> sender = jid::Jid::Parse(ev.stanza.AttrOr("from"));
    ModuleServices* svc = svc_;
    jid::Jid user = ev.to.Bare();
    svc->router.WithAccount(user, [svc, original, bytes, sender, user](router::AccountState& a) {
      if (sender && a.Ext<ImAccount>().blocked->Blocks(*sender)) {
        svc->router.Bounce(*original, StanzaError(StanzaCondition::kServiceUnavailable));
        return;
      }
      net::Shard* home = net::Shard::Current();
      svc->db->Post([svc, home, original, bytes, user] {
        storage::StoreStatus status = svc->stores->offline.Push(user.Domain(), user.Local(), *bytes,
                                                                svc->offline_max_messages);
        spdlog::debug("offline: storing a message for {}: {}", user.BareString(),
                      storage::ToString(status));
        if (status == storage::StoreStatus::kOk) return;
        home->Post([svc, original, status] {
          if (status == storage::StoreStatus::kFull) {
            svc->router.Bounce(*original,
                               StanzaError(StanzaCondition::kResourceConstraint,
                                           stanza::ErrorType::kWait, "Offline storage full"));
          } else {
            // No such account (RFC 6121 §8.5.1), or storage failed.
            svc->router.Bounce(*original, StanzaError(StanzaCondition::kServiceUnavailable));
          }
        });
      });
    });
    return hooks::Flow::kStop;
  }

  // Delivers stored messages to one resource, oldest first, in batches; each batch is deleted only
  // after it was handed to the session.
  void Flush(router::AccountState& a, router::SessionRef ref) {
    OfflineState& st = a.Ext<OfflineState>();
    if (st.flushing) return;
    st.flushing = true;
    ModuleServices* svc = svc_;
    net::Shard* home = net::Shard::Current();
    jid::Jid user = a.bare;
    svc->db->Post([this, svc, home, user, ref] {
      auto batch = std::make_shared<std::vector<storage::OfflineMessage>>(
          svc->stores->offline.Fetch(user.Domain(), user.Local(), kBatch));
      home->Post([this, svc, user, ref, batch] {
        svc->router.WithAccount(user, [this, svc, user, ref, batch](router::AccountState& a) {
          a.Ext<OfflineState>().flushing = false;
          router::ResourceState* r = a.FindResource(ref);
          if (!r || !r->available || r->priority < 0 || batch->empty()) return;
          for (const auto& m : *batch) {
            auto out = std::make_shared<router::OutStanza>();
            out->bytes = std::make_shared<const std::string>(m.stanza);
            svc->router.Deliver(ref, out);
          }
          std::int64_t last = batch->back().id;
          bool more = batch->size() == kBatch;
          svc->db->Post([svc, user, last] {
            svc->stores->offline.DeleteUpTo(user.Domain(), user.Local(), last);
          });
          spdlog::debug("offline: delivered {} message(s) to {}", batch->size(), user.BareString());
          // The next batch is fetched behind the delete on the same ordered pool.
          if (more) Flush(a, ref);
        });
      });
    });
  }

  ModuleServices* svc_ = nullptr;
};

}  // namespace

std::unique_ptr<Module> MakeOffline() { return std::make_unique<Offline>(); }

}  // namespace parley::mod
