// The modules every host gets. Adding a feature is one folder in modules/ and one line here.

#include "modules/blocking/blocking.hpp"
#include "modules/disco/disco.hpp"
#include "modules/muc/muc.hpp"
#include "modules/offline/offline.hpp"
#include "modules/ping/ping.hpp"
#include "modules/presence/presence.hpp"
#include "modules/register/register.hpp"
#include "modules/registry.hpp"
#include "modules/roster/roster.hpp"
#include "modules/vcard/vcard.hpp"
#include "modules/version/version.hpp"
#include "router/router.hpp"

namespace parley::mod {

void LoadBuiltinModules(ModuleRegistry& registry) {
  // The registry answers what is addressed to the server, and its hooks see what the router does.
  registry.Services().router.SetServerHandler(&registry);
  registry.Services().router.SetHooks(&registry.Hooks());
  registry.Load(MakeDisco(registry));
  registry.Load(MakePing());
  registry.Load(MakeVersion());
  registry.Load(MakeRegister());
  registry.Load(MakeRoster());  // first: it registers the IM account loader the others rely on
  registry.Load(MakePresence());
  registry.Load(MakeOffline());
  registry.Load(MakeBlocking());
  registry.Load(MakeVCard());
  registry.Load(MakeMuc());
}

}  // namespace parley::mod
