#include "relay/relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parley::relay {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxLine = 1 << 20;
constexpr int kMaxEvents = 256;
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;
// The same TLS 1.3 suites, in the same order, as parleyd's context (src/net/tls_context.cpp).
constexpr const char* kCipherSuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

std::string SysError(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

SSL_CTX* MakeServerTls(const Settings& s) {
  if (s.cert.empty() || s.key.empty()) return nullptr;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Release record buffers when idle, as parleyd does; let SSL_write take part of a buffer that
  // may have moved (our output string grows while a write waits).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_ciphersuites(ctx, kCipherSuites);
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, s.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("cannot load --cert/--key " + s.cert + " / " + s.key);
  }
  return ctx;
}

// Writes as much of c->out as the socket takes; arms EPOLLOUT for the rest. Caller holds c->mu.
void FlushLocked(Conn* c) {
  while (!c->out.empty() && !c->closed.load(std::memory_order_relaxed)) {
    ssize_t n;
    if (c->ssl != nullptr) {
      ERR_clear_error();
      int r = SSL_write(c->ssl, c->out.data(), static_cast<int>(c->out.size()));
      if (r <= 0) {
        int err = SSL_get_error(c->ssl, r);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) break;
        ::shutdown(c->fd, SHUT_RDWR);  // the owner sees the hang-up and closes
        c->out.clear();
        return;
      }
      n = r;
    } else {
      n = ::write(c->fd, c->out.data(), c->out.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        ::shutdown(c->fd, SHUT_RDWR);
        c->out.clear();
        return;
      }
    }
    c->out.erase(0, static_cast<std::size_t>(n));
  }
  bool want = !c->out.empty();
  if (want != c->out_armed) {
    c->out_armed = want;
    ArmWrite(c, want);
  }
}

}  // namespace

void ArmWrite(Conn* c, bool on) {
  epoll_event ev{};
  ev.events = kReadEvents | (on ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.ptr = c;
  epoll_ctl(c->owner->EpollFd(), EPOLL_CTL_MOD, c->fd, &ev);
}

// --- Directory ---------------------------------------------------------------------------------

void Directory::Put(const std::string& id, std::shared_ptr<Conn> conn) {
  std::unique_lock lock(mu_);
  map_[id] = std::move(conn);
}

void Directory::Erase(const std::string& id, const Conn* conn) {
  std::unique_lock lock(mu_);
  auto it = map_.find(id);
  if (it != map_.end() && it->second.get() == conn) map_.erase(it);
}

std::shared_ptr<Conn> Directory::Get(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(id);
  return it == map_.end() ? nullptr : it->second;
}

// --- Worker ------------------------------------------------------------------------------------

Worker::Worker(Relay& relay, int index)
    : relay_(relay), index_(index), rbuf_(std::make_unique<char[]>(kReadChunk)) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error(SysError("epoll_create1"));
  listen_fd_ = relay.OpenListener();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the listener
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
    throw std::runtime_error(SysError("epoll_ctl"));
  }
}

Worker::~Worker() {
  Join();
  for (auto& [fd, c] : conns_) {
    if (c->ssl != nullptr) SSL_free(c->ssl);
    ::close(fd);
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epfd_ >= 0) ::close(epfd_);
}

void Worker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

Totals Worker::Snapshot() const {
  return {accepted_.load(), forwarded_.load(), unknown_.load(), bytes_.load()};
}

void Worker::Run() {
  epoll_event events[kMaxEvents];
  while (!relay_.stopping()) {
    int n = epoll_wait(epfd_, events, kMaxEvents, 200);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        Accept();
      } else {
        OnEvent(static_cast<Conn*>(events[i].data.ptr), events[i].events);
      }
    }
    FlushDirty();
    graveyard_.clear();
  }
}

void Worker::Accept() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: the next wake-up retries
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_shared<Conn>();
    c->fd = fd;
    c->owner = this;
    epoll_event ev{};
    ev.events = kReadEvents;
    ev.data.ptr = c.get();
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    conns_[fd] = std::move(c);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Worker::OnEvent(Conn* c, uint32_t events) {
  if (events & EPOLLIN) {
    OnReadable(c);
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    Close(c);
    return;
  }
  if (!c->closed.load(std::memory_order_relaxed) && (events & EPOLLOUT)) OnWritable(c);
}

void Worker::OnReadable(Conn* c) {
  bool alive = true;
  if (c->state == Conn::State::kDetect) alive = Detect(c);
  if (alive && c->state == Conn::State::kHandshake) alive = Handshake(c);
  if (alive && c->state >= Conn::State::kHello) alive = ReadSome(c);
  if (!alive) Close(c);
}

bool Worker::Detect(Conn* c) {
  unsigned char first = 0;
  ssize_t n = ::recv(c->fd, &first, 1, MSG_PEEK);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (first != 0x16) {  // not a TLS handshake record: plain TCP
    c->state = Conn::State::kHello;
    return true;
  }
  if (relay_.tls() == nullptr) return false;  // no certificate: TLS is not served
  std::lock_guard lock(c->mu);
  c->ssl = SSL_new(relay_.tls());
  if (c->ssl == nullptr) return false;
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_accept_state(c->ssl);
  c->state = Conn::State::kHandshake;
  return true;
}

bool Worker::Handshake(Conn* c) {
  std::lock_guard lock(c->mu);
  ERR_clear_error();
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    c->state = Conn::State::kHello;
    return true;
  }
  int err = SSL_get_error(c->ssl, r);
  if (err == SSL_ERROR_WANT_READ) return true;
  if (err == SSL_ERROR_WANT_WRITE) {
    c->out_armed = true;
    ArmWrite(c, true);
    return true;
  }
  return false;
}

bool Worker::ReadSome(Conn* c) {
  char* buf = rbuf_.get();
  if (c->ssl == nullptr) {
    ssize_t n = ::read(c->fd, buf, kReadChunk);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    return HandleLines(c, std::string_view(buf, static_cast<std::size_t>(n)));
  }
  // TLS: SSL_read returns one record at a time; drain what OpenSSL already holds, since the
  // socket will not signal it again.
  for (;;) {
    int n;
    bool more;
    {
      std::lock_guard lock(c->mu);  // another worker may be in SSL_write on this connection
      ERR_clear_error();
      n = SSL_read(c->ssl, buf, static_cast<int>(kReadChunk));
      if (n <= 0) {
        int err = SSL_get_error(c->ssl, n);
        return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
      }
      more = SSL_pending(c->ssl) > 0;
    }
    if (!HandleLines(c, std::string_view(buf, static_cast<std::size_t>(n)))) return false;
    if (!more) return true;
  }
}

bool Worker::HandleLines(Conn* c, std::string_view data) {
  std::string_view rest = data;
  if (!c->in.empty()) {
    c->in.append(data);
    rest = c->in;
  }
  std::size_t used = 0;
  while (used < rest.size()) {
    const void* nl = std::memchr(rest.data() + used, '\n', rest.size() - used);
    if (nl == nullptr) break;
    std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - rest.data()) + 1;
    if (!HandleLine(c, rest.substr(used, end - used))) return false;
    used = end;
  }
  if (rest.size() - used > kMaxLine) return false;
  if (!c->in.empty()) {
    c->in.erase(0, used);
  } else {
    c->in.assign(rest.substr(used));
  }
  return true;
}

bool Worker::HandleLine(Conn* c, std::string_view line) {
  if (c->state == Conn::State::kRelay) {
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return false;
    Forward(line.substr(0, sp), line);
    return true;
  }
  // HELLO <id>
  std::string_view id = line.substr(0, line.size() - 1);
  if (!id.empty() && id.back() == '\r') id.remove_suffix(1);
  if (!id.starts_with("HELLO ") || id.size() == 6) return false;
  id.remove_prefix(6);
  if (id.find(' ') != std::string_view::npos) return false;
  c->id.assign(id);
  c->state = Conn::State::kRelay;
  relay_.directory().Put(c->id, conns_.at(c->fd));
  Enqueue(conns_.at(c->fd), "OK\n");
  return true;
}

std::shared_ptr<Conn> Worker::Lookup(std::string_view id) {
  auto it = cache_.find(id);
  if (it != cache_.end()) {
    if (!it->second->closed.load(std::memory_order_relaxed)) return it->second;
    cache_.erase(it);
  }
  std::shared_ptr<Conn> found = relay_.directory().Get(id);
  if (found) cache_.emplace(std::string(id), found);
  return found;
}

void Worker::Forward(std::string_view target, std::string_view line) {
  std::shared_ptr<Conn> t = Lookup(target);
  if (!t) {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Enqueue(t, line);
  forwarded_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(line.size(), std::memory_order_relaxed);
}

void Worker::Enqueue(const std::shared_ptr<Conn>& t, std::string_view bytes) {
  const uint64_t bit = uint64_t{1} << (index_ % 64);
  std::lock_guard lock(t->mu);
  if (t->closed.load(std::memory_order_relaxed)) return;
  t->out.append(bytes);
  if ((t->dirty_mask & bit) == 0) {
    t->dirty_mask |= bit;
    dirty_.push_back(t);
  }
}

void Worker::FlushDirty() {
  const uint64_t bit = uint64_t{1} << (index_ % 64);
  for (auto& t : dirty_) {
    std::lock_guard lock(t->mu);
    t->dirty_mask &= ~bit;
    if (!t->out_armed) FlushLocked(t.get());
  }
  dirty_.clear();
}

void Worker::OnWritable(Conn* c) {
  if (c->state == Conn::State::kHandshake) {
    {
      std::lock_guard lock(c->mu);
      c->out_armed = false;
      ArmWrite(c, false);
    }
    if (!Handshake(c)) Close(c);
    return;
  }
  std::lock_guard lock(c->mu);
  c->out_armed = false;
  FlushLocked(c);
  if (!c->out_armed) ArmWrite(c, false);
}

void Worker::Close(Conn* c) {
  int fd = c->fd;
  {
    std::lock_guard lock(c->mu);
    if (c->closed.exchange(true)) return;
    if (c->ssl != nullptr) {
      SSL_free(c->ssl);
      c->ssl = nullptr;
    }
    ::close(fd);  // also leaves the epoll set
    c->out.clear();
  }
  if (!c->id.empty()) {
    relay_.directory().Erase(c->id, c);
    cache_.erase(c->id);
  }
  auto it = conns_.find(fd);
  if (it != conns_.end()) {
    graveyard_.push_back(std::move(it->second));  // events later in this batch may name it
    conns_.erase(it);
  }
}

// --- Relay -------------------------------------------------------------------------------------

Relay::Relay(Settings settings) : settings_(std::move(settings)) {
  if (settings_.threads < 1 || settings_.threads > 64) {
    throw std::runtime_error("--threads must be 1..64");
  }
  tls_ = MakeServerTls(settings_);
}

Relay::~Relay() {
  Stop();
  Join();
  workers_.clear();
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

int Relay::OpenListener() const {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(SysError("socket"));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(settings_.port));
  if (::inet_pton(AF_INET, settings_.host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("--listen needs an IPv4 address: " + settings_.host);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4096) != 0) {
    std::string e = SysError("bind/listen");
    ::close(fd);
    throw std::runtime_error(e);
  }
  return fd;
}

void Relay::Listen() {
  for (int i = 0; i < settings_.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
    if (i == 0 && settings_.port == 0) {
      // Port 0: the first listener chose one; the others share it through SO_REUSEPORT.
      sockaddr_in addr{};
      socklen_t len = sizeof addr;
      ::getsockname(workers_[0]->ListenFd(), reinterpret_cast<sockaddr*>(&addr), &len);
      settings_.port = ntohs(addr.sin_port);
    }
  }
}

void Relay::Start() {
  for (auto& w : workers_) w->Start();
}

void Relay::Join() {
  for (auto& w : workers_) w->Join();
}

Totals Relay::Total() const {
  Totals t;
  for (const auto& w : workers_) {
    Totals s = w->Snapshot();
    t.accepted += s.accepted;
    t.forwarded += s.forwarded;
    t.unknown += s.unknown;
    t.bytes += s.bytes;
  }
  return t;
}

}  // namespace parley::relay
