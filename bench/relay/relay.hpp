#pragma once
// parley-relay: the ceiling for one-to-one messages (issue 4). It forwards bytes by a hash lookup
// and parses no XML. The protocol, one line at a time ('\n'-terminated, no other framing):
//
//   client -> relay   HELLO <id>            who this connection is (any id without spaces)
//   relay  -> client  OK
//   client -> relay   <id> <payload>        deliver this line to the connection that said HELLO
//   <id> relay  -> client  <id> <payload>        the line as it was received, byte for byte
//
// A connection whose first byte is a TLS record (0x16) gets a TLS handshake first, so plain TCP
// and TLS share one port. Lines to an unknown id are dropped and counted.
//
// Threads: `threads` workers, each with its own epoll and its own SO_REUSEPORT listening socket;
// a connection stays on the worker that accepted it. Any worker may write to any connection:
// a connection's output buffer and its socket/SSL writes are under the connection's mutex, and
// each worker batches what it forwards during one wake-up and flushes each target once at the end
// of it (one write per target per wake-up, as parleyd does). Only the owning worker reads a
// connection or closes it.

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace parley::relay {

struct Settings {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 1;
  std::string cert;  // PEM; without cert and key only plain TCP is served
  std::string key;
};

struct Totals {
  uint64_t accepted = 0;
  uint64_t forwarded = 0;  // lines delivered to a connected target's buffer
  uint64_t unknown = 0;    // lines to an id nobody said HELLO for (or that disconnected)
  uint64_t bytes = 0;
};

class Worker;

// One client connection. Owned by its worker (`owner`); shared with other workers' lookup caches,
// which only write to it under `mu` after checking `closed`.
struct Conn {
  enum class State { kDetect, kHandshake, kHello, kRelay };
  int fd = -1;
  Worker* owner = nullptr;
  State state = State::kDetect;
  std::string id;
  std::string in;  // a partial line carried over between reads (owner only)

  std::mutex mu;  // guards everything below
  SSL* ssl = nullptr;
  std::string out;          // bytes waiting to be written
  bool out_armed = false;   // EPOLLOUT registered: the owner flushes when writable
  uint64_t dirty_mask = 0;  // workers that queued bytes and will flush at the end of their batch
  std::atomic<bool> closed{false};
};

// The id -> connection directory shared by all workers. Workers keep a private cache in front of
// it, so the hot path is a lookup in a map no other thread touches.
class Directory {
 public:
  void Put(const std::string& id, std::shared_ptr<Conn> conn);
  void Erase(const std::string& id, const Conn* conn);
  std::shared_ptr<Conn> Get(std::string_view id) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Conn>, Hash, std::equal_to<>> map_;
};

class Relay;

class Worker {
 public:
  Worker(Relay& relay, int index);
  ~Worker();
  void Start();
  void Join();
  int Index() const { return index_; }
  int EpollFd() const { return epfd_; }
  int ListenFd() const { return listen_fd_; }
  Totals Snapshot() const;

 private:
  void Run();
  void Accept();
  void OnEvent(Conn* c, uint32_t events);
  void OnReadable(Conn* c);
  bool Detect(Conn* c);
  bool Handshake(Conn* c);
  // Reads what is there; returns false when the connection is finished.
  bool ReadSome(Conn* c);
  bool HandleLines(Conn* c, std::string_view data);
  bool HandleLine(Conn* c, std::string_view line);
  void Forward(std::string_view target, std::string_view line_with_newline);
  std::shared_ptr<Conn> Lookup(std::string_view id);
  void Enqueue(const std::shared_ptr<Conn>& target, std::string_view bytes);
  void FlushDirty();
  void OnWritable(Conn* c);
  void Close(Conn* c);

  Relay& relay_;
  const int index_;
  int epfd_ = -1;
  int listen_fd_ = -1;
  std::thread thread_;
  std::unordered_map<int, std::shared_ptr<Conn>> conns_;  // by fd
  std::vector<std::shared_ptr<Conn>> graveyard_;          // freed after the current batch
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::shared_ptr<Conn>, Hash, std::equal_to<>> cache_;
  std::vector<std::shared_ptr<Conn>> dirty_;
  std::unique_ptr<char[]> rbuf_;
  std::atomic<uint64_t> accepted_{0}, forwarded_{0}, unknown_{0}, bytes_{0};
};

class Relay {
 public:
  explicit Relay(Settings settings);
  ~Relay();
  // Binds every worker's listening socket; throws std::runtime_error.
  void Listen();
  void Start();
  void Stop() { stop_.store(true); }
  void Join();
  Totals Total() const;

  const Settings& settings() const { return settings_; }
  SSL_CTX* tls() const { return tls_; }
  Directory& directory() { return directory_; }
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  // A listening socket for a worker (SO_REUSEPORT on the configured address).
  int OpenListener() const;

 private:
  Settings settings_;
  SSL_CTX* tls_ = nullptr;
  Directory directory_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};
};

// Updates EPOLLOUT interest for `c` on its owner's epoll (any thread; epoll_ctl is thread-safe).
void ArmWrite(Conn* c, bool on);

}  // namespace parley::relay
