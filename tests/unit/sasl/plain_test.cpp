// PLAIN (RFC 4616) against stored SCRAM credentials.

#include "sasl/plain.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sasl/sasl_test_util.hpp"

namespace parley::sasl {
namespace {

using testing::IsChallenge;
using testing::IsFailure;
using testing::IsSuccessWith;
using testing::NeedsCredentialsFor;

using namespace std::string_literals;

class PlainTest : public ::testing::Test {
 protected:
  Step Run(std::string_view message, const StoredCredentials* creds) {
    auto mech = MakeServerMechanism("PLAIN", {});
    Step step = mech->Start(message);
    if (step.kind != Step::Kind::kNeedCredentials) return step;
    return mech->ProvideCredentials(creds);
  }
  StoredCredentials creds_ = *DeriveCredentials("pencil", 4096);
};

TEST_F(PlainTest, CorrectPassword) {
  auto mech = MakeServerMechanism("PLAIN", {});
  EXPECT_EQ(mech->Name(), "PLAIN");
  EXPECT_THAT(mech->Start("\0user\0pencil"s), NeedsCredentialsFor("user"));
  const Step done = mech->ProvideCredentials(&creds_);
  EXPECT_THAT(done, IsSuccessWith(""));
  EXPECT_EQ(done.username, "user");
  EXPECT_EQ(done.authzid, "");
}

TEST_F(PlainTest, WrongPasswordAndUnknownUserLookAlike) {
  const Step wrong = Run("\0user\0pencil2"s, &creds_);
  const Step unknown = Run("\0ghost\0pencil"s, nullptr);
  EXPECT_THAT(wrong, IsFailure(Failure::kNotAuthorized));
  EXPECT_THAT(unknown, IsFailure(Failure::kNotAuthorized));
  EXPECT_EQ(wrong.text, unknown.text);
}

TEST_F(PlainTest, AuthzidIsReported) {
  const Step done = Run("admin@example.com\0user\0pencil"s, &creds_);
  EXPECT_THAT(done, IsSuccessWith(""));
  EXPECT_EQ(done.username, "user");
  EXPECT_EQ(done.authzid, "admin@example.com");
}

TEST_F(PlainTest, SaslPrepOnIdentityAndPassword) {
  const StoredCredentials ix = *DeriveCredentials("IX", 4096);
  const Step done = Run("\0Us\u00ADer\0I\u00ADX"s, &ix);  // RFC 4013 §3 example 1
  EXPECT_THAT(done, IsSuccessWith(""));
  EXPECT_EQ(done.username, "User");
  EXPECT_THAT(Run("\0user\0pass\x07"s, &creds_), IsFailure(Failure::kNotAuthorized));
  EXPECT_THAT(Run("\0us\x07r\0pencil"s, &creds_), IsFailure(Failure::kMalformedRequest));
}

TEST_F(PlainTest, FallsBackToSha1Credential) {
  StoredCredentials only_sha1;
  only_sha1.sha1 = creds_.sha1;
  EXPECT_THAT(Run("\0user\0pencil"s, &only_sha1), IsSuccessWith(""));
  const StoredCredentials none;  // an account with no usable credential at all
  EXPECT_THAT(Run("\0user\0pencil"s, &none), IsFailure(Failure::kNotAuthorized));
}

TEST_F(PlainTest, NoInitialResponse) {
  auto mech = MakeServerMechanism("PLAIN", {});
  EXPECT_THAT(mech->Start(""), IsChallenge(""));
  EXPECT_THAT(mech->Respond("\0user\0pencil"s), NeedsCredentialsFor("user"));
  EXPECT_THAT(mech->ProvideCredentials(&creds_), IsSuccessWith(""));
  EXPECT_THAT(mech->Respond("\0user\0pencil"s), IsFailure(Failure::kMalformedRequest));
}

TEST_F(PlainTest, Garbage) {
  for (const std::string& bad :
       {"userpencil"s, "\0userpencil"s, "\0\0pencil"s, "\0user\0"s, "a\0user\0pen\0cil"s,
        "\0\xC3(\0pencil"s, "\0user\0\xFF"s, "\0"s, "\0\0"s, "\0\0\0"s,
        "\0user\0"s + std::string(kMaxSaslMessageBytes, 'x')}) {
    EXPECT_THAT(Run(bad, &creds_), IsFailure(Failure::kMalformedRequest))
        << ::testing::PrintToString(bad.substr(0, 32));
  }
  auto mech = MakeServerMechanism("PLAIN", {});
  EXPECT_THAT(mech->ProvideCredentials(&creds_), IsFailure(Failure::kMalformedRequest));
}

}  // namespace
}  // namespace parley::sasl
