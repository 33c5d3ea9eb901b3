#pragma once
#include <memory>

#include "modules/module.hpp"

namespace parley::mod {
// XEP-0045 Multi-User Chat: one service per host at <[muc] subdomain>.<host>.
std::unique_ptr<Module> MakeMuc();
}  // namespace parley::mod
