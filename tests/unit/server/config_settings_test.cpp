#include <gtest/gtest.h>

#include "config/settings.hpp"

namespace parley::config {
namespace {

TEST(ConfigEndpointTest, ParsesIpv4) {
  auto endpoint = ParseEndpoint("127.0.0.1:5222");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->address, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 5222);
  EXPECT_EQ(endpoint->ToString(), "127.0.0.1:5222");
}

TEST(ConfigEndpointTest, ParsesBracketedIpv6) {
  auto endpoint = ParseEndpoint("[::1]:5222");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->address, "::1");
  EXPECT_EQ(endpoint->port, 5222);
  EXPECT_EQ(endpoint->ToString(), "[::1]:5222");
  ASSERT_TRUE(ParseEndpoint("[::]:65535"));
  EXPECT_EQ(ParseEndpoint("[::]:65535")->address, "::");
}

TEST(ConfigEndpointTest, RejectsMalformed) {
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                           "127.0.0.1:52x", "::1:5222", "[::1]", "[127.0.0.1]:5222",
                           "localhost:5222", "[::1:5222", "1.2.3:5222", ":5222", "off"}) {
    EXPECT_FALSE(ParseEndpoint(text)) << text;
  }
}

TEST(ConfigEndpointTest, DisabledWords) {
  EXPECT_TRUE(IsDisabledWord("off"));
  EXPECT_TRUE(IsDisabledWord("None"));
  EXPECT_FALSE(IsDisabledWord("0"));
  EXPECT_FALSE(IsDisabledWord(""));
}

TEST(ConfigDomainTest, NormalisesCaseAndTrailingDot) {
  EXPECT_EQ(NormaliseDomain("Example.ORG"), "example.org");
  EXPECT_EQ(NormaliseDomain("example.org."), "example.org");
  EXPECT_EQ(NormaliseDomain("localhost"), "localhost");
  EXPECT_EQ(NormaliseDomain("xn--bcher-kva.example"), "xn--bcher-kva.example");
}

TEST(ConfigDomainTest, RejectsInvalid) {
  std::string long_label(64, 'a');
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'a') + ".";
  for (const std::string& text :
       {std::string(), std::string("."), std::string("a..b"), std::string(".a"),
        std::string("-a.b"), std::string("a-.b"), std::string("a_b.org"), std::string("a b"),
        std::string("bücher.example"), std::string("user@example.org"), long_label + ".org",
        long_name + "org"}) {
    EXPECT_FALSE(NormaliseDomain(text)) << text;
  }
}

TEST(ConfigSettingsTest, FindHostIgnoresCase) {
  Settings settings;
  settings.hosts = {{"a.example", false}, {"b.example", true}};
  ASSERT_NE(settings.FindHost("B.Example"), nullptr);
  EXPECT_TRUE(settings.FindHost("b.example")->allow_registration);
  EXPECT_EQ(settings.FindHost("c.example"), nullptr);
  EXPECT_EQ(settings.Domains(), (std::vector<std::string>{"a.example", "b.example"}));
}

TEST(ConfigSettingsTest, DefaultsAreTheDocumentedOnes) {
  Settings s = DefaultSettings();
  ASSERT_EQ(s.hosts.size(), 1u);
  EXPECT_EQ(s.hosts[0].domain, "localhost");
  EXPECT_FALSE(s.hosts[0].allow_registration);
  EXPECT_EQ(s.data_dir, "./data");
  EXPECT_EQ(s.c2s, (Endpoint{"127.0.0.1", 5222}));
  EXPECT_EQ(s.c2s_tls, (Endpoint{"127.0.0.1", 5223}));
  EXPECT_EQ(s.http, (Endpoint{"127.0.0.1", 5280}));
  EXPECT_TRUE(s.http_options.web_root.empty());
  EXPECT_TRUE(s.http_options.allowed_origins.empty());
  EXPECT_EQ(s.log_level, "info");
  EXPECT_EQ(s.limits.max_stanza_bytes, 262144u);
  EXPECT_EQ(s.sasl.scram_iterations, 4096u);
}

}  // namespace
}  // namespace parley::config
