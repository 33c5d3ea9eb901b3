// XEP-0077 In-Band Registration: account creation before authentication (when the host allows it,
// rate limited per address), and password change and account removal for a logged-in user.
// Credentials are derived (PBKDF2) and stored on the blocking pool, never on an I/O thread.

#include "modules/register/register.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "hooks/events.hpp"
#include "jid/stringprep.hpp"
#include "net/shard.hpp"
#include "router/router.hpp"
#include "sasl/credentials.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/user_store.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod {

namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;

// Counts registrations per source address over a sliding hour. Touched from every shard, but only
// on registration, never on the stanza path, so a mutex is fine here.
class RegistrationLimiter {
 public:
  explicit RegistrationLimiter(std::uint32_t per_hour) : per_hour_(per_hour) {}
  bool Allow(const std::string& address) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);                 // NOLINT(parley-mutex)
    if (by_address_.size() > 100000) by_address_.clear();  // bounded memory under address floods
    auto& times = by_address_[address];
    while (!times.empty() && now - times.front() > std::chrono::hours(1)) times.pop_front();
    if (times.size() >= per_hour_) return false;
    times.push_back(now);
    return true;
  }

 private:
  std::uint32_t per_hour_;
  std::mutex mu_;  // NOLINT(parley-mutex): registration only, never the stanza path
  std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> by_address_;
};

// Runs `job` on the blocking pool and `done(result)` back on the calling shard.
template <typename Job, typename Done>
void OffThread(storage::BlockingPool& pool, Job job, Done done) {
  net::Shard* shard = net::Shard::Current();
  pool.Post([shard, job = std::move(job), done = std::move(done)]() mutable {
    auto result = job();
    shard->Post([done = std::move(done), result = std::move(result)]() mutable { done(result); });
  });
}

class Register final : public Module {
 public:
  std::string_view Name() const override { return "register"; }
  std::string_view Implements() const override { return "XEP-0077 In-Band Registration 2.4"; }

  void Start(ModuleContext& ctx) override {
    services_ = &ctx.Services();
    hooks_ = ctx.Hooks();
    limiter_ = std::make_unique<RegistrationLimiter>(services_->registrations_per_address_per_hour);
    ctx.OnIq(
        IqType::kGet, xep::kNsRegister, "query", [this](IqRequest& req) { Get(req); },
        kScopePreAuth | kScopeAccount | kScopeServer);
    ctx.OnIq(
        IqType::kSet, xep::kNsRegister, "query", [this](IqRequest& req) { Set(req); },
        kScopePreAuth | kScopeAccount | kScopeServer);
  }

 private:
  // XEP-0077 §3.2/§3.3: a logged-in user addresses its server (or its own account).
  static bool ForOwnAccount(const IqRequest& req) {
    return req.To().Local().empty() ? req.To().Domain() == req.From().Domain()
                                    : req.To() == req.From().Bare();
  }

  void Get(IqRequest& req) {
    xml::Element query("query", std::string(xep::kNsRegister));
    if (req.From().Empty()) {
      if (!req.Host().allow_registration) {
        req.Error(StanzaError(StanzaCondition::kServiceUnavailable));
        return;
      }
      query.AddChild("instructions").AddText("Choose a username and password.");
      query.AddChild("username");
      query.AddChild("password");
    } else {
      if (!ForOwnAccount(req)) {
        req.Error(StanzaError(StanzaCondition::kNotAllowed));
        return;
      }
      query.AddChild("registered");
      query.AddChild("username").AddText(req.From().Local());
      query.AddChild("password");
    }
    req.Result(std::move(query));
  }

  void Set(IqRequest& req) {
    const xml::Element& q = req.Payload();
    if (!req.From().Empty() && !ForOwnAccount(req)) {
      req.Error(StanzaError(StanzaCondition::kNotAllowed));
      return;
    }
    if (q.Child("remove")) {
      if (req.From().Empty()) {
        req.Error(StanzaError(StanzaCondition::kNotAuthorized));
        return;
      }
      Remove(req);
      return;
    }
    const xml::Element* user_el = q.Child("username");
    const xml::Element* pass_el = q.Child("password");
    if (!user_el || !pass_el || user_el->Text().empty() || pass_el->Text().empty()) {
      // XEP-0077 §3.1: required information missing.
      req.Error(StanzaError(StanzaCondition::kNotAcceptable, "Username and password required"));
      return;
    }
    std::optional<std::string> username = jid::NodePrep(user_el->Text());
    if (!username || username->empty() || username->size() > 1023) {
      req.Error(StanzaError(StanzaCondition::kJidMalformed, "Invalid username"));
      return;
    }
    if (req.From().Empty()) {
      Create(req, *username, pass_el->Text());
    } else {
      ChangePassword(req, *username, pass_el->Text());
    }
  }

  void Create(IqRequest& req, const std::string& username, const std::string& password) {
    if (!req.Host().allow_registration) {
      req.Error(StanzaError(StanzaCondition::kServiceUnavailable));
      return;
    }
    if (!limiter_->Allow(req.PeerAddress())) {
      spdlog::warn("registration from {} refused: rate limit", req.PeerAddress());
      req.Error(StanzaError(StanzaCondition::kResourceConstraint, stanza::ErrorType::kWait,
                            "Too many registrations from your address; try later"));
      return;
    }
    auto shared = std::make_shared<IqRequest>(std::move(req));
    std::string domain = shared->Host().domain;
    ModuleServices* services = services_;
    OffThread(
        services->pool,
        [services, domain, username, password] {
          auto creds = sasl::DeriveCredentials(password, services->scram_iterations);
          if (!creds) return storage::StoreStatus::kError;
          return services->users.CreateUser(domain, username, *creds);
        },
        [shared, domain, username](storage::StoreStatus status) {
          switch (status) {
            case storage::StoreStatus::kOk:
              spdlog::info("registered {}@{} from {}", username, domain, shared->PeerAddress());
              shared->Result();
              break;
            case storage::StoreStatus::kExists:
              shared->Error(StanzaError(StanzaCondition::kConflict, "Username taken"));
              break;
            default:
              shared->Error(StanzaError(StanzaCondition::kNotAcceptable, "Invalid password"));
          }
        });
  }

  void ChangePassword(IqRequest& req, const std::string& username, const std::string& password) {
    if (username != req.From().Local()) {
      req.Error(StanzaError(StanzaCondition::kNotAllowed, "You can only change your own password"));
      return;
    }
    auto shared = std::make_shared<IqRequest>(std::move(req));
    std::string domain = shared->From().Domain();
    ModuleServices* services = services_;
    OffThread(
        services->pool,
        [services, domain, username, password] {
          auto creds = sasl::DeriveCredentials(password, services->scram_iterations);
          if (!creds) return storage::StoreStatus::kError;
          return services->users.SetCredentials(domain, username, *creds);
        },
        [shared](storage::StoreStatus status) {
          if (status == storage::StoreStatus::kOk) {
            spdlog::info("password changed for {}", shared->From().BareString());
            shared->Result();
          } else {
            shared->Error(StanzaError(StanzaCondition::kNotAcceptable, "Invalid password"));
          }
        });
  }

  void Remove(IqRequest& req) {
    auto shared = std::make_shared<IqRequest>(std::move(req));
    std::string domain = shared->From().Domain();
    std::string username = shared->From().Local();
    ModuleServices* services = services_;
    OffThread(
        services->pool,
        [services, hooks = hooks_, domain, username] {
          storage::StoreStatus status = services->users.DeleteUser(domain, username);
          if (status == storage::StoreStatus::kOk) {
            auto bare = jid::Jid::FromParts(username, domain);
            hooks::AccountDeleted event{*bare};
            hooks->Fire(event);
          }
          return status;
        },
        [shared, services](storage::StoreStatus status) {
          if (status != storage::StoreStatus::kOk) {
            shared->Error(StanzaError(StanzaCondition::kInternalServerError));
            return;
          }
          spdlog::info("account {} removed by its owner", shared->From().BareString());
          shared->Result();
          // XEP-0077 §3.2: the account is gone, so are its sessions (after the result is delivered:
          // both travel through the account's home shard in this order).
          services->router.KickUser(shared->From().Bare(), stanza::StreamCondition::kNotAuthorized,
                                    "Account removed");
        });
  }

  ModuleServices* services_ = nullptr;
  const hooks::Hooks* hooks_ = nullptr;
  std::unique_ptr<RegistrationLimiter> limiter_;
};

}  // namespace

std::unique_ptr<Module> MakeRegister() { return std::make_unique<Register>(); }

}  // namespace parley::mod
