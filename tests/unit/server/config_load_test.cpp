#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"

namespace parley::config {
namespace {

using ::testing::HasSubstr;

// Expects LoadString to throw a ConfigError whose message contains every fragment.
void ExpectError(std::string_view toml, std::initializer_list<std::string_view> fragments) {
  try {
    LoadString(toml, "test.toml");
    ADD_FAILURE() << "no error for:\n" << toml;
  } catch (const ConfigError& e) {
    for (std::string_view fragment : fragments) {
      EXPECT_THAT(e.what(), HasSubstr(std::string(fragment))) << toml;
    }
  }
}

TEST(ConfigLoadTest, EmptyTextGivesDefaults) { EXPECT_EQ(LoadString(""), DefaultSettings()); }

TEST(ConfigLoadTest, ReadsEveryKey) {
  Settings s = LoadString(R"(
[server]
data_dir = "/var/lib/parley"
shards = 4
storage_threads = 3

[listen]
c2s = "0.0.0.0:15222"
c2s_tls = "off"
http = "[::1]:5280"

[tls]
cert = "/etc/parley/cert.pem"
key = "/etc/parley/key.pem"

[log]
level = "debug"

[limits]
max_stanza_bytes = 65536
max_depth = 16
max_connections = 100
max_connections_per_address = 10
max_send_queue_bytes = 65536

[c2s]
handshake_timeout_seconds = 10
ping_interval_seconds = 120
ping_timeout_seconds = 20
require_encryption = false

[sasl]
scram_iterations = 10000
strict_downgrade_check = true
max_failures_per_address = 3
max_failures_per_account = 4

[registration]
per_address_per_hour = 2

[hosts."Example.org"]
allow_registration = true

[hosts."chat.example.net"]
)");
  EXPECT_EQ(s.data_dir, "/var/lib/parley");
  EXPECT_EQ(s.shards, 4u);
  EXPECT_EQ(s.storage_threads, 3u);
  EXPECT_EQ(s.c2s, (Endpoint{"0.0.0.0", 15222}));
  EXPECT_FALSE(s.c2s_tls);
  EXPECT_EQ(s.http, (Endpoint{"::1", 5280}));
  EXPECT_EQ(s.tls_cert_file, "/etc/parley/cert.pem");
  EXPECT_EQ(s.tls_key_file, "/etc/parley/key.pem");
  EXPECT_EQ(s.log_level, "debug");
  EXPECT_EQ(s.limits.max_stanza_bytes, 65536u);
  EXPECT_EQ(s.limits.max_depth, 16u);
  EXPECT_EQ(s.limits.max_connections, 100u);
  EXPECT_EQ(s.limits.max_connections_per_address, 10u);
  EXPECT_EQ(s.limits.max_send_queue_bytes, 65536u);
  EXPECT_EQ(s.c2s_options.handshake_timeout_seconds, 10u);
  EXPECT_EQ(s.c2s_options.ping_interval_seconds, 120u);
  EXPECT_EQ(s.c2s_options.ping_timeout_seconds, 20u);
  EXPECT_FALSE(s.c2s_options.require_encryption);
  EXPECT_EQ(s.sasl.scram_iterations, 10000u);
  EXPECT_TRUE(s.sasl.strict_downgrade_check);
  EXPECT_EQ(s.sasl.max_failures_per_address, 3u);
  EXPECT_EQ(s.sasl.max_failures_per_account, 4u);
  EXPECT_EQ(s.registration.per_address_per_hour, 2u);
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[0], (HostSettings{"example.org", true}));
  EXPECT_EQ(s.hosts[1], (HostSettings{"chat.example.net", false}));
}

TEST(ConfigLoadTest, HostsKeepFileOrder) {
  Settings s = LoadString("[hosts.zeta]\n[hosts.alpha]\n[hosts.mid]\n");
  EXPECT_EQ(s.Domains(), (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

TEST(ConfigLoadTest, ListenerDisabledWords) {
  Settings s = LoadString("[listen]\nc2s = \"none\"\nc2s_tls = \"OFF\"\n");
  EXPECT_FALSE(s.c2s);
  EXPECT_FALSE(s.c2s_tls);
}

TEST(ConfigLoadTest, UnknownKeysAreErrors) {
  ExpectError("[limits]\nmax_stanza = 1\n", {"test.toml:2:", "unknown key 'limits.max_stanza'"});
  ExpectError("domain = \"x\"\n", {"test.toml:1:", "unknown key 'domain'"});
  ExpectError("[storage]\nkind = \"x\"\n", {"unknown section [storage]"});
  ExpectError("[hosts.\"a.org\"]\nallow = true\n",
              {"test.toml:2:", "unknown key 'hosts.\"a.org\".allow'"});
}

TEST(ConfigLoadTest, WrongTypesAreErrors) {
  ExpectError("[server]\nshards = \"4\"\n", {"test.toml:2:", "server.shards", "integer"});
  ExpectError("[sasl]\nstrict_downgrade_check = 1\n", {"sasl.strict_downgrade_check", "true"});
  ExpectError("[server]\ndata_dir = 5\n", {"server.data_dir", "string"});
  ExpectError("[limits]\nmax_depth = 3.5\n", {"limits.max_depth", "integer"});
  ExpectError("server = 1\n", {"server", "expected a table"});
  ExpectError("hosts = [\"a.org\"]\n", {"hosts", "[hosts.\"example.org\"]"});
  ExpectError("[hosts]\n\"a.org\" = true\n", {"hosts.\"a.org\"", "expected a table"});
}

TEST(ConfigLoadTest, OutOfRangeValuesAreErrors) {
  ExpectError("[limits]\nmax_stanza_bytes = 1000\n",
              {"test.toml:2:", "limits.max_stanza_bytes", "between 1024 and 67108864", "1000"});
  ExpectError("[limits]\nmax_stanza_bytes = 67108865\n", {"limits.max_stanza_bytes"});
  ExpectError("[sasl]\nscram_iterations = 4095\n", {"sasl.scram_iterations", "4096"});
  ExpectError("[sasl]\nscram_iterations = 1000001\n", {"sasl.scram_iterations"});
  ExpectError("[server]\nshards = 257\n", {"server.shards", "between 0 and 256"});
  ExpectError("[server]\nshards = -1\n", {"server.shards", "got -1"});
  ExpectError("[c2s]\nhandshake_timeout_seconds = 0\n", {"c2s.handshake_timeout_seconds"});
  ExpectError("[c2s]\nping_timeout_seconds = 0\n", {"c2s.ping_timeout_seconds"});
  ExpectError("[server]\ndata_dir = \"\"\n", {"server.data_dir", "empty"});
  ExpectError("[log]\nlevel = \"verbose\"\n", {"log.level", "verbose"});
}

TEST(ConfigLoadTest, BadListenersAreErrors) {
  ExpectError("[listen]\nc2s = \"localhost:5222\"\n", {"test.toml:2:", "listen.c2s", "ADDR:PORT"});
  ExpectError("[listen]\nhttp = \"127.0.0.1:0\"\n", {"listen.http"});
  ExpectError("[listen]\nc2s = \"::1:5222\"\n", {"listen.c2s"});
  ExpectError("[listen]\nc2s_tls = \"127.0.0.1:5222\"\n", {"c2s", "c2s_tls", "127.0.0.1:5222"});
}

TEST(ConfigLoadTest, BadHostsAreErrors) {
  ExpectError("[hosts.\"bad_name.org\"]\n", {"test.toml:1:", "not a valid domain"});
  ExpectError("[hosts.\"a.org\"]\n[hosts.\"A.org\"]\n", {"duplicate host \"a.org\""});
  ExpectError("[hosts]\n", {"lists no host"});
}

TEST(ConfigLoadTest, CrossKeyRulesAreErrors) {
  ExpectError("[tls]\ncert = \"c.pem\"\n", {"tls.cert and tls.key"});
  ExpectError("[limits]\nmax_connections = 10\nmax_connections_per_address = 11\n",
              {"max_connections_per_address"});
}

TEST(ConfigLoadTest, SyntaxErrorsNameTheLine) {
  ExpectError("[server]\nshards = \n", {"test.toml:2:"});
}

TEST(ConfigLoadTest, LoadFileReadsAndReportsMissingFiles) {
  auto path = std::filesystem::temp_directory_path() / "parley_config_load_test.toml";
  {
    std::ofstream out(path);
    out << "[log]\nlevel = \"warn\"\n";
  }
  EXPECT_EQ(LoadFile(path.string()).log_level, "warn");
  std::filesystem::remove(path);
  try {
    LoadFile(path.string());
    ADD_FAILURE() << "no error for a missing file";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
}

TEST(ConfigLoadTest, ValidateCatchesHandMadeMistakes) {
  Settings s;
  EXPECT_THROW(Validate(s), ConfigError);  // no hosts
  s.hosts = {{"Upper.example", false}};
  EXPECT_THROW(Validate(s), ConfigError);
  s.hosts = {{"a.example", false}, {"a.example", true}};
  EXPECT_THROW(Validate(s), ConfigError);
  s.hosts = {{"a.example", false}};
  EXPECT_NO_THROW(Validate(s));
}

// parley.example.toml must parse and differ from the defaults only where it says so.
TEST(ConfigLoadTest, ExampleFileMatchesDefaultsExceptItsSettings) {
  auto path = std::filesystem::path(PARLEY_SOURCE_DIR) / "parley.example.toml";
  Settings loaded = LoadFile(path.lexically_normal().string());
  Settings expected = DefaultSettings();
  expected.hosts = {{"example.org", true}, {"example.net", false}};
  EXPECT_EQ(loaded, expected);
}

}  // namespace
}  // namespace parley::config
