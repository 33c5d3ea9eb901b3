// SCRAM channel-binding rules (RFC 5802 §6, §7) and the interop decisions of
// docs/sasl-channel-binding.md, with a stand-in for the TLS layer.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sasl/sasl_test_util.hpp"
#include "sasl/scram.hpp"

namespace parley::sasl {
namespace {

using ::testing::HasSubstr;
using testing::IsFailure;
using testing::IsSuccessWith;
using testing::NeedsCredentialsFor;
using testing::ScramClient;

const std::string kExporterData(32, '\x5A');

MechanismContext TlsContext(bool plus_offered = true, bool strict = false) {
  MechanismContext ctx;
  ctx.channel_binding = [](std::string_view type) -> std::optional<std::string> {
    if (type == "tls-exporter") return kExporterData;
    if (type == "tls-server-end-point") return std::string(32, '\x01');
    return std::nullopt;
  };
  ctx.plus_offered = plus_offered;
  ctx.strict_downgrade_check = strict;
  return ctx;
}

class ChannelBindingTest : public ::testing::Test {
 protected:
  // Runs a whole exchange; returns the first failure or the final success.
  Step Run(std::string_view mechanism, MechanismContext ctx, ScramClient& client) {
    auto mech = MakeServerMechanism(mechanism, std::move(ctx));
    Step step = mech->Start(client.ClientFirst());
    if (step.kind != Step::Kind::kNeedCredentials) return step;
    step = mech->ProvideCredentials(&creds_);
    if (step.kind != Step::Kind::kChallenge) return step;
    return mech->Respond(client.ClientFinal(step.data));
  }
  StoredCredentials creds_ = *DeriveCredentials("pencil", 4096);
};

TEST_F(ChannelBindingTest, PlusWithMatchingExporterData) {
  for (Hash hash : {Hash::kSha1, Hash::kSha256}) {
    ScramClient client;
    client.hash = hash;
    client.gs2_header = "p=tls-exporter,,";
    client.cb_data = kExporterData;
    const Step done =
        Run(hash == Hash::kSha1 ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-256-PLUS", TlsContext(), client);
    EXPECT_THAT(done, IsSuccessWith(client.expected_server_final));
  }
}

TEST_F(ChannelBindingTest, PlusWithAuthzidAndEndPoint) {
  ScramClient client;
  client.gs2_header = "p=tls-server-end-point,a=admin@example.com,";
  client.cb_data = std::string(32, '\x01');
  const Step done = Run("SCRAM-SHA-256-PLUS", TlsContext(), client);
  EXPECT_THAT(done, IsSuccessWith(client.expected_server_final));
  EXPECT_EQ(done.authzid, "admin@example.com");
}

TEST_F(ChannelBindingTest, PlusWithMismatchingData) {
  ScramClient client;
  client.gs2_header = "p=tls-exporter,,";
  client.cb_data = std::string(32, '\x5B');  // what a man in the middle's connection would give
  const Step step = Run("SCRAM-SHA-256-PLUS", TlsContext(), client);
  EXPECT_THAT(step, IsFailure(Failure::kNotAuthorized));
  EXPECT_EQ(step.text, "channel-bindings-dont-match");
}

TEST_F(ChannelBindingTest, ClientFinalMustRepeatTheGs2HeaderExactly) {
  for (const char* sent_header : {"n,a=other,", "y,,", "p=tls-exporter,,"}) {
    ScramClient client;
    client.gs2_header = "n,,";
    auto mech = MakeServerMechanism("SCRAM-SHA-256", TlsContext());
    ASSERT_THAT(mech->Start(client.ClientFirst()), NeedsCredentialsFor("user"));
    const Step challenge = mech->ProvideCredentials(&creds_);
    client.gs2_header = sent_header;  // c= now carries a different header
    EXPECT_THAT(mech->Respond(client.ClientFinal(challenge.data)),
                IsFailure(Failure::kNotAuthorized))
        << sent_header;
  }
}

TEST_F(ChannelBindingTest, FlagNWorksWithNonPlusOnly) {
  ScramClient client;
  const Step done = Run("SCRAM-SHA-256", TlsContext(), client);
  EXPECT_THAT(done, IsSuccessWith(client.expected_server_final));
  ScramClient plus_client;
  EXPECT_THAT(Run("SCRAM-SHA-256-PLUS", TlsContext(), plus_client),
              IsFailure(Failure::kMalformedRequest));
}

// RFC 5802 §6 downgrade check, and our default that relaxes it (COMPAT slixmpp).
TEST_F(ChannelBindingTest, FlagYWhenPlusWasOfferedDependsOnStrictness) {
  ScramClient lenient_client;
  lenient_client.hash = Hash::kSha1;
  lenient_client.gs2_header = "y,,";
  const Step done =
      Run("SCRAM-SHA-1", TlsContext(/*plus_offered=*/true, /*strict=*/false), lenient_client);
  EXPECT_THAT(done, IsSuccessWith(lenient_client.expected_server_final));

  ScramClient strict_client;
  strict_client.hash = Hash::kSha1;
  strict_client.gs2_header = "y,,";
  const Step step =
      Run("SCRAM-SHA-1", TlsContext(/*plus_offered=*/true, /*strict=*/true), strict_client);
  EXPECT_THAT(step, IsFailure(Failure::kNotAuthorized));
  EXPECT_EQ(step.text, "server-does-support-channel-binding");
}

TEST_F(ChannelBindingTest, FlagYWithoutPlusOfferedIsFineEvenWhenStrict) {
  ScramClient client;
  client.gs2_header = "y,,";
  const Step done =
      Run("SCRAM-SHA-256", TlsContext(/*plus_offered=*/false, /*strict=*/true), client);
  EXPECT_THAT(done, IsSuccessWith(client.expected_server_final));
}

TEST_F(ChannelBindingTest, PlusWithoutPFlagFails) {
  for (const char* header : {"n,,", "y,,"}) {
    ScramClient client;
    client.gs2_header = header;
    EXPECT_THAT(Run("SCRAM-SHA-256-PLUS", TlsContext(), client),
                IsFailure(Failure::kMalformedRequest))
        << header;
  }
}

TEST_F(ChannelBindingTest, NonPlusWithPFlagFails) {
  ScramClient client;
  client.gs2_header = "p=tls-exporter,,";
  client.cb_data = kExporterData;
  EXPECT_THAT(Run("SCRAM-SHA-256", TlsContext(), client), IsFailure(Failure::kMalformedRequest));
}

TEST_F(ChannelBindingTest, UnknownOrUnavailableTypeFails) {
  ScramClient client;
  client.gs2_header = "p=tls-bogus,,";
  const Step step = Run("SCRAM-SHA-256-PLUS", TlsContext(), client);
  EXPECT_THAT(step, IsFailure(Failure::kMalformedRequest));
  EXPECT_THAT(step.text, HasSubstr("unsupported-channel-binding-type"));

  ScramClient unique_client;  // known type, but this connection has none of it
  unique_client.gs2_header = "p=tls-unique,,";
  EXPECT_THAT(Run("SCRAM-SHA-256-PLUS", TlsContext(), unique_client),
              IsFailure(Failure::kMalformedRequest));

  ScramClient no_tls_client;  // no TLS at all: empty channel_binding function
  no_tls_client.gs2_header = "p=tls-exporter,,";
  EXPECT_THAT(Run("SCRAM-SHA-256-PLUS", MechanismContext{}, no_tls_client),
              IsFailure(Failure::kMalformedRequest));
}

TEST_F(ChannelBindingTest, UnknownUserWithChannelBindingStillFailsAtTheEnd) {
  ScramClient client;
  client.gs2_header = "p=tls-exporter,,";
  client.cb_data = kExporterData;
  auto mech = MakeServerMechanism("SCRAM-SHA-256-PLUS", TlsContext());
  ASSERT_THAT(mech->Start(client.ClientFirst()), NeedsCredentialsFor("user"));
  const Step challenge = mech->ProvideCredentials(nullptr);
  ASSERT_EQ(challenge.kind, Step::Kind::kChallenge);
  const Step step = mech->Respond(client.ClientFinal(challenge.data));
  EXPECT_THAT(step, IsFailure(Failure::kNotAuthorized));
  EXPECT_EQ(step.text, "invalid-proof");
}

}  // namespace
}  // namespace parley::sasl
