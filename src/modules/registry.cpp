#include "modules/registry.hpp"

#include <spdlog/spdlog.h>

#include "net/shard.hpp"
#include "router/router.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/stores.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"

namespace parley::mod {

using stanza::StanzaCondition;
using stanza::StanzaError;

// --- IqRequest ---

IqRequest::IqRequest(xml::Element iq, jid::Jid from, jid::Jid to, const hosts::Host* host,
                     std::string peer_address, Sender send)
    : iq_(std::make_unique<xml::Element>(std::move(iq))),
      from_(std::move(from)),
      to_(std::move(to)),
      host_(host),
      peer_address_(std::move(peer_address)),
      send_(std::move(send)) {}

IqRequest::~IqRequest() {
  if (iq_ && send_ && !answered_) {
    spdlog::error("iq handler for <{} xmlns='{}'/> did not answer", Payload().Name(),
                  Payload().Xmlns());
    Error(StanzaError(StanzaCondition::kInternalServerError));
  }
}

const xml::Element& IqRequest::Payload() const {
  const xml::Element* p = iq_->FirstElement();
  static const xml::Element kEmpty;
  return p ? *p : kEmpty;
}

IqType IqRequest::Type() const {
  return iq_->AttrOr("type") == "set" ? IqType::kSet : IqType::kGet;
}

void IqRequest::Result() { Send(xep::MakeIqResult(*iq_)); }

void IqRequest::Result(xml::Element payload) {
  xml::Element reply = xep::MakeIqResult(*iq_);
  reply.AddChild(std::move(payload));
  Send(std::move(reply));
}

void IqRequest::Error(StanzaError error) { Send(xep::MakeErrorReply(*iq_, error)); }

void IqRequest::Send(xml::Element reply) {
  if (answered_) return;
  answered_ = true;
  if (!reply.Attr("from")) reply.SetAttr("from", to_.Empty() ? host_->domain : to_.Full());
  send_(std::move(reply));
}

// --- ModuleContext ---

void ModuleContext::OnIq(IqType type, std::string_view ns, std::string_view element,
                         IqHandler handler, std::uint8_t scopes) {
  registry_.handlers_[ModuleRegistry::Key{type, std::string(ns), std::string(element)}] =
      ModuleRegistry::Entry{std::move(handler), scopes};
}

const hooks::Hooks* ModuleContext::Hooks() const { return &registry_.Hooks(); }

hooks::Hooks& ModuleContext::MutableHooks() { return registry_.hooks_; }

void ModuleContext::AddFeature(std::string var) {
  registry_.extra_features_.insert(std::move(var));
}

void ModuleContext::AddDiscoItem(DiscoItem item) {
  registry_.disco_items_.push_back(std::move(item));
}

void ModuleContext::AddStreamFeature(xml::Element feature) {
  registry_.stream_features_.push_back(std::move(feature));
}

void ModuleContext::AddIdentity(DiscoIdentity identity) {
  registry_.identities_.push_back(std::move(identity));
}

// --- ModuleRegistry ---

ModuleRegistry::ModuleRegistry(ModuleServices services) : services_(services) {}

void ModuleRegistry::Load(std::unique_ptr<Module> module) {
  ModuleContext ctx(*this, services_);
  module->Start(ctx);
  spdlog::debug("module {} loaded ({})", module->Name(), module->Implements());
  modules_.push_back(std::move(module));
}

std::vector<std::string> ModuleRegistry::Features() const {
  std::set<std::string> all = extra_features_;
  for (const auto& [key, entry] : handlers_) {
    if (entry.scopes & (kScopeServer | kScopeAccount)) all.insert(key.ns);
  }
  return {all.begin(), all.end()};
}

const ModuleRegistry::Entry* ModuleRegistry::Find(const xml::Element& iq,
                                                  std::uint8_t scope) const {
  const xml::Element* payload = iq.FirstElement();
  if (!payload) return nullptr;
  IqType type = iq.AttrOr("type") == "set" ? IqType::kSet : IqType::kGet;
  auto it = handlers_.find(Key{type, payload->Xmlns(), payload->Name()});
  if (it == handlers_.end() || !(it->second.scopes & scope)) return nullptr;
  return &it->second;
}

void ModuleRegistry::Dispatch(const Entry& entry, IqRequest& request) const {
  try {
    entry.handler(request);
  } catch (const std::exception& e) {
    spdlog::error("iq handler for <{} xmlns='{}'/> threw: {}", request.Payload().Name(),
                  request.Payload().Xmlns(), e.what());
    request.Error(StanzaError(StanzaCondition::kInternalServerError));
  }
}

namespace {
// RFC 6120 §8.2.3: get/set carry exactly one payload element and an id.
bool ValidRequest(const xml::Element& iq) {
  if (!iq.Attr("id")) return false;
  int elements = 0;
  for (const auto& c : iq.Children()) elements += c.IsText() ? 0 : 1;
  return elements == 1;
}
}  // namespace

void ModuleRegistry::HandleServerStanza(xml::Element stanza) {
  router::Router& router = services_.router;
  xep::StanzaKind kind = xep::KindOf(stanza);
  std::string_view type = stanza.AttrOr("type");
  std::optional<jid::Jid> from = jid::Jid::Parse(stanza.AttrOr("from"));
  if (!from) return;
  if (kind == xep::StanzaKind::kMessage) {
    // Messages to the server itself: nothing handles them yet.
    if (type != "error" && type != "headline" && type != "groupchat") {
      router.Bounce(stanza, StanzaError(StanzaCondition::kServiceUnavailable));
    }
    return;
  }
  if (kind != xep::StanzaKind::kIq) return;  // presence to the server: nothing to do yet
  if (type == "result" || type == "error") return;
  if (type != "get" && type != "set") {
    router.Bounce(stanza, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  if (!ValidRequest(stanza)) {
    router.Bounce(stanza, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  // Addressee: the domain, or an account's bare JID ('to' absent means the sender's own account).
  jid::Jid to = from->Bare();
  std::uint8_t scope = kScopeAccount;
  if (const std::string* to_attr = stanza.Attr("to")) {
    std::optional<jid::Jid> parsed = jid::Jid::Parse(*to_attr);
    if (!parsed) {
      router.Bounce(stanza, StanzaError(StanzaCondition::kJidMalformed));
      return;
    }
    to = std::move(*parsed);
    scope = to.Local().empty() ? kScopeServer : kScopeAccount;
  }
  const hosts::Host* host = services_.hosts.Find(to.Domain());
  const Entry* entry = host ? Find(stanza, scope) : nullptr;
  if (!entry) {
    // RFC 6120 §8.4: an iq nobody handles gets <service-unavailable/>.
    if (!stanza.Attr("to")) stanza.SetAttr("to", to.Full());
    router.Bounce(stanza, StanzaError(StanzaCondition::kServiceUnavailable));
    return;
  }
  if (scope == kScopeAccount && !(to == from->Bare()) && services_.stores && services_.db) {
    // RFC 6121 §8.5.1: an iq to an account that does not exist is answered by the server with
    // <service-unavailable/>, never on the missing account's behalf.
    net::Shard* shard = net::Shard::Current();
    auto request = std::make_shared<IqRequest>(
        std::move(stanza), std::move(*from), to, host, std::string(),
        [&router](xml::Element reply) { router.Route(std::move(reply)); });
    storage::UserStore* users = &services_.stores->users;
    services_.db->Post([this, shard, request, users, entry, to] {
      bool exists = users->UserExists(to.Domain(), to.Local());
      shard->Post([this, request, entry, exists] {
        if (!exists) {
          request->Error(StanzaError(StanzaCondition::kServiceUnavailable));
        } else {
          Dispatch(*entry, *request);
        }
      });
    });
    return;
  }
  IqRequest request(std::move(stanza), std::move(*from), std::move(to), host, {},
                    [&router](xml::Element reply) { router.Route(std::move(reply)); });
  Dispatch(*entry, request);
}

bool ModuleRegistry::HandlePreAuth(xml::Element iq, const hosts::Host& host,
                                   std::string peer_address, IqRequest::Sender send) {
  std::string_view type = iq.AttrOr("type");
  if ((type != "get" && type != "set") || !ValidRequest(iq)) return false;
  const Entry* entry = Find(iq, kScopePreAuth);
  if (!entry) return false;
  IqRequest request(std::move(iq), jid::Jid(), *jid::Jid::Parse(host.domain), &host,
                    std::move(peer_address), std::move(send));
  Dispatch(*entry, request);
  return true;
}

}  // namespace parley::mod
