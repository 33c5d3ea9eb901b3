#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/command_line.hpp"
#include "config/config.hpp"

namespace parley::config {
namespace {

using ::testing::HasSubstr;

// Runs ParseCommandLine on "parleyd" + args and keeps what it printed.
struct Parleyd {
  explicit Parleyd(std::vector<std::string> args) {
    args.insert(args.begin(), "parleyd");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    settings = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), &exit_code, out, err);
  }
  std::optional<Settings> settings;
  int exit_code = -1;
  std::ostringstream out, err;
};

// A TOML file in the temp directory, removed when the test ends.
class TempConfig {
 public:
  explicit TempConfig(std::string_view text)
      : path_(std::filesystem::temp_directory_path() /
              ("parley_cli_test_" + std::to_string(::getpid()) + ".toml")) {
    std::ofstream(path_) << text;
  }
  ~TempConfig() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ConfigCommandLineTest, NoArgumentsGiveDefaults) {
  Parleyd run({});
  ASSERT_TRUE(run.settings) << run.err.str();
  EXPECT_EQ(*run.settings, DefaultSettings());
}

TEST(ConfigCommandLineTest, FlagsSetValues) {
  Parleyd run({"--domain", "Example.org", "--data-dir", "/tmp/pd", "--c2s", "[::1]:5222",
               "--c2s-tls", "off", "--http", "127.0.0.1:5280", "--allow-registration",
               "--log-level", "debug"});
  ASSERT_TRUE(run.settings) << run.err.str();
  const Settings& s = *run.settings;
  ASSERT_EQ(s.hosts.size(), 1u);
  EXPECT_EQ(s.hosts[0], (HostSettings{"example.org", true}));
  EXPECT_EQ(s.data_dir, "/tmp/pd");
  EXPECT_EQ(s.c2s, (Endpoint{"::1", 5222}));
  EXPECT_FALSE(s.c2s_tls);
  EXPECT_EQ(s.http, (Endpoint{"127.0.0.1", 5280}));
  EXPECT_EQ(s.log_level, "debug");
}

TEST(ConfigCommandLineTest, RepeatedDomainKeepsOrder) {
  Parleyd run({"--domain", "a.example", "--domain", "b.example", "--domain", "c.example"});
  ASSERT_TRUE(run.settings) << run.err.str();
  EXPECT_EQ(run.settings->Domains(),
            (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_FALSE(run.settings->hosts[0].allow_registration);
}

TEST(ConfigCommandLineTest, FlagsOverrideTheFile) {
  TempConfig file(R"(
[server]
data_dir = "/from/file"
shards = 2
[listen]
c2s = "0.0.0.0:5222"
http = "127.0.0.1:5280"
[log]
level = "warn"
[hosts."kept.example"]
allow_registration = true
[hosts."dropped.example"]
)");
  Parleyd run({"--config", file.path(), "--domain", "new.example", "--domain", "KEPT.example",
               "--data-dir", "/from/cli", "--http", "none", "--log-level", "error"});
  ASSERT_TRUE(run.settings) << run.err.str();
  const Settings& s = *run.settings;
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[0], (HostSettings{"new.example", false}));
  EXPECT_EQ(s.hosts[1], (HostSettings{"kept.example", true}));  // keeps the file's settings
  EXPECT_EQ(s.data_dir, "/from/cli");
  EXPECT_EQ(s.shards, 2u);                        // not overridden
  EXPECT_EQ(s.c2s, (Endpoint{"0.0.0.0", 5222}));  // not overridden
  EXPECT_FALSE(s.http);
  EXPECT_EQ(s.log_level, "error");
}

TEST(ConfigCommandLineTest, AllowRegistrationAppliesToEveryFileHost) {
  TempConfig file("[hosts.a]\n[hosts.b]\n");
  Parleyd run({"--config", file.path(), "--allow-registration"});
  ASSERT_TRUE(run.settings) << run.err.str();
  for (const HostSettings& host : run.settings->hosts) EXPECT_TRUE(host.allow_registration);
}

TEST(ConfigCommandLineTest, HelpAndVersionExitZero) {
  Parleyd help({"--help"});
  EXPECT_FALSE(help.settings);
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_THAT(help.out.str(), HasSubstr("--allow-registration"));
  Parleyd version({"--version"});
  EXPECT_FALSE(version.settings);
  EXPECT_EQ(version.exit_code, kExitOk);
  EXPECT_THAT(version.out.str(), HasSubstr(std::string(kVersion)));
}

TEST(ConfigCommandLineTest, UsageErrorsExitTwo) {
  Parleyd unknown({"--frobnicate"});
  EXPECT_FALSE(unknown.settings);
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_THAT(unknown.err.str(), HasSubstr("frobnicate"));
  Parleyd two_values({"--domain", "a.example", "b.example"});
  EXPECT_FALSE(two_values.settings);
  EXPECT_EQ(two_values.exit_code, kExitUsage);
  Parleyd missing({"--domain"});
  EXPECT_FALSE(missing.settings);
  EXPECT_EQ(missing.exit_code, kExitUsage);
}

TEST(ConfigCommandLineTest, BadValuesAreConfigErrors) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--c2s", "localhost:5222"},
           {"--c2s-tls", "127.0.0.1:0"},
           {"--domain", "bad_domain"},
           {"--domain", "a.org", "--domain", "A.org"},
           {"--log-level", "loud"},
           {"--data-dir", ""},
           {"--c2s", "127.0.0.1:5223"},  // same as the default direct-TLS listener
           {"--config", "/nonexistent/parley.toml"}}) {
    Parleyd run(args);
    EXPECT_FALSE(run.settings) << args[0];
    EXPECT_EQ(run.exit_code, kExitConfigError) << args[0];
    EXPECT_THAT(run.err.str(), HasSubstr("parleyd: ")) << args[0];
  }
}

TEST(ConfigCommandLineTest, FileErrorsAreReported) {
  TempConfig file("[limits]\nmax_stanza_bytes = 1\n");
  Parleyd run({"--config", file.path()});
  EXPECT_FALSE(run.settings);
  EXPECT_EQ(run.exit_code, kExitConfigError);
  EXPECT_THAT(run.err.str(), HasSubstr("limits.max_stanza_bytes"));
  EXPECT_THAT(run.err.str(), HasSubstr(file.path() + ":2:"));
}

}  // namespace
}  // namespace parley::config
