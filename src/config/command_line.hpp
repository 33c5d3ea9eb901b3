#pragma once
// parleyd's command line: parses argv with CLI11, loads --config when given, applies the flags
// over the file and validates the result. Called once from main() before anything starts.

#include <iosfwd>
#include <optional>
#include <string_view>

#include "config/settings.hpp"
#include "core/version.hpp"

namespace parley::config {

// Exit codes for the cases where ParseCommandLine says the program should stop.
inline constexpr int kExitOk = 0;            // --help, --version
inline constexpr int kExitUsage = 2;         // bad or unknown command-line arguments
inline constexpr int kExitConfigError = 78;  // EX_CONFIG: the configuration cannot be used

// The version --version prints.
inline constexpr std::string_view kVersion = kParleyVersion;

// Returns the settings to run with, or nullopt after setting *exit_code when the program should
// exit (help, version, or an error whose message has already been printed to stderr).
std::optional<Settings> ParseCommandLine(int argc, char** argv, int* exit_code);

// Same, printing help and version to `out` and errors to `err` (for tests).
std::optional<Settings> ParseCommandLine(int argc, const char* const* argv, int* exit_code,
                                         std::ostream& out, std::ostream& err);

}  // namespace parley::config
