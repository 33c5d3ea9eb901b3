#pragma once
#include <memory>

#include "modules/module.hpp"

namespace parley::mod {
std::unique_ptr<Module> MakeVCard();
}
