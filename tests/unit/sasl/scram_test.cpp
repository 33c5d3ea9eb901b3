// SCRAM server exchanges: the RFC test vectors byte for byte, message syntax, unknown users,
// and garbage. Channel binding has its own file.

#include "sasl/scram.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "sasl/sasl_test_util.hpp"

namespace parley::sasl {
namespace {

using ::testing::HasSubstr;
using testing::IsChallenge;
using testing::IsFailure;
using testing::IsSuccessWith;
using testing::NeedsCredentialsFor;
using testing::ScramClient;

MechanismContext FixedNonce(std::string suffix) {
  MechanismContext ctx;
  ctx.make_nonce = [suffix] { return suffix; };
  return ctx;
}

StoredCredentials CredentialsFor(std::string_view password) {
  return *DeriveCredentials(password, 4096);
}

// RFC 5802 §5: the SCRAM-SHA-1 example, every server message byte-exact.
TEST(Scram, Rfc5802Sha1Example) {
  StoredCredentials creds;
  creds.sha1 = *DeriveScram(Hash::kSha1, "pencil", *Base64Decode("QSXCR+Q6sek8bf92"), 4096);
  auto mech = MakeServerMechanism("SCRAM-SHA-1", FixedNonce("3rfcNHYJY1ZVvWVs7j"));
  ASSERT_TRUE(mech);
  EXPECT_EQ(mech->Name(), "SCRAM-SHA-1");
  EXPECT_THAT(mech->Start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"), NeedsCredentialsFor("user"));
  EXPECT_THAT(
      mech->ProvideCredentials(&creds),
      IsChallenge("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
  const Step done = mech->Respond(
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  EXPECT_THAT(done, IsSuccessWith("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
  EXPECT_EQ(done.username, "user");
  EXPECT_EQ(done.authzid, "");
}

// RFC 7677 §3: the SCRAM-SHA-256 example. (The server nonce suffix is the RFC's,
// "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"; the proof below only verifies with exactly that nonce.)
TEST(Scram, Rfc7677Sha256Example) {
  StoredCredentials creds;
  creds.sha256 =
      *DeriveScram(Hash::kSha256, "pencil", *Base64Decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  auto mech = MakeServerMechanism("SCRAM-SHA-256", FixedNonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"));
  ASSERT_TRUE(mech);
  EXPECT_THAT(mech->Start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"), NeedsCredentialsFor("user"));
  EXPECT_THAT(mech->ProvideCredentials(&creds),
              IsChallenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                          "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
  EXPECT_THAT(mech->Respond("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
              IsSuccessWith("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
}

TEST(Scram, Rfc5802ProofFailsWithOtherPasswordOrTamperedProof) {
  const std::pair<const char*, const char*> kCases[] = {
      {"pencil2", "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="},  // the RFC's proof, another password
      {"pencil", "v0X8v3Bz2T0CJGbJQyF0X+HI4Tc="},   // the RFC's password, one proof bit flipped
  };
  for (const auto& [password, proof] : kCases) {
    StoredCredentials creds;
    creds.sha1 = *DeriveScram(Hash::kSha1, password, *Base64Decode("QSXCR+Q6sek8bf92"), 4096);
    auto mech = MakeServerMechanism("SCRAM-SHA-1", FixedNonce("3rfcNHYJY1ZVvWVs7j"));
    mech->Start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    mech->ProvideCredentials(&creds);
    const Step step = mech->Respond(
        std::string("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=") + proof);
    EXPECT_THAT(step, IsFailure(Failure::kNotAuthorized)) << password;
    EXPECT_EQ(step.text, "invalid-proof");
  }
}

TEST(Scram, ClientRoundTripBothHashesAndAuthzid) {
  const StoredCredentials creds = CredentialsFor("pencil");
  for (Hash hash : {Hash::kSha1, Hash::kSha256}) {
    ScramClient client;
    client.hash = hash;
    client.username = "us,er=x";  // escaped on the wire as us=2Cer=3Dx
    client.gs2_header = "n,a=juliet@example.com,";
    auto mech = MakeServerMechanism(hash == Hash::kSha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256", {});
    EXPECT_THAT(mech->Start(client.ClientFirst()), NeedsCredentialsFor("us,er=x"));
    const Step challenge = mech->ProvideCredentials(&creds);
    ASSERT_EQ(challenge.kind, Step::Kind::kChallenge);
    const Step done = mech->Respond(client.ClientFinal(challenge.data));
    EXPECT_THAT(done, IsSuccessWith(client.expected_server_final));
    EXPECT_EQ(done.username, "us,er=x");
    EXPECT_EQ(done.authzid, "juliet@example.com");
  }
}

TEST(Scram, DefaultServerNonceIsRandomBase64) {
  const StoredCredentials creds = CredentialsFor("pencil");
  std::string nonces[2];
  for (std::string& nonce : nonces) {
    auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
    mech->Start("n,,n=user,r=abc");
    const Step challenge = mech->ProvideCredentials(&creds);
    ASSERT_TRUE(challenge.data.starts_with("r=abc"));
    nonce = challenge.data.substr(5, challenge.data.find(',') - 5);
    EXPECT_EQ(nonce.size(), 32u);  // base64 of 24 bytes
    EXPECT_TRUE(Base64Decode(nonce));
  }
  EXPECT_NE(nonces[0], nonces[1]);
}

TEST(Scram, NoInitialResponseGetsEmptyChallenge) {
  const StoredCredentials creds = CredentialsFor("pencil");
  ScramClient client;
  auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
  EXPECT_THAT(mech->Start(""), IsChallenge(""));
  EXPECT_THAT(mech->Respond(client.ClientFirst()), NeedsCredentialsFor("user"));
  const Step challenge = mech->ProvideCredentials(&creds);
  const Step done = mech->Respond(client.ClientFinal(challenge.data));
  EXPECT_THAT(done, IsSuccessWith(client.expected_server_final));
}

TEST(Scram, UsernameIsSaslPrepped) {
  auto mech = MakeServerMechanism("SCRAM-SHA-1", {});
  EXPECT_THAT(mech->Start("n,,n=Us\u00ADer\u2168,r=abc"), NeedsCredentialsFor("UserIX"));
  for (const char* bad : {"n,,n=a\x07,r=abc", "n,,n=\u00AD,r=abc", "n,,n=\u0627\u0031,r=abc"}) {
    auto m = MakeServerMechanism("SCRAM-SHA-1", {});
    const Step step = m->Start(bad);
    EXPECT_THAT(step, IsFailure(Failure::kMalformedRequest)) << bad;
    EXPECT_EQ(step.text, "invalid-username-encoding");
  }
}

TEST(Scram, MalformedClientFirst) {
  for (const std::string& bad : std::initializer_list<std::string>{
           "n,,n=user",                           // no nonce
           "n,,r=abc,n=user",                     // wrong order
           "x,,n=user,r=abc",                     // bad flag
           "p,,n=user,r=abc",                     // p without =
           "p=,,n=user,r=abc",                    // empty cb-name
           "p=tls_unique,,n=user,r=abc",          // '_' is not a cb-name character
           "n,b=x,n=user,r=abc",                  // authzid must be a=
           "n,a=,n=user,r=abc",                   // empty authzid
           "n,a=x=2,n=user,r=abc",                // bad escape in authzid
           "n,,m=ext,n=user,r=abc",               // RFC 5802 §5.1 reserved-mext
           "n,,n=user,r=abc,m=ext",               // "m" anywhere
           "n,,n=us=2Der,r=abc",                  // RFC 5802 §5.1 only =2C / =3D
           "n,,n=user=,r=abc",                    // trailing '='
           "n,,n=,r=abc",                         // empty username
           "n,,n=user,r=",                        // empty nonce
           "n,,n=user,r=a b",                     // space in nonce
           "n,,n=user,r=abc,",                    // empty extension
           "n,,n=user,r=abc,1=x",                 // extension name must be ALPHA
           "n,,n=user,r=abc,x",                   // extension without value
           "n,,n=user,r=\xC3\xA9",                // nonce must be printable ASCII
           "n,,n=\xC3(,r=abc",                    // invalid UTF-8
           std::string("n,,n=us\0er,r=abc", 16),  // NUL
           std::string(kMaxSaslMessageBytes + 1, 'n'),
           ",,,,",
           "n",
           "n,",
           "n,,",
           ",",
           "nn,,n=user,r=abc"}) {
    auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
    EXPECT_THAT(mech->Start(bad), IsFailure(Failure::kMalformedRequest))
        << ::testing::PrintToString(bad.substr(0, 40));
  }
}

TEST(Scram, ExtensionsAfterTheNonceAreIgnored) {
  auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
  EXPECT_THAT(mech->Start("n,,n=user,r=abc,x=whatever=ok,y=1"), NeedsCredentialsFor("user"));
}

class ScramFinalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    creds_ = CredentialsFor("pencil");
    mech_ = MakeServerMechanism("SCRAM-SHA-256", FixedNonce("SERVER"));
    ASSERT_THAT(mech_->Start(client_.ClientFirst()), NeedsCredentialsFor("user"));
    const Step challenge = mech_->ProvideCredentials(&creds_);
    ASSERT_EQ(challenge.kind, Step::Kind::kChallenge);
    server_first_ = challenge.data;
    final_ = client_.ClientFinal(server_first_);
  }
  StoredCredentials creds_;
  ScramClient client_;
  std::unique_ptr<ServerMechanism> mech_;
  std::string server_first_;
  std::string final_;  // a correct client-final
};

TEST_F(ScramFinalTest, CorrectFinalSucceedsOnce) {
  EXPECT_THAT(mech_->Respond(final_), IsSuccessWith(client_.expected_server_final));
  EXPECT_THAT(mech_->Respond(final_), IsFailure(Failure::kMalformedRequest));
}

TEST_F(ScramFinalTest, WrongNonce) {
  std::string bad = final_;
  bad.replace(bad.find("SERVER"), 6, "SERVEX");
  EXPECT_THAT(mech_->Respond(bad), IsFailure(Failure::kMalformedRequest));
}

TEST_F(ScramFinalTest, ExtraExtensionChangesAuthMessageSoProofFails) {
  std::string bad = final_;
  bad.insert(bad.find(",p="), ",x=1");
  EXPECT_THAT(mech_->Respond(bad), IsFailure(Failure::kNotAuthorized));
}

TEST_F(ScramFinalTest, MalformedFinals) {
  const std::string cbind = "c=biws";
  const std::string nonce = "r=cLiEnTnOnCeSERVER";
  const std::string proof = final_.substr(final_.find(",p=") + 1);
  for (const std::string& bad : std::initializer_list<std::string>{
           cbind + "," + nonce,                              // no proof
           nonce + "," + cbind + "," + proof,                // wrong order
           cbind + "," + nonce + "," + proof + ",x=1",       // proof not last
           cbind + "," + nonce + ",m=1," + proof,            // m extension
           cbind + "," + nonce + "," + proof + "," + proof,  // two proofs
           "c=biws!," + nonce + "," + proof,                 // bad base64
           cbind + "," + nonce + ",p=AAAA",                  // proof of the wrong length
           cbind + "," + nonce + ",p=",                      // empty proof
           "", ",", ",,", "c=,r=,p="}) {
    auto mech = MakeServerMechanism("SCRAM-SHA-256", FixedNonce("SERVER"));
    mech->Start(client_.ClientFirst());
    mech->ProvideCredentials(&creds_);
    EXPECT_THAT(mech->Respond(bad), IsFailure(Failure::kMalformedRequest)) << bad;
  }
}

// Unknown users get a challenge that looks like a real one and fail only at the end, exactly
// like a wrong password.
TEST(Scram, UnknownUserGetsStableFakeChallengeAndFailsAtTheEnd) {
  auto challenge_for = [](std::string_view mech_name, std::string_view username) {
    auto mech = MakeServerMechanism(mech_name, FixedNonce("SERVER"));
    EXPECT_EQ(mech->Start("n,,n=" + std::string(username) + ",r=abc").kind,
              Step::Kind::kNeedCredentials);
    return mech->ProvideCredentials(nullptr).data;
  };
  const std::string first = challenge_for("SCRAM-SHA-256", "ghost");
  EXPECT_EQ(first, challenge_for("SCRAM-SHA-256", "ghost"));  // same salt twice
  EXPECT_NE(first, challenge_for("SCRAM-SHA-256", "ghost2"));
  EXPECT_NE(first, challenge_for("SCRAM-SHA-1", "ghost"));
  ASSERT_TRUE(first.starts_with("r=abcSERVER,s="));
  ASSERT_TRUE(first.ends_with(",i=4096"));
  const std::string salt = first.substr(14, first.size() - 14 - 7);
  EXPECT_THAT(Base64Decode(salt), ::testing::Optional(::testing::SizeIs(kSaltBytes)));

  // The client can finish the exchange; it fails exactly as a wrong password does.
  const StoredCredentials real = CredentialsFor("pencil");
  Step outcome[2];
  for (int known = 0; known < 2; ++known) {
    ScramClient client;
    client.password = "guess";
    auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
    mech->Start(client.ClientFirst());
    const Step challenge = mech->ProvideCredentials(known ? &real : nullptr);
    ASSERT_EQ(challenge.kind, Step::Kind::kChallenge);
    outcome[known] = mech->Respond(client.ClientFinal(challenge.data));
  }
  EXPECT_THAT(outcome[0], IsFailure(Failure::kNotAuthorized));
  EXPECT_EQ(outcome[0].text, outcome[1].text);
  EXPECT_EQ(outcome[0].failure, outcome[1].failure);

  // Knowing the fake salt does not help: even the "right" derivation for it fails.
  ScramClient client;
  auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
  mech->Start(client.ClientFirst());
  const Step challenge = mech->ProvideCredentials(nullptr);
  EXPECT_THAT(mech->Respond(client.ClientFinal(challenge.data)),
              IsFailure(Failure::kNotAuthorized));
}

TEST(Scram, AccountWithoutThisHashIsTreatedAsUnknown) {
  StoredCredentials only_sha1;
  only_sha1.sha1 = CredentialsFor("pencil").sha1;
  ScramClient client;
  auto mech = MakeServerMechanism("SCRAM-SHA-256", {});
  mech->Start(client.ClientFirst());
  const Step challenge = mech->ProvideCredentials(&only_sha1);
  ASSERT_EQ(challenge.kind, Step::Kind::kChallenge);
  EXPECT_THAT(mech->Respond(client.ClientFinal(challenge.data)),
              IsFailure(Failure::kNotAuthorized));
}

TEST(Scram, OutOfOrderCallsFail) {
  const StoredCredentials creds = CredentialsFor("pencil");
  auto a = MakeServerMechanism("SCRAM-SHA-1", {});
  EXPECT_THAT(a->ProvideCredentials(&creds), IsFailure(Failure::kMalformedRequest));
  auto b = MakeServerMechanism("SCRAM-SHA-1", {});
  EXPECT_THAT(b->Respond("c=biws,r=abc,p=AAAA"), IsFailure(Failure::kMalformedRequest));
  auto c = MakeServerMechanism("SCRAM-SHA-1", {});
  c->Start("n,,n=user,r=abc");
  EXPECT_THAT(c->Respond("c=biws,r=abc,p=AAAA"), IsFailure(Failure::kMalformedRequest));
  auto d = MakeServerMechanism("SCRAM-SHA-1", {});
  d->Start("n,,n=user,r=abc");
  EXPECT_THAT(d->Start("n,,n=user,r=abc"), IsFailure(Failure::kMalformedRequest));
}

// Random garbage must never crash, hang or succeed. (ASan/UBSan builds check the memory side.)
TEST(Scram, SurvivesGarbage) {
  const StoredCredentials creds = CredentialsFor("pencil");
  std::mt19937 rng(5802);
  std::string alphabet = "nyp=,acrmsi2CD3+/biws\xC3\xA9\xFF ";
  alphabet.push_back('\0');
  auto garbage = [&] {
    std::string s(rng() % 64, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int i = 0; i < 3000; ++i) {
    auto mech = MakeServerMechanism(i % 2 ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-256", {});
    std::string first = garbage();
    if (i % 3 == 0) first = "n,,n=u,r=" + first;
    Step step = mech->Start(first);
    if (step.kind == Step::Kind::kNeedCredentials) {
      step = mech->ProvideCredentials(i % 4 ? &creds : nullptr);
      ASSERT_EQ(step.kind, Step::Kind::kChallenge);
      step = mech->Respond(i % 5 ? "c=biws,r=" + garbage() : garbage());
    }
    EXPECT_NE(step.kind, Step::Kind::kSuccess);
  }
}

TEST(Mechanisms, OfferedInPreferenceOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(OfferedMechanisms(false, false), (V{"SCRAM-SHA-256", "SCRAM-SHA-1"}));
  EXPECT_EQ(OfferedMechanisms(true, false), (V{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  EXPECT_EQ(OfferedMechanisms(true, true),
            (V{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  for (const std::string& name : OfferedMechanisms(true, true)) {
    auto mech = MakeServerMechanism(name, {});
    ASSERT_TRUE(mech) << name;
    EXPECT_EQ(mech->Name(), name);
  }
  EXPECT_EQ(MakeServerMechanism("scram-sha-1", {}), nullptr);
  EXPECT_EQ(MakeServerMechanism("DIGEST-MD5", {}), nullptr);
  EXPECT_EQ(MakeServerMechanism("", {}), nullptr);
}

TEST(Mechanisms, FailureNamesAreRfc6120Elements) {
  EXPECT_EQ(ToString(Failure::kAborted), "aborted");
  EXPECT_EQ(ToString(Failure::kAccountDisabled), "account-disabled");
  EXPECT_EQ(ToString(Failure::kCredentialsExpired), "credentials-expired");
  EXPECT_EQ(ToString(Failure::kEncryptionRequired), "encryption-required");
  EXPECT_EQ(ToString(Failure::kIncorrectEncoding), "incorrect-encoding");
  EXPECT_EQ(ToString(Failure::kInvalidAuthzid), "invalid-authzid");
  EXPECT_EQ(ToString(Failure::kInvalidMechanism), "invalid-mechanism");
  EXPECT_EQ(ToString(Failure::kMalformedRequest), "malformed-request");
  EXPECT_EQ(ToString(Failure::kMechanismTooWeak), "mechanism-too-weak");
  EXPECT_EQ(ToString(Failure::kNotAuthorized), "not-authorized");
  EXPECT_EQ(ToString(Failure::kTemporaryAuthFailure), "temporary-auth-failure");
}

TEST(ScramMessage, EscapingRoundTrips) {
  EXPECT_EQ(EscapeSaslName("a,b=c"), "a=2Cb=3Dc");
  EXPECT_EQ(UnescapeSaslName("a=2Cb=3Dc"), "a,b=c");
  EXPECT_EQ(UnescapeSaslName("=2c"), std::nullopt);  // escapes are upper case
  EXPECT_EQ(UnescapeSaslName("=3"), std::nullopt);
  EXPECT_EQ(UnescapeSaslName("a,b"), std::nullopt);
  std::string error;
  auto first = ParseClientFirst("p=tls-exporter,a=x=3Dy,n=u,r=abc,e=1", &error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(first->flag, CbindFlag::kRequired);
  EXPECT_EQ(first->cb_name, "tls-exporter");
  EXPECT_EQ(first->authzid, "x=y");
  EXPECT_EQ(first->gs2_header, "p=tls-exporter,a=x=3Dy,");
  EXPECT_EQ(first->bare, "n=u,r=abc,e=1");
  auto final_msg = ParseClientFinal("c=eSws,r=abc,x=1,p=AAAA", &error);
  ASSERT_TRUE(final_msg) << error;
  EXPECT_EQ(final_msg->channel_binding, "y,,");
  EXPECT_EQ(final_msg->without_proof, "c=eSws,r=abc,x=1");
  EXPECT_EQ(final_msg->proof, std::string(3, '\0'));
  EXPECT_FALSE(ParseClientFirst("n,,m=1,n=u,r=a", &error));
  EXPECT_THAT(error, HasSubstr("extensions-not-supported"));
}

}  // namespace
}  // namespace parley::sasl
