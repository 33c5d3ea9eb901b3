#include "admin/admin_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "admin/wire.hpp"

namespace parley::admin {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using Clock = std::chrono::steady_clock;

// Waits until `fd` is ready for `events` or the deadline passes.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

AdminReply Broken(const std::string& socket_path, const std::string& why, std::string* error) {
  *error = "admin exchange with the server at " + socket_path + " failed: " + why;
  return AdminReply{false, *error + "\n"};
}

}  // namespace

std::optional<AdminReply> SendToServer(const std::string& socket_path, const AdminRequest& req,
                                       std::string* error, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    *error = "admin socket path too long: " + socket_path;
    return std::nullopt;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED) {
      *error = "no server listening on " + socket_path;
    } else {
      *error = "cannot connect to " + socket_path + ": " + std::strerror(err);
    }
    return std::nullopt;
  }
  Clock::time_point deadline = Clock::now() + timeout;

  std::string frame = wire::EncodeRequest(req);
  std::size_t sent = 0;
  while (sent < frame.size()) {
    if (!WaitFor(fd.get(), POLLOUT, deadline)) {
      WipeSecret(frame);
      return Broken(socket_path, "timed out sending the request", error);
    }
    ssize_t n = ::send(fd.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      WipeSecret(frame);
      return Broken(socket_path, why, error);
    }
    sent += static_cast<std::size_t>(n);
  }
  WipeSecret(frame);

  std::string buffer;
  char chunk[16 * 1024];
  for (;;) {
    std::string_view payload;
    std::size_t consumed = 0;
    switch (wire::ParseFrame(buffer, wire::kMaxReplyBytes, &payload, &consumed)) {
      case wire::FrameStatus::kComplete: {
        std::optional<AdminReply> reply = wire::DecodeReply(payload);
        if (!reply) return Broken(socket_path, "malformed reply", error);
        return reply;
      }
      case wire::FrameStatus::kInvalid:
        return Broken(socket_path, "malformed reply", error);
      case wire::FrameStatus::kNeedMore:
        break;
    }
    if (!WaitFor(fd.get(), POLLIN, deadline)) {
      return Broken(socket_path, "timed out waiting for the reply", error);
    }
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Broken(socket_path, std::strerror(errno), error);
    if (n == 0) return Broken(socket_path, "connection closed before the reply", error);
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace parley::admin
