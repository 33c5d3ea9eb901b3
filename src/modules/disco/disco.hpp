#pragma once
#include <memory>

#include "modules/module.hpp"

namespace parley::mod {
class ModuleRegistry;
std::unique_ptr<Module> MakeDisco(const ModuleRegistry& registry);
}  // namespace parley::mod
