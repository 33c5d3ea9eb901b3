#pragma once
// Loading Settings from TOML. Unknown keys, wrong types and out-of-range values are errors that
// name the source, line and key; nothing is silently ignored. The file layout is documented in
// docs/configuration.md and shown in parley.example.toml.

#include <stdexcept>
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace parley::config {

// A configuration that cannot be used; what() is a one-line message fit for the operator.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads and validates a TOML file. Throws ConfigError.
Settings LoadFile(const std::string& path);

// Same as LoadFile for TOML text; `source_name` prefixes error messages.
Settings LoadString(std::string_view toml_text, std::string_view source_name = "<string>");

// Checks the rules that span several keys (hosts present and unique, listeners distinct, TLS
// certificate and key set together, per-address limits within global ones). LoadFile/LoadString
// call it; call it again after changing Settings by hand. Throws ConfigError.
void Validate(const Settings& settings);

// True for the levels [log] level and --log-level accept: trace, debug, info, warn, error,
// critical, off.
bool IsValidLogLevel(std::string_view level);

}  // namespace parley::config
