#pragma once
// The module API. A feature is a Module that, in Start(), registers what it handles through a
// ModuleContext: iq handlers by (type, namespace, element), extra disco features and identities.
// The framework does the wiring: disco features are derived from the handler table, so a feature
// cannot be advertised without a handler (ejabberd's gen_iq_handler; STYLE.md "Shape").

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "hooks/hooks.hpp"
#include "hosts/host.hpp"
#include "jid/jid.hpp"
#include "stanza/error.hpp"
#include "xml/element.hpp"

namespace parley::router {
class Router;
}
namespace parley::storage {
class BlockingPool;
class UserStore;
struct Stores;
}  // namespace parley::storage

namespace parley::mod {

enum class IqType { kGet, kSet };

// Whom a handler answers for (bitmask).
enum IqScope : std::uint8_t {
  kScopeServer = 1,   // iq to the domain
  kScopeAccount = 2,  // iq to an account's bare JID, or without 'to' (RFC 6120 §10.3.3)
  kScopePreAuth = 4,  // iq on a stream that is not authenticated yet (in-band registration)
};

// One iq request and its single answer. Movable, so a handler may answer later from a callback
// (e.g. after storage). Answering twice is ignored; never answering is a bug that the destructor
// logs and answers with <internal-server-error/>.
class IqRequest {
 public:
  using Sender = std::function<void(xml::Element reply)>;
  IqRequest(xml::Element iq, jid::Jid from, jid::Jid to, const hosts::Host* host,
            std::string peer_address, Sender send);
  IqRequest(IqRequest&&) = default;
  IqRequest& operator=(IqRequest&&) = default;
  ~IqRequest();

  const xml::Element& Stanza() const { return *iq_; }
  const xml::Element& Payload() const;
  IqType Type() const;
  // The sender. Empty before authentication (pre-auth scope).
  const jid::Jid& From() const { return from_; }
  // The addressee: the domain, or an account's bare JID.
  const jid::Jid& To() const { return to_; }
  const hosts::Host& Host() const { return *host_; }
  const std::string& PeerAddress() const { return peer_address_; }

  void Result();
  void Result(xml::Element payload);
  void Error(stanza::StanzaError error);
  bool Answered() const { return answered_; }

 private:
  void Send(xml::Element reply);

  std::unique_ptr<xml::Element> iq_;
  jid::Jid from_;
  jid::Jid to_;
  const hosts::Host* host_;
  std::string peer_address_;
  Sender send_;
  bool answered_ = false;
};

using IqHandler = std::function<void(IqRequest& request)>;

// Server-wide services a module may use. Plain references; outlive every module.
struct ModuleServices {
  router::Router& router;
  storage::BlockingPool& pool;
  storage::UserStore& users;
  const hosts::HostTable& hosts;
  std::uint32_t scram_iterations = 4096;
  std::uint32_t registrations_per_address_per_hour = 10;
  // The instant-messaging stores, and the single-threaded pool that runs every write to them so
  // that writes for one account land in the order they were made. Required by the IM modules.
  storage::Stores* stores = nullptr;
  storage::BlockingPool* db = nullptr;
  std::uint32_t roster_max_items = 1000;
  std::uint32_t offline_max_messages = 1000;
  // [muc]: the multi-user chat service (modules/muc). Null: the service is off.
  const config::Settings::Muc* muc = nullptr;
};

struct DiscoIdentity {
  std::string category, type, name;
};

// An entity the server lists in disco#items on one host (XEP-0030 §4), e.g. its MUC service.
struct DiscoItem {
  std::string host;  // the host whose disco#items lists it
  std::string jid, name;
};

class ModuleRegistry;

class ModuleContext {
 public:
  ModuleContext(ModuleRegistry& registry, ModuleServices& services)
      : registry_(registry), services_(services) {}
  // Registers an iq handler for <iq type=...><element xmlns=ns/></iq>. Its namespace becomes a
  // disco feature (unless the scope is pre-auth only).
  void OnIq(IqType type, std::string_view ns, std::string_view element, IqHandler handler,
            std::uint8_t scopes = kScopeServer | kScopeAccount);
  // A feature not tied to an iq handler (e.g. one implemented by the stream layer).
  void AddFeature(std::string var);
  void AddIdentity(DiscoIdentity identity);
  // An item of disco#items on a host (a service sub-domain such as conference.<host>).
  void AddDiscoItem(DiscoItem item);
  // A child of <stream:features/> offered once the client is authenticated (e.g. XEP-0237's
  // <ver/>).
  void AddStreamFeature(xml::Element feature);
  // Subscribes to a typed event (hooks/events.hpp).
  template <typename Event>
  void On(hooks::Hooks::Handler<Event> handler, int priority = 0) {
    MutableHooks().On<Event>(std::move(handler), priority);
  }
  ModuleServices& Services() { return services_; }
  // The hooks table, for modules that fire events of their own (e.g. AccountDeleted).
  const hooks::Hooks* Hooks() const;

 private:
  hooks::Hooks& MutableHooks();
  ModuleRegistry& registry_;
  ModuleServices& services_;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view Name() const = 0;
  // What it implements, e.g. "XEP-0199 1.2" (docs/compliance.md lists these).
  virtual std::string_view Implements() const = 0;
  virtual void Start(ModuleContext& ctx) = 0;
};

}  // namespace parley::mod
