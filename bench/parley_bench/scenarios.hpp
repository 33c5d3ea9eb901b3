#pragma once
// One function per scenario. Each runs on the main thread, drives the workers through Env, stops
// the pool when its measurement is over, adds its parameters and results to `json`, and returns
// the process exit code (0 done, 1 the run could not complete).

#include "parley_bench/report.hpp"
#include "parley_bench/runner.hpp"

namespace parley::bench {

int RunRegister(Env& env, JsonLine& json);
int RunIdle(Env& env, JsonLine& json);
int RunLogin(Env& env, JsonLine& json);
int RunMsg(Env& env, JsonLine& json);
int RunMuc(Env& env, JsonLine& json);
int RunRosterLogin(Env& env, JsonLine& json);

// XEP-0077 registration of account `item` on its own stream: Stats::ok when created,
// Stats::existing when it was there already. Throws BenchError.
asio::awaitable<void> RegisterOne(Env& env, std::size_t worker, int64_t item);

// Answers an XEP-0199 ping from the server (idle connections get them); true if `el` was one.
bool AnswerPing(XmppConn& conn, std::string_view el);

}  // namespace parley::bench
