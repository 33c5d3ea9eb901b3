#pragma once
#include <string_view>

namespace parley {
inline constexpr std::string_view kParleyVersion = "0.1.0";
}
