#pragma once
// Plain settings structs for the whole server. A test fills them in by hand; LoadFile/LoadString
// (config.hpp) and ParseCommandLine (command_line.hpp) fill them from TOML and argv. Only app/ and
// ModuleContext read them; everything else takes the few values it needs. Every key is documented
// in docs/configuration.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::config {

// A listening address: an IPv4 or IPv6 literal (stored without brackets) and a port 1-65535.
struct Endpoint {
  std::string address;
  uint16_t port = 0;

  // "127.0.0.1:5222" or "[::1]:5222".
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// Parses "ADDR:PORT" where ADDR is an IPv4 literal or a bracketed IPv6 literal ("[::1]:5222") and
// PORT is 1-65535. Returns nullopt for anything else (host names, port 0, missing port).
std::optional<Endpoint> ParseEndpoint(std::string_view text);

// True for the words that switch a listener off: "off" and "none" (any case).
bool IsDisabledWord(std::string_view text);

// Lower-cases an ASCII domain and checks it is a valid DNS name (LDH labels of 1-63 characters,
// at most 253 in all; one trailing dot is dropped). Returns nullopt when it is not.
// TODO: accept IDNs (U-labels) once jid/ exposes its ICU-based nameprep; for now use the xn-- form.
std::optional<std::string> NormaliseDomain(std::string_view domain);

// Settings of one virtual host: [hosts."example.org"].
struct HostSettings {
  std::string domain;
  bool allow_registration = false;

  bool operator==(const HostSettings&) const = default;
};

// Everything parleyd can be configured with. Defaults here are the documented defaults.
struct Settings {
  std::vector<HostSettings> hosts;  // never empty after loading: default {"localhost"}
  std::string data_dir = "./data";
  std::optional<Endpoint> c2s = Endpoint{"127.0.0.1", 5222};
  std::optional<Endpoint> c2s_tls = Endpoint{"127.0.0.1", 5223};
  std::optional<Endpoint> http = Endpoint{"127.0.0.1", 5280};  // web client, WebSocket
  std::string tls_cert_file, tls_key_file;  // [tls] cert, key — empty: self-signed in data_dir
  std::string log_level = "info";           // [log] level
  std::size_t shards = 0;                   // [server] shards, 0 = one per core
  std::size_t storage_threads = 2;          // [server] storage_threads
  std::size_t busy_poll_microseconds = 0;   // [server] busy_poll_microseconds, 0 = sleep at once

  struct Limits {  // [limits]
    std::size_t max_stanza_bytes = 262144;
    std::size_t max_depth = 32;
    std::size_t max_connections = 20000;
    std::size_t max_connections_per_address = 1000;
    std::size_t max_send_queue_bytes = 1 << 20;
    bool operator==(const Limits&) const = default;
  } limits;

  struct C2s {                                // [c2s]
    uint32_t handshake_timeout_seconds = 30;  // stream open → bound session
    uint32_t ping_interval_seconds = 300;     // idle time before the server pings (XEP-0199)
    uint32_t ping_timeout_seconds = 60;       // no answer → connection closed
    bool require_encryption = true;           // false: SCRAM without TLS over TCP
    bool operator==(const C2s&) const = default;
  } c2s_options;

  struct Sasl {  // [sasl]
    uint32_t scram_iterations = 4096;
    bool strict_downgrade_check = false;  // RFC 5802 §6 'y' flag MUST-fail when -PLUS was offered
    uint32_t max_failures_per_address = 5;  // per minute, before failures are slowed down
    uint32_t max_failures_per_account = 5;
    bool operator==(const Sasl&) const = default;
  } sasl;

  struct Registration {  // [registration]
    uint32_t per_address_per_hour = 10;
    bool operator==(const Registration&) const = default;
  } registration;

  struct Http {            // [http]
    bool tls = false;      // HTTPS with the [tls] certificate
    std::string web_root;  // "" = web/dist of the source tree parleyd was built from
    std::vector<std::string> allowed_origins;  // WebSocket Origin allow-list; empty = any
    std::vector<std::string> trusted_proxies;  // TLS-terminating proxies (IP literals)
    std::size_t max_header_bytes = 8192;
    uint32_t request_timeout_seconds = 30;
    bool operator==(const Http&) const = default;
  } http_options;

  struct Roster {               // [roster]
    uint32_t max_items = 1000;  // per account; RFC 6121 §2.3.3 lets a server limit roster size
    bool operator==(const Roster&) const = default;
  } roster;

  struct Offline {                 // [offline]
    uint32_t max_messages = 1000;  // per account (XEP-0160); more answers <resource-constraint/>
    bool operator==(const Offline&) const = default;
  } offline;

  struct MucRoom {     // [[muc.rooms]]: a room that exists from start-up on every host
    std::string name;  // the room's local part (room@conference.host)
    std::string title;
    std::string description;
    bool operator==(const MucRoom&) const = default;
  };
  struct Muc {  // [muc]: multi-user chat (XEP-0045)
    bool enabled = true;
    std::string subdomain = "conference";  // the service is at <subdomain>.<host>
    uint32_t max_rooms = 1000;             // per host
    uint32_t max_occupants = 200;          // per room: the default and the most a room may allow
    uint32_t default_history = 20;         // messages a new room replays to a joining occupant
    uint32_t max_history = 100;            // the most a room may be configured to keep
    uint32_t max_nick_length = 64;         // characters (bytes of UTF-8)
    uint32_t max_subject_length = 1024;
    std::vector<MucRoom> rooms{{"lobby", "Lobby", "The place to meet everyone"}};
    bool operator==(const Muc&) const = default;
  } muc;

  // The host whose domain equals `domain` (ASCII case-insensitive), or nullptr.
  const HostSettings* FindHost(std::string_view domain) const;

  // Domains of all hosts, in configuration order.
  std::vector<std::string> Domains() const;

  bool operator==(const Settings&) const = default;
};

// The built-in defaults with the default host list ({"localhost"}) filled in.
Settings DefaultSettings();

}  // namespace parley::config
