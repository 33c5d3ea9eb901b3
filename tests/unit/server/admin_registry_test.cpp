// AdminRegistry and the user commands, on an in-memory SQLite database.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "admin/admin.hpp"
#include "sasl/credentials.hpp"
#include "storage/sqlite/database.hpp"

namespace parley::admin {
namespace {

using ::testing::HasSubstr;

class AdminRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    db_ = storage::sqlite::SqliteDatabase::Open(":memory:", &error);
    ASSERT_NE(db_, nullptr) << error;
    env_ =
        std::make_unique<AdminEnv>(AdminEnv{db_->Users(), 4096, {"localhost", "Example.ORG"}, {}});
    env_->disconnect_user = [this](const jid::Jid& bare) { disconnected_.push_back(bare.Full()); };
    AddUserCommands(registry_);
  }

  AdminReply Run(std::vector<std::string> args, std::string input = {}) {
    return registry_.Run(*env_, AdminRequest{std::move(args), std::move(input)});
  }

  bool Verifies(const std::string& domain, const std::string& user, const std::string& password) {
    auto creds = db_->Users().GetCredentials(domain, user);
    return creds && sasl::VerifyPassword(creds->sha1, password) &&
           sasl::VerifyPassword(creds->sha256, password);
  }

  std::unique_ptr<storage::sqlite::SqliteDatabase> db_;
  std::unique_ptr<AdminEnv> env_;
  AdminRegistry registry_;
  std::vector<std::string> disconnected_;
};

TEST_F(AdminRegistryTest, FindPrefersTheLongestName) {
  registry_.Add({"user", "", "generic", false, [](AdminEnv&, const AdminRequest&) {
                   return AdminReply{true, "generic\n"};
                 }});
  std::size_t consumed = 0;
  const AdminCommand* add = registry_.Find({"user", "add", "alice@localhost"}, &consumed);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->name, "user add");
  EXPECT_EQ(consumed, 2u);
  const AdminCommand* generic = registry_.Find({"user", "frobnicate"}, &consumed);
  ASSERT_NE(generic, nullptr);
  EXPECT_EQ(generic->name, "user");
  EXPECT_EQ(consumed, 1u);
  EXPECT_EQ(registry_.Find({"group", "add"}, &consumed), nullptr);
  EXPECT_EQ(registry_.Find({}, &consumed), nullptr);
}

TEST_F(AdminRegistryTest, RunPassesOnlyTheOperands) {
  AdminRequest seen;
  registry_.Add({"x y", "A B", "test", false, [&seen](AdminEnv&, const AdminRequest& req) {
                   seen = req;
                   return AdminReply{true, ""};
                 }});
  EXPECT_TRUE(Run({"x", "y", "a", "b"}, "pw").ok);
  EXPECT_EQ(seen.args, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(seen.input, "pw");
}

TEST_F(AdminRegistryTest, UnknownCommandIsAUsageErrorListingCommands) {
  AdminReply reply = Run({"user", "frobnicate"});
  EXPECT_FALSE(reply.ok);
  EXPECT_TRUE(reply.usage_error);
  EXPECT_THAT(reply.output, HasSubstr("unknown command: user frobnicate"));
  EXPECT_THAT(reply.output, HasSubstr("user add JID"));
  EXPECT_THAT(reply.output, HasSubstr("user list [DOMAIN]"));
  EXPECT_TRUE(Run({}).usage_error);
}

TEST_F(AdminRegistryTest, ThrowingCommandIsAnInternalError) {
  registry_.Add({"boom", "", "", false, [](AdminEnv&, const AdminRequest&) -> AdminReply {
                   throw std::runtime_error("kaput");
                 }});
  AdminReply reply = Run({"boom"});
  EXPECT_FALSE(reply.ok);
  EXPECT_FALSE(reply.usage_error);
  EXPECT_THAT(reply.output, HasSubstr("internal error"));
}

TEST_F(AdminRegistryTest, WrongOperandCountIsAUsageError) {
  AdminReply reply = Run({"user", "add"}, "pw");
  EXPECT_TRUE(reply.usage_error);
  EXPECT_THAT(reply.output, HasSubstr("usage: user add JID"));
  EXPECT_TRUE(Run({"user", "del", "a@localhost", "b@localhost"}).usage_error);
  EXPECT_TRUE(Run({"user", "list", "localhost", "extra"}).usage_error);
}

TEST_F(AdminRegistryTest, AddCreatesAnAccountThatVerifies) {
  AdminReply reply = Run({"user", "add", "Alice@LocalHost"}, "s3cret pass");
  EXPECT_TRUE(reply.ok) << reply.output;
  EXPECT_EQ(reply.output, "created user alice@localhost\n");
  EXPECT_TRUE(Verifies("localhost", "alice", "s3cret pass"));
  EXPECT_FALSE(Verifies("localhost", "alice", "wrong"));
  auto creds = db_->Users().GetCredentials("localhost", "alice");
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->sha256.iterations, 4096u);
}

TEST_F(AdminRegistryTest, AddRefusesBadJids) {
  for (const char* bad :
       {"", "@localhost", "alice@", "al ice@localhost", "localhost", "alice@localhost/phone"}) {
    AdminReply reply = Run({"user", "add", bad}, "pw");
    EXPECT_FALSE(reply.ok) << bad;
    EXPECT_FALSE(reply.usage_error) << bad;
  }
  EXPECT_THAT(Run({"user", "add", "localhost"}, "pw").output, HasSubstr("no user part"));
  EXPECT_THAT(Run({"user", "add", "a@localhost/r"}, "pw").output, HasSubstr("bare JID"));
  EXPECT_THAT(Run({"user", "add", "a b@localhost"}, "pw").output, HasSubstr("invalid JID"));
  EXPECT_TRUE(db_->Users().ListUsers("localhost").empty());
}

TEST_F(AdminRegistryTest, AddRefusesDomainsNotServed) {
  AdminReply reply = Run({"user", "add", "alice@elsewhere.example"}, "pw");
  EXPECT_FALSE(reply.ok);
  EXPECT_THAT(reply.output, HasSubstr("not served here"));
  EXPECT_THAT(reply.output, HasSubstr("localhost, example.org"));
  EXPECT_TRUE(db_->Users().ListUsers("elsewhere.example").empty());
  // Served domains are compared in prepared form.
  EXPECT_TRUE(Run({"user", "add", "bob@example.org"}, "pw").ok);
}

TEST_F(AdminRegistryTest, AddRefusesBadPasswords) {
  EXPECT_THAT(Run({"user", "add", "alice@localhost"}, "").output, HasSubstr("must not be empty"));
  // U+0007 (a control character) is prohibited by SASLprep.
  EXPECT_THAT(Run({"user", "add", "alice@localhost"}, "bell\x07").output, HasSubstr("SASLprep"));
  EXPECT_FALSE(db_->Users().GetCredentials("localhost", "alice").has_value());
}

TEST_F(AdminRegistryTest, AddRefusesExistingUser) {
  ASSERT_TRUE(Run({"user", "add", "alice@localhost"}, "first").ok);
  AdminReply reply = Run({"user", "add", "alice@localhost"}, "second");
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.output, "user alice@localhost already exists\n");
  EXPECT_TRUE(Verifies("localhost", "alice", "first"));
}

TEST_F(AdminRegistryTest, DelDeletesAndDisconnectsTheBareJid) {
  ASSERT_TRUE(Run({"user", "add", "alice@localhost"}, "pw").ok);
  ASSERT_TRUE(Run({"user", "add", "bob@localhost"}, "pw").ok);
  AdminReply reply = Run({"user", "del", "ALICE@localhost"});
  EXPECT_TRUE(reply.ok) << reply.output;
  EXPECT_THAT(reply.output, HasSubstr("closed its sessions"));
  EXPECT_EQ(disconnected_, (std::vector<std::string>{"alice@localhost"}));
  EXPECT_FALSE(db_->Users().GetCredentials("localhost", "alice").has_value());
  EXPECT_TRUE(db_->Users().GetCredentials("localhost", "bob").has_value());
}

TEST_F(AdminRegistryTest, DelOfUnknownUserFailsWithoutDisconnecting) {
  AdminReply reply = Run({"user", "del", "ghost@localhost"});
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.output, "no such user ghost@localhost\n");
  EXPECT_TRUE(disconnected_.empty());
}

TEST_F(AdminRegistryTest, DelWithoutServerStillDeletes) {
  env_->disconnect_user = nullptr;
  ASSERT_TRUE(Run({"user", "add", "alice@localhost"}, "pw").ok);
  AdminReply reply = Run({"user", "del", "alice@localhost"});
  EXPECT_TRUE(reply.ok);
  EXPECT_EQ(reply.output, "deleted user alice@localhost\n");
}

TEST_F(AdminRegistryTest, PasswdReplacesCredentialsAndKeepsSessions) {
  ASSERT_TRUE(Run({"user", "add", "alice@localhost"}, "old password").ok);
  AdminReply reply = Run({"user", "passwd", "alice@localhost"}, "new password");
  EXPECT_TRUE(reply.ok) << reply.output;
  EXPECT_THAT(reply.output, HasSubstr("sessions stay connected"));
  EXPECT_TRUE(Verifies("localhost", "alice", "new password"));
  EXPECT_FALSE(Verifies("localhost", "alice", "old password"));
  EXPECT_TRUE(disconnected_.empty());
}

TEST_F(AdminRegistryTest, PasswdRefusesUnknownUserAndBadPassword) {
  EXPECT_EQ(Run({"user", "passwd", "ghost@localhost"}, "pw").output,
            "no such user ghost@localhost\n");
  ASSERT_TRUE(Run({"user", "add", "alice@localhost"}, "old").ok);
  EXPECT_FALSE(Run({"user", "passwd", "alice@localhost"}, "").ok);
  EXPECT_TRUE(Verifies("localhost", "alice", "old"));
}

TEST_F(AdminRegistryTest, ListShowsSortedBareJids) {
  for (const char* jid : {"carol@localhost", "alice@localhost", "bob@example.org"}) {
    ASSERT_TRUE(Run({"user", "add", jid}, "pw").ok) << jid;
  }
  AdminReply all = Run({"user", "list"});
  EXPECT_TRUE(all.ok);
  EXPECT_EQ(all.output, "alice@localhost\nbob@example.org\ncarol@localhost\n");
  AdminReply one = Run({"user", "list", "LOCALHOST"});
  EXPECT_TRUE(one.ok);
  EXPECT_EQ(one.output, "alice@localhost\ncarol@localhost\n");
  AdminReply other = Run({"user", "list", "elsewhere.example"});
  EXPECT_FALSE(other.ok);
  EXPECT_THAT(other.output, HasSubstr("not served here"));
}

}  // namespace
}  // namespace parley::admin
