// solo.storage, the sandbox's side (lua_storage_library.hpp): what crosses to
// the host and back, every check and its error, the costs, and what a host
// without storage answers. The host here is FakeLuaHost's sorted map; the
// real host (quotas, durability) has its own tests.
#include "engine/sandbox/lua_sandbox.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace json = boost::json;
using namespace std::string_view_literals;
using solo::StepResult;
using solo::test::FakeLuaHost;
using solo::test::make_sandbox;
using solo::test::runner;

namespace {

StepResult run(solo::LuaSandbox& sb, const std::string& code) { return sb.start_call(json::value(code)); }

json::value reply_of(const StepResult& r) {
  BOOST_TEST_INFO("error: " << r.error);
  BOOST_REQUIRE(r.is_done());
  return r.reply;
}

void expect_error(const StepResult& r, std::string_view fragment) {
  BOOST_TEST(r.is_error(), "expected an error, got kind " << static_cast<int>(r.kind));
  BOOST_TEST(r.error.find(fragment) != std::string::npos, "error \"" << r.error << "\" lacks \"" << fragment << "\"");
}

// The error a chunk raises, caught by pcall inside the service (so the
// message itself succeeds and its reply is the message).
std::string caught(solo::LuaSandbox& sb, const std::string& call) {
  auto reply = reply_of(run(sb, "local ok, err = pcall(function() " + call + " end) "
                                "if ok then return 'no error' end return tostring(err)"));
  return std::string(reply.as_string());
}

void expect_caught(solo::LuaSandbox& sb, const std::string& call, std::string_view fragment) {
  const auto message = caught(sb, call);
  BOOST_TEST(message.find(fragment) != std::string::npos, call << ": \"" << message << "\" lacks \"" << fragment << "\"");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_storage)

BOOST_AUTO_TEST_CASE(every_json_type_round_trips) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  reply_of(run(*sb, R"lua(
    solo.storage.put("doc", { n = 1, f = 2.5, yes = true, no = false, z = solo.null, empty = {},
                              s = "a\0b é€😀", arr = { 1, "two", { three = 3 }, solo.null },
                              nested = { deep = { deeper = { 1, { x = "y" } } } } })
    solo.storage.put("null", solo.null)
    solo.storage.put("int", -9007199254740993)
    solo.storage.put("float", 0.1)
    solo.storage.put("str", "line\nwith \"quotes\" and \0 NUL")
    solo.storage.put("bool", false)
    solo.storage.put("arr", { 3, 2, 1 })
  )lua"));
  // What the host keeps is the value's JSON text.
  BOOST_TEST(host.storage.at("null") == "null");
  BOOST_TEST(json::parse(host.storage.at("str")) == json::value("line\nwith \"quotes\" and \0 NUL"sv));
  BOOST_TEST(json::parse(host.storage.at("doc")).at("s") == json::value("a\0b \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"sv));
  // A later message reads it back as Lua values of the same types.
  auto r = run(*sb, R"lua(
    local d = solo.storage.get("doc")
    return {
      math.type(d.n), d.n, math.type(d.f), d.f, d.yes, d.no, d.z == solo.null, next(d.empty) == nil,
      d.s == "a\0b é€😀", #d.s, d.arr[2], d.arr[3].three, d.arr[4] == solo.null, #d.arr,
      d.nested.deep.deeper[2].x,
      solo.storage.get("null") == solo.null, solo.storage.get("int") == -9007199254740993,
      math.type(solo.storage.get("int")), solo.storage.get("float") == 0.1,
      solo.storage.get("str") == "line\nwith \"quotes\" and \0 NUL", solo.storage.get("bool"),
      table.concat(solo.storage.get("arr"), ","),
    }
  )lua");
  BOOST_TEST(reply_of(r) == json::parse(R"(["integer", 1, "float", 2.5, true, false, true, true,
      true, 13, "two", 3, true, 4, "y", true, true, "integer", true, true, false, "3,2,1"])"));
}

BOOST_AUTO_TEST_CASE(a_put_replaces_and_a_message_sees_its_own_writes) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  auto r = run(*sb, R"lua(
    local none = solo.storage.put("k", 1)
    local first = solo.storage.get("k")
    solo.storage.put("k", { v = 2 })
    return { none == nil, select("#", solo.storage.put("k2", 0)), first, solo.storage.get("k").v }
  )lua");
  BOOST_TEST(reply_of(r) == json::parse("[true, 0, 1, 2]"));
  BOOST_TEST(host.storage.at("k") == R"({"v":2})");
}

BOOST_AUTO_TEST_CASE(an_absent_key_is_nil_and_delete_says_whether_it_was_there) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  auto r = run(*sb, R"lua(
    local absent = solo.storage.get("nope")
    solo.storage.put("k", "v")
    local was = solo.storage.delete("k")
    local again = solo.storage.delete("k")
    local never = solo.storage.delete("never")
    return { absent == nil, was, again, never, solo.storage.get("k") == nil }
  )lua");
  BOOST_TEST(reply_of(r) == json::parse("[true, true, false, false, true]"));
  BOOST_TEST(host.storage.empty());
}

BOOST_AUTO_TEST_CASE(list_returns_entries_in_byte_order_with_prefix_start_after_and_limit) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  reply_of(run(*sb, R"lua(
    for _, k in ipairs({ "b", "é", "c/2", "a", "c/10", "d", "c/1", "C" }) do solo.storage.put(k, { k = k }) end
  )lua"));
  const auto keys = [&](const std::string& options) {
    return reply_of(run(*sb, "local out = {} for i, e in ipairs(solo.storage.list(" + options +
                                 ")) do assert(e.value.k == e.key) out[i] = e.key end "
                                 "return table.concat(out, ' ')"));
  };
  // Byte order: uppercase before lowercase, "c/10" before "c/2", UTF-8 last.
  BOOST_TEST(keys("") == json::value("C a b c/1 c/10 c/2 d \xC3\xA9"));
  BOOST_TEST(keys("{}") == json::value("C a b c/1 c/10 c/2 d \xC3\xA9"));
  BOOST_TEST(keys("{prefix = 'c/'}") == json::value("c/1 c/10 c/2"));
  BOOST_TEST(keys("{prefix = 'c/', start_after = 'c/1'}") == json::value("c/10 c/2"));
  BOOST_TEST(keys("{prefix = 'c/', start_after = 'a'}") == json::value("c/1 c/10 c/2"));
  BOOST_TEST(keys("{prefix = 'c/', start_after = 'c/9'}") == json::value(""));
  BOOST_TEST(keys("{start_after = 'c/2'}") == json::value("d \xC3\xA9"));
  BOOST_TEST(keys("{limit = 3}") == json::value("C a b"));
  BOOST_TEST(keys("{prefix = 'zz'}") == json::value(""));
  // Paging: the next page starts after the last key of this one.
  auto pages = run(*sb, R"lua(
    local pages, after = {}, nil
    repeat
      local page = solo.storage.list({ limit = 3, start_after = after })
      local keys = {}
      for i, e in ipairs(page) do keys[i] = e.key end
      if #page > 0 then pages[#pages + 1] = table.concat(keys, " ") after = page[#page].key end
    until #page < 3
    return pages
  )lua");
  BOOST_TEST(reply_of(pages) == json::parse(R"(["C a b", "c/1 c/10 c/2", "d \u00e9"])"));
}

BOOST_AUTO_TEST_CASE(list_decodes_every_value) {
  FakeLuaHost host;
  host.storage["a"] = "null";
  host.storage["b"] = R"({"x":[1,2.5,"s"]})";
  auto sb = make_sandbox(runner, &host);
  auto r = run(*sb, R"lua(
    local l = solo.storage.list()
    return { #l, l[1].value == solo.null, math.type(l[2].value.x[1]), l[2].value.x[2], l[2].value.x[3] }
  )lua");
  BOOST_TEST(reply_of(r) == json::parse(R"([2, true, "integer", 2.5, "s"])"));
}

BOOST_AUTO_TEST_CASE(a_key_is_a_string_of_1_to_1024_bytes_of_utf8) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  for (const char* fn : {"get", "put", "delete"}) {
    const std::string call = std::string("solo.storage.") + fn;
    const std::string value = std::string(fn) == "put" ? ", 1" : "";
    expect_caught(*sb, call + "(42" + value + ")", call + ": the key must be a string, not number");
    expect_caught(*sb, call + "({}" + value + ")", "the key must be a string, not table");
    expect_caught(*sb, call + "(nil" + value + ")", "the key must be a string, not nil");
    expect_caught(*sb, call + "(''" + value + ")", call + ": the key is empty (a key is 1 to 1024 bytes of UTF-8)");
    expect_caught(*sb, call + "(string.rep('k', 1025)" + value + ")",
                  call + ": the key is 1025 bytes, more than the 1024 allowed");
    expect_caught(*sb, call + "('\\xff\\xfe'" + value + ")", call + ": the key is not valid UTF-8");
    expect_caught(*sb, call + "('a\\xC3'" + value + ")", "the key is not valid UTF-8");  // cut short
  }
  expect_caught(*sb, "solo.storage.get()", "the key must be a string, not no value");
  BOOST_TEST(host.storage.empty());
  // The edges are allowed: 1 byte, 1024 bytes, multi-byte UTF-8, a NUL byte.
  auto r = run(*sb, R"lua(
    local long = string.rep("k", 1024)
    solo.storage.put("x", 1) solo.storage.put(long, 2) solo.storage.put("ключ😀", 3) solo.storage.put("a\0b", 4)
    return { solo.storage.get("x"), solo.storage.get(long), solo.storage.get("ключ😀"), solo.storage.get("a\0b"),
             solo.storage.delete(long) }
  )lua");
  BOOST_TEST(reply_of(r) == json::parse("[1, 2, 3, 4, true]"));
  BOOST_TEST(host.storage.count(std::string("a\0b", 3)) == 1u);
}

BOOST_AUTO_TEST_CASE(a_value_must_be_json_of_at_most_128_kib_and_not_nil) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  expect_caught(*sb, "solo.storage.put('k', nil)",
                "solo.storage.put: the value is nil (to remove a key, use solo.storage.delete)");
  expect_caught(*sb, "solo.storage.put('k')", "the value is nil");
  expect_caught(*sb, "solo.storage.put('k', { f = print })", "solo.storage.put: cannot encode to JSON: cannot encode a function (at .f)");
  expect_caught(*sb, "solo.storage.put('k', '\\xff')", "string is not valid UTF-8");
  expect_caught(*sb, "solo.storage.put('k', 0/0)", "cannot encode NaN or infinity");
  expect_caught(*sb, "local t = {} t.t = t solo.storage.put('k', t)", "table contains a cycle");
  // 131070 bytes + two quotes is exactly the limit; one more byte is past it.
  expect_caught(*sb, "solo.storage.put('k', string.rep('x', 131071))",
                "solo.storage.put: the value is more than the 131072 bytes allowed as JSON");
  // A small heap making a huge value (one string many times) stops at the cap.
  expect_caught(*sb, "local s = string.rep('x', 1000) local t = {} for i = 1, 1000 do t[i] = s end "
                     "solo.storage.put('k', t)",
                "more than the 131072 bytes allowed");
  BOOST_TEST(host.storage.empty());
  BOOST_TEST(caught(*sb, "solo.storage.put('k', string.rep('x', 131070))") == "no error");
  BOOST_TEST(host.storage.at("k").size() == solo::kStorageValueMax);
}

BOOST_AUTO_TEST_CASE(list_options_are_checked) {
  FakeLuaHost host;
  host.storage["a"] = "1";
  auto sb = make_sandbox(runner, &host);
  const std::string limit_error = "solo.storage.list: limit must be an integer from 1 to 1000";
  expect_caught(*sb, "solo.storage.list{limit = 0}", limit_error);
  expect_caught(*sb, "solo.storage.list{limit = -5}", limit_error);
  expect_caught(*sb, "solo.storage.list{limit = 1001}", limit_error);
  expect_caught(*sb, "solo.storage.list{limit = 1.5}", limit_error);
  expect_caught(*sb, "solo.storage.list{limit = '5'}", limit_error);
  expect_caught(*sb, "solo.storage.list{limit = math.huge}", limit_error);
  expect_caught(*sb, "solo.storage.list('a')",
                "solo.storage.list: the options must be a table {prefix=, start_after=, limit=}, not string");
  expect_caught(*sb, "solo.storage.list{prefx = 'a'}",
                "solo.storage.list: unknown option 'prefx' (the options are prefix, start_after and limit)");
  expect_caught(*sb, "solo.storage.list{'a'}", "solo.storage.list: the options are named (prefix, start_after, limit), not a number key");
  expect_caught(*sb, "solo.storage.list{prefix = 5}", "solo.storage.list: prefix must be a string, not number");
  expect_caught(*sb, "solo.storage.list{start_after = true}", "solo.storage.list: start_after must be a string, not boolean");
  expect_caught(*sb, "solo.storage.list{prefix = string.rep('p', 1025)}",
                "solo.storage.list: prefix is 1025 bytes, more than the 1024 a key may be");
  // The edges are allowed.
  auto r = run(*sb, "return { #solo.storage.list{limit = 1}, #solo.storage.list{limit = 1000}, "
                    "#solo.storage.list{limit = 1.0, prefix = '', start_after = ''} }");
  BOOST_TEST(reply_of(r) == json::parse("[1, 1, 1]"));
}

BOOST_AUTO_TEST_CASE(list_returns_at_most_the_limit_even_from_a_host_that_gives_more) {
  struct Generous : FakeLuaHost {
    std::size_t asked = 0;
    std::vector<std::pair<std::string, std::string>> storage_list(std::string_view, std::string_view,
                                                                  std::size_t limit) override {
      asked = limit;
      return std::vector<std::pair<std::string, std::string>>(limit + 10, {"k", "1"});
    }
  } host;
  auto sb = make_sandbox(runner, &host);
  BOOST_TEST(reply_of(run(*sb, "return #solo.storage.list()")) == json::value(100));
  BOOST_TEST(host.asked == 100u);
  BOOST_TEST(reply_of(run(*sb, "return #solo.storage.list{limit = 7}")) == json::value(7));
}

// The read cache (lua_storage_library.hpp): a get of a key read before
// answers from the state, and is never older than the host's data.
BOOST_AUTO_TEST_CASE(a_cached_get_sees_this_messages_puts_and_deletes) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  reply_of(run(*sb, "solo.storage.put('a', 1) solo.storage.put('s', 'text')"));
  auto reply = reply_of(run(*sb,
                            "local g = solo.storage.get "
                            "local first, s = g('a'), g('s') "
                            "solo.storage.put('a', 2) local second = g('a') "
                            "solo.storage.delete('a') local third = g('a') "
                            "return {first, second, third == nil, s, g('s')}"));
  BOOST_TEST(json::serialize(reply) == R"([1,2,true,"text","text"])");
}

BOOST_AUTO_TEST_CASE(a_get_after_another_writer_changed_the_key_reads_the_new_value) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  reply_of(run(*sb, "solo.storage.put('a', 1)"));
  for (int i = 0; i < 3; ++i) BOOST_TEST(reply_of(run(*sb, "return solo.storage.get('a')")) == json::value(1));
  // An operator's write between two messages.
  host.storage["a"] = "5";
  ++host.version;
  BOOST_TEST(reply_of(run(*sb, "return solo.storage.get('a')")) == json::value(5));
  host.storage.erase("a");
  ++host.version;
  BOOST_TEST(reply_of(run(*sb, "return solo.storage.get('a') == nil")) == json::value(true));
}

BOOST_AUTO_TEST_CASE(tables_are_decoded_afresh_and_many_keys_stay_exact) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  reply_of(run(*sb, "solo.storage.put('t', {n = 1}) "
                    "for i = 1, 600 do solo.storage.put('k' .. i, i) end"));
  // A table a handler changed is not what the next get returns.
  BOOST_TEST(reply_of(run(*sb, "local t = solo.storage.get('t') t.n = 99 return solo.storage.get('t').n")) ==
             json::value(1));
  // More keys than the cache holds, read twice: every value is its own.
  BOOST_TEST(reply_of(run(*sb, "local g, bad = solo.storage.get, 0 "
                                "for round = 1, 2 do for i = 1, 600 do if g('k' .. i) ~= i then bad = bad + 1 end end end "
                                "return bad")) == json::value(0));
}

BOOST_AUTO_TEST_CASE(a_loop_of_storage_calls_runs_out_of_its_budget) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);  // 20M instructions (lua_fake_host.hpp)
  // 5,000 small objects: ~110 KB of JSON, 15,001 values. The VM work of
  // these loops is a few thousand instructions; what binds is what each
  // call moves (without the storage charges both loops would end well
  // within the budget: to_json's own count and the heap's growth are ~6M).
  const std::string dense = "local v = {} for i = 1, 5000 do v[i] = { a = i, b = 'xyz' } end ";
  reply_of(run(*sb, dense + "solo.storage.put('dense', v)"));
  BOOST_TEST(host.storage.at("dense").size() > 100'000u);
  auto r = run(*sb, dense + "for i = 1, 200 do solo.storage.put('k', v) end");
  expect_error(r, "instruction budget exceeded");
  BOOST_TEST(r.fault == StepResult::Fault::instructions);
  expect_error(run(*sb, "for i = 1, 200 do solo.storage.get('dense') end"), "instruction budget exceeded");
  expect_error(run(*sb, "for i = 1, 200 do solo.storage.list{prefix = 'dense'} end"), "instruction budget exceeded");
  // Long strings: 1 unit a byte each put.
  expect_error(run(*sb, "local big = string.rep('x', 100000) for i = 1, 500 do solo.storage.put('k', big) end"),
               "instruction budget exceeded");
  // A pcall around each call cannot go on once the budget is spent.
  expect_error(run(*sb, dense + "for i = 1, 200 do pcall(solo.storage.put, 'k', v) end"),
               "instruction budget exceeded");
  // Small values are cheap: the same number of calls passes.
  reply_of(run(*sb, "for i = 1, 2000 do solo.storage.put('k', i) solo.storage.get('k') end"));
  BOOST_TEST(reply_of(run(*sb, "return 'alive'")) == json::value("alive"));
}

BOOST_AUTO_TEST_CASE(a_value_too_big_for_the_heap_is_not_enough_memory) {
  FakeLuaHost host;
  // 128 KiB of empty arrays: ~43,000 tables, several MiB as Lua tables.
  std::string many = "[";
  while (many.size() < solo::kStorageValueMax - 4) many += "[],";
  many += "[]]";
  host.storage["many"] = many;
  host.storage["small"] = "[1]";
  auto limits = solo::test::instruction_bound_limits();
  limits.memory_bytes = 1u << 20;
  auto sb = make_sandbox(runner, &host, limits);
  expect_error(run(*sb, "return #solo.storage.get('many')"), "not enough memory");
  expect_error(run(*sb, "return #solo.storage.list()"), "not enough memory");
  BOOST_TEST(reply_of(run(*sb, "return solo.storage.get('small')[1]")) == json::value(1));
}

BOOST_AUTO_TEST_CASE(a_host_exception_is_a_catchable_lua_error_and_writes_nothing) {
  struct FullHost : FakeLuaHost {
    void storage_put(std::string_view, std::string) override {
      throw std::runtime_error("storage quota exceeded (4194304 bytes)");
    }
  } host;
  auto sb = make_sandbox(runner, &host);
  expect_caught(*sb, "solo.storage.put('k', 1)", "solo.storage.put: storage quota exceeded (4194304 bytes)");
  expect_error(run(*sb, "solo.storage.put('k', 1)"), "solo.storage.put: storage quota exceeded");
  BOOST_TEST(host.storage.empty());
  BOOST_TEST(reply_of(run(*sb, "return solo.storage.get('k') == nil")) == json::value(true));
}

BOOST_AUTO_TEST_CASE(a_host_without_storage_says_it_is_not_available) {
  // FakeLuaHost with LuaHost's own storage calls: what a host that does not
  // implement storage (a tool, a bare sandbox) answers.
  struct NoStorage : FakeLuaHost {
    const std::string* storage_get(std::string_view key) override { return LuaHost::storage_get(key); }
    void storage_put(std::string_view key, std::string value) override { LuaHost::storage_put(key, std::move(value)); }
    bool storage_delete(std::string_view key) override { return LuaHost::storage_delete(key); }
    std::vector<std::pair<std::string, std::string>> storage_list(std::string_view prefix, std::string_view after,
                                                                  std::size_t limit) override {
      return LuaHost::storage_list(prefix, after, limit);
    }
  } host;
  auto sb = make_sandbox(runner, &host);
  expect_caught(*sb, "solo.storage.get('k')", "solo.storage.get: solo.storage is not available in this sandbox");
  expect_caught(*sb, "solo.storage.put('k', 1)", "solo.storage.put: solo.storage is not available in this sandbox");
  expect_caught(*sb, "solo.storage.delete('k')", "solo.storage.delete: solo.storage is not available");
  expect_caught(*sb, "solo.storage.list()", "solo.storage.list: solo.storage is not available");
  // No host at all: the sandbox's own error.
  auto bare = make_sandbox(runner);
  expect_caught(*bare, "solo.storage.get('k')", "this sandbox has no host");
}

BOOST_AUTO_TEST_CASE(the_storage_table_is_read_only) {
  FakeLuaHost host;
  auto sb = make_sandbox(runner, &host);
  expect_error(run(*sb, "solo.storage.get = function() return 'forged' end"), "read-only");
  expect_error(run(*sb, "solo.storage.extra = 1"), "read-only");
  expect_error(run(*sb, "rawset(solo.storage, 'get', print)"), "attempt to modify a read-only table");
  expect_error(run(*sb, "local _, real = pairs(solo.storage) real.put = print"), "read-only");
  expect_error(run(*sb, "solo.storage = {}"), "read-only");
  expect_error(run(*sb, "setmetatable(solo.storage, {})"), "cannot change a protected metatable");
  auto r = run(*sb, "local n = 0 for k in pairs(solo.storage) do n = n + 1 end "
                    "return { n, type(solo.storage.get) }");
  BOOST_TEST(reply_of(r) == json::parse(R"([4, "function"])"));
}

// The example of docs/services.md, "Storage".
BOOST_AUTO_TEST_CASE(the_documented_example_pages_a_todo_list) {
  FakeLuaHost host;
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  if msg.op == "add" then
    local todo = solo.storage.get("todo/" .. msg.id) or { done = false }
    todo.text = msg.text
    solo.storage.put("todo/" .. msg.id, todo)
    return { ok = true }, state
  elseif msg.op == "page" then          -- 20 at a time, in key order
    local page = solo.storage.list{ prefix = "todo/", start_after = msg.after, limit = 20 }
    local next_after = #page > 0 and page[#page].key or nil
    return { items = page, next = next_after }, state
  elseif msg.op == "remove" then
    return { removed = solo.storage.delete("todo/" .. msg.id) }, state
  end
end)lua",
                         &host);
  for (int i = 0; i < 25; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "%03d", i);
    reply_of(sb->start_call(json::object{{"op", "add"}, {"id", id}, {"text", "task " + std::to_string(i)}}));
  }
  auto first = reply_of(sb->start_call(json::object{{"op", "page"}}));
  BOOST_TEST(first.at("items").as_array().size() == 20u);
  BOOST_TEST(first.at("items").at(0) == json::parse(R"({"key":"todo/000","value":{"done":false,"text":"task 0"}})"));
  BOOST_TEST(first.at("next") == json::value("todo/019"));
  auto second = reply_of(sb->start_call(json::object{{"op", "page"}, {"after", first.at("next")}}));
  BOOST_TEST(second.at("items").as_array().size() == 5u);
  BOOST_TEST(second.at("next") == json::value("todo/024"));
  BOOST_TEST(reply_of(sb->start_call(json::object{{"op", "remove"}, {"id", "003"}})) == json::parse(R"({"removed":true})"));
  BOOST_TEST(reply_of(sb->start_call(json::object{{"op", "remove"}, {"id", "003"}})) == json::parse(R"({"removed":false})"));
  BOOST_TEST(host.storage.size() == 24u);
}

BOOST_AUTO_TEST_SUITE_END()
