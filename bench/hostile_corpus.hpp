// The hostile corpus (issue 9): every attack a tenant's Lua code may try, and
// how each must end. One source of truth for the hostile integration suite
// (tests/integration/hostile_test.cpp) and `solo-bench isolation`
// (bench/isolation_bench.cpp).
//
// Each case runs as a tenant whose token may only deploy and call, with the
// default limits unless `limits` names lower ones (a memory cap shown with
// less memory than the default). The service answers {"op":"ping"} with
// "pong" and runs `attack` for any other message (see hostile_code()).
// `expected` lists the documented errors a case may end with (where two
// limits can bind first, both).
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace solo::hostile {

enum class Outcome {
  crash,         // the call answers 500 service_error naming the problem; the service restarts
  reply_error,   // the call answers 500 naming the problem, `repeat` times; the service stays running, 0 restarts
  succeed,       // the call answers 200 (a legit heavy message, sliced)
  bad_request,   // the call's body is refused with 400 at the gateway
  deploy_refused // the deploy is refused with 429 quota_exceeded (limits above the tenant's per-service maxima)
};

struct Case {
  std::string id;
  std::string attack;                 // Lua: the body run for a message other than ping
  std::vector<std::string> expected;  // the error names the problem: one of these (empty: no error)
  Outcome outcome = Outcome::crash;
  std::string limits = {};            // JSON object of deploy limits; empty: the defaults
  std::string message = R"({"op":"attack"})";  // the call body
  int repeat = 1;                     // reply_error: calls in a row
  bool grows_memory = false;          // check the process RSS stays bounded across it
};

// The errors a message that runs too long may end with: the clock, or the
// instruction budget (when C work is charged up front it may bind first).
inline std::vector<std::string> too_long() { return {"cpu time limit exceeded", "instruction budget exceeded"}; }
inline std::vector<std::string> too_long_or(std::vector<std::string> more) {
  auto out = too_long();
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

// The service of a case: `ping` answers "pong", anything else runs the attack.
inline std::string hostile_code(const std::string& attack) {
  return "function handle_call(msg, state)\n"
         "  if msg.op == 'ping' then return 'pong', state end\n"
         "  do\n" +  // a block of its own: an attack may end in `return`
         attack +
         "\n  end\n"
         "  return 'survived', state\n"
         "end\n";
}

inline std::vector<Case> corpus() {
  std::vector<Case> cases = {
      // ---- time: every endless loop ends at its 50 ms --------------------------------
      {"endless-loop", "while true do end", {"cpu time limit exceeded"}},
      {"endless-loop-pcall", "while true do pcall(function() while true do end end) end", {"cpu time limit exceeded"}},
      {"pcall-error", "while true do pcall(error) end", too_long()},
      {"coroutine-yield-forever",
       "local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end",
       too_long()},
      {"coroutine-loop",
       "local cos = {} while true do local co = coroutine.create(function() while true do end end) "
       "cos[#cos + 1] = co coroutine.resume(co) end",
       too_long()},
      {"coroutine-hoard", "local cos = {} while true do cos[#cos + 1] = coroutine.create(function() end) end",
       too_long_or({"not enough memory"})},
      {"coroutine-nest",
       "local function nest() return coroutine.wrap(function() return nest()() end) end return nest()(), state",
       too_long_or({"stack overflow", "C stack overflow", "not enough memory"})},
      {"pattern-loop", "local s = string.rep('a', 3000) while true do s:find('a*b') end", too_long()},
      {"rep-loop", "while true do local s = string.rep('x', 4 << 20) end",
       too_long_or({"not enough memory", "too large", "too much work"})},
      // ---- one slow instruction or C call: the slice watchdog, or an up-front charge ----
      // The longest strings there may be (string_bytes, 1 MiB): `<` walks them
      // piece by piece between NUL bytes, one uninterruptible instruction.
      {"compare-nul",
       "local a, b = ('\\0'):rep(1024):rep(1024), ('\\0'):rep(1024):rep(1024) "
       "for i = 1, 100 do local _ = a < b end",
       too_long()},
      {"compare-nul-4mb", "local a = ('\\0'):rep(1024):rep(4096)", {"string too large"}},
      {"tonumber-1mib", "local s = ('1'):rep(1024):rep(1024) while true do tonumber(s) end",
       too_long_or({"too much work"})},
      {"packsize", "local f = string.rep('i8', 100000) while true do string.packsize(f) end",
       too_long_or({"too much work"})},
      {"rep-empty-3e9", "local s = string.rep('', 3e9)", too_long_or({"too much work"}), Outcome::crash},
      {"rep-empty-maxinteger", "local s = string.rep('', math.maxinteger)",
       too_long_or({"too much work", "too large"})},
      {"pattern-set", "return ('a'):rep(600):find('a*[' .. ('b'):rep(60000) .. ']'), state",
       too_long()},
      // ---- memory --------------------------------------------------------------------
      {"alloc-bomb", "local t = {} while true do t[#t + 1] = string.rep('x', 1024) .. #t end",
       too_long_or({"not enough memory"})},
      {"alloc-bomb-small-heap", "local t = {} while true do t[#t + 1] = string.rep('x', 1024) .. #t end",
       {"not enough memory"}, Outcome::crash, R"({"memory_bytes": 4194304})"},
      {"rep-bomb", "return string.rep('x', 1 << 40), state", {"not enough memory", "too large", "too much work"}},
      {"rep-nested", "return ('x'):rep(1 << 23):rep(1 << 23), state",
       {"not enough memory", "too large", "too much work"}},
      {"doubling", "local s = 'x' while true do s = s .. s end", {"not enough memory", "too large", "too much work"}},
      {"reply-60mib",
       "local s = string.rep('x', 1 << 20) local t = {} for i = 1, 60 do t[i] = s end return t, state",
       {"too large", "not enough memory"}, Outcome::reply_error, {}, {}, 1, true},
      {"timers-1mib",
       "local big = string.rep('x', 1 << 20) for i = 1, 1000 do solo.after(1000000, big) end",
       {"too large", "not enough memory"}, Outcome::crash, {}, {}, 1, true},
      {"recursion", "local function f(n) return f(n + 1) + 1 end return f(1), state",
       {"stack overflow", "not enough memory"}},
      {"recursion-index",
       "local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end return t.x, state",
       {"stack overflow", "too long", "not enough memory"}},
      // Backtracking patterns past one C call's worth run in the Lua matcher:
      // sliced, and stopped by the clock.
      {"pattern", "return string.find(string.rep('a', 200000), '.-.-.-.-b'), state", too_long()},
      {"pattern-gmatch", "for _ in string.rep('a', 100000):gmatch('a*a*b') do end", too_long()},
      {"gc-finalizer", "setmetatable({}, {__gc = function() while true do end end})", {"__gc"}},
      // ---- escapes ---------------------------------------------------------------------
      {"io", "return io.open('/etc/passwd'):read('a'), state", {"'io'"}},
      {"os-execute", "return os.execute('touch /tmp/solo-hostile-was-here'), state", {"'execute'"}},
      {"os-exit", "os.exit(3)", {"'exit'"}},
      {"debug", "debug.sethook()", {"'debug'"}},
      {"require", "local ffi = require('ffi')", {"'require'"}},
      {"package", "package.loadlib('libc.so.6', 'system')", {"'package'"}},
      {"string-dump", "return load(string.dump(function() end)), state", {"'dump'"}},
      {"bytecode", "local f, err = load('\\27Lua\\x54\\x00garbage') if not f then error(err) end", {"binary chunk"}},
      {"collectgarbage", "collectgarbage('collect')", {"only \"count\""}},
      {"dofile", "dofile('/etc/passwd')", {"'dofile'"}},
      {"string-metatable", "getmetatable('').__index = {}", {"read-only", "nil value", "boolean value"}},
      {"string-rewrite", "for k in pairs(string) do end; string.rep = nil", {"read-only"}},
      // ---- what must not crash -----------------------------------------------------------
      // A heavy but legitimate message: ~25 ms of the thread's CPU on the
      // 2-core machine, about fifty slices, well within its 50 ms (2M
      // iterations, ~45 ms, failed now and then).
      {"legit-heavy", "local x = 0 for i = 1, 1000000 do x = x + i % 7 end return x, state", {}, Outcome::succeed},
      {"reply-function", "return function() end, state", {"function", "encode", "cannot"}, Outcome::reply_error, {},
       {}, 4},
      {"reply-nan", "return 0/0, state", {"NaN", "nan", "finite", "encode", "cannot"}, Outcome::reply_error, {}, {}, 4},
      {"nonfinite-body", "return msg.a, state", {"finite", "number", "invalid"}, Outcome::bad_request, {},
       R"({"a": 1e400})"},
      {"raise-limits", "", {"quota_exceeded"}, Outcome::deploy_refused, R"({"instructions_per_message": 1000000000})"},
  };
  return cases;
}

}  // namespace solo::hostile
