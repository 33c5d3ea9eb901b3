#include "config/command_line.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace parley::config {

namespace {

// Values given on the command line; an empty optional means "not given".
struct Overrides {
  std::optional<std::string> config_file;
  std::vector<std::string> domains;
  std::optional<std::string> data_dir;
  std::optional<std::string> c2s, c2s_tls, http;
  std::optional<std::string> log_level;
  bool allow_registration = false;
};

std::optional<Endpoint> ListenerFlag(const char* flag, const std::string& text) {
  if (IsDisabledWord(text)) return std::nullopt;
  std::optional<Endpoint> endpoint = ParseEndpoint(text);
  if (!endpoint) {
    throw ConfigError(std::string(flag) +
                      ": expected ADDR:PORT (IPv4 literal or [IPv6] literal, port 1-65535) or "
                      "off, got \"" +
                      text + "\"");
  }
  return endpoint;
}

// --domain replaces the host list; a domain the file also lists keeps the file's settings.
std::vector<HostSettings> ReplaceHosts(const std::vector<HostSettings>& from_file,
                                       const std::vector<std::string>& domains) {
  std::vector<HostSettings> hosts;
  for (const std::string& text : domains) {
    std::optional<std::string> domain = NormaliseDomain(text);
    if (!domain) throw ConfigError("--domain: \"" + text + "\" is not a valid domain name");
    for (const HostSettings& host : hosts) {
      if (host.domain == *domain) throw ConfigError("--domain: \"" + *domain + "\" given twice");
    }
    auto it = std::find_if(from_file.begin(), from_file.end(),
                           [&](const HostSettings& host) { return host.domain == *domain; });
    hosts.push_back(it != from_file.end() ? *it : HostSettings{*domain});
  }
  return hosts;
}

Settings Apply(const Overrides& o) {
  Settings s = o.config_file ? LoadFile(*o.config_file) : DefaultSettings();
  if (!o.domains.empty()) s.hosts = ReplaceHosts(s.hosts, o.domains);
  if (o.allow_registration) {
    for (HostSettings& host : s.hosts) host.allow_registration = true;
  }
  if (o.data_dir) {
    if (o.data_dir->empty()) throw ConfigError("--data-dir: must not be empty");
    s.data_dir = *o.data_dir;
  }
  if (o.c2s) s.c2s = ListenerFlag("--c2s", *o.c2s);
  if (o.c2s_tls) s.c2s_tls = ListenerFlag("--c2s-tls", *o.c2s_tls);
  if (o.http) s.http = ListenerFlag("--http", *o.http);
  if (o.log_level) {
    if (!IsValidLogLevel(*o.log_level)) {
      throw ConfigError(
          "--log-level: expected one of trace, debug, info, warn, error, "
          "critical, off; got \"" +
          *o.log_level + "\"");
    }
    s.log_level = *o.log_level;
  }
  Validate(s);
  return s;
}

}  // namespace

std::optional<Settings> ParseCommandLine(int argc, const char* const* argv, int* exit_code,
                                         std::ostream& out, std::ostream& err) {
  CLI::App app{"Parley XMPP server", "parleyd"};
  app.set_version_flag("--version", "parleyd " + std::string(kVersion));
  Overrides o;
  app.add_option("--config", o.config_file, "TOML configuration file (default: none)")
      ->type_name("FILE");
  app.add_option("--domain", o.domains,
                 "Serve this domain; repeat for several. Replaces the file's host list")
      ->type_name("D")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--data-dir", o.data_dir, "Directory for the database and generated files")
      ->type_name("DIR");
  app.add_option("--c2s", o.c2s, "Client listener (STARTTLS), or 'off'")->type_name("ADDR:PORT");
  app.add_option("--c2s-tls", o.c2s_tls, "Direct-TLS client listener, or 'off'")
      ->type_name("ADDR:PORT");
  app.add_option("--http", o.http, "HTTP listener, or 'off'")->type_name("ADDR:PORT");
  app.add_flag("--allow-registration", o.allow_registration,
               "Allow in-band registration on every host");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical or off")
      ->type_name("LEVEL");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    *exit_code = code == 0 ? kExitOk : kExitUsage;
    return std::nullopt;
  }
  try {
    return Apply(o);
  } catch (const ConfigError& e) {
    err << "parleyd: " << e.what() << "\n";
    *exit_code = kExitConfigError;
    return std::nullopt;
  }
}

std::optional<Settings> ParseCommandLine(int argc, char** argv, int* exit_code) {
  return ParseCommandLine(argc, argv, exit_code, std::cout, std::cerr);
}

}  // namespace parley::config
