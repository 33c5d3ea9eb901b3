#pragma once
// ModuleRegistry: owns the loaded modules and their handler table, and answers stanzas addressed to
// the server (router::ServerHandler). Built at start-up, read-only afterwards, so every shard may
// dispatch through it concurrently. A handler that throws answers <internal-server-error/> and is
// logged; nothing else breaks (DESIGN.md "Errors").

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "modules/module.hpp"
#include "router/router.hpp"

namespace parley::mod {

class ModuleRegistry : public router::ServerHandler {
 public:
  explicit ModuleRegistry(ModuleServices services);
  void Load(std::unique_ptr<Module> module);

  // router::ServerHandler: iq to the domain or to an account's bare JID; message/presence to the
  // server.
  void HandleServerStanza(xml::Element stanza) override;
  // An iq on a stream that is not authenticated yet. Returns false when no pre-auth handler exists
  // for it (the caller then refuses it); otherwise the handler answers through `send`.
  bool HandlePreAuth(xml::Element iq, const hosts::Host& host, std::string peer_address,
                     IqRequest::Sender send);

  std::vector<std::string> Features() const;  // sorted, unique
  const std::vector<DiscoIdentity>& Identities() const { return identities_; }
  const std::vector<DiscoItem>& DiscoItems() const { return disco_items_; }
  const std::vector<xml::Element>& StreamFeatures() const { return stream_features_; }
  const std::vector<std::unique_ptr<Module>>& Modules() const { return modules_; }
  ModuleServices& Services() { return services_; }
  const hooks::Hooks& Hooks() const { return hooks_; }

 private:
  friend class ModuleContext;
  struct Key {
    IqType type;
    std::string ns, element;
    friend auto operator<=>(const Key&, const Key&) = default;
  };
  struct Entry {
    IqHandler handler;
    std::uint8_t scopes;
  };
  const Entry* Find(const xml::Element& iq, std::uint8_t scope) const;
  void Dispatch(const Entry& entry, IqRequest& request) const;

  ModuleServices services_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::map<Key, Entry> handlers_;
  std::set<std::string> extra_features_;
  std::vector<DiscoIdentity> identities_;
  std::vector<DiscoItem> disco_items_;
  std::vector<xml::Element> stream_features_;
  hooks::Hooks hooks_;
};

// The built-in modules, in load order (modules/builtin.cpp). Adding an XEP is one line there.
void LoadBuiltinModules(ModuleRegistry& registry);

}  // namespace parley::mod
