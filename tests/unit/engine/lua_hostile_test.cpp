// The hostile suite at the sandbox level: code that loops, allocates,
// recurses, backtracks, finalizes or reaches for the system must fail with a
// clear error, quickly, and leave the sandbox answering the next message.
// Each test checks the wall time of the hostile step: that is containment
// (well under 2 s), not a benchmark.
#include "engine/sandbox/lua_sandbox.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;
using solo::StepResult;
using solo::test::make_sandbox;
using solo::test::runner;
using solo::test::seconds_of;

namespace {

constexpr double contained = 2.0;  // seconds


struct Outcome {
  StepResult result;
  double seconds = 0;
};

Outcome run(solo::LuaSandbox& sb, const std::string& code) {
  Outcome o;
  o.seconds = seconds_of([&] { o.result = sb.start_call(json::value(code)); });
  return o;
}

void expect_error(const Outcome& o, std::string_view fragment) {
  BOOST_TEST(o.result.is_error(), "expected an error, got kind " << static_cast<int>(o.result.kind));
  BOOST_TEST(o.result.error.find(fragment) != std::string::npos,
             "error \"" << o.result.error << "\" lacks \"" << fragment << "\"");
  BOOST_TEST(o.seconds < contained);
}

void expect_alive(solo::LuaSandbox& sb) {
  auto r = sb.start_call("ping");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::value("pong"));
}

// Strings past the default string_bytes (1 MiB), to show what the C
// functions charge for inputs the size of the memory cap.
solo::LuaLimits long_strings() {
  auto limits = solo::test::instruction_bound_limits();
  limits.string_bytes = limits.memory_bytes;
  return limits;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_hostile)

BOOST_AUTO_TEST_CASE(an_endless_loop_exceeds_the_budget_and_the_next_message_is_answered) {
  auto sb = make_sandbox(runner);
  auto o = run(*sb, "while true do end");
  expect_error(o, "instruction budget exceeded");
  BOOST_TEST(o.result.fault == StepResult::Fault::instructions);
  BOOST_TEST(o.seconds < 0.5);
  BOOST_TEST_MESSAGE("endless loop stopped after " << o.seconds * 1000 << " ms");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(the_budget_error_names_the_line) {
  auto sb = make_sandbox("function handle_call(m, s)\n  local x = 0\n  while true do x = x + 1 end\nend");
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.error.find("[string \"service\"]:3: instruction budget exceeded") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(pcall_cannot_swallow_the_budget_error) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "while true do pcall(function() while true do end end) end"),
               "instruction budget exceeded");
  expect_error(run(*sb, R"lua(
    local function spin() while true do end end
    while true do
      local ok = xpcall(spin, function(e) while true do end end)
    end)lua"),
               "instruction budget exceeded");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(an_endless_loop_at_the_top_level_fails_the_load) {
  double s = seconds_of([] { BOOST_CHECK_THROW(make_sandbox("while true do end"), solo::LuaLoadError); });
  BOOST_TEST(s < contained);
}

BOOST_AUTO_TEST_CASE(unbounded_allocation_hits_the_memory_cap) {
  auto sb = make_sandbox(runner);
  auto o = run(*sb, "local t = {} while true do t[#t + 1] = string.rep('x', 1024) .. #t end");
  BOOST_TEST(o.result.is_error());
  // Either limit may trip first (allocation is charged to the budget too);
  // both are a clean error of this service.
  BOOST_TEST((o.result.fault == StepResult::Fault::memory || o.result.fault == StepResult::Fault::instructions),
             o.result.error);
  BOOST_TEST(o.seconds < contained);
  BOOST_TEST(sb->memory_bytes() <= sb->limits().memory_bytes);
  expect_alive(*sb);

  // With a generous budget, memory is what stops it.
  solo::LuaLimits limits;
  limits.instructions_per_message = 1'000'000'000;
  limits.cpu_time_per_message = std::chrono::seconds(10);
  auto roomy = make_sandbox(runner, nullptr, limits);
  auto m = run(*roomy, "local t = {} while true do t[#t + 1] = string.rep('x', 1024) .. #t end");
  expect_error(m, "not enough memory");
  BOOST_TEST(m.result.fault == StepResult::Fault::memory);
  BOOST_TEST(roomy->memory_bytes() <= limits.memory_bytes);
  expect_alive(*roomy);
}

BOOST_AUTO_TEST_CASE(a_giant_string_is_refused) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "return string.rep('x', 1 << 40)"), "");
  expect_error(run(*sb, "local src = string.rep('x = 1 ', 2000000) while true do load(src) end"), "");
  expect_error(run(*sb, "local s = 'x' while true do s = s .. s end"), "");
  expect_error(run(*sb, "return ('x'):rep(1 << 23):rep(1 << 23)"), "");
  BOOST_TEST(sb->memory_bytes() <= sb->limits().memory_bytes);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(repeated_big_c_work_is_charged_to_the_budget) {
  auto sb = make_sandbox(runner, nullptr, long_strings());
  // Each iteration is a few instructions but megabytes of C work.
  auto o = run(*sb, "local k = ('x'):rep(1024) while true do local s = k:rep(4096) end");
  expect_error(o, "instruction budget exceeded");
  auto t = run(*sb, R"lua(
    local t = {} for i = 1, 200000 do t[i] = i end
    while true do table.insert(t, 1, 0) table.remove(t, 1) end)lua");
  expect_error(t, "instruction budget exceeded");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(endless_recursion_is_an_error) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "local function f(n) return f(n + 1) + 1 end return f(1)"), "");
  // pcall catches the C stack overflow: bounded, and the handler may go on.
  auto caught = run(*sb, "local function f() return pcall(f) end return f()");
  BOOST_TEST(caught.seconds < contained);
  expect_error(run(*sb, "local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end return t.x"), "");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_pathological_pattern_spends_the_budget) {
  // Past what one C call may take, the pattern runs in the Lua matcher
  // (lua_pattern_match.hpp): counted and stopped like any Lua code. (With
  // the server's CPU time, see lua_pattern_match_test.cpp.)
  auto sb = make_sandbox(runner);
  auto o = run(*sb, "return string.find(string.rep('a', 200000), '.-.-.-.-.-b')");
  expect_error(o, "instruction budget exceeded");
  BOOST_TEST(o.seconds < 0.5);
  expect_error(run(*sb, "return (string.rep('a', 200000)):match('.-.-.-.-.-b')"), "instruction budget exceeded");
  expect_error(run(*sb, "for _ in string.rep('a', 100000):gmatch('a*a*b') do end"), "instruction budget exceeded");
  // Each call is permitted, but their time is charged: the loop ends.
  auto many = run(*sb, "local s = string.rep('a', 3000) while true do s:find('a*b') end");
  expect_error(many, "instruction budget exceeded");
  BOOST_TEST(many.seconds < 0.5);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(ordinary_patterns_still_work) {
  auto sb = make_sandbox(runner);
  auto r = sb->start_call(R"lua(
    local out = {}
    for k, v in string.gmatch(string.rep("key=value&", 500), "(%w+)=(%w+)") do out[#out + 1] = k end
    local trimmed = ("   hello world   "):match("^%s*(.-)%s*$")
    local n = select(2, string.rep("a,b,", 5000):gsub(",", ";"))
    return { #out, trimmed, n, ("x.y"):find(".", 1, true) })lua");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::parse(R"lua([500, "hello world", 10000, 2, 2])lua"));
}

BOOST_AUTO_TEST_CASE(a_coroutine_bomb_is_bounded) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, R"lua(
    local cos = {}
    while true do
      local co = coroutine.create(function() while true do end end)
      cos[#cos + 1] = co
      coroutine.resume(co)
    end)lua"),
               "instruction budget exceeded");
  expect_error(run(*sb, R"lua(
    local cos = {}
    while true do cos[#cos + 1] = coroutine.create(function() end) end)lua"),
               "");
  expect_error(run(*sb, R"lua(
    local function nest() return coroutine.wrap(function() return nest()() end) end
    return nest()())lua"),
               "");
  expect_error(run(*sb, R"lua(
    local co = coroutine.wrap(function()
      while true do pcall(function() while true do end end) end
    end)
    while true do pcall(co) end)lua"),
               "instruction budget exceeded");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(gc_finalizers_are_refused) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "setmetatable({}, {__gc = function() while true do end end})"), "__gc");
  expect_error(run(*sb, "setmetatable({}, {__gc = false})"), "__gc");
  // Adding __gc later does not make the object finalizable (Lua checks at
  // setmetatable time); collecting it must not run the loop.
  auto r = run(*sb, R"lua(
    local mt = {}
    setmetatable({}, mt)
    mt.__gc = function() while true do end end
    return collectgarbage("count") > 0)lua");
  BOOST_TEST(r.result.is_done(), r.result.error);
  BOOST_TEST(r.seconds < contained);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(the_system_is_out_of_reach) {
  auto sb = make_sandbox(runner);
  auto r = sb->start_call(R"lua(
    return { io == nil, os.execute == nil, os.exit == nil, os.getenv == nil, os.remove == nil,
             debug == nil, require == nil, package == nil, dofile == nil, loadfile == nil,
             string.dump == nil, os.time ~= nil, os.clock ~= nil, os.date ~= nil })lua");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::parse("[true,true,true,true,true,true,true,true,true,true,true,true,true,true]"));
  expect_error(run(*sb, "collectgarbage('collect')"), "only \"count\"");
  expect_error(run(*sb, "collectgarbage()"), "only \"count\"");
}

BOOST_AUTO_TEST_CASE(bytecode_is_rejected) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "return load(string.dump(function() end))"), "");
  auto r = sb->start_call(R"lua(
    local f, err = load("\27Lua\x54\x00garbage")
    local g, err2 = load(function() return nil end, "x", "b")
    return { f == nil, err, g ~= nil })lua");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply.at(0) == json::value(true));
  BOOST_TEST(std::string(r.reply.at(1).as_string()).find("binary chunk") != std::string::npos);
  BOOST_CHECK_THROW(make_sandbox("\x1bLua\x54\x00"), solo::LuaCompileError);
}

BOOST_AUTO_TEST_CASE(library_tables_and_solo_are_read_only) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "string.find = function() end"), "read-only");
  expect_error(run(*sb, "solo.call = print"), "read-only");
  expect_error(run(*sb, "solo.json.encode = print"), "read-only");
  expect_error(run(*sb, "getmetatable('').__index = {}"), "");
  // The string methods are the guarded ones (the original would run for ever).
  expect_error(run(*sb, "return (string.rep('a', 200000)):find('.-.-.-.-.-b')"), "instruction budget exceeded");
  // A service's own globals are its own.
  auto r = sb->start_call("mine = 1 return mine");
  BOOST_TEST(r.is_done(), r.error);
  auto keys = sb->start_call("local n = 0 for k in pairs(string) do n = n + 1 end return n > 10");
  BOOST_TEST(keys.reply == json::value(true), keys.error);
}

BOOST_AUTO_TEST_CASE(a_host_exception_is_a_lua_error) {
  struct ThrowingHost : solo::test::FakeLuaHost {
    void log(std::string_view, std::string_view) override { throw std::runtime_error("log store down"); }
  } host;
  auto sb = make_sandbox(runner, &host);
  auto o = run(*sb, "solo.log('info', 'x')");
  expect_error(o, "log store down");
  expect_alive(*sb);
}

// ---- C functions cost what they do (lua_costs.hpp) --------------------------
//
// "No single call in the hostile suite may hold the engine more than 10 ms
// with the default memory cap": a call whose estimate is past the per-call
// cap is refused before it does any work.

namespace {

constexpr double one_call = solo::test::longest_step_seconds;

void expect_refused_fast(solo::LuaSandbox& sb, const std::string& code, std::string_view fragment) {
  auto o = run(sb, code);
  expect_error(o, fragment);
  BOOST_TEST(o.seconds < one_call, code << " took " << o.seconds * 1000 << " ms");
  BOOST_TEST_MESSAGE(o.seconds * 1000 << " ms: " << code.substr(0, 100));
}

void expect_budget_spent(solo::LuaSandbox& sb, const std::string& code) {
  auto o = run(sb, code);
  expect_error(o, "instruction budget exceeded");
  BOOST_TEST(o.seconds < 0.5, code << " took " << o.seconds * 1000 << " ms");
  BOOST_TEST_MESSAGE(o.seconds * 1000 << " ms: " << code.substr(0, 100));
}

}  // namespace

BOOST_AUTO_TEST_CASE(string_rep_of_nothing_is_charged_per_copy) {
  auto sb = make_sandbox(runner);
  // Nothing is allocated, so before, nothing was charged: 13.7 s and forever.
  expect_refused_fast(*sb, "return #string.rep('', 3e9)", "string.rep: too much work for one call (3e+09 units, at most 2e+06)");
  expect_refused_fast(*sb, "return #string.rep('', math.maxinteger)", "string.rep: too much work for one call");
  expect_refused_fast(*sb, "return #string.rep('', 3e9, '')", "string.rep: too much work for one call");
  expect_refused_fast(*sb, "return #string.rep('', 1e8, ',')", "string.rep: too much work for one call");
  expect_refused_fast(*sb, "return #('x'):rep(1e8)", "string.rep: too much work for one call");
  // Caught like any error.
  auto r = sb->start_call("return (pcall(string.rep, '', 3e9))");
  BOOST_TEST(r.reply == json::value(false), r.error);
  expect_budget_spent(*sb, "while true do local s = string.rep('', 1e6) end");
  // Ordinary use is untouched.
  auto ok = sb->start_call("return { #('ab'):rep(100000), ('x'):rep(3, ',') }");
  BOOST_TEST(ok.reply == json::parse(R"([200000, "x,x,x"])"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_long_set_in_a_pattern_spends_the_budget) {
  auto sb = make_sandbox(runner);
  // 15 s before: each backtracking step of a* walked the 60000-byte set.
  // Now in the Lua matcher, counted per instruction.
  expect_budget_spent(*sb, R"(return ("a"):rep(600):find("a*[" .. ("b"):rep(60000) .. "]"))");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(gmatch_iterators_are_charged) {
  auto sb = make_sandbox(runner);
  // Each iterator call tries every start: ~0.1 s uncharged, per new iterator.
  auto o = run(*sb, "local s = ('a'):rep(6000) while true do for x in s:gmatch('a*b') do end end");
  expect_error(o, "instruction budget exceeded");
  BOOST_TEST(o.seconds < contained);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(tonumber_is_charged_by_length) {
  auto sb = make_sandbox(runner, nullptr, long_strings());
  BOOST_REQUIRE(run(*sb, "big = ('7'):rep(4096) for i = 1, 10 do big = big .. big end return #big").result.is_done());
  // 3.8 ms a call before, uncharged: now ~1.4M units, so ~15 calls a message.
  expect_budget_spent(*sb, "while true do tonumber(big) end");
  expect_budget_spent(*sb, "while true do tonumber(big, 10) end");
  expect_budget_spent(*sb, "local s = big:sub(1, 1 << 20) while true do tonumber(s) end");
  // Arithmetic on strings converts them in the string metatable's __add and co.
  expect_budget_spent(*sb, "while true do local x = big + 0 end");
  expect_budget_spent(*sb, "local s = big:sub(1, 1 << 20) while true do local x = -s end");
  expect_refused_fast(*sb, "return -big", "string arithmetic: too much work for one call");
  auto ok = sb->start_call("return { tonumber('42'), tonumber('ff', 16), tonumber(7), '10' + 1, 2 * '3', -'4' }");
  BOOST_TEST(ok.reply == json::parse("[42, 255, 7, 11, 6, -4]"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(pack_formats_are_charged_by_length) {
  auto sb = make_sandbox(runner, nullptr, long_strings());
  // 2.2 s before.
  expect_budget_spent(*sb, "local f = string.rep('i8', 100000) while true do string.packsize(f) end");
  BOOST_REQUIRE(run(*sb, "long = string.rep('i8', 100000):rep(20) return #long").result.is_done());
  expect_refused_fast(*sb, "return string.packsize(long)", "string.packsize: too much work");
  expect_budget_spent(*sb, "local f = string.rep('x', 100000) while true do string.pack(f) end");
  expect_budget_spent(*sb, "local f = string.rep('x', 100000) local d = string.pack(f) while true do string.unpack(f, d) end");
  auto ok = sb->start_call("return { string.unpack('i4', string.pack('i4', 7)), string.packsize('i8') }");
  BOOST_TEST(ok.reply == json::parse("[7, 8]"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(raising_errors_is_charged) {
  auto sb = make_sandbox(runner);
  // Each is a C++ exception (~1 us) behind a handful of instructions.
  expect_budget_spent(*sb, "while true do pcall(error) end");
  expect_budget_spent(*sb, "while true do pcall(nil) end");
  expect_budget_spent(*sb, "while true do pcall(assert, false) end");
  expect_budget_spent(*sb, "local h = function(e) return e end while true do xpcall(error, h) end");
  // A handler that raises runs again for its own error, ~200 deep: each run is charged.
  expect_budget_spent(*sb, "while true do xpcall(error, setmetatable) end");
  expect_budget_spent(*sb, "while true do xpcall(error, print) end");
  expect_budget_spent(*sb, "local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end");
  expect_budget_spent(*sb, "local co = coroutine.create(function() while true do coroutine.yield() end end) while true do coroutine.resume(co) end");
  expect_budget_spent(*sb, "while true do coroutine.resume(coroutine.create(error)) end");
  // Error positions are the caller's, as with lbaselib's error.
  auto r = sb->start_call("local ok, e = pcall(function() error('boom') end) local ok2, e2 = pcall(function() error('up', 2) end) return { e:match('^%[string .*%]:1: boom$') ~= nil, e2 }");
  BOOST_TEST(r.reply == json::parse(R"([true, "up"])"), r.error << " " << json::serialize(r.reply));
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(next_over_removed_keys_is_charged) {
  auto sb = make_sandbox(runner);
  const std::string sparse = R"(
    local t = {}
    for i = 1, 1 << 17 do t[i + 0.5] = true end
    for i = 1, 1 << 17 do t[i + 0.5] = nil end
  )";
  // Each next(t) scans 2^17 empty slots: minutes of work for the budget's worth of calls.
  expect_budget_spent(*sb, sparse + "while true do next(t) end");
  expect_budget_spent(*sb, sparse + "local f = pairs(t) while true do f(t) end");
  auto ok = sb->start_call("local n = 0 for k, v in pairs({ a = 1, b = 2, 3 }) do n = n + 1 end return n");
  BOOST_TEST(ok.reply == json::value(3), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(string_functions_are_charged_by_length) {
  auto sb = make_sandbox(runner, nullptr, long_strings());
  BOOST_REQUIRE(run(*sb, "big = ('aB'):rep(2048) for i = 1, 10 do big = big .. big end return #big").result.is_done());
  expect_refused_fast(*sb, "return #big:upper()", "string.upper: too much work");
  expect_refused_fast(*sb, "return #big:lower()", "string.lower: too much work");
  expect_refused_fast(*sb, "return #big:reverse()", "string.reverse: too much work");
  expect_refused_fast(*sb, "return #string.format('%q', big)", "string.format: too much work");
  expect_refused_fast(*sb, "return #string.format(('%99.99f'):rep(1000), table.unpack((function() local t = {} for i = 1, 1000 do t[i] = 1e308 end return t end)()))", "string.format: too much work");
  expect_budget_spent(*sb, "while true do string.format('%99.99f', 1e308) end");
  expect_refused_fast(*sb, "return select('#', big:byte(1, -1))", "string.byte: too much work");
  expect_budget_spent(*sb, "local s = big:sub(1, 1 << 20) while true do s:upper() end");
  expect_budget_spent(*sb, "while true do local s = big:sub(2, -2) end");
  auto named = sb->start_call("return select(2, pcall(string.rep))");
  BOOST_TEST(named.reply == json::value("bad argument #1 to 'string.rep' (string expected, got no value)"), named.error);
  auto ok = sb->start_call("return { ('abc'):upper(), ('abc'):byte(2), ('%5.1f|%s|%q'):format(3.14159, 'x', 'y'), ('hello'):sub(2, 3) }");
  BOOST_TEST(ok.reply == json::parse(R"(["ABC", 98, "  3.1|x|\"y\"", "el"])"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(utf8_functions_are_charged) {
  auto sb = make_sandbox(runner, nullptr, long_strings());
  BOOST_REQUIRE(run(*sb, "big = ('\\u{100}'):rep(2048) for i = 1, 10 do big = big .. big end return #big").result.is_done());
  expect_refused_fast(*sb, "return utf8.len(big)", "utf8.len: too much work");
  expect_refused_fast(*sb, "return select('#', utf8.codepoint(big, 1, -1))", "utf8.codepoint: too much work");
  expect_budget_spent(*sb, "local s = big:sub(1, 1 << 19) while true do utf8.len(s) end");
  expect_budget_spent(*sb, "while true do utf8.offset(big, -1) utf8.offset(big, 1 << 20) end");
  // The iterator skips continuation bytes: a run of them is a scan per call.
  expect_budget_spent(*sb, "local s = 'a' .. ('\\x80'):rep(1 << 20) local it = utf8.codes(s) while true do it(s, 1) end");
  auto ok = sb->start_call("local n = 0 for p, c in utf8.codes('h\\u{e9}llo') do n = n + 1 end return { n, utf8.char(104, 105), utf8.len('h\\u{e9}') }");
  BOOST_TEST(ok.reply == json::parse(R"([5, "hi", 2])"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(table_functions_are_charged_by_the_length_they_see) {
  auto sb = make_sandbox(runner);
  // A __len claiming a huge length made table.insert shift for ever.
  const std::string liar = "local t = setmetatable({}, { __len = function() return math.maxinteger - 1 end }) ";
  expect_refused_fast(*sb, liar + "table.insert(t, 1, 0)", "table.insert: too much work");
  expect_refused_fast(*sb, liar + "table.remove(t, 1)", "table.remove: too much work");
  expect_refused_fast(*sb, liar + "return table.concat(t)", "table.concat: too much work");
  expect_refused_fast(*sb, liar + "table.sort(t)", "table.sort: too much work");
  expect_refused_fast(*sb, "table.move({}, 1, math.maxinteger - 1, 2)", "table.move: too much work");
  BOOST_REQUIRE(run(*sb, "list = {} for i = 1, 200000 do list[i] = i end").result.is_done());
  expect_refused_fast(*sb, "table.sort(list)", "table.sort: too much work");
  expect_budget_spent(*sb, "local t = {} for i = 1, 1e5 do t[i] = i end while true do select(-1, table.unpack(t)) end");
  // Appending and popping are O(1), and charged so.
  auto ok = sb->start_call(R"(
    local t = {} for i = 1, 300000 do table.insert(t, i) end
    for i = 1, 100000 do table.remove(t) end
    local u = { 3, 1, 2 } table.sort(u)
    return { #t, table.concat(u, ","), select(-1, 1, 2, 3), math.max(4, 9, 2) })");
  BOOST_TEST(ok.reply == json::parse(R"([200000, "1,2,3", 3, 9])"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(os_date_is_charged_by_its_format) {
  auto sb = make_sandbox(runner);
  expect_refused_fast(*sb, "return #os.date(string.rep('%c', 100000))", "os.date: too much work");
  expect_budget_spent(*sb, "local f = string.rep('%c', 1000) while true do os.date(f) end");
  auto ok = sb->start_call("return { #os.date('%Y-%m-%d'), os.time() > 0, os.clock() >= 0 }");
  BOOST_TEST(ok.reply == json::parse("[10, true, true]"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(coroutine_functions_are_charged) {
  auto sb = make_sandbox(runner);
  expect_budget_spent(*sb, "local co = coroutine.running() while true do coroutine.status(co) coroutine.isyieldable() end");
  expect_budget_spent(*sb, "while true do coroutine.close(coroutine.create(print)) end");
  auto ok = sb->start_call(R"(
    local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
    local c = coroutine.create(function() coroutine.yield(1) end)
    return { co(1), co(5), select(2, coroutine.resume(c)), coroutine.status(c) })");
  BOOST_TEST(ok.reply == json::parse(R"([2, 10, 1, "suspended"])"), ok.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(load_is_capped_per_call) {
  auto sb = make_sandbox(runner);
  BOOST_REQUIRE(run(*sb, "src = ('x = 1 '):rep(1024) for i = 1, 7 do src = src .. src end return #src").result.is_done());
  expect_refused_fast(*sb, "return load(src)", "load: too much work");
  expect_alive(*sb);
}

// ---- read-only means read-only ------------------------------------------------

BOOST_AUTO_TEST_CASE(pairs_does_not_hand_out_the_library_table) {
  auto sb = make_sandbox(runner);
  // Before, pairs' state was the real table, writable.
  expect_error(run(*sb, "local _, real = pairs(string) real.rep = function() return 'pwned' end"), "read-only");
  expect_error(run(*sb, "local _, real = pairs(solo) real.tenant_id = 'someone-else'"), "read-only");
  expect_error(run(*sb, "local _, real = pairs(solo.json) real.encode = print"), "read-only");
  auto r = sb->start_call(R"(
    local it, state, first = pairs(string)
    local n, functions = 0, true
    for k, v in pairs(string) do n = n + 1 functions = functions and type(v) == "function" end
    return { rawequal(state, string), first == nil, n > 10, functions, next(string) == nil,
             ("x"):rep(2), string.rep("y", 2), solo.tenant_id ~= "someone-else" })");
  BOOST_TEST(r.reply == json::parse(R"([true, true, true, true, true, "xx", "yy", true])"), r.error);
  expect_alive(*sb);
}

// The iterator pairs returns for a library table is one C function shared by
// every proxy: handed a table of the service's own, even one whose metatable
// has an __index, or a string (whose metatable's __index is the real string
// table), it refuses instead of walking something.
BOOST_AUTO_TEST_CASE(the_library_iterator_walks_only_library_tables) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "local it = pairs(string) it({}, nil)"), "read-only library table");
  expect_error(run(*sb, "local it = pairs(string) it(setmetatable({}, {__index = {k = 1}}), nil)"),
               "read-only library table");
  expect_error(run(*sb, "local it = pairs(string) it('', nil)"), "read-only library table");
  auto r = sb->start_call(R"(
    local it = pairs(string)
    local n, seen = 0, 0
    for k in it, math do n = n + 1 end
    for k in pairs(math) do seen = seen + 1 end
    return { n == seen, n > 10, (it(solo.json)) ~= nil })");
  BOOST_TEST(r.reply == json::parse(R"([true, true, true])"), r.error);
  expect_alive(*sb);
}

// table, math, utf8, coroutine and os are opened the first time a service
// reads one of their fields or iterates them (lua_environment.cpp): whatever
// the first touch is, the library must be the trimmed, wrapped, locked one.
BOOST_AUTO_TEST_CASE(libraries_opened_on_first_use_are_trimmed_wrapped_and_locked) {
  auto unopened = [] { return make_sandbox(runner); };
  {  // a fresh state does not hold them yet: the first read opens one, in the service's heap
    auto sb = unopened();
    expect_alive(*sb);
    const auto before = sb->memory_bytes();
    BOOST_REQUIRE(run(*sb, "return math.pi > 3").result.is_done());
    BOOST_TEST(sb->memory_bytes() > before + 1000);
  }
  {  // strings reach the string library without its proxy: whichever touch
     // comes first opens it, with its wrappers, behind a locked metatable
    const std::pair<const char*, const char*> firsts[] = {
        {"return ('ab'):rep(2)", R"("abab")"},
        {"return '10' + 1", "11"},
        {"return -'2'", "-2"},
        {"return '7' // '2'", "3"},
        {"return #string.rep('x', 3)", "3"},
    };
    for (const auto& [first, expected] : firsts) {
      auto sb = unopened();
      auto r = sb->start_call(first);
      BOOST_TEST(r.reply == json::parse(expected), first << ": " << r.error);
      auto after = sb->start_call(
          "return { getmetatable(''), string.rep == ('').rep, rawget(string, 'rep') == nil, string.dump == nil, "
          "'3' * '4', (('a,b'):find(',', 1, true)) }");
      BOOST_TEST(after.reply == json::parse(R"([false, true, true, true, 12, 2])"), first << ": " << after.error);
      expect_error(run(*sb, "return ('x'):rep(1 << 40)"), "string.rep: too much work");
      expect_error(run(*sb, "getmetatable('').__index.rep = nil"), "");
    }
    expect_error(run(*unopened(), "return ('x'):rep(1 << 40)"), "string.rep: too much work");
    expect_error(run(*unopened(), "return {} + '1'"), "attempt to add a 'table' with a 'string'");
    expect_error(run(*unopened(), "while true do local _ = '1' + 1 end"), "instruction budget exceeded");
  }
  {  // iterated first: os holds only the clock and calendar
    auto sb = unopened();
    auto r = sb->start_call(R"lua(
      local keys = {}
      for k in pairs(os) do keys[#keys + 1] = k end
      table.sort(keys)
      return table.concat(keys, ","))lua");
    BOOST_TEST(r.reply == json::value("clock,date,time"), r.error);
  }
  {  // written first: refused, and the table is whole afterwards
    auto sb = unopened();
    expect_error(run(*sb, "rawset(math, 'pi', 3)"), "attempt to modify a read-only table");
    expect_error(run(*sb, "utf8.char = nil"), "attempt to modify a read-only table");
    expect_error(run(*sb, "setmetatable(coroutine, nil)"), "protected metatable");
    auto r = sb->start_call("return { math.pi > 3, getmetatable(math), rawget(math, 'pi') == nil, utf8.char(72, 105) }");
    BOOST_TEST(r.reply == json::parse(R"([true, false, true, "Hi"])"), r.error);
  }
  {  // called first: argument errors named as before, costs charged
    auto sb = unopened();
    auto r = sb->start_call(
        "return { select(2, pcall(table.concat)), select(2, pcall(math.floor)), select(2, pcall(os.date, {})) }");
    BOOST_TEST(r.reply == json::parse(R"json([
      "bad argument #1 to 'table.concat' (table expected, got no value)",
      "bad argument #1 to 'math.floor' (number expected, got no value)",
      "bad argument #1 to 'os.date' (string expected, got table)"])json"),
               r.error);
    expect_error(run(*unopened(), "local t = {} t[1 << 40] = 1 return #table.concat(t, ',', 1, 1 << 40)"),
                 "table.concat: too much work");
    expect_error(run(*unopened(), "while true do coroutine.isyieldable() end"), "instruction budget exceeded");
    auto co = unopened()->start_call(
        "local c = coroutine.wrap(function() coroutine.yield(1) return 2 end) return { c(), c() }");
    BOOST_TEST(co.reply == json::parse("[1, 2]"), co.error);
  }
}

// Opening the string library on first use can run out of memory anywhere,
// also after luaopen_string has installed the real string metatable and
// before the wrappers are in: the stand-in must come back, so that no
// unwrapped string function is ever reachable. Tried with the memory full up
// to every few dozen bytes of what the opening needs.
BOOST_AUTO_TEST_CASE(a_string_library_that_runs_out_of_memory_while_opening_leaves_nothing_unwrapped) {
  auto limits = solo::test::instruction_bound_limits();
  limits.memory_bytes = 256 * 1024;
  int failed_first = 0;
  for (int pad = 0; pad <= 12000; pad += 48) {
    auto sb = make_sandbox(runner, nullptr, limits);
    const std::string code = R"lua(
      local hold
      local function fill()
        while collectgarbage("count") * 1024 < )lua" + std::to_string(limits.memory_bytes - pad) + R"lua( do
          hold = { next = hold }
        end
      end
      local function first_use() return ("x"):upper() end
      local function rep() return ("x"):rep(1 << 40) end
      pcall(fill)
      local first = pcall(first_use)
      hold = nil
      local _, err = pcall(rep)
      return { first, getmetatable(""), (tostring(err):find("string.rep: too much work", 1, true)) ~= nil })lua";
    auto r = sb->start_call(json::value(code));
    BOOST_TEST_REQUIRE(r.is_done(), "pad " << pad << ": " << r.error);
    if (!r.reply.as_array()[0].as_bool()) ++failed_first;
    BOOST_TEST(r.reply.as_array()[1] == json::value(false), "pad " << pad);
    BOOST_TEST(r.reply.as_array()[2] == json::value(true), "pad " << pad << ": " << json::serialize(r.reply));
  }
  BOOST_TEST(failed_first > 0);  // some first uses did run out of memory
}

BOOST_AUTO_TEST_CASE(library_tables_cannot_be_rewritten) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "string.rep = nil"), "attempt to modify a read-only table");
  expect_error(run(*sb, "rawset(string, 'rep', function() return 'pwned' end)"), "attempt to modify a read-only table");
  expect_error(run(*sb, "rawset(solo, 'tenant_id', 'someone-else')"), "attempt to modify a read-only table");
  expect_error(run(*sb, "rawset(os, 'execute', print)"), "attempt to modify a read-only table");
  expect_error(run(*sb, "setmetatable(string, nil)"), "protected metatable");
  expect_error(run(*sb, "getmetatable('').__index.rep = nil"), "");
  expect_error(run(*sb, "table.insert(string, 'x')"), "read-only");
  auto r = sb->start_call(R"(
    local mine = rawset({}, "k", 1)
    return { ("x"):rep(2), string.rep("x", 2), getmetatable(string), getmetatable(""), mine.k, rawget(string, "rep") == nil })");
  BOOST_TEST(r.reply == json::parse(R"(["xx", "xx", false, false, 1, true])"), r.error);
  expect_alive(*sb);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lua_hostile_hooks_off)

// Code Lua runs right after the hook raised, while hooks are still off for
// that thread, must not get to run.
BOOST_AUTO_TEST_CASE(an_xpcall_handler_cannot_loop_after_the_budget_error) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, "xpcall(function() while true do end end, function(e) while true do end end)"),
               "instruction budget exceeded");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_close_metamethod_cannot_loop_after_the_budget_error) {
  auto sb = make_sandbox(runner);
  const std::string closer = R"lua(
    local mt = {}
    local obj = setmetatable({}, mt)
    mt.__close = function() while true do end end
  )lua";
  expect_error(run(*sb, closer + R"lua(
    local co = coroutine.create(function() local x <close> = obj while true do end end)
    coroutine.resume(co)
    coroutine.close(co))lua"),
               "instruction budget exceeded");
  expect_error(run(*sb, closer + R"lua(
    local f = coroutine.wrap(function() local x <close> = obj while true do end end)
    f())lua"),
               "instruction budget exceeded");
  expect_error(run(*sb, closer + R"lua(
    local f = coroutine.wrap(function() local x <close> = obj while true do end end)
    pcall(f))lua"),
               "instruction budget exceeded");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_coroutine_killed_by_the_budget_is_not_closed_in_a_later_message) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, R"lua(
    local mt = {}
    local obj = setmetatable({}, mt)
    mt.__close = function() while true do end end
    victim = coroutine.create(function() local x <close> = obj while true do end end)
    coroutine.resume(victim))lua"),
               "instruction budget exceeded");
  // A fresh budget, but the dead coroutine still has hooks off.
  auto o = run(*sb, "return { coroutine.close(victim) }");
  BOOST_TEST(o.seconds < contained);
  BOOST_TEST(o.result.is_done(), o.result.error);
  BOOST_TEST(o.result.reply == json::parse(R"lua([false, "instruction budget exceeded"])lua"));
  expect_alive(*sb);
}

BOOST_AUTO_TEST_CASE(a_close_metamethod_in_the_handler_is_bounded) {
  auto sb = make_sandbox(runner);
  expect_error(run(*sb, R"lua(
    local x <close> = setmetatable({}, { __close = function() while true do end end })
    while true do end)lua"),
               "instruction budget exceeded");
  expect_error(run(*sb, R"lua(
    pcall(function()
      local x <close> = setmetatable({}, { __close = function() while true do end end })
      while true do end
    end))lua"),
               "instruction budget exceeded");
  expect_alive(*sb);
}

BOOST_AUTO_TEST_SUITE_END()

// Calibration of the costs in lua_costs.hpp (run by hand:
// --run_test=lua_costs_calibration): ns per item of each C function next to
// ns per VM instruction, so units per item = the ratio. Prints only.
BOOST_AUTO_TEST_SUITE(lua_costs_calibration, *boost::unit_test::disabled())

BOOST_AUTO_TEST_CASE(print_ns_per_item) {
  solo::LuaLimits limits;
  limits.instructions_per_message = 1'000'000'000'000;
  solo::test::FakeLuaHost host;
  auto sb = make_sandbox(runner, &host, limits);
  auto r = sb->start_call(R"lua(
    local out = {}
    local function per(label, items, n, f)
      local t = os.clock() for i = 1, n do f() end
      out[#out + 1] = string.format("%-28s %10.3f ns/item", label, (os.clock() - t) / n / items * 1e9)
    end
    local t0 = os.clock() local x = 0 for i = 1, 2e7 do x = x + i end
    out[1] = string.format("%-28s %10.3f ns/item", "VM instruction", (os.clock() - t0) / 4e7 * 1e9)
    local mb = ('7'):rep(1024):rep(1024)
    local tab = {} for i = 1, 1e5 do tab[i] = (i * 7919) % 100003 end
    local sparse = {} for i = 1, 1 << 16 do sparse[i + 0.5] = true end for i = 1, 1 << 16 do sparse[i + 0.5] = nil end
    local co = coroutine.wrap(function() while true do coroutine.yield() end end)
    local f99 = ('%99.99f'):rep(10)
    per("rep('', n) per copy", 1e6, 20, function() string.rep('', 1e6) end)
    per("rep('', n, ',') per copy", 1e5, 20, function() string.rep('', 1e5, ',') end)
    per("tonumber per byte", 1 << 20, 20, function() tonumber(mb) end)
    per("packsize per format byte", 2e5, 20, function() string.packsize(('i8'):rep(1e5)) end)
    per("upper per byte", 1 << 20, 20, function() mb:upper() end)
    per("reverse per byte", 1 << 20, 20, function() mb:reverse() end)
    per("format %99.99f 1e308 per digit", 4070, 50, function() f99:format(1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308) end)
    per("format %q per byte", 1 << 16, 20, function() string.format('%q', mb:sub(1, 1 << 16)) end)
    per("pcall(nil) (a throw)", 1, 1e4, function() pcall(nil) end)
    per("pcall(error) (a throw)", 1, 1e4, function() pcall(error) end)
    per("pcall(f) (no throw)", 1, 1e5, function() pcall(os.clock) end)
    per("yield + resume", 1, 1e4, co)
    per("xpcall(error, setmetatable)", 1, 1e3, function() xpcall(error, setmetatable) end)
    per("print()", 1, 1e3, function() print() end)
    per("next, sparse, per slot", 1 << 16, 100, function() next(sparse) end)
    per("sort per n log2 n", 1e4 * 13.3, 20, function() local c = table.move(tab, 1, 1e4, 1, {}) table.sort(c) end)
    per("move per element", 1e5, 20, function() table.move(tab, 1, #tab, 1, {}) end)
    per("insert shift per element", 2e5, 20, function() table.insert(tab, 1, 0) table.remove(tab, 1) end)
    per("utf8.len per byte", 1 << 19, 20, function() utf8.len(mb, 1, 1 << 19) end)
    per("os.date %c per format byte", 2000, 20, function() os.date(('%c'):rep(1000)) end)
    return table.concat(out, "\n"))lua");
  BOOST_TEST_MESSAGE(r.error);
  BOOST_TEST_MESSAGE((r.reply.is_string() ? std::string(r.reply.as_string()) : json::serialize(r.reply)));
}

BOOST_AUTO_TEST_SUITE_END()
