// idle: logs N accounts in (one connection each, presence sent), holds them, and reports how much
// the server's resident memory grew per connection. Run it against a freshly started server: the
// RSS before is read before the first connection.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "parley_bench/scenarios.hpp"

namespace parley::bench {

bool AnswerPing(XmppConn& conn, std::string_view el) {
  if (!IsElement(el, "iq") || AttributeOf(el, "type") != "get" ||
      el.find("urn:xmpp:ping") == std::string_view::npos) {
    return false;
  }
  std::string reply = "<iq type='result' id='";
  reply.append(AttributeOf(el, "id"));
  reply += "' to='";
  reply.append(AttributeOf(el, "from"));
  reply += "'/>";
  conn.Send(reply);
  return true;
}

namespace {

// Holds one established connection until the run stops; a connection the server closes before
// that is an error.
asio::awaitable<void> HoldIdle(Env& env, std::size_t worker, std::shared_ptr<XmppConn> conn) {
  env.live.fetch_add(1);
  conn->SetReadChunk(1024);
  for (;;) {
    if (!co_await conn->ReadMore()) break;
    bool closed = false;
    for (StreamEvent ev = conn->Poll(); ev.kind != StreamEvent::Kind::kNone; ev = conn->Poll()) {
      if (ev.kind == StreamEvent::Kind::kStreamClose) closed = true;
      if (ev.kind == StreamEvent::Kind::kElement) AnswerPing(*conn, ev.bytes);
    }
    if (closed) break;
  }
  env.live.fetch_sub(1);
  if (!env.stop.load()) {
    Stats& stats = env.pool.StatsOf(worker);
    ++stats.dropped;
    stats.Error("idle connection closed by the server: " + conn->LastError());
  }
  conn->Close();
}

asio::awaitable<void> IdleOne(Env& env, std::size_t worker, int64_t item) {
  asio::io_context& io = env.pool.Io(worker);
  auto conn = co_await Login(env, io, static_cast<int>(item), /*presence=*/true);
  ++env.pool.StatsOf(worker).ok;
  asio::co_spawn(io, HoldIdle(env, worker, std::move(conn)), asio::detached);
}

}  // namespace

int RunIdle(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  json.Add("connections", o.users);
  json.Add("concurrency", o.concurrency);
  json.Add("hold_seconds", o.duration);
  std::optional<int64_t> rss_before;
  if (o.server_pid > 0) rss_before = ProcessRssKiB(o.server_pid);
  CpuMark start = MarkCpu(env);
  bool done = RunConcurrently(
      env, o.users, o.concurrency, [&env](std::size_t w, int64_t i) { return IdleOne(env, w, i); },
      env.hard_deadline);
  CpuMark connected = MarkCpu(env);
  int64_t established = env.live.load();
  // Hold: let the server settle (freed handshake buffers, batched writes) before measuring.
  auto hold_until =
      std::min(env.hard_deadline,
               Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.duration * 1e3)));
  std::this_thread::sleep_until(hold_until);
  std::optional<int64_t> rss_after;
  if (o.server_pid > 0) rss_after = ProcessRssKiB(o.server_pid);
  int64_t held = env.live.load();
  CpuMark end = MarkCpu(env);
  env.stop = true;
  env.pool.Stop();
  env.timed_out = !done;
  double setup = std::chrono::duration<double>(connected.at - start.at).count();
  json.Add("established", established);
  json.Add("held_at_end", held);
  json.Add("setup_seconds", setup);
  json.Add("logins_per_second", setup > 0 ? static_cast<double>(established) / setup : 0.0);
  if (rss_before && rss_after) {
    json.Add("server_rss_before_kib", *rss_before);
    json.Add("server_rss_after_kib", *rss_after);
    json.Add(
        "kib_per_connection",
        held > 0 ? static_cast<double>(*rss_after - *rss_before) / static_cast<double>(held) : 0.0);
  } else {
    json.AddNull("kib_per_connection");
  }
  AddCpu(json, env, start, end);
  return done ? 0 : 1;
}

}  // namespace parley::bench
