// muc: M occupants in one room (XEP-0045), S of them sending groupchat messages. Every occupant
// logs in, sends initial presence and joins `room@service/<its user name>` asking for no history
// (§7.2.15: <history maxstanzas='0'/>); the first one creates the room and, when the service says
// it was created (status 201), submits an empty configuration form, which accepts the default
// configuration and unlocks the room (§10.1.2, "instant room"). Then the senders send, each
// message carrying its send time: closed loop (default) with W in flight per sender, each sender
// sending the next when the room reflects one of its own back (§7.4); open loop (--rate R)
// R messages/s in total from the senders. Every occupant counts the messages it receives inside
// the window (deliveries: M per message, the sender's reflection included) and their latency.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "parley_bench/scenarios.hpp"
#include "parley_bench/traffic.hpp"

namespace parley::bench {
namespace {

constexpr std::string_view kNsMuc = "http://jabber.org/protocol/muc";
constexpr std::string_view kNsMucOwner = "http://jabber.org/protocol/muc#owner";

struct Occupant {
  Endpoint ep;
  std::string self;  // room@service/nick: the `from` of our own reflected messages
  std::size_t worker = 0;
};

struct Room {
  std::string jid;  // room@service
  bool closed_loop = true;
  int senders = 0;
  Window window;
  std::vector<Occupant> occupants;
};

std::string Clip(std::string_view s) { return std::string(s.substr(0, 300)); }

bool HasStatus(std::string_view el, std::string_view code) {
  return el.find("code='" + std::string(code) + "'") != std::string_view::npos ||
         el.find("code=\"" + std::string(code) + "\"") != std::string_view::npos;
}

// Sends the join presence and waits for our own presence from the room (§7.2.2: it comes after
// the other occupants' presence); creates an instant room when the service reports status 201.
asio::awaitable<void> EnterRoom(XmppConn& conn, const std::string& room,
                                const std::string& occupant) {
  co_await conn.Write("<presence to='" + occupant + "'><x xmlns='" + std::string(kNsMuc) +
                      "'><history maxstanzas='0'/></x></presence>");
  bool created = false;
  for (;;) {
    std::string_view el = co_await conn.NextElement();
    if (AnswerPing(conn, el) || !IsElement(el, "presence") || AttributeOf(el, "from") != occupant) {
      continue;
    }
    std::string_view type = AttributeOf(el, "type");
    if (type == "error" || type == "unavailable") {
      throw BenchError("joining " + occupant + " failed: " + Clip(el));
    }
    created = HasStatus(el, "201");
    break;
  }
  if (!created) co_return;
  co_await conn.Write("<iq type='set' id='muc-create' to='" + room + "'><query xmlns='" +
                      std::string(kNsMucOwner) +
                      "'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
  for (;;) {
    std::string_view el = co_await conn.NextElement();
    if (!IsElement(el, "iq") || AttributeOf(el, "id") != "muc-create") continue;
    if (AttributeOf(el, "type") != "result") {
      throw BenchError("creating the instant room " + room + " failed: " + Clip(el));
    }
    co_return;
  }
}

// Reads one occupant's connection until the run stops.
asio::awaitable<void> Reader(Env& env, std::shared_ptr<Room> room, std::size_t index) {
  Occupant& me = room->occupants[index];
  Endpoint self = me.ep;
  const bool sender = static_cast<int>(index) < room->senders;
  env.live.fetch_add(1);
  Stats& stats = env.pool.StatsOf(me.worker);
  bool closed = false;
  while (!closed && co_await self.conn->ReadMore()) {
    for (StreamEvent ev = self.conn->Poll(); ev.kind != StreamEvent::Kind::kNone;
         ev = self.conn->Poll()) {
      if (ev.kind == StreamEvent::Kind::kStreamClose) {
        closed = true;
        break;
      }
      if (ev.kind != StreamEvent::Kind::kElement) continue;
      std::string_view el = ev.bytes;
      if (!IsElement(el, "message")) {
        AnswerPing(*self.conn, el);
        continue;
      }
      if (AttributeOf(el, "type") == "error") {
        stats.Error("groupchat message bounced: " + Clip(el));
        continue;
      }
      Clock::time_point sent;
      if (!ParseStamp(el, &sent) || el.find("<delay") != std::string_view::npos) continue;
      Clock::time_point now = Clock::now();
      if (room->window.Contains(now)) {
        ++stats.delivered;
        stats.Latency(now - sent);
      }
      if (sender && room->closed_loop && !env.stop.load(std::memory_order_relaxed) &&
          AttributeOf(el, "from") == me.self) {
        SendStamped(self, now);
        ++stats.sent;
      }
    }
  }
  env.live.fetch_sub(1);
  if (!env.stop.load()) {
    ++stats.dropped;
    stats.Error("occupant connection closed: " + self.conn->LastError());
  }
  self.conn->Close();
}

asio::awaitable<void> Join(Env& env, std::size_t worker, int64_t k, std::shared_ptr<Room> room) {
  asio::io_context& io = env.pool.Io(worker);
  const int user = static_cast<int>(k);
  auto conn = co_await Login(env, io, user, /*presence=*/true);
  Occupant& me = room->occupants[k];
  me.self = room->jid + "/" + UserName(env.opts, user);
  conn->ArmTimeout(env.OpTimeout());
  co_await EnterRoom(*conn, room->jid, me.self);
  conn->DisarmTimeout();
  me.worker = worker;
  me.ep = {conn, "<message to='" + room->jid + "' type='groupchat'><body>", kMessageSuffix};
  ++env.pool.StatsOf(worker).ok;
  asio::co_spawn(io, Reader(env, room, static_cast<std::size_t>(k)), asio::detached);
}

}  // namespace

int RunMuc(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  auto room = std::make_shared<Room>();
  room->jid = o.room + "@" + o.muc_service;
  room->closed_loop = o.rate <= 0;
  room->senders = o.senders;
  room->occupants.resize(static_cast<std::size_t>(o.occupants));
  json.Add("mode", room->closed_loop ? "closed" : "open");
  json.Add("room", room->jid);
  json.Add("occupants", o.occupants);
  json.Add("senders", o.senders);
  json.Add("window", o.window);
  json.Add("offered_rate", o.rate);
  json.Add("duration", o.duration);
  json.Add("warmup", o.warmup);
  auto join = [&env, room](std::size_t w, int64_t k) { return Join(env, w, k, room); };
  // The first occupant creates the room alone; the others join it concurrently.
  bool done = RunConcurrently(env, 1, 1, join, env.hard_deadline);
  if (done && room->occupants[0].ep.conn) {
    done = RunConcurrently(
        env, o.occupants - 1, o.concurrency,
        [join](std::size_t w, int64_t k) { return join(w, k + 1); }, env.hard_deadline);
  }
  int64_t ready = 0;
  for (const Occupant& p : room->occupants) ready += p.ep.conn != nullptr;
  int ready_senders = 0;
  for (int i = 0; i < o.senders; ++i) ready_senders += room->occupants[i].ep.conn != nullptr;
  json.Add("occupants_ready", ready);
  if (!done || ready_senders == 0) {
    env.stop = true;
    env.pool.Stop();
    env.timed_out = !done;
    return 1;
  }
  // Kick off.
  if (room->closed_loop) {
    for (int i = 0; i < o.senders; ++i) {
      Occupant& s = room->occupants[i];
      if (!s.ep.conn) continue;
      asio::post(env.pool.Io(s.worker),
                 [&env, ep = s.ep, w = o.window, worker = s.worker]() mutable {
                   for (int n = 0; n < w; ++n) SendStamped(ep, Clock::now());
                   env.pool.StatsOf(worker).sent += static_cast<uint64_t>(w);
                 });
    }
  } else {
    std::vector<std::vector<Endpoint>> by_worker(env.pool.Size());
    for (int i = 0; i < o.senders; ++i) {
      Occupant& s = room->occupants[i];
      if (s.ep.conn) by_worker[s.worker % by_worker.size()].push_back(s.ep);
    }
    for (std::size_t w = 0; w < by_worker.size(); ++w) {
      if (by_worker[w].empty()) continue;
      double share =
          o.rate * static_cast<double>(by_worker[w].size()) / static_cast<double>(ready_senders);
      asio::co_spawn(env.pool.Io(w), Ticker(env, w, std::move(by_worker[w]), share),
                     asio::detached);
    }
  }
  WindowRun run = RunWindow(env, room->window, o.warmup, o.duration);
  // Drop the room's references now: left to the readers' frames, the last one could go while
  // another worker's io_context, which the connection's socket belongs to, is already destroyed.
  for (Occupant& p : room->occupants) p.ep = {};
  Stats t = env.pool.Total();
  json.Add("connections_at_end", run.live_at_end);
  json.Add("sent", t.sent);
  AddDeliveryResults(json, env, run, t);
  return 0;
}

}  // namespace parley::bench
