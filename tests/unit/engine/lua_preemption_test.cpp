// Time is the budget: a message runs within its CPU time per message, and a
// preemptible sandbox gives the engine back at the end of every slice, also
// from inside coroutines, without the service's code noticing.
#include "engine/sandbox/lua_sandbox.hpp"
#include "engine/sandbox/lua_meter.hpp"
#include "engine/sandbox/slice_watchdog.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>

namespace json = boost::json;
using solo::LuaLimits;
using solo::StepResult;
using solo::test::make_sandbox;
using solo::test::runner;
using solo::test::longest_step_seconds;
using solo::test::run_sliced;
using solo::test::seconds_of;

namespace {


// The server's default limits (make_sandbox's default is instruction-bound).
const LuaLimits defaults{};

std::unique_ptr<solo::LuaSandbox> preemptible(const char* code, LuaLimits limits = defaults) {
  auto sb = make_sandbox(code, nullptr, limits);
  sb->set_preemptible(true);
  return sb;
}

void expect_cpu_limit(const StepResult& r) {
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("cpu time limit exceeded (50 ms per message)") != std::string::npos, r.error);
  BOOST_TEST(r.fault == StepResult::Fault::cpu_time);
}

void expect_alive(solo::LuaSandbox& sb) {
  auto r = sb.start_call("ping");
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::value("pong"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_preemption)

BOOST_AUTO_TEST_CASE(an_endless_loop_stops_at_its_cpu_time) {
  auto sb = make_sandbox(runner, nullptr, defaults);
  StepResult r;
  const double s = seconds_of([&] { r = sb->start_call("while true do end"); });
  expect_cpu_limit(r);
  BOOST_TEST(s >= 0.045);
  BOOST_TEST(s < 0.3);
  BOOST_TEST_MESSAGE("endless loop stopped after " << s * 1000 << " ms");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(raising_errors_in_a_loop_stops_at_its_cpu_time) {
  auto sb = make_sandbox(runner, nullptr, defaults);
  StepResult r;
  const double s = seconds_of([&] { r = sb->start_call("while true do pcall(error) end"); });
  expect_cpu_limit(r);
  BOOST_TEST(s < 0.3);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_coroutine_yielding_forever_stops_at_its_cpu_time) {
  auto sb = make_sandbox(runner, nullptr, defaults);
  StepResult r;
  const double s = seconds_of([&] {
    r = sb->start_call(
        "local co = coroutine.wrap(function() while true do coroutine.yield() end end) "
        "while true do co() end");
  });
  expect_cpu_limit(r);
  BOOST_TEST(s < 0.3);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(slow_instructions_are_stopped_by_the_watchdog) {
  // Each comparison walks 1 MiB of NUL-separated pieces: one VM instruction
  // of milliseconds, so the hook alone (every 1000 instructions) would look
  // at the clock far too late.
  auto sb = make_sandbox(runner, nullptr, defaults);
  StepResult r;
  const double s = seconds_of([&] {
    r = sb->start_call(
        "local a = ('\\0'):rep(1024):rep(1024) local b = ('\\0'):rep(1024):rep(1024) "
        "local n = 0 for i = 1, 1000 do if a < b then n = n + 1 end end return n");
  });
  expect_cpu_limit(r);
  BOOST_TEST(s < 0.3);
  BOOST_TEST_MESSAGE("slow comparisons stopped after " << s * 1000 << " ms");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_non_yieldable_callback_still_stops_at_its_cpu_time) {
  auto sb = preemptible(runner);
  auto s = run_sliced(*sb, "local t = {3, 2, 1} table.sort(t, function(a, b) while true do end end)");
  expect_cpu_limit(s.result);
  BOOST_TEST(s.total < 0.3);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(the_top_level_has_a_short_unsliced_limit) {
  std::string error;
  try {
    make_sandbox("while true do end", nullptr, defaults);
  } catch (const solo::LuaLoadError& e) {
    error = e.what();
  }
  BOOST_TEST(error.find("cpu time limit exceeded (5 ms for a service's top level and terminate)") !=
                 std::string::npos,
             error);
}

BOOST_AUTO_TEST_CASE(a_long_message_is_sliced_and_its_result_is_unchanged) {
  auto sb = preemptible(runner);
  // About 15 ms of work on the CI machine: many slices, within the 50 ms budget.
  auto s = run_sliced(*sb, "local n = 0 for i = 1, 1000000 do n = n + i % 7 end return n");
  BOOST_TEST_INFO(s.result.error);
  BOOST_REQUIRE(s.result.is_done());
  long long expected = 0;
  for (long long i = 1; i <= 1000000; ++i) expected += i % 7;
  BOOST_TEST(s.result.reply.as_int64() == expected);
  BOOST_TEST(s.slices > 3);
  // A slice is about 0.5 ms; 10 ms is containment on a loaded machine, not a benchmark.
  BOOST_TEST(s.checked_longest() < longest_step_seconds);
  BOOST_TEST_MESSAGE(s.slices << " slices, longest " << s.longest * 1000 << " ms");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(preemption_inside_coroutines_is_invisible_to_the_service) {
  auto sb = preemptible(runner);
  // A generator does heavy work between yields, inside resume and wrap, two
  // levels deep; a spurious (preempted) yield would show as a missing value.
  auto s = run_sliced(*sb, R"lua(
    local function work() local x = 0 for i = 1, 5000 do x = x + 1 end return x end
    local inner = coroutine.wrap(function()
      for i = 1, 100 do work() coroutine.yield(i) end
    end)
    local outer = coroutine.create(function()
      local sum = 0
      for i = 1, 100 do local v = inner() work() sum = sum + v coroutine.yield(v) end
      return sum
    end)
    local seen, last = 0, nil
    while true do
      local ok, v = coroutine.resume(outer)
      assert(ok, v)
      if coroutine.status(outer) == "dead" then last = v break end
      assert(type(v) == "number", "spurious yield")
      seen = seen + 1
    end
    return {seen = seen, sum = last}
  )lua");
  BOOST_TEST_INFO(s.result.error);
  BOOST_REQUIRE(s.result.is_done());
  BOOST_TEST(s.result.reply.at("seen").as_int64() == 100);
  BOOST_TEST(s.result.reply.at("sum").as_int64() == 5050);
  BOOST_TEST(s.slices > 2);
  BOOST_TEST(s.checked_longest() < longest_step_seconds);
}

BOOST_AUTO_TEST_CASE(the_cpu_time_continues_across_slices) {
  auto sb = preemptible(runner);
  auto s = run_sliced(*sb, "while true do end");
  expect_cpu_limit(s.result);
  BOOST_TEST(s.slices >= 45);  // at most a slice of CPU each until 50 ms are spent
  BOOST_TEST(s.checked_longest() < longest_step_seconds);
  BOOST_TEST(s.total < 0.3);
  expect_alive(*sb);
}

// Found by the sandbox fuzzer: the watchdog's signal handler walks every
// frame of the running thread (lua_sethook), ~200k of them at the recursion
// limit; signalled every tick, the engine thread never left the handlers.
BOOST_AUTO_TEST_CASE(deep_recursion_in_a_loop_stops_at_its_cpu_time) {
  auto sb = preemptible(runner);
  auto s = run_sliced(*sb, "local function r(n) return 1 + r(n + 1) end while true do pcall(r, 0) end");
  expect_cpu_limit(s.result);
  BOOST_TEST(s.total < 0.5);
  BOOST_TEST_MESSAGE("deep recursion: " << s.slices << " slices, longest " << s.longest * 1000 << " ms");
  expect_alive(*sb);
}

// Found by the sandbox fuzzer: each new coroutine counts its own instructions
// towards the hook, so a tree of coroutines that each run fewer than 1000
// never met the clock; resume reads it now.
BOOST_AUTO_TEST_CASE(a_tree_of_short_coroutines_stops_at_its_cpu_time) {
  auto sb = preemptible(runner);
  auto s = run_sliced(*sb, R"lua(
    local F
    F = function() for i = 1, 59 do pcall(function() coroutine.resume(coroutine.create(F)) end) end end
    F())lua");
  expect_cpu_limit(s.result);
  BOOST_TEST(s.total < 0.5);
  BOOST_TEST(s.slices > 10);  // and it is sliced at the resumes
  BOOST_TEST(s.checked_longest() < longest_step_seconds);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_lower_cpu_limit_is_honoured) {
  LuaLimits limits;
  limits.cpu_time_per_message = std::chrono::milliseconds(10);
  auto sb = make_sandbox(runner, nullptr, limits);
  StepResult r;
  const double s = seconds_of([&] { r = sb->start_call("while true do end"); });
  BOOST_TEST(r.error.find("cpu time limit exceeded (10 ms per message)") != std::string::npos, r.error);
  BOOST_TEST(s < 0.1);
}

BOOST_AUTO_TEST_CASE(cpu_time_is_reported) {
  auto sb = make_sandbox(runner, nullptr, defaults);
  sb->start_call("local x = 0 for i = 1, 1000000 do x = x + 1 end return x");
  BOOST_TEST(sb->cpu_time() > std::chrono::microseconds(100));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lua_string_cap)

// One VM instruction on a string cannot be interrupted, so its length is
// what bounds it: a string is at most string_bytes (1 MiB by default).
BOOST_AUTO_TEST_CASE(a_string_past_string_bytes_is_refused) {
  auto sb = make_sandbox(runner, nullptr, defaults);
  auto r = sb->start_call("local s = ('x'):rep(1024):rep(1025) return #s");
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("string too large (the limit is 1048576 bytes, string_bytes)") != std::string::npos, r.error);
  BOOST_TEST(r.fault == StepResult::Fault::memory);
  // Exactly at the limit is fine, and the sandbox goes on.
  auto ok = sb->start_call("local s = ('x'):rep(1024):rep(1024) return #s");
  BOOST_TEST_INFO(ok.error);
  BOOST_REQUIRE(ok.is_done());
  BOOST_TEST(ok.reply.as_int64() == 1 << 20);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(concatenation_cannot_pass_the_string_cap_either) {
  auto sb = make_sandbox(runner, nullptr, defaults);
  auto r = sb->start_call("local s = ('x'):rep(1024):rep(1000) local t = s .. s return #t");
  BOOST_TEST(r.error.find("string too large") != std::string::npos, r.error);
  // pcall catches it like any memory error.
  auto caught = sb->start_call("local s = ('x'):rep(1024):rep(1000) return (pcall(function() return s .. s end))");
  BOOST_TEST_INFO(caught.error);
  BOOST_REQUIRE(caught.is_done());
  BOOST_TEST(caught.reply == json::value(false));
}

BOOST_AUTO_TEST_CASE(comparing_the_longest_strings_is_bounded) {
  // The slowest single instruction there is: `<` on two strings of NUL bytes
  // walks them a byte at a time. At the cap it is a few milliseconds.
  auto sb = make_sandbox(runner, nullptr, defaults);
  auto r = sb->start_call(
      "local a = ('\\0'):rep(1024):rep(1024) local b = ('\\0'):rep(1024):rep(1024) "
      "local t = os.clock() local x = a < b return os.clock() - t");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST_MESSAGE("one comparison of two 1 MiB strings of NUL bytes: " << r.reply.to_number<double>() * 1000
                                                                          << " ms");
  BOOST_TEST(r.reply.to_number<double>() < 0.05);  // containment on a loaded machine, not a benchmark
}

BOOST_AUTO_TEST_SUITE_END()
