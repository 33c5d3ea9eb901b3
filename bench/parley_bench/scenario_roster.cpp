// roster-login: a login storm of N accounts whose rosters hold K contacts each, measuring logins/s
// and the presence fan-out it causes (issue 4). The accounts are <prefix>0 .. <prefix>N-1 (prefix
// "roster" by default, so that other scenarios' accounts keep empty rosters) on a ring: account i
// has a mutual ("both") subscription with the K/2 accounts either side of it.
//
// 1. Registration of the N accounts (existing ones are kept).
// 2. The storm: C concurrent clients log each account in once, as a client does on start-up:
//    connect, STARTTLS, SCRAM, bind, roster get (RFC 6121 §2.2), initial presence (§4.2); each
//    stays online. The server sends each new session's presence to its online contacts (§4.2.2)
//    and theirs to it (probes, §4.3), so once everybody is online each account has received one
//    available presence from each of its K contacts. The storm ends when all have (or after
//    --op-timeout past the last login).
// 3. Provisioning, only when a roster fetched in step 2 lacks a contact: every online account
//    sends a subscription request to each of its K contacts and approves every request it gets
//    (RFC 6121 §3.1), until each has K approvals; then a roster get per account (so the server has
//    handled everything before it), all disconnect, and the storm (2) is run again to measure.
//    So the rosters are made once per server and reused by later runs.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <thread>

#include "parley_bench/scenarios.hpp"

namespace parley::bench {
namespace {

constexpr std::string_view kRosterGet = "<query xmlns='jabber:iq:roster'/></iq>";

// One account's session in one storm. Written by its worker only, except the atomics.
struct User {
  std::shared_ptr<XmppConn> conn;
  std::size_t worker = 0;
  Clock::time_point began, logged_in, complete_at;
  int roster_contacts = 0;  // ring contacts with subscription 'both' at login
  std::vector<bool> seen;   // ring contacts seen available (by Slot)
  int seen_count = 0;
  std::vector<bool> approved_by;  // provisioning: 'subscribed' received (by Slot)
  int approved_count = 0;
  std::atomic<uint32_t> presences{0};  // available presence from ring contacts
};

struct Storm {
  Storm(int n, int k) : n(n), k(k), users(static_cast<std::size_t>(n)) {}
  const int n, k;
  std::vector<User> users;
  std::atomic<int> logged_in{0};
  std::atomic<int> complete{0};     // accounts that saw all K contacts available
  std::atomic<int> provisioned{0};  // accounts with K approvals
  std::atomic<int> synced{0};       // accounts whose final roster get was answered
  std::atomic<bool> provisioning{false};
  std::atomic<bool> closing{false};
};

std::string Clip(std::string_view s) { return std::string(s.substr(0, 300)); }

// The account index in "<prefix><index>@domain[/resource]", or -1.
int IndexOf(const Options& o, std::string_view jid) {
  if (!jid.starts_with(o.user_prefix)) return -1;
  jid.remove_prefix(o.user_prefix.size());
  int index = -1;
  auto r = std::from_chars(jid.data(), jid.data() + jid.size(), index);
  if (r.ec != std::errc() || r.ptr == jid.data() + jid.size() || *r.ptr != '@') return -1;
  return index;
}

// Where contact j sits in i's roster: 0..K/2-1 above i on the ring, K/2..K-1 below; -1 if not one.
int Slot(const Storm& st, int i, int j) {
  if (j < 0 || j >= st.n) return -1;
  int d = ((j - i) % st.n + st.n) % st.n;
  const int half = st.k / 2;
  if (d >= 1 && d <= half) return d - 1;
  if (d >= st.n - half && d <= st.n - 1) return half + (st.n - d) - 1;
  return -1;
}

int ContactAt(const Storm& st, int i, int slot) {
  const int half = st.k / 2;
  int d = slot < half ? slot + 1 : -(slot - half + 1);
  return ((i + d) % st.n + st.n) % st.n;
}

std::string BareJid(const Options& o, int user) { return UserName(o, user) + "@" + o.domain; }

// Ring contacts that the roster result lists with subscription 'both'.
int CountRosterContacts(const Env& env, const Storm& st, int i, std::string_view result) {
  std::vector<bool> found(static_cast<std::size_t>(st.k));
  int count = 0;
  for (std::size_t at = result.find("<item"); at != std::string_view::npos;
       at = result.find("<item", at + 5)) {
    std::string_view item = result.substr(at);
    if (AttributeOf(item, "subscription") != "both") continue;
    int slot = Slot(st, i, IndexOf(env.opts, AttributeOf(item, "jid")));
    if (slot >= 0 && !found[slot]) {
      found[slot] = true;
      ++count;
    }
  }
  return count;
}

void OnPresence(Env& env, Storm& st, int i, std::string_view el) {
  User& u = st.users[i];
  std::string_view type = AttributeOf(el, "type");
  std::string_view from = AttributeOf(el, "from");
  int slot = Slot(st, i, IndexOf(env.opts, from));
  if (slot < 0) return;  // our own presence reflected, or not a ring contact
  if (st.provisioning.load(std::memory_order_relaxed)) {
    if (type == "subscribe") {  // approve every request from a ring contact
      u.conn->Send("<presence to='" + BareJid(env.opts, ContactAt(st, i, slot)) +
                   "' type='subscribed'/>");
    } else if (type == "subscribed" && !u.approved_by[slot]) {
      u.approved_by[slot] = true;
      if (++u.approved_count == st.k) st.provisioned.fetch_add(1);
    }
    return;
  }
  if (!type.empty()) return;  // only available presence counts
  u.presences.fetch_add(1, std::memory_order_relaxed);
  if (!u.seen[slot]) {
    u.seen[slot] = true;
    if (++u.seen_count == st.k) {
      u.complete_at = Clock::now();
      st.complete.fetch_add(1);
    }
  }
}

// Reads one account's connection until the run (or the provisioning pass) closes it.
asio::awaitable<void> Reader(Env& env, std::shared_ptr<Storm> st, int i) {
  User& u = st->users[i];
  std::shared_ptr<XmppConn> conn = u.conn;
  env.live.fetch_add(1);
  bool closed = false;
  while (!closed && co_await conn->ReadMore()) {
    for (StreamEvent ev = conn->Poll(); ev.kind != StreamEvent::Kind::kNone; ev = conn->Poll()) {
      if (ev.kind == StreamEvent::Kind::kStreamClose) {
        closed = true;
        break;
      }
      if (ev.kind != StreamEvent::Kind::kElement) continue;
      std::string_view el = ev.bytes;
      if (IsElement(el, "presence")) {
        OnPresence(env, *st, i, el);
      } else if (IsElement(el, "iq")) {
        if (AnswerPing(*conn, el)) continue;
        std::string_view type = AttributeOf(el, "type");
        if (type == "set" && el.find("jabber:iq:roster") != std::string_view::npos) {
          // A roster push (RFC 6121 §2.1.6): acknowledge it.
          conn->Send("<iq type='result' id='" + std::string(AttributeOf(el, "id")) + "'/>");
        } else if (AttributeOf(el, "id") == "sync") {
          st->synced.fetch_add(1);
        }
      }
    }
  }
  env.live.fetch_sub(1);
  if (!env.stop.load() && !st->closing.load()) {
    Stats& stats = env.pool.StatsOf(u.worker);
    ++stats.dropped;
    stats.Error("roster connection closed: " + conn->LastError());
  }
  conn->Close();
}

asio::awaitable<void> LogIn(Env& env, std::size_t worker, int64_t item, std::shared_ptr<Storm> st) {
  const int i = static_cast<int>(item);
  User& u = st->users[i];
  u.worker = worker;
  u.seen.assign(static_cast<std::size_t>(st->k), false);
  u.approved_by.assign(static_cast<std::size_t>(st->k), false);
  u.began = Clock::now();
  asio::io_context& io = env.pool.Io(worker);
  auto conn = co_await Login(env, io, i, /*presence=*/false);
  conn->ArmTimeout(env.OpTimeout());
  co_await conn->Write("<iq type='get' id='roster1'>" + std::string(kRosterGet));
  for (;;) {
    std::string_view el = co_await conn->NextElement();
    if (!IsElement(el, "iq") || AttributeOf(el, "id") != "roster1") {
      AnswerPing(*conn, el);
      continue;
    }
    if (AttributeOf(el, "type") != "result") throw BenchError("roster get failed: " + Clip(el));
    u.roster_contacts = CountRosterContacts(env, *st, i, el);
    break;
  }
  co_await conn->Write("<presence/>");
  conn->DisarmTimeout();
  u.logged_in = Clock::now();
  u.conn = conn;
  st->logged_in.fetch_add(1);
  asio::co_spawn(io, Reader(env, st, i), asio::detached);
}

// Runs the storm: every account logs in; waits for the fan-out to complete when `expect_fanout`.
struct StormResult {
  bool done = false;
  Clock::time_point logins_done, end;
};
StormResult RunStorm(Env& env, const std::shared_ptr<Storm>& st, bool expect_fanout) {
  StormResult r;
  r.done = RunConcurrently(
      env, st->n, env.opts.concurrency,
      [&env, st](std::size_t w, int64_t i) { return LogIn(env, w, i, st); }, env.hard_deadline);
  r.logins_done = Clock::now();
  if (expect_fanout) {
    const int online = st->logged_in.load();
    WaitUntil([&] { return st->complete.load() >= online; },
              std::min(env.hard_deadline, r.logins_done + env.OpTimeout()));
  }
  r.end = Clock::now();
  return r;
}

// Mutual subscriptions between every account and its ring contacts, over the storm's sessions.
void Provision(Env& env, const std::shared_ptr<Storm>& st) {
  st->provisioning = true;
  for (int i = 0; i < st->n; ++i) {
    User& u = st->users[i];
    if (!u.conn) continue;
    asio::post(env.pool.Io(u.worker), [&env, st, i] {
      User& me = st->users[i];
      for (int slot = 0; slot < st->k; ++slot) {
        me.conn->Send("<presence to='" + BareJid(env.opts, ContactAt(*st, i, slot)) +
                      "' type='subscribe'/>");
      }
    });
  }
  const int online = st->logged_in.load();
  auto bound = std::min(env.hard_deadline, Clock::now() + std::chrono::seconds(300));
  if (!WaitUntil([&] { return st->provisioned.load() >= online; }, bound)) {
    throw BenchError(
        "provisioning the rosters did not finish: " + std::to_string(st->provisioned.load()) +
        " of " + std::to_string(online) + " accounts got all their approvals");
  }
  // A roster get behind the last approvals: once answered, the server has handled them.
  for (int i = 0; i < st->n; ++i) {
    User& u = st->users[i];
    if (!u.conn) continue;
    asio::post(env.pool.Io(u.worker), [conn = u.conn] {
      conn->Send("<iq type='get' id='sync'>" + std::string(kRosterGet));
    });
  }
  WaitUntil([&] { return st->synced.load() >= online; }, bound);
  st->closing = true;
  for (int i = 0; i < st->n; ++i) {
    User& u = st->users[i];
    if (u.conn) asio::post(env.pool.Io(u.worker), [conn = u.conn] { conn->Close(); });
  }
  WaitUntil([&] { return env.live.load() == 0; }, bound);
}

// Waits (bounded) until the server used under 5 % of a core over half a second.
void WaitServerQuiet(const Env& env, Clock::duration limit) {
  if (env.opts.server_pid <= 0) return;
  const auto until = std::min(env.hard_deadline - std::chrono::seconds(60), Clock::now() + limit);
  std::optional<double> last = ProcessCpuSeconds(env.opts.server_pid);
  while (last && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::optional<double> now = ProcessCpuSeconds(env.opts.server_pid);
    if (!now || *now - *last < 0.025) return;
    last = now;
  }
}

}  // namespace

int RunRosterLogin(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  json.Add("users", o.users);
  json.Add("contacts", o.contacts);
  json.Add("concurrency", o.concurrency);
  json.Add("user_prefix", o.user_prefix);
  // 1. Accounts.
  bool done = RunConcurrently(
      env, o.users, o.concurrency,
      [&env](std::size_t w, int64_t i) { return RegisterOne(env, w, i); }, env.hard_deadline);
  auto st = std::make_shared<Storm>(o.users, o.contacts);
  // Errors found here go to worker 0's counters once the workers have stopped.
  auto fail = [&](bool timed_out, std::string_view why) {
    env.stop = true;
    env.pool.Stop();
    for (User& u : st->users) u.conn.reset();  // see below
    env.timed_out = timed_out;
    if (!why.empty()) env.pool.StatsOf(0).Error(why);
    return 1;
  };
  if (!done) return fail(true, "");
  // 2. The storm; 3. provisioning and the storm again when a roster was incomplete.
  CpuMark start = MarkCpu(env);
  StormResult storm = RunStorm(env, st, /*expect_fanout=*/false);
  int incomplete = 0;
  for (const User& u : st->users) incomplete += u.conn && u.roster_contacts < o.contacts;
  bool provisioned = false;
  double provision_seconds = 0;
  if (incomplete == 0 && storm.done) {
    const int online = st->logged_in.load();
    WaitUntil([&] { return st->complete.load() >= online; },
              std::min(env.hard_deadline, storm.logins_done + env.OpTimeout()));
    storm.end = Clock::now();
  } else if (storm.done) {
    Clock::time_point p0 = Clock::now();
    try {
      Provision(env, st);
    } catch (const BenchError& e) {
      return fail(false, e.what());
    }
    // The server may still be storing the roster changes (parleyd writes them on its storage
    // thread, where the storm's logins would queue behind them): let it finish first.
    WaitServerQuiet(env, std::chrono::seconds(300));
    provisioned = true;
    provision_seconds = std::chrono::duration<double>(Clock::now() - p0).count();
    st = std::make_shared<Storm>(o.users, o.contacts);
    start = MarkCpu(env);
    storm = RunStorm(env, st, /*expect_fanout=*/true);
  }
  CpuMark end = MarkCpu(env);
  end.at = storm.end;
  env.stop = true;
  env.pool.Stop();
  env.timed_out = !storm.done;
  Stats t = env.pool.Total();
  // Results.
  std::vector<uint32_t> login_us, fanout_us;
  uint64_t presences = 0;
  int rosters_complete = 0, complete = 0, logins = 0;
  for (const User& u : st->users) {
    if (!u.conn) continue;
    ++logins;
    login_us.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(u.logged_in - u.began).count()));
    presences += u.presences.load();
    rosters_complete += u.roster_contacts >= o.contacts;
    if (u.seen_count == o.contacts) {
      ++complete;
      fanout_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(u.complete_at - u.began).count()));
    }
  }
  const double login_secs = std::chrono::duration<double>(storm.logins_done - start.at).count();
  const double secs = std::chrono::duration<double>(storm.end - start.at).count();
  json.Add("created", t.ok);
  json.Add("existing", t.existing);
  json.Add("provisioned", provisioned);
  json.Add("provision_seconds", provision_seconds);
  json.Add("duration", secs);  // the storm, for per-second figures of the whole fan-out
  json.Add("logins", logins);
  json.Add("rosters_complete", rosters_complete);
  json.Add("fanout_complete", complete);
  json.Add("login_seconds", login_secs);
  json.Add("logins_per_second", login_secs > 0 ? logins / login_secs : 0.0);
  AddLatency(json, "login_latency", ComputePercentiles(login_us));
  json.Add("presence_delivered", presences);
  json.Add("presence_per_second", secs > 0 ? static_cast<double>(presences) / secs : 0.0);
  AddLatency(json, "fanout_latency", ComputePercentiles(fanout_us));
  AddCpu(json, env, start, end);
  if (start.server && end.server && *end.server > *start.server) {
    const double cpu = *end.server - *start.server;
    json.Add("logins_per_server_cpu_second", logins / cpu);
    json.Add("presence_per_server_cpu_second", static_cast<double>(presences) / cpu);
  }
  json.Add("generator_cpu_share",
           secs > 0 ? (end.self - start.self) / secs / static_cast<double>(o.threads) : 0.0);
  // Drop the storm's references to the connections now: left to the readers' frames, the last
  // one could go while another worker's io_context, which its socket belongs to, is destroyed.
  for (User& u : st->users) u.conn.reset();
  if (rosters_complete < logins) {
    env.pool.StatsOf(0).Error(std::to_string(logins - rosters_complete) +
                              " roster(s) without all their contacts after provisioning");
  }
  if (complete < logins) {
    env.pool.StatsOf(0).Error(std::to_string(logins - complete) +
                              " account(s) did not see all their contacts come online");
  }
  return storm.done ? 0 : 1;
}

}  // namespace parley::bench
