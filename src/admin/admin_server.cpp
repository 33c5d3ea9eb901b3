#include "admin/admin_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <list>

#include "admin/wire.hpp"

namespace parley::admin {

namespace asio = boost::asio;
using Protocol = asio::local::stream_protocol;

namespace {

// True when something accepts connections at `path` (another server is running).
bool SomeoneListens(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  bool listens = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return listens;
}

class Session;

}  // namespace

namespace internal {

// What the accept loop and the sessions share; owned jointly by AdminServer and pending handlers.
struct AdminServerState : std::enable_shared_from_this<AdminServerState> {
  AdminServerState(asio::io_context& io, const AdminRegistry& registry, AdminEnv& env,
                   storage::BlockingPool& pool, AdminServerOptions options)
      : io(io), acceptor(io), registry(registry), env(env), pool(pool), options(options) {}

  void Accept();
  void CloseAll();  // On io's thread.

  asio::io_context& io;
  Protocol::acceptor acceptor;
  const AdminRegistry& registry;
  AdminEnv& env;
  storage::BlockingPool& pool;
  const AdminServerOptions options;
  std::atomic<bool> stopped{false};
  // Live connections, for Stop(); touched only on io's thread.
  std::list<std::weak_ptr<Session>> sessions;
  // The socket file we created, so that Stop() never removes another server's.
  dev_t socket_dev = 0;
  ino_t socket_ino = 0;
};

}  // namespace internal

using internal::AdminServerState;

namespace {

// One parleyctl connection: reads one request frame, runs it on the pool, writes the reply,
// closes. Owned by the handlers that refer to it; all socket work on io's thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<AdminServerState> server, Protocol::socket socket)
      : server_(std::move(server)), socket_(std::move(socket)), timer_(server_->io) {}

  ~Session() { WipeSecret(buffer_); }

  void Start() {
    if (!PeerAllowed()) return Close();
    ArmTimer(server_->options.read_timeout);
    Read();
  }

  void Close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  // The socket file is 0600, but it exists for a moment before chmod: check the peer too.
  bool PeerAllowed() {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      spdlog::warn("admin: cannot read peer credentials: {}", std::strerror(errno));
      return false;
    }
    if (cred.uid == ::geteuid() || cred.uid == 0) return true;
    spdlog::warn("admin: refused connection from uid {} (pid {})", cred.uid, cred.pid);
    return false;
  }

  void ArmTimer(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // Cancelled or re-armed.
      spdlog::warn("admin: connection timed out");
      self->Close();
    });
  }

  void Read() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        std::size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(boost::system::error_code ec, std::size_t n) {
    if (ec) return Close();  // Peer went away, timeout or Stop().
    buffer_.append(chunk_.data(), n);
    std::string_view payload;
    std::size_t consumed = 0;
    switch (wire::ParseFrame(buffer_, wire::kMaxRequestBytes, &payload, &consumed)) {
      case wire::FrameStatus::kNeedMore:
        return Read();
      case wire::FrameStatus::kInvalid:
        spdlog::warn("admin: malformed or oversized request");
        return Write({false, "malformed or oversized request\n"});
      case wire::FrameStatus::kComplete:
        break;
    }
    timer_.cancel();
    std::optional<AdminRequest> request = wire::DecodeRequest(payload);
    WipeSecret(buffer_);
    if (!request)
      return Write({false, "malformed request (expected " + std::string(wire::kVersion) + ")\n"});
    // The command may block (PBKDF2, SQLite): run it on the pool, reply on io's thread.
    server_->pool.Post([self = shared_from_this(), request = std::move(*request)]() mutable {
      AdminReply reply = self->server_->registry.Run(self->server_->env, request);
      WipeSecret(request.input);
      asio::post(self->server_->io, [self, reply = std::move(reply)] { self->Write(reply); });
    });
  }

  void Write(const AdminReply& reply) {
    if (!socket_.is_open()) return;  // Closed by Stop() while the command ran.
    out_ = wire::EncodeReply(reply);
    ArmTimer(server_->options.write_timeout);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this()](boost::system::error_code, std::size_t) { self->Close(); });
  }

  std::shared_ptr<AdminServerState> server_;
  Protocol::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 4096> chunk_{};
  std::string buffer_;  // Holds the password until decoded.
  std::string out_;
};

}  // namespace

void AdminServerState::Accept() {
  acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec,
                                                    Protocol::socket socket) {
    if (self->stopped || !self->acceptor.is_open()) return;
    if (ec) {
      // EMFILE and the like: log, and try again a little later rather than spin.
      spdlog::warn("admin: accept failed: {}", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(self->io, std::chrono::milliseconds(200));
      timer->async_wait([self, timer](boost::system::error_code) {
        if (!self->stopped) self->Accept();
      });
      return;
    }
    self->sessions.remove_if([](const std::weak_ptr<Session>& s) { return s.expired(); });
    if (self->sessions.size() >= self->options.max_connections) {
      spdlog::warn("admin: too many connections; closing a new one");
    } else {
      auto session = std::make_shared<Session>(self, std::move(socket));
      self->sessions.push_back(session);
      session->Start();
    }
    self->Accept();
  });
}

void AdminServerState::CloseAll() {
  boost::system::error_code ignored;
  acceptor.close(ignored);
  for (const std::weak_ptr<Session>& weak : sessions) {
    if (std::shared_ptr<Session> session = weak.lock()) session->Close();
  }
  sessions.clear();
}

AdminServer::AdminServer(asio::io_context& io, std::string socket_path,
                         const AdminRegistry& registry, AdminEnv& env, storage::BlockingPool& pool,
                         AdminServerOptions options)
    : socket_path_(std::move(socket_path)),
      state_(std::make_shared<AdminServerState>(io, registry, env, pool, options)) {}

AdminServer::~AdminServer() { Stop(); }

bool AdminServer::Start(std::string* error) {
  if (socket_path_.empty() || socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
    *error = "admin socket path is empty or too long: " + socket_path_;
    return false;
  }
  std::error_code fs_error;
  std::filesystem::path parent = std::filesystem::path(socket_path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, fs_error);

  struct stat st {};
  if (::lstat(socket_path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = socket_path_ + " exists and is not a socket; not replacing it";
      return false;
    }
    if (SomeoneListens(socket_path_)) {
      *error = "another server is already listening on " + socket_path_;
      return false;
    }
    ::unlink(socket_path_.c_str());  // Stale: left by a server that died.
  }

  boost::system::error_code ec;
  Protocol::acceptor& acceptor = state_->acceptor;
  acceptor.open(Protocol(), ec);
  if (!ec) acceptor.bind(Protocol::endpoint(socket_path_), ec);
  if (!ec && ::chmod(socket_path_.c_str(), 0600) != 0) {
    ec.assign(errno, boost::system::system_category());
  }
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + socket_path_ + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  if (::lstat(socket_path_.c_str(), &st) == 0) {
    state_->socket_dev = st.st_dev;
    state_->socket_ino = st.st_ino;
  }
  spdlog::info("admin: listening on {}", socket_path_);
  state_->Accept();
  return true;
}

void AdminServer::Stop() {
  if (state_->stopped.exchange(true)) return;
  // Removed now, so that parleyctl stops finding a server as soon as Stop() returns.
  struct stat st {};
  if (state_->socket_ino != 0 && ::lstat(socket_path_.c_str(), &st) == 0 &&
      st.st_dev == state_->socket_dev && st.st_ino == state_->socket_ino) {
    ::unlink(socket_path_.c_str());
  }
  asio::post(state_->io, [state = state_] { state->CloseAll(); });
}

}  // namespace parley::admin
