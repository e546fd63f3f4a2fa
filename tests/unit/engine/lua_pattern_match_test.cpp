// The pattern matcher written in Lua (lua_pattern_match.hpp): the same
// results and errors as lstrlib's, checked against it on random and
// hand-written cases; and in a sandbox, the calls the C matcher could take
// too long over run in it, sliced and stopped by the CPU time.
#include "engine/sandbox/lua_pattern_match.hpp"
#include "engine/sandbox/lua_sandbox.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

namespace json = boost::json;
using solo::StepResult;
using solo::test::make_sandbox;
using solo::test::run_sliced;
using solo::test::runner;
using solo::test::seconds_of;

namespace {

// Compares lstrlib (the string library of the state) with the Lua matcher
// (argument 1) on `count` random cases from `seed`; returns the number of
// comparisons, and a summary with the first mismatches. Subjects of up to 12
// bytes over a small alphabet, patterns of up to 5 items (malformed ones
// included), every init, plain finds, gsub with each kind of replacement.
constexpr const char* random_cases = R"lua(local M, seed, count = ...
math.randomseed(seed)
local random = math.random
local alphabet = { "a", "b", "(", ")", "%", " ", "1", "\0", "A", "]", "-", "^", "x", "=" }
local atoms = {
  ".", "a", "b", "x", "%a", "%A", "%d", "%D", "%s", "%S", "%w", "%W", "%p", "%P", "%l", "%L", "%u", "%U",
  "%x", "%X", "%c", "%C", "%g", "%G", "%z", "%Z", "%%", "%(", "%)", "%]", "%.", "%-", "[ab]", "[^a]", "[a-c]",
  "[%d%s]", "[^%a(]", "[]]", "[^]]", "[a-]", "[%]]", "[%a-z]", "[-a]", "[\0-a]", "(", ")", "()", "%1", "%2", "%0",
  "%b()", "%bab", "%f[%w]", "%f[^a]", "%f[%z]", "%f[a]", "$", "^", "-", "\0", "1", " ", "=", "(a)", "(%w+)", "(.-)",
  -- malformed
  "%", "[", "[a", "[^", "%f", "%fa", "%b", "%ba", "[%",
}
local quantifiers = { "", "", "", "*", "+", "-", "?" }
local function pick(t) return t[random(#t)] end
local function subject()
  local t = {}
  for i = 1, random(0, 12) do t[i] = pick(alphabet) end
  return table.concat(t)
end
local function pattern()
  local t = {}
  if random(4) == 1 then t[#t + 1] = "^" end
  for i = 1, random(0, 5) do t[#t + 1] = pick(atoms) .. pick(quantifiers) end
  if random(5) == 1 then t[#t + 1] = "$" end
  return table.concat(t)
end
local inits = { false, 1, 2, 3, -1, -3, 0, 12, 13, 100, -100, math.mininteger, math.maxinteger }
local repls = { "x", "%0", "%1", "<%1|%2>", "%%", "%", "%x", "", 12, 1.5, "%3", "a%1b%0c", "%\0" }
local tables = { { a = "A", ["("] = false, b = 1, x = 2.5 }, { a = true }, setmetatable({}, { __index = function(_, k) return type(k) == "string" and #k > 1 and k:upper() or nil end }) }
local functions = {
  function(...) return select("#", ...) .. ":" .. tostring((...)) end,
  function(a) if a == "a" then return nil end return a end,
  function() return {} end,
  function(a, b) return b end,
}

local function show(ok, ...)
  local out = { tostring(ok) }
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" then out[#out + 1] = string.format("%q", v)
    elseif type(v) == "number" then out[#out + 1] = math.type(v) .. ":" .. tostring(v)
    else out[#out + 1] = type(v) end
  end
  return table.concat(out, ", ")
end

local function all(iter)
  local out = {}
  for k = 1, 40 do
    -- called by pcall, a C function, as the sandbox's wrappers call it:
    -- lstrlib's errors then carry no position
    local r = table.pack(pcall(iter))
    if not r[1] then error(r[2], 0) end
    if r[2] == nil then break end
    out[#out + 1] = show(table.unpack(r, 1, r.n))
  end
  return table.concat(out, " | ")
end

local function run_gmatch(gm, s, p, init)
  local iter = gm(s, p, init)
  return all(iter)
end

local mismatches, cases = {}, 0
local outcomes = { ok = 0, fail = 0, error = 0 }
local function compare(what, a, b)
  cases = cases + 1
  if a:sub(1, 5) == "false" then outcomes.error = outcomes.error + 1
  elseif a == "true, nil" or a == "true, " then outcomes.fail = outcomes.fail + 1
  else outcomes.ok = outcomes.ok + 1 end
  if a ~= b and #mismatches < 20 then mismatches[#mismatches + 1] = what .. "\n  C:   " .. a .. "\n  Lua: " .. b end
end

for i = 1, count do
  local s, p = subject(), pattern()
  local init = pick(inits) or nil
  local desc = string.format("%q on %q init %s", p, s, tostring(init))
  compare("find " .. desc, show(pcall(string.find, s, p, init)), show(pcall(M.find, s, p, init)))
  if random(4) == 1 then
    compare("plain find " .. desc, show(pcall(string.find, s, p, init, true)), show(pcall(M.find, s, p, init, true)))
  end
  compare("match " .. desc, show(pcall(string.match, s, p, init)), show(pcall(M.match, s, p, init)))
  compare("gmatch " .. desc, show(pcall(run_gmatch, string.gmatch, s, p, init)), show(pcall(run_gmatch, M.gmatch, s, p, init)))
  local repl
  local r = random(3)
  if r == 1 then repl = pick(repls) elseif r == 2 then repl = pick(tables) else repl = pick(functions) end
  local max = ({ false, false, 0, 1, 2, -1 })[random(6)] or nil
  compare("gsub " .. desc .. " repl " .. tostring(repl) .. " max " .. tostring(max),
    show(pcall(string.gsub, s, p, repl, max)), show(pcall(M.gsub, s, p, repl, max)))
end
return cases, string.format("results %d, no match %d, errors %d\n", outcomes.ok, outcomes.fail, outcomes.error) .. table.concat(mismatches, "\n")
)lua";

// Hand-written cases for each feature, compared the same way: {subject,
// pattern[, init]}, every function run on each.
constexpr const char* feature_cases = R"lua(
local M = ...
local function show(ok, ...)
  local out = { tostring(ok) }
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" then out[#out + 1] = string.format("%q", v)
    elseif type(v) == "number" then out[#out + 1] = math.type(v) .. ":" .. tostring(v)
    else out[#out + 1] = type(v) end
  end
  return table.concat(out, ", ")
end
local function all(gm, s, p, init)
  local iter, out = gm(s, p, init), {}
  for k = 1, 200 do
    local r = table.pack(pcall(iter))
    if not r[1] then error(r[2], 0) end
    if r[2] == nil then break end
    out[#out + 1] = show(table.unpack(r, 1, r.n))
  end
  return table.concat(out, " | ")
end
local mismatches, cases = {}, 0
local function compare(what, a, b)
  cases = cases + 1
  if a ~= b and #mismatches < 20 then mismatches[#mismatches + 1] = what .. "\n  C:   " .. a .. "\n  Lua: " .. b end
end
local function each(s, p, init)
  local d = string.format("%q on %q init %s", p, s, tostring(init))
  compare("find " .. d, show(pcall(string.find, s, p, init)), show(pcall(M.find, s, p, init)))
  compare("plain find " .. d, show(pcall(string.find, s, p, init, true)), show(pcall(M.find, s, p, init, true)))
  compare("match " .. d, show(pcall(string.match, s, p, init)), show(pcall(M.match, s, p, init)))
  compare("gmatch " .. d, show(pcall(all, string.gmatch, s, p, init)), show(pcall(all, M.gmatch, s, p, init)))
  for _, repl in ipairs({ "[%0]", "%1-%1", "%%", "<%2>", "%", "%9", 7, { a = "A", k = "K", [1] = "one" },
                          function(...) return table.concat({ ... }, ",") end, function() return false end,
                          function() return true end }) do
    for _, max in ipairs({ false, 0, 1, 3 }) do
      compare("gsub " .. d .. " " .. tostring(repl) .. " " .. tostring(max),
        show(pcall(string.gsub, s, p, repl, max or nil)), show(pcall(M.gsub, s, p, repl, max or nil)))
    end
  end
end
local cases_list = {
  -- single chars, classes, sets, ranges, complements
  { "hello world", "o" }, { "hello world", "l+" }, { "hello world", "o w" }, { "x.y", "." }, { "x.y", "%." },
  { "abc123 DEF_!?", "%a+" }, { "abc123 DEF_!?", "%A+" }, { "abc123 DEF_!?", "%d+" }, { "abc123 DEF_!?", "%D+" },
  { "a \t\n\v\f\rb", "%s+" }, { "a \t\n\v\f\rb", "%S+" }, { "abc123 DEF_!?", "%w+" }, { "abc123 DEF_!?", "%W+" },
  { "abc123 DEF_!?", "%l+" }, { "abc123 DEF_!?", "%u+" }, { "abc123 DEF_!?", "%p+" }, { "0x1fAgZ", "%x+" },
  { "a\1\31\127b", "%c+" }, { "a b\127c", "%g+" }, { "a\0b", "%z" }, { "a\0b", "%Z+" },
  { "abc-]^x", "[a-c]+" }, { "abc-]^x", "[^a-c]+" }, { "abc-]^x", "[]]" }, { "abc-]^x", "[^]]+" },
  { "abc-]^x", "[a-]+" }, { "abc-]^x", "[-a]+" }, { "abc-]^x", "[%]%-]+" }, { "abc-]^x", "[%a-]+" },
  { "abc-]^x", "[x^]+" }, { "a1 b2", "[%d%s]+" }, { "a1 b2", "[^%d%s]+" }, { "\0\1a", "[\0-\1]+" },
  { "aaa", "[a-a]" }, { "abc", "[c-a]" },
  -- quantifiers
  { "aaab", "a*" }, { "aaab", "a+" }, { "aaab", "a-b" }, { "aaab", "a?b" }, { "b", "a?b" }, { "aaa", "a-" },
  { "<a><b>", "<.->" }, { "<a><b>", "<.*>" }, { "", "a*" }, { "", "" }, { "abc", "" }, { "abc", "x*" },
  -- anchors
  { "abcabc", "^abc" }, { "abcabc", "abc$" }, { "abcabc", "^abc$" }, { "abc", "^$" }, { "", "^$" },
  { "a$b", "$b" }, { "a^b", "a^b" }, { "^ab", "^^a" }, { "abc", "b$" }, { "abc", "c$" },
  -- captures
  { "key = value", "(%w+)%s*=%s*(%w+)" }, { "hello", "()ll()" }, { "hello", "(h)(e)(l)(l)(o)" },
  { "hello", "((l)(l))" }, { "hello", "(l)%1" }, { "xyyx", "(x)(y)%2%1" }, { "hello", "()" },
  { "abab", "(ab)%1" }, { "abab", "()a%1" }, { "hello", "(" }, { "hello", ")" }, { "hello", "%1" },
  { "hello", "(l)%2" }, { "hello", "(l%1)" }, { "hello", "(h)(.)%0" },
  { "a", ("()"):rep(32) }, { "a", ("()"):rep(33) }, { "aaaa", ("(a)"):rep(4) .. "%4%3" },
  -- %b and %f
  { "f(a(b)c) x (y", "%b()" }, { "f(a(b)c) x (y", "%b)(" }, { "[[x]]", "%b[]" }, { "aaa", "%baa" },
  { "x", "%b" }, { "x", "%bx" }, { "THE (quick) fox", "%f[%a]%a+" }, { "THE (quick) fox", "%f[%A]" },
  { "hello", "%f[%z]" }, { "hello", "%f[%l]" }, { "x", "%f" }, { "x", "%fx" }, { "ab", "%f[b]" },
  { "a\0b", "%f[%z]" }, { "a\0b", "%f[^%z]." },
  -- malformed
  { "abc", "%" }, { "abc", "a%" }, { "abc", "[a" }, { "abc", "[^" }, { "abc", "[%" }, { "abc", "[]" },
  { "abc", "[^]" }, { "abc", "(()" }, { "abc", "%g%" },
  -- escapes of non-alphanumerics and unknown classes
  { "a%b(c)", "%%" }, { "a%b(c)", "%(" }, { "a%b(c)", "%)" }, { "a%b(c)", "%q" }, { "a.b", "%.b" },
  -- embedded zeros
  { "a\0b\0c", "\0" }, { "a\0b\0c", "[\0]" }, { "a\0b\0c", "%z." }, { "a\0b\0c", "b\0c" },
  -- longer subjects
  { ("ab"):rep(200), "(ab)+" }, { ("a"):rep(300), "a-$" }, { ("k=v&"):rep(50), "(%w+)=(%w+)" },
  { ("(x)"):rep(30), "%b()" }, { ("word "):rep(40), "%f[%w]%w+" },
  -- too complex: 201 nested calls
  { ("a"):rep(250), ("a?"):rep(250) }, { ("a"):rep(150), ("a?"):rep(150) },
  { ("a"):rep(250), ("(a)"):rep(31) },
}
for _, c in ipairs(cases_list) do
  for _, init in ipairs({ false, 1, 2, -2, 0, 100, -100 }) do each(c[1], c[2], init or nil) end
end
-- Subjects past the size read from a table (read through string.byte).
-- (Patterns linear over them: the C matcher's worst cases are not needed.)
for _, s in ipairs({ ("ab "):rep(11000) .. "(x(y)z)", "\0" .. ("a="):rep(17000) .. "\0" }) do
  for _, p in ipairs({ "(%w+) ", "%f[%w]%w+%s*$", "b%s*a", "%b()", "(a)%1", "[ab]+=", "%z", "a-=", "(a*)(=)" }) do
    local d = string.format("%q on %d bytes", p, #s)
    compare("long find " .. d, show(pcall(string.find, s, p)), show(pcall(M.find, s, p)))
    compare("long match " .. d, show(pcall(string.match, s, p, -100)), show(pcall(M.match, s, p, -100)))
    compare("long gmatch " .. d, show(pcall(all, string.gmatch, s, p)), show(pcall(all, M.gmatch, s, p)))
    compare("long gsub " .. d, show(pcall(string.gsub, s, p, "<%0>")), show(pcall(M.gsub, s, p, "<%0>")))
  end
end
-- Every byte against every class, alone and in a set (the C locale).
for c = 0, 255 do
  local s = string.char(c)
  for _, cl in ipairs({ "a", "c", "d", "g", "l", "p", "s", "u", "w", "x", "z" }) do
    for _, p in ipairs({ "%" .. cl, "%" .. cl:upper(), "[%" .. cl .. "]", "[^%" .. cl:upper() .. "]" }) do
      compare("class " .. p .. " " .. c, show(pcall(string.find, s, p)), show(pcall(M.find, s, p)))
    end
  end
  compare("escape " .. c, show(pcall(string.find, s, "%" .. s)), show(pcall(M.find, s, "%" .. s)))
  compare("range " .. c, show(pcall(string.find, s, "[" .. s .. "-\200]")), show(pcall(M.find, s, "[" .. s .. "-\200]")))
end
return cases, table.concat(mismatches, "\n")
)lua";

struct PlainState {
  lua_State* L = luaL_newstate();
  PlainState() { luaL_openlibs(L); }
  ~PlainState() { lua_close(L); }
};

// Runs `script` with the Lua matcher and `args`; returns (cases, mismatches).
std::pair<lua_Integer, std::string> compare_script(const char* script, lua_Integer seed = 0, lua_Integer count = 0) {
  PlainState s;
  lua_State* L = s.L;
  BOOST_REQUIRE(luaL_loadstring(L, script) == LUA_OK);
  lua_pushglobaltable(L);
  solo::push_lua_matcher(L, -1);
  lua_remove(L, -2);
  lua_pushinteger(L, seed);
  lua_pushinteger(L, count);
  const int status = lua_pcall(L, 3, 2, 0);
  BOOST_REQUIRE_MESSAGE(status == LUA_OK, lua_tostring(L, -1));
  return {lua_tointeger(L, -2), lua_tostring(L, -1)};
}

// Runs a chunk in a plain state with the matcher as its argument M.
std::string in_plain_state(const char* chunk) {
  PlainState s;
  lua_State* L = s.L;
  BOOST_REQUIRE(luaL_loadstring(L, chunk) == LUA_OK);
  lua_pushglobaltable(L);
  solo::push_lua_matcher(L, -1);
  lua_remove(L, -2);
  const int status = lua_pcall(L, 1, 1, 0);
  BOOST_REQUIRE_MESSAGE(status == LUA_OK, lua_tostring(L, -1));
  return lua_tostring(L, -1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_pattern_match)

BOOST_AUTO_TEST_CASE(random_cases_give_what_lstrlib_gives) {
  lua_Integer total = 0;
  for (lua_Integer seed = 1; seed <= 4; ++seed) {
    auto [cases, report] = compare_script(random_cases, seed, 6000);
    total += cases;
    BOOST_TEST(report.find("\n  C:") == std::string::npos, "seed " << seed << ": " << report);
    BOOST_TEST_MESSAGE("seed " << seed << ": " << cases << " comparisons, " << report.substr(0, report.find('\n')));
  }
  BOOST_TEST(total > 90000);
}

BOOST_AUTO_TEST_CASE(each_feature_gives_what_lstrlib_gives) {
  auto [cases, report] = compare_script(feature_cases);
  BOOST_TEST(report.empty(), report);
  BOOST_TEST(cases > 10000);
  BOOST_TEST_MESSAGE(cases << " comparisons");
}

BOOST_AUTO_TEST_CASE(plain_results_and_errors) {
  // A few results spelled out, so that a bug shared by both cannot hide.
  BOOST_TEST(in_plain_state(R"lua(
    local M = ...
    local k, v = M.match("key = value", "(%w+)%s*=%s*(%w+)")
    local out = { k, v, M.find("hello", "l+"), select(2, M.gsub("hello world", "o", "0")),
                  (M.gsub("hello world", "(%w+)", "<%1>")), (M.gsub("abc", "", "-")) }
    for a, b in M.gmatch("a=1, b=2", "(%w+)=(%w+)") do out[#out + 1] = a .. b end
    for p in M.gmatch("abc", "()", 3) do out[#out + 1] = p end
    out[#out + 1] = select(2, pcall(M.gsub, "abc", "b", "%2"))
    out[#out + 1] = select(2, pcall(M.gsub, "abc", "b", "%"))
    out[#out + 1] = select(2, pcall(M.gsub, "abc", "b", { b = {} }))
    out[#out + 1] = select(2, pcall(M.find, "abc", "[a"))
    out[#out + 1] = select(2, pcall(M.find, ("a"):rep(300), ("a?"):rep(300)))
    return table.concat(out, " "))lua") ==
             "key value 3 2 <hello> <world> -a-b-c- a1 b2 3 4 invalid capture index %2 "
             "invalid use of '%' in replacement string invalid replacement value (a table) "
             "malformed pattern (missing ']') pattern too complex");
}

BOOST_AUTO_TEST_CASE(the_matcher_keeps_the_originals_it_was_given) {
  BOOST_TEST(in_plain_state(R"lua(
    local M = ...
    string.byte, string.sub, string.find, table.concat, type, tostring = nil, nil, nil, nil, nil, nil
    setmetatable(_G, { __index = function() error("a global was read") end })
    return table.pack(M.gsub("a=1, b=2", "(%w+)=(%w+)", "%2=%1"))[1] .. (M.find("abc", "c", 1, true)))lua") ==
             "1=a, 2=b3");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- in a sandbox ------------------------------------------------------------

namespace {

// The server's defaults, preemptible.
std::unique_ptr<solo::LuaSandbox> preemptible(solo::LuaLimits limits = {}) {
  auto sb = make_sandbox(runner, nullptr, limits);
  sb->set_preemptible(true);
  return sb;
}

void expect_cpu_limit_in_slices(solo::LuaSandbox& sb, const std::string& code) {
  auto s = run_sliced(sb, code);
  BOOST_TEST(s.result.is_error());
  BOOST_TEST(s.result.error.find("cpu time limit exceeded") != std::string::npos, s.result.error);
  BOOST_TEST(s.checked_longest() < solo::test::longest_step_seconds, code.substr(0, 80) << ": longest call " << s.longest * 1000 << " ms");
  BOOST_TEST_MESSAGE(code.substr(0, 80) << ": " << s.slices << " slices, longest " << s.longest * 1000
                                        << " ms, total " << s.total * 1000 << " ms");
  auto r = sb.start_call("ping");
  BOOST_TEST(r.reply == json::value("pong"), r.error);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_pattern_match_sandbox)

BOOST_AUTO_TEST_CASE(an_ordinary_pattern_over_a_long_subject_works) {
  // Its worst-case estimate was past the limit: refused before. What this case
  // checks is the result, so the budget is wide: the matcher in Lua takes about
  // 20 ms here, and several times that under the sanitizers.
  solo::LuaLimits limits;
  limits.cpu_time_per_message = std::chrono::milliseconds{2000};
  auto sb = preemptible(limits);
  auto s = run_sliced(*sb, R"lua(
    local parts = {}
    for i = 1, 2000 do parts[i] = "k" .. i .. "=v" .. i end
    local subject = table.concat(parts, "&")
    local n, first, last = 0
    for k, v in subject:gmatch("(%w+)=(%w+)") do
      n = n + 1
      first = first or k .. v
      last = k .. v
    end
    local swapped = subject:gsub("(%w+)=(%w+)", "%2=%1")
    return { #subject, n, first, last, swapped:sub(1, 11), select(2, subject:find("(k2000)=(v2000)")) })lua");
  BOOST_TEST_INFO(s.result.error);
  BOOST_REQUIRE(s.result.is_done());
  BOOST_TEST(s.result.reply.at(0).as_int64() > 20000);
  BOOST_TEST(s.result.reply.at(1) == json::value(2000));
  BOOST_TEST(s.result.reply.at(2) == json::value("k1v1"));
  BOOST_TEST(s.result.reply.at(3) == json::value("k2000v2000"));
  BOOST_TEST(s.result.reply.at(4) == json::value("v1=k1&v2=k2"));
  BOOST_TEST(s.result.reply.at(5) == s.result.reply.at(0));
  BOOST_TEST(s.checked_longest() < solo::test::longest_step_seconds, "longest call " << s.longest * 1000 << " ms");
  BOOST_TEST_MESSAGE(s.slices << " slices, longest " << s.longest * 1000 << " ms, total " << s.total * 1000 << " ms");
}

BOOST_AUTO_TEST_CASE(the_lua_matcher_keeps_the_caller_yieldable) {
  // lstrlib calls a gsub function with lua_call: it cannot yield. The Lua
  // matcher (a long subject takes it) can, and so can the count hook in it.
  auto sb = make_sandbox(runner);
  auto r = sb->start_call(R"lua(
    local subject = ("ab "):rep(4000)
    local co = coroutine.wrap(function()
      return (subject:gsub("(%w+) ", function(w) coroutine.yield(w) return w:upper() end))
    end)
    local first, second = co(), co()
    local short = pcall(coroutine.wrap(function() return ("ab"):gsub("b", coroutine.yield) end))
    return { first, second, short })lua");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::parse(R"(["ab", "ab", false])"));
}

BOOST_AUTO_TEST_CASE(errors_are_lstrlibs) {
  // The subject is long enough for the Lua matcher ("(a+)a" over 20 KB is
  // estimated ~4e8 steps).
  auto sb = make_sandbox(runner);
  auto r = sb->start_call(R"lua(
    local long = ("a"):rep(20000)
    local out = {}
    for _, f in ipairs({
      function() return string.find(long, "(a*)a%") end,
      function() return string.gsub(long, "(a+)a", "%2") end,
      function() return string.gsub(long, "(a+)a", "%") end,
      function() return string.gsub(long, "(a+)a", function() return {} end) end,
      function() return string.gsub(long, "(a+)a") end,
      function() return string.find(long, "(a+)a", 1.5) end,
      function() return string.gsub(long, "(a+)a", "", "x") end,
      function() for x in string.gmatch(long, "(a+)a[") do end end,
      function() return string.match(long, "(a+)a)") end,
    }) do out[#out + 1] = select(2, pcall(f)) end
    out[#out + 1] = string.gsub(long, "(a+)a", "%%")
    out[#out + 1] = string.gsub(long, "(a+)a", {}) == long
    out[#out + 1] = long:find("(a*)a", -5)
    out[#out + 1] = #long:gsub("(a+)a", 12)
    return out)lua");
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  const char* expected[] = {
      "malformed pattern (ends with '%')",
      "invalid capture index %2",
      "invalid use of '%' in replacement string",
      "invalid replacement value (a table)",
      "bad argument #3 to 'gsub' (string/function/table expected, got no value)",
      "bad argument #3 to 'find' (number has no integer representation)",
      "bad argument #4 to 'gsub' (number expected, got string)",
      "malformed pattern (missing ']')",
      "invalid pattern capture",
  };
  BOOST_REQUIRE(r.reply.as_array().size() == std::size(expected) + 4);
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    const std::string got(r.reply.at(i).as_string());
    BOOST_TEST(got.find(expected[i]) != std::string::npos, got << " lacks " << expected[i]);
  }
  BOOST_TEST(r.reply.at(std::size(expected)) == json::value("%"));
  BOOST_TEST(r.reply.at(std::size(expected) + 1) == json::value(true));
  BOOST_TEST(r.reply.at(std::size(expected) + 2) == json::value(19996));
  BOOST_TEST(r.reply.at(std::size(expected) + 3) == json::value(2));
}

BOOST_AUTO_TEST_CASE(the_lua_matcher_is_built_on_first_use_in_the_services_heap) {
  // A fresh sandbox does not carry it (it was most of a sandbox's creation
  // and heap); the first call that needs it builds it, counted in the
  // service's memory, and later calls reuse it.
  auto sb = make_sandbox(runner);
  const auto fresh = sb->memory_bytes();
  BOOST_TEST(fresh < 64u * 1024);
  const char* needs_it = R"lua(return (("ab "):rep(4000):gsub("(%w+) ", "%1,")):sub(1, 9))lua";
  auto first = sb->start_call(needs_it);
  BOOST_TEST_INFO(first.error);
  BOOST_REQUIRE(first.is_done());
  BOOST_TEST(first.reply == json::value("ab,ab,ab,"));
  const auto built = sb->memory_bytes();
  BOOST_TEST(built > fresh + 50 * 1024, "fresh " << fresh << ", after " << built);
  auto again = sb->start_call(needs_it);
  BOOST_REQUIRE(again.is_done());
  BOOST_TEST(again.reply == first.reply);
  BOOST_TEST(sb->memory_bytes() < built + 50 * 1024);  // not built twice
}

BOOST_AUTO_TEST_CASE(a_heap_too_small_for_the_lua_matcher_fails_that_call_only) {
  solo::LuaLimits limits = solo::test::instruction_bound_limits();
  limits.memory_bytes = 96 * 1024;  // a sandbox fits, the matcher does not
  auto sb = make_sandbox(runner, nullptr, limits);
  for (int attempt = 0; attempt < 2; ++attempt) {  // a failed build leaves nothing half made
    auto r = sb->start_call(R"lua(return (("ab "):rep(4000):gsub("(%w+) ", "%1,")))lua");
    BOOST_TEST(r.is_error());
    BOOST_TEST(r.error.find("not enough memory") != std::string::npos, r.error);
    BOOST_TEST(r.fault == StepResult::Fault::memory);
    auto ping = sb->start_call("ping");
    BOOST_TEST(ping.reply == json::value("pong"), ping.error);
  }
}

BOOST_AUTO_TEST_CASE(hostile_patterns_end_at_the_cpu_time_in_short_slices) {
  auto sb = preemptible();
  expect_cpu_limit_in_slices(*sb, "return string.find(string.rep('a', 200000), '.-.-.-.-b')");
  expect_cpu_limit_in_slices(*sb, "for _ in string.rep('a', 100000):gmatch('a*a*b') do end");
  expect_cpu_limit_in_slices(*sb, R"(return ("a"):rep(600):find("a*[" .. ("b"):rep(60000) .. "]"))");
  expect_cpu_limit_in_slices(*sb, "return (string.rep('a', 200000)):match('.-.-.-.-.-b')");
  expect_cpu_limit_in_slices(*sb, "return (string.rep('a', 200000)):gsub('.-.-.-.-.-b', '')");
}

BOOST_AUTO_TEST_SUITE_END()
