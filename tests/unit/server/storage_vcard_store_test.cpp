// The VCardStore behaviour suite. Every backend runs the same tests: add a Backend to kBackends.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "sasl/credentials.hpp"
#include "storage/user_store.hpp"
#include "storage/vcard_store.hpp"
#include "storage_backends.hpp"

namespace parley::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing_backends::Backend;
using testing_backends::BackendInstance;
using testing_backends::Creds;
using testing_backends::kBackends;

constexpr std::string_view kVCard =
    "<vCard xmlns='vcard-temp'><FN>Alice \xc3\x89l\xc3\xa8ve</FN><NICKNAME>al</NICKNAME></vCard>";

class VCardStoreSuite : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    instance_ = GetParam().open();
    ASSERT_NE(instance_, nullptr);
    for (const char* domain : {"a.example", "b.example"}) {
      for (const char* user : {"alice", "bob"}) {
        ASSERT_EQ(users().CreateUser(domain, user, Creds()), StoreStatus::kOk);
      }
    }
  }
  UserStore& users() { return instance_->Users(); }
  VCardStore& vcards() { return instance_->VCards(); }

  std::unique_ptr<BackendInstance> instance_;
};

TEST_P(VCardStoreSuite, NoVCardAtFirst) {
  EXPECT_EQ(vcards().Get("a.example", "alice"), std::nullopt);
  EXPECT_EQ(vcards().Get("a.example", "nobody"), std::nullopt);
}

TEST_P(VCardStoreSuite, SetThenGetRoundTripsTheBytes) {
  ASSERT_EQ(vcards().Set("a.example", "alice", kVCard), StoreStatus::kOk);
  EXPECT_EQ(vcards().Get("a.example", "alice"), std::string(kVCard));
  std::string photo = "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>" + std::string(200000, 'A') +
                      "</BINVAL></PHOTO></vCard>";
  ASSERT_EQ(vcards().Set("a.example", "bob", photo), StoreStatus::kOk);
  EXPECT_EQ(vcards().Get("a.example", "bob"), photo);
}

TEST_P(VCardStoreSuite, SetReplaces) {
  ASSERT_EQ(vcards().Set("a.example", "alice", kVCard), StoreStatus::kOk);
  ASSERT_EQ(vcards().Set("a.example", "alice", "<vCard xmlns='vcard-temp'/>"), StoreStatus::kOk);
  EXPECT_EQ(vcards().Get("a.example", "alice"), "<vCard xmlns='vcard-temp'/>");
}

TEST_P(VCardStoreSuite, SetForUnknownAccountIsNotFound) {
  EXPECT_EQ(vcards().Set("a.example", "nobody", kVCard), StoreStatus::kNotFound);
  EXPECT_EQ(vcards().Set("a.example", "Alice", kVCard), StoreStatus::kNotFound);
  EXPECT_EQ(vcards().Get("a.example", "nobody"), std::nullopt);
}

TEST_P(VCardStoreSuite, AccountsAndDomainsAreSeparate) {
  ASSERT_EQ(vcards().Set("a.example", "alice", "<a/>"), StoreStatus::kOk);
  ASSERT_EQ(vcards().Set("b.example", "alice", "<b/>"), StoreStatus::kOk);
  EXPECT_EQ(vcards().Get("a.example", "alice"), "<a/>");
  EXPECT_EQ(vcards().Get("b.example", "alice"), "<b/>");
  EXPECT_EQ(vcards().Get("a.example", "bob"), std::nullopt);
}

TEST_P(VCardStoreSuite, VCardSurvivesReopening) {
  ASSERT_EQ(vcards().Set("a.example", "alice", kVCard), StoreStatus::kOk);
  instance_->Reopen();
  EXPECT_EQ(vcards().Get("a.example", "alice"), std::string(kVCard));
}

TEST_P(VCardStoreSuite, DeletingTheAccountDeletesItsVCard) {
  ASSERT_EQ(vcards().Set("a.example", "alice", "<a/>"), StoreStatus::kOk);
  ASSERT_EQ(vcards().Set("b.example", "alice", "<b/>"), StoreStatus::kOk);
  ASSERT_EQ(users().DeleteUser("a.example", "alice"), StoreStatus::kOk);
  ASSERT_EQ(users().CreateUser("a.example", "alice", Creds()), StoreStatus::kOk);
  EXPECT_EQ(vcards().Get("a.example", "alice"), std::nullopt);
  EXPECT_EQ(vcards().Get("b.example", "alice"), "<b/>");
}

INSTANTIATE_TEST_SUITE_P(Backends, VCardStoreSuite, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace parley::storage
