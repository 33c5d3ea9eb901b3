// XEP-0054 vcard-temp: a user stores its vCard and anyone reads it. The server answers for the
// account (RFC 6120 §10.3.3, XEP-0054 §3.3: never forwarded to a resource). The vCard is kept as
// the serialized <vCard/> element; every read and write runs on the ordered db pool, so a read
// after a write sees it, and the answer is posted back to the shard that asked.

#include "modules/vcard/vcard.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "core/check.hpp"
#include "net/shard.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/stores.hpp"
#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

constexpr std::string_view kNsVCard = "vcard-temp";
// A stored vCard is at most this big once serialized (a PHOTO of ~45 KiB fits). Bigger ones are
// refused, so that one account cannot fill the database or every reader's stream.
constexpr std::size_t kMaxVCardBytes = 64 * 1024;

// Parses a vCard written by xml::ToString back into a tree; nullopt if it does not parse.
std::optional<xml::Element> ParseStored(std::string_view text) {
  struct One final : xml::StreamHandler {
    std::optional<xml::Element> element;
    bool failed = false;
    void OnStreamOpen(xml::StreamHeader) override {}
    void OnStanza(xml::Element e) override {
      if (element) failed = true;
      element = std::move(e);
    }
    void OnStreamClose() override {}
    void OnError(xml::ParseError) override { failed = true; }
  } handler;
  xml::StreamParser parser(handler);
  bool ok = parser.Feed(
                "<stream:stream xmlns='jabber:client' "
                "xmlns:stream='http://etherx.jabber.org/streams'>") &&
            parser.Feed(text);
  if (!ok || handler.failed) return std::nullopt;
  return std::move(handler.element);
}

// Runs `job` on `pool` and `done(result)` back on the calling shard.
template <typename Job, typename Done>
void OnPool(storage::BlockingPool& pool, Job job, Done done) {
  net::Shard* shard = net::Shard::Current();
  PARLEY_CHECK(shard != nullptr);
  pool.Post([shard, job = std::move(job), done = std::move(done)]() mutable {
    auto result = job();
    shard->Post([done = std::move(done), result = std::move(result)]() mutable { done(result); });
  });
}

class VCard final : public Module {
 public:
  std::string_view Name() const override { return "vcard"; }
  std::string_view Implements() const override { return "XEP-0054 vcard-temp 1.2"; }

  void Start(ModuleContext& ctx) override {
    services_ = &ctx.Services();
    // Without the IM stores (a test wiring) the feature is not offered at all.
    if (services_->stores == nullptr || services_->db == nullptr) return;
    ctx.OnIq(
        IqType::kGet, kNsVCard, "vCard", [this](IqRequest& req) { Get(req); }, kScopeAccount);
    ctx.OnIq(
        IqType::kSet, kNsVCard, "vCard", [this](IqRequest& req) { Set(req); }, kScopeAccount);
  }

 private:
  // XEP-0054 §3.1 (own vCard: no 'to', or the user's own bare JID) and §3.3 (another account's).
  void Get(IqRequest& req) {
    bool own = req.To() == req.From().Bare();
    auto shared = std::make_shared<IqRequest>(std::move(req));
    storage::Stores* stores = services_->stores;
    std::string domain = shared->To().Domain();
    std::string user = shared->To().Local();
    OnPool(
        *services_->db, [stores, domain, user] { return stores->vcards.Get(domain, user); },
        [shared, own](const std::optional<std::string>& stored) {
          if (!stored) {
            if (own) {
              // §3.1: no vCard yet: "an IQ-result containing an empty <vCard/> element".
              shared->Result(xml::Element("vCard", std::string(kNsVCard)));
            } else {
              // §3.3: "If no vCard exists or the user does not exist, the server MUST return a
              // stanza error, which SHOULD be <service-unavailable/> or <item-not-found/>". The
              // same answer for both, so that it does not tell which accounts exist.
              shared->Error(StanzaError(StanzaCondition::kServiceUnavailable));
            }
            return;
          }
          std::optional<xml::Element> vcard = ParseStored(*stored);
          if (!vcard) {
            spdlog::error("stored vCard of {} does not parse", shared->To().BareString());
            shared->Error(StanzaError(StanzaCondition::kInternalServerError));
            return;
          }
          shared->Result(std::move(*vcard));
        });
  }

  // XEP-0054 §3.2: the whole vCard replaces the stored one.
  void Set(IqRequest& req) {
    if (req.To() != req.From().Bare()) {
      // §3.2: "the server MUST return a stanza error, which SHOULD be <forbidden/> or
      // <not-allowed/>".
      req.Error(StanzaError(StanzaCondition::kForbidden));
      return;
    }
    std::string vcard = xml::ToString(req.Payload());
    if (vcard.size() > kMaxVCardBytes) {
      req.Error(StanzaError(StanzaCondition::kNotAcceptable, "vCard larger than 64 KiB"));
      return;
    }
    auto shared = std::make_shared<IqRequest>(std::move(req));
    storage::Stores* stores = services_->stores;
    std::string domain = shared->From().Domain();
    std::string user = shared->From().Local();
    OnPool(
        *services_->db,
        [stores, domain, user, vcard = std::move(vcard)] {
          return stores->vcards.Set(domain, user, vcard);
        },
        [shared](storage::StoreStatus status) {
          if (status != storage::StoreStatus::kOk) {
            spdlog::error("storing the vCard of {} failed: {}", shared->From().BareString(),
                          storage::ToString(status));
            shared->Error(StanzaError(StanzaCondition::kInternalServerError));
            return;
          }
          shared->Result();
        });
  }

  ModuleServices* services_ = nullptr;
};

}  // namespace

std::unique_ptr<Module> MakeVCard() { return std::make_unique<VCard>(); }

}  // namespace parley::mod
