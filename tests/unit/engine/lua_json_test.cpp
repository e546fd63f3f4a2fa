// lua_json: the JSON <-> Lua mapping of messages, replies and solo.json.
#include "engine/sandbox/lua_json.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>

namespace json = boost::json;
using solo::test::make_sandbox;

namespace {

// A bare state; pushes run under lua_pcall as push_json requires.
struct State {
  lua_State* L = [] { lua_State* l = luaL_newstate(); luaL_openlibs(l); return l; }();
  ~State() { lua_close(L); }

  // Pushes v, then returns to_json of what Lua holds (or the push error).
  solo::LuaJsonResult round_trip(const json::value& v, const solo::LuaJsonLimits& limits = {}) {
    struct Job {
      const json::value* v;
      const solo::LuaJsonLimits* limits;
    } job{&v, &limits};
    lua_pushcfunction(L, [](lua_State* S) {
      auto* j = static_cast<Job*>(lua_touserdata(S, 1));
      solo::push_json(S, *j->v, *j->limits);
      return 1;
    });
    lua_pushlightuserdata(L, &job);
    solo::LuaJsonResult r;
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      r.error = lua_tostring(L, -1);
    } else {
      r = solo::to_json(L, -1, limits);
    }
    lua_settop(L, 0);
    return r;
  }

  // Runs Lua code returning one value and encodes it.
  solo::LuaJsonResult encode(const std::string& code) {
    if (luaL_loadstring(L, code.c_str()) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
      BOOST_FAIL(lua_tostring(L, -1));
    }
    auto r = solo::to_json(L, -1);
    lua_settop(L, 0);
    return r;
  }
};

json::value nested(int depth) {
  json::value v = 1;
  for (int i = 0; i < depth; ++i) v = json::array{std::move(v)};
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_json)

BOOST_AUTO_TEST_CASE(values_round_trip_with_integers_floats_and_null) {
  State s;
  auto v = json::parse(R"({"a":[1,2.5,null,true,"x"],"b":{"c":{"d":-7}},"e":1.0,"f":"","g":9007199254740993})");
  auto r = s.round_trip(v);
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.value == v);
  BOOST_TEST(r.value.at("e").is_double());
  BOOST_TEST(r.value.at("g").is_int64());
}

BOOST_AUTO_TEST_CASE(lua_sees_integers_floats_and_the_null_sentinel) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  return { math.type(msg.i), math.type(msg.f), msg.n == solo.null, type(msg.arr), #msg.arr }, state
end)lua");
  auto r = sb->start_call(json::parse(R"({"i":3,"f":3.0,"n":null,"arr":[1,2,3]})"));
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::parse(R"(["integer","float",true,"table",3])"));
}

BOOST_AUTO_TEST_CASE(an_unsigned_beyond_int64_becomes_a_float) {
  State s;
  auto r = s.round_trip(json::value(std::uint64_t{18446744073709551615u}));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.value.is_double());
}

BOOST_AUTO_TEST_CASE(the_empty_table_encodes_as_an_object) {
  State s;
  BOOST_TEST(s.encode("return {}").value == json::object());
  BOOST_TEST(s.round_trip(json::array()).value == json::object());  // documented: {} and [] are one Lua value
}

BOOST_AUTO_TEST_CASE(tables_that_are_neither_sequences_nor_string_keyed_are_errors) {
  State s;
  for (const char* code : {"return {1, 2, x = 3}", "return {[1] = 1, [3] = 3}", "return {[true] = 1}",
                           "return {[1.5] = 1}", "return {[0] = 1}"}) {
    auto r = s.encode(code);
    BOOST_TEST(!r.ok(), code);
    BOOST_TEST(r.error.find("neither a sequence nor has only string keys") != std::string::npos, r.error);
  }
}

BOOST_AUTO_TEST_CASE(functions_cycles_nan_and_bad_utf8_are_errors_that_say_where) {
  State s;
  auto f = s.encode("return { list = { 1, { fn = print } } }");
  BOOST_TEST(f.error == "cannot encode to JSON: cannot encode a function (at .list[2].fn)");
  auto c = s.encode("local t = {} t.self = t return t");
  BOOST_TEST(c.error.find("cycle") != std::string::npos, c.error);
  BOOST_TEST(s.encode("return 0/0").error.find("NaN") != std::string::npos);
  BOOST_TEST(s.encode("return {x = math.huge}").error.find("infinity") != std::string::npos);
  BOOST_TEST(s.encode("return '\\xff\\xfe'").error.find("UTF-8") != std::string::npos);
  BOOST_TEST(s.encode("return { ['\\xc0\\x80'] = 1 }").error.find("UTF-8") != std::string::npos);
  BOOST_TEST(s.encode("return coroutine.create(print)").error.find("thread") != std::string::npos);
  BOOST_TEST(s.encode("return 'h\\u{e9}llo \\u{1F600}'").ok());
}

BOOST_AUTO_TEST_CASE(a_shared_subtable_is_not_a_cycle_but_an_explosion_is_bounded) {
  State s;
  auto shared = s.encode("local t = {1} return {t, t}");
  BOOST_TEST(shared.value == json::parse("[[1],[1]]"));
  // 2^60 nodes as JSON from a tiny heap.
  auto bomb = s.encode("local t = {1} for i = 1, 60 do t = {t, t} end return t");
  BOOST_TEST(!bomb.ok());
  BOOST_TEST(bomb.error.find("more than") != std::string::npos, bomb.error);
}

BOOST_AUTO_TEST_CASE(the_depth_is_limited_both_ways) {
  State s;
  BOOST_TEST(s.round_trip(nested(63)).ok());
  auto in = s.round_trip(nested(100));
  BOOST_TEST(!in.ok());
  BOOST_TEST(in.error.find("deeper than 64") != std::string::npos, in.error);
  auto out = s.encode("local t = {} for i = 1, 100 do t = {t} end return t");
  BOOST_TEST(!out.ok());
  BOOST_TEST(out.error.find("deeper than 64") != std::string::npos, out.error);
}

BOOST_AUTO_TEST_CASE(solo_json_encodes_and_decodes) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  local v = solo.json.decode('{"a":[1,2.5,null],"b":"x"}')
  local back = solo.json.decode(solo.json.encode(v))
  local ok, err = pcall(solo.json.decode, '{"a":')
  local ok2, err2 = pcall(solo.json.encode, { f = print })
  return { v.a[3] == solo.null, math.type(back.a[1]), math.type(back.a[2]), back.b, ok, ok2,
           string.find(err2, "cannot encode a function", 1, true) ~= nil,
           solo.json.encode(solo.null), solo.json.encode({}) }, state
end)lua");
  auto r = sb->start_call(nullptr);
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::parse(R"([true,"integer","float","x",false,false,true,"null","{}"])"));
}

// Scalars take a path without boost::json's parser (push_decoded): each
// text must decode to what the full parse gives, and what is not JSON must
// still fail.
BOOST_AUTO_TEST_CASE(solo_json_decodes_scalars_as_the_parser_does) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  local out = {}
  local texts = { '0', '-7', '42', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
                  '-0', '1.5', '1E2', '"plain"', '""', '"a\\nb"', '"caf\195\169"', 'true', 'false', 'null',
                  ' 5', '5 ', '"x" ' }
  for _, text in ipairs(texts) do
    local v = solo.json.decode(text)
    if v == solo.null then v = "<null>" end
    out[#out + 1] = { math.type(v) or type(v), v }
  end
  for _, bad in ipairs({ '01', '-', '"open', '+1', 'tru', '"bad \255"', '1 2' }) do
    out[#out + 1] = (pcall(solo.json.decode, bad))
  end
  return out, state
end)lua");
  auto r = sb->start_call(nullptr);
  BOOST_TEST_INFO(r.error);
  BOOST_REQUIRE(r.is_done());
  BOOST_TEST(r.reply == json::parse(R"([["integer",0],["integer",-7],["integer",42],
    ["integer",9223372036854775807],["integer",-9223372036854775808],["float",9.223372036854775808E18],
    ["integer",0],["float",1.5],["float",1E2],["string","plain"],["string",""],["string","a\nb"],
    ["string","caf\u00e9"],["boolean",true],["boolean",false],["string","<null>"],
    ["integer",5],["integer",5],["string","x"],false,false,false,false,false,false,false])"));
}

BOOST_AUTO_TEST_SUITE_END()
