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
using solo::test::seconds_of;

namespace {

constexpr double contained = 2.0;  // seconds

// A service whose handle_call runs msg.code (a chunk returning a value) and
// answers "pong" to "ping", so each test can check the sandbox still works.
constexpr const char* runner = R"lua(
function handle_call(msg, state)
  if msg == "ping" then return "pong", state end
  local f = assert(load(msg))
  return f(), state
end)lua";

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
  auto sb = make_sandbox(runner);
  // Each iteration is a few instructions but megabytes of C work.
  auto o = run(*sb, "while true do local s = string.rep('x', 4 << 20) end");
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

BOOST_AUTO_TEST_CASE(a_pathological_pattern_is_refused_fast) {
  auto sb = make_sandbox(runner);
  auto o = run(*sb, "return string.find(string.rep('a', 200000), '.-.-.-.-.-b')");
  expect_error(o, "pattern too complex");
  BOOST_TEST(o.seconds < 0.5);
  expect_error(run(*sb, "return (string.rep('a', 200000)):match('.-.-.-.-.-b')"), "pattern too complex");
  expect_error(run(*sb, "for _ in string.rep('a', 100000):gmatch('a*a*b') do end"), "pattern too complex");
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
  // The string methods are the guarded ones.
  expect_error(run(*sb, "return (string.rep('a', 200000)):find('.-.-.-.-.-b')"), "pattern too complex");
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
