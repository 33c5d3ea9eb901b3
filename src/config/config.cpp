#include "config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace parley::config {
namespace {

// Reads the keys of one TOML table into Settings fields, remembering which keys it consumed so
// that Finish() can reject the rest. Lives for the duration of one Load call.
class SectionReader {
 public:
  SectionReader(const toml::table& table, std::string section, std::string_view source)
      : table_(table), section_(std::move(section)), source_(source) {}

  template <typename T>
  void Unsigned(std::string_view key, T* out, uint64_t min, uint64_t max) {
    const toml::node* node = Take(key);
    if (node == nullptr) return;
    const auto* value = node->as_integer();
    if (value == nullptr) Fail(*node, key, "expected an integer");
    int64_t v = value->get();
    if (v < 0 || static_cast<uint64_t>(v) < min || static_cast<uint64_t>(v) > max) {
      Fail(*node, key,
           "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
               std::to_string(v));
    }
    *out = static_cast<T>(v);
  }

  void Bool(std::string_view key, bool* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) return;
    const auto* value = node->as_boolean();
    if (value == nullptr) Fail(*node, key, "expected true or false");
    *out = value->get();
  }

  // Returns the node so callers can report errors about the value at its line.
  const toml::node* String(std::string_view key, std::string* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) return nullptr;
    const auto* value = node->as_string();
    if (value == nullptr) Fail(*node, key, "expected a string");
    *out = value->get();
    return node;
  }

  void StringList(std::string_view key, std::vector<std::string>* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) return;
    const auto* array = node->as_array();
    if (array == nullptr) Fail(*node, key, "expected an array of strings");
    out->clear();
    for (const toml::node& item : *array) {
      const auto* value = item.as_string();
      if (value == nullptr) Fail(item, key, "expected an array of strings");
      out->push_back(value->get());
    }
  }

  void Listener(std::string_view key, std::optional<Endpoint>* out) {
    std::string text;
    const toml::node* node = String(key, &text);
    if (node == nullptr) return;
    if (IsDisabledWord(text)) {
      out->reset();
      return;
    }
    std::optional<Endpoint> endpoint = ParseEndpoint(text);
    if (!endpoint) {
      Fail(*node, key,
           "expected \"ADDR:PORT\" (IPv4 literal or [IPv6] literal, port 1-65535) or \"off\", "
           "got \"" +
               text + "\"");
    }
    *out = std::move(endpoint);
  }

  // A key of any type (the caller checks it), or nullptr.
  const toml::node* Node(std::string_view key) { return Take(key); }

  // Rejects every key that no reader method asked for.
  void Finish() const {
    for (auto&& [key, node] : table_) {
      if (!taken_.contains(std::string(key.str()))) {
        throw ConfigError(Where(key.source()) + "unknown key '" + Qualified(key.str()) + "'");
      }
    }
  }

  [[noreturn]] void Fail(const toml::node& node, std::string_view key,
                         const std::string& message) const {
    throw ConfigError(Where(node.source()) + Qualified(key) + ": " + message);
  }

  std::string_view Source() const { return source_; }

  std::string Where(const toml::source_region& region) const {
    return std::string(source_) + ":" + std::to_string(region.begin.line) + ": ";
  }

 private:
  const toml::node* Take(std::string_view key) {
    taken_.insert(std::string(key));
    return table_.get(key);
  }

  std::string Qualified(std::string_view key) const {
    return section_.empty() ? std::string(key) : section_ + "." + std::string(key);
  }

  const toml::table& table_;
  std::string section_;
  std::string_view source_;
  std::set<std::string> taken_;
};

// Bounds, also listed in docs/configuration.md.
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;

void ReadServer(SectionReader& r, Settings& s) {
  if (const toml::node* node = r.String("data_dir", &s.data_dir); node && s.data_dir.empty()) {
    r.Fail(*node, "data_dir", "must not be empty");
  }
  r.Unsigned("shards", &s.shards, 0, 256);
  r.Unsigned("storage_threads", &s.storage_threads, 1, 64);
  r.Unsigned("busy_poll_microseconds", &s.busy_poll_microseconds, 0, 10000);
}

void ReadListen(SectionReader& r, Settings& s) {
  r.Listener("c2s", &s.c2s);
  r.Listener("c2s_tls", &s.c2s_tls);
  r.Listener("http", &s.http);
}

void ReadHttp(SectionReader& r, Settings::Http& h) {
  r.Bool("tls", &h.tls);
  r.String("web_root", &h.web_root);
  r.StringList("allowed_origins", &h.allowed_origins);
  r.StringList("trusted_proxies", &h.trusted_proxies);
  r.Unsigned("max_header_bytes", &h.max_header_bytes, 1 * kKiB, 64 * kKiB);
  r.Unsigned("request_timeout_seconds", &h.request_timeout_seconds, 1, 3600);
}

void ReadTls(SectionReader& r, Settings& s) {
  r.String("cert", &s.tls_cert_file);
  r.String("key", &s.tls_key_file);
}

void ReadLog(SectionReader& r, Settings& s) {
  if (const toml::node* node = r.String("level", &s.log_level);
      node && !IsValidLogLevel(s.log_level)) {
    r.Fail(*node, "level",
           "expected one of trace, debug, info, warn, error, critical, off; got \"" + s.log_level +
               "\"");
  }
}

void ReadLimits(SectionReader& r, Settings::Limits& l) {
  r.Unsigned("max_stanza_bytes", &l.max_stanza_bytes, 1 * kKiB, 64 * kMiB);
  r.Unsigned("max_depth", &l.max_depth, 4, 1024);
  r.Unsigned("max_connections", &l.max_connections, 1, 10'000'000);
  r.Unsigned("max_connections_per_address", &l.max_connections_per_address, 1, 10'000'000);
  r.Unsigned("max_send_queue_bytes", &l.max_send_queue_bytes, 4 * kKiB, 1024 * kMiB);
}

void ReadC2s(SectionReader& r, Settings::C2s& c) {
  r.Unsigned("handshake_timeout_seconds", &c.handshake_timeout_seconds, 1, 3600);
  r.Unsigned("ping_interval_seconds", &c.ping_interval_seconds, 1, 86400);
  r.Unsigned("ping_timeout_seconds", &c.ping_timeout_seconds, 1, 3600);
  r.Bool("require_encryption", &c.require_encryption);
}

void ReadSasl(SectionReader& r, Settings::Sasl& s) {
  // RFC 7677 §4: at least 4096 iterations.
  r.Unsigned("scram_iterations", &s.scram_iterations, 4096, 1'000'000);
  r.Bool("strict_downgrade_check", &s.strict_downgrade_check);
  r.Unsigned("max_failures_per_address", &s.max_failures_per_address, 1, 1000);
  r.Unsigned("max_failures_per_account", &s.max_failures_per_account, 1, 1000);
}

void ReadRegistration(SectionReader& r, Settings::Registration& reg) {
  r.Unsigned("per_address_per_hour", &reg.per_address_per_hour, 1, 1'000'000);
}

void ReadRoster(SectionReader& r, Settings::Roster& roster) {
  r.Unsigned("max_items", &roster.max_items, 1, 1'000'000);
}

void ReadOffline(SectionReader& r, Settings::Offline& offline) {
  r.Unsigned("max_messages", &offline.max_messages, 0, 1'000'000);
}

void ReadMuc(SectionReader& r, Settings::Muc& m, std::string_view source) {
  r.Bool("enabled", &m.enabled);
  if (const toml::node* node = r.String("subdomain", &m.subdomain)) {
    std::optional<std::string> label = NormaliseDomain(m.subdomain);
    if (!label || label->find('.') != std::string::npos) {
      r.Fail(*node, "subdomain", "expected one DNS label such as \"conference\"");
    }
    m.subdomain = *label;
  }
  r.Unsigned("max_rooms", &m.max_rooms, 1, 1'000'000);
  r.Unsigned("max_occupants", &m.max_occupants, 1, 100'000);
  r.Unsigned("default_history", &m.default_history, 0, 10'000);
  r.Unsigned("max_history", &m.max_history, 0, 10'000);
  r.Unsigned("max_nick_length", &m.max_nick_length, 1, 1023);
  r.Unsigned("max_subject_length", &m.max_subject_length, 1, 65'536);
  const toml::node* rooms = r.Node("rooms");
  if (rooms == nullptr) return;
  const toml::array* list = rooms->as_array();
  if (list == nullptr) r.Fail(*rooms, "rooms", "expected [[muc.rooms]] tables");
  m.rooms.clear();
  for (const toml::node& item : *list) {
    const toml::table* table = item.as_table();
    if (table == nullptr) r.Fail(item, "rooms", "expected [[muc.rooms]] tables");
    Settings::MucRoom room;
    SectionReader rr(*table, "muc.rooms", source);
    const toml::node* name = rr.String("name", &room.name);
    rr.String("title", &room.title);
    rr.String("description", &room.description);
    rr.Finish();
    if (name == nullptr) r.Fail(item, "rooms", "a room needs a name");
    // A room name is a JID local part: keep to a safe, lower-case subset.
    bool ok = !room.name.empty() && room.name.size() <= 64;
    for (char c : room.name) {
      ok = ok &&
           ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    }
    if (!ok) rr.Fail(*name, "name", "expected 1-64 of a-z 0-9 - _ . , got \"" + room.name + "\"");
    for (const auto& other : m.rooms) {
      if (other.name == room.name) rr.Fail(*name, "name", "duplicate room \"" + room.name + "\"");
    }
    if (room.title.size() > 256) rr.Fail(*name, "title", "longer than 256 bytes");
    if (room.description.size() > 1024) rr.Fail(*name, "description", "longer than 1024 bytes");
    m.rooms.push_back(std::move(room));
  }
}

void ReadHosts(const toml::table& hosts, std::string_view source, Settings& s) {
  // toml::table is ordered by key; keep the order of the file instead.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [key, node] : hosts) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  SectionReader where(hosts, "hosts", source);
  for (const auto& [key, node] : entries) {
    std::string prefix = where.Where(key->source()) + "hosts.\"" + std::string(key->str()) + "\"";
    std::optional<std::string> domain = NormaliseDomain(key->str());
    if (!domain) throw ConfigError(prefix + ": not a valid domain name");
    if (s.FindHost(*domain) != nullptr) {
      throw ConfigError(prefix + ": duplicate host \"" + *domain + "\"");
    }
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      throw ConfigError(prefix + ": expected a table ([hosts.\"" + *domain + "\"])");
    }
    HostSettings host{*domain};
    SectionReader r(*table, "hosts.\"" + *domain + "\"", source);
    r.Bool("allow_registration", &host.allow_registration);
    r.Finish();
    s.hosts.push_back(std::move(host));
  }
  if (s.hosts.empty()) {
    throw ConfigError(std::string(source) + ": [hosts] is present but lists no host");
  }
}

Settings LoadTable(const toml::table& root, std::string_view source) {
  Settings s;
  using Reader = void (*)(SectionReader&, Settings&);
  struct Section {
    std::string_view name;
    Reader read;
  };
  static constexpr Section kSections[] = {
      {"server", ReadServer},
      {"listen", ReadListen},
      {"tls", ReadTls},
      {"log", ReadLog},
      {"limits", [](SectionReader& r, Settings& s) { ReadLimits(r, s.limits); }},
      {"c2s", [](SectionReader& r, Settings& s) { ReadC2s(r, s.c2s_options); }},
      {"sasl", [](SectionReader& r, Settings& s) { ReadSasl(r, s.sasl); }},
      {"registration", [](SectionReader& r, Settings& s) { ReadRegistration(r, s.registration); }},
      {"http", [](SectionReader& r, Settings& s) { ReadHttp(r, s.http_options); }},
      {"roster", [](SectionReader& r, Settings& s) { ReadRoster(r, s.roster); }},
      {"offline", [](SectionReader& r, Settings& s) { ReadOffline(r, s.offline); }},
      {"muc", [](SectionReader& r, Settings& s) { ReadMuc(r, s.muc, r.Source()); }},
  };

  SectionReader top(root, "", source);
  for (const Section& section : kSections) {
    const toml::node* node = root.get(section.name);
    if (node == nullptr) continue;
    const toml::table* table = node->as_table();
    if (table == nullptr)
      top.Fail(*node, section.name, "expected a table ([" + std::string(section.name) + "])");
    SectionReader r(*table, std::string(section.name), source);
    section.read(r, s);
    r.Finish();
  }
  if (const toml::node* node = root.get("hosts")) {
    const toml::table* table = node->as_table();
    if (table == nullptr) top.Fail(*node, "hosts", "expected [hosts.\"example.org\"] tables");
    ReadHosts(*table, source, s);
  } else {
    s.hosts.push_back(HostSettings{"localhost"});
  }
  for (auto&& [key, node] : root) {
    bool known = key.str() == "hosts" ||
                 std::any_of(std::begin(kSections), std::end(kSections),
                             [&](const Section& section) { return section.name == key.str(); });
    if (!known) {
      throw ConfigError(top.Where(key.source()) + "unknown " +
                        (node.is_table() ? "section [" : "key '") + std::string(key.str()) +
                        (node.is_table() ? "]" : "'"));
    }
  }
  Validate(s);
  return s;
}

}  // namespace

bool IsValidLogLevel(std::string_view level) {
  static constexpr std::array<std::string_view, 7> kLevels{"trace", "debug",    "info", "warn",
                                                           "error", "critical", "off"};
  return std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end();
}

void Validate(const Settings& s) {
  if (s.hosts.empty()) throw ConfigError("no host configured");
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    const std::string& domain = s.hosts[i].domain;
    std::optional<std::string> normalised = NormaliseDomain(domain);
    if (!normalised || *normalised != domain) {
      throw ConfigError("host \"" + domain + "\" is not a valid, lower-case domain name");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (s.hosts[j].domain == domain) throw ConfigError("duplicate host \"" + domain + "\"");
    }
  }
  if (s.data_dir.empty()) throw ConfigError("data_dir must not be empty");
  for (const auto& host : s.hosts) {
    if (s.muc.enabled && s.FindHost(s.muc.subdomain + "." + host.domain) != nullptr) {
      throw ConfigError("the MUC service " + s.muc.subdomain + "." + host.domain +
                        " is also configured as a host");
    }
  }
  if (s.muc.default_history > s.muc.max_history) {
    throw ConfigError("muc.default_history (" + std::to_string(s.muc.default_history) +
                      ") exceeds muc.max_history (" + std::to_string(s.muc.max_history) + ")");
  }
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    throw ConfigError("tls.cert and tls.key must be set together (or both left empty)");
  }
  if (!IsValidLogLevel(s.log_level)) {
    throw ConfigError("log level \"" + s.log_level +
                      "\" is not one of trace, debug, info, warn, error, critical, off");
  }
  if (s.limits.max_connections_per_address > s.limits.max_connections) {
    throw ConfigError("limits.max_connections_per_address (" +
                      std::to_string(s.limits.max_connections_per_address) +
                      ") exceeds limits.max_connections (" +
                      std::to_string(s.limits.max_connections) + ")");
  }
  const std::array<std::pair<const char*, const std::optional<Endpoint>*>, 3> listeners{
      {{"c2s", &s.c2s}, {"c2s_tls", &s.c2s_tls}, {"http", &s.http}}};
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = *listeners[i].second;
      const auto& b = *listeners[j].second;
      if (a && b && a->port == b->port && a->address == b->address) {
        throw ConfigError(std::string("listeners ") + listeners[j].first + " and " +
                          listeners[i].first + " both use " + a->ToString());
      }
    }
  }
}

Settings LoadString(std::string_view toml_text, std::string_view source_name) {
  try {
    toml::table root = toml::parse(toml_text, source_name);
    return LoadTable(root, source_name);
  } catch (const toml::parse_error& e) {
    throw ConfigError(std::string(source_name) + ":" + std::to_string(e.source().begin.line) + ":" +
                      std::to_string(e.source().begin.column) + ": " +
                      std::string(e.description()));
  }
}

Settings LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read configuration file");
  return LoadString(text.str(), path);
}

}  // namespace parley::config
