// AdminServer and SendToServer over a real Unix socket in a temp dir.

// clang-format off
#include <utility>  // Before any Boost.Asio header (BOOST_ASIO_SEPARATE_COMPILATION).
// clang-format on

#include "admin/admin_server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "admin/admin.hpp"
#include "admin/admin_client.hpp"
#include "admin/wire.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/sqlite/database.hpp"

namespace parley::admin {
namespace {

using ::testing::HasSubstr;
namespace asio = boost::asio;

// A raw client socket connected to `path`, or -1.
int ConnectRaw(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the peer sends until it closes or `ms` pass.
std::string ReadUntilClosed(int fd, int ms) {
  std::string out;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, ms) > 0) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out + "<timeout>";
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-admin-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    socket_path_ = dir_ + "/admin.sock";
    std::string error;
    db_ = storage::sqlite::SqliteDatabase::Open(dir_ + "/parley.db", &error);
    ASSERT_NE(db_, nullptr) << error;
    env_ = std::make_unique<AdminEnv>(AdminEnv{db_->Users(), 4096, {"localhost"}, {}});
    env_->disconnect_user = [this](const jid::Jid& bare) {
      std::lock_guard lock(mutex_);
      disconnected_.push_back(bare.Full());
    };
    AddUserCommands(registry_);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    work_.reset();
    io_thread_.join();
    pool_.Stop();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  bool StartServer(std::string* error, AdminServerOptions options = {}) {
    server_ = std::make_unique<AdminServer>(io_, socket_path_, registry_, *env_, pool_, options);
    return server_->Start(error);
  }

  std::string dir_;
  std::string socket_path_;
  std::unique_ptr<storage::sqlite::SqliteDatabase> db_;
  std::unique_ptr<AdminEnv> env_;
  AdminRegistry registry_;
  storage::BlockingPool pool_{1};
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread io_thread_;
  std::unique_ptr<AdminServer> server_;
  std::mutex mutex_;
  std::vector<std::string> disconnected_;
};

TEST_F(AdminServerTest, NothingListeningIsNullopt) {
  std::string error;
  EXPECT_EQ(SendToServer(socket_path_, {{"user", "list"}, ""}, &error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("no server listening"));
}

TEST_F(AdminServerTest, StaleSocketFileIsNulloptAndReplacedAtStart) {
  // A socket file left by a dead server: bound, never listened on, closed.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  std::string error;
  EXPECT_EQ(SendToServer(socket_path_, {{"user", "list"}, ""}, &error), std::nullopt);

  ASSERT_TRUE(StartServer(&error)) << error;
  auto reply = SendToServer(socket_path_, {{"user", "list"}, ""}, &error);
  ASSERT_TRUE(reply.has_value()) << error;
  EXPECT_TRUE(reply->ok);
}

TEST_F(AdminServerTest, RoundTripRunsCommandsOnTheServer) {
  std::string error;
  ASSERT_TRUE(StartServer(&error)) << error;
  struct stat st {};
  ASSERT_EQ(::stat(socket_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto added =
      SendToServer(socket_path_, {{"user", "add", "alice@localhost"}, "pw, with: commas"}, &error);
  ASSERT_TRUE(added.has_value()) << error;
  EXPECT_TRUE(added->ok) << added->output;
  EXPECT_EQ(added->output, "created user alice@localhost\n");
  auto creds = db_->Users().GetCredentials("localhost", "alice");
  ASSERT_TRUE(creds.has_value());
  EXPECT_TRUE(sasl::VerifyPassword(creds->sha256, "pw, with: commas"));

  auto listed = SendToServer(socket_path_, {{"user", "list"}, ""}, &error);
  ASSERT_TRUE(listed.has_value()) << error;
  EXPECT_EQ(listed->output, "alice@localhost\n");

  auto deleted = SendToServer(socket_path_, {{"user", "del", "alice@localhost"}, ""}, &error);
  ASSERT_TRUE(deleted.has_value()) << error;
  EXPECT_TRUE(deleted->ok);
  std::lock_guard lock(mutex_);
  EXPECT_EQ(disconnected_, (std::vector<std::string>{"alice@localhost"}));
}

TEST_F(AdminServerTest, FailuresAndUsageErrorsComeBack) {
  std::string error;
  ASSERT_TRUE(StartServer(&error)) << error;
  auto unknown = SendToServer(socket_path_, {{"frob"}, ""}, &error);
  ASSERT_TRUE(unknown.has_value()) << error;
  EXPECT_FALSE(unknown->ok);
  EXPECT_TRUE(unknown->usage_error);
  auto wrong_domain = SendToServer(socket_path_, {{"user", "add", "a@b.example"}, "pw"}, &error);
  ASSERT_TRUE(wrong_domain.has_value()) << error;
  EXPECT_FALSE(wrong_domain->ok);
  EXPECT_FALSE(wrong_domain->usage_error);
  EXPECT_THAT(wrong_domain->output, HasSubstr("not served"));
}

TEST_F(AdminServerTest, StopRemovesTheSocket) {
  std::string error;
  ASSERT_TRUE(StartServer(&error)) << error;
  server_->Stop();
  EXPECT_FALSE(std::filesystem::exists(socket_path_));
  EXPECT_EQ(SendToServer(socket_path_, {{"user", "list"}, ""}, &error), std::nullopt);
}

TEST_F(AdminServerTest, SecondServerOnTheSamePathIsRefused) {
  std::string error;
  ASSERT_TRUE(StartServer(&error)) << error;
  AdminServer second(io_, socket_path_, registry_, *env_, pool_);
  EXPECT_FALSE(second.Start(&error));
  EXPECT_THAT(error, HasSubstr("already listening"));
  second.Stop();
  // The first still owns and serves the path.
  EXPECT_TRUE(std::filesystem::exists(socket_path_));
  EXPECT_TRUE(SendToServer(socket_path_, {{"user", "list"}, ""}, &error).has_value());
}

TEST_F(AdminServerTest, RegularFileAtThePathIsNotReplaced) {
  std::ofstream(socket_path_) << "not a socket";
  std::string error;
  EXPECT_FALSE(StartServer(&error));
  EXPECT_THAT(error, HasSubstr("not a socket"));
  EXPECT_TRUE(std::filesystem::is_regular_file(socket_path_));
}

TEST_F(AdminServerTest, SilentClientIsClosedAfterReadTimeout) {
  std::string error;
  AdminServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  ASSERT_TRUE(StartServer(&error, options)) << error;
  int fd = ConnectRaw(socket_path_);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, "12:", 3, MSG_NOSIGNAL), 3);  // A partial frame, then silence.
  EXPECT_EQ(ReadUntilClosed(fd, 5000), "");
  ::close(fd);
}

TEST_F(AdminServerTest, OversizedRequestIsRefusedEarly) {
  std::string error;
  ASSERT_TRUE(StartServer(&error)) << error;
  int fd = ConnectRaw(socket_path_);
  ASSERT_GE(fd, 0);
  std::string header = std::to_string(wire::kMaxRequestBytes + 1) + ":";
  ASSERT_EQ(::send(fd, header.data(), header.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(header.size()));
  std::string reply_frame = ReadUntilClosed(fd, 5000);
  ::close(fd);
  std::string_view payload;
  std::size_t consumed = 0;
  ASSERT_EQ(wire::ParseFrame(reply_frame, wire::kMaxReplyBytes, &payload, &consumed),
            wire::FrameStatus::kComplete)
      << reply_frame;
  auto reply = wire::DecodeReply(payload);
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(reply->ok);
  EXPECT_THAT(reply->output, HasSubstr("oversized"));
}

TEST_F(AdminServerTest, ConcurrentClientsAreAllServed) {
  std::string error;
  ASSERT_TRUE(StartServer(&error)) << error;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([this, i, &ok] {
      std::string client_error;
      auto reply = SendToServer(socket_path_,
                                {{"user", "add", "u" + std::to_string(i) + "@localhost"}, "pw"},
                                &client_error);
      if (reply && reply->ok) ++ok;
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(db_->Users().ListUsers("localhost").size(), 6u);
}

}  // namespace
}  // namespace parley::admin
