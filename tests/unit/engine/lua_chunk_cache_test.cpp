// LuaChunkCache: sandboxes of the same code load its compiled dump instead
// of compiling it again, with the same behaviour, line numbers and isolation.
#include "engine/sandbox/lua_chunk_cache.hpp"
#include "engine/sandbox/lua_sandbox.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;
using solo::LuaChunkCache;
using solo::test::make_sandbox;

namespace {

json::value reply_of(const solo::StepResult& r) {
  BOOST_TEST_INFO("error: " << r.error);
  BOOST_REQUIRE(r.is_done());
  return r.reply;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_chunk_cache)

BOOST_AUTO_TEST_CASE(a_compiled_text_is_kept_and_an_other_text_is_not_served_its_dump) {
  const std::string code = "-- chunk cache 1\nfunction handle_call(m, s) return 1, s end";
  BOOST_TEST(!LuaChunkCache::find("t1", code));
  make_sandbox(code);
  auto dump = LuaChunkCache::find("t1", code);
  BOOST_REQUIRE(dump);
  BOOST_TEST(dump->rfind("\x1bLua", 0) == 0u);  // a binary chunk
  BOOST_TEST(!LuaChunkCache::find("t1", code + " "));  // the whole text is the key
  BOOST_TEST(!LuaChunkCache::find("t1", code.substr(0, code.size() - 1)));
}

BOOST_AUTO_TEST_CASE(a_dump_serves_only_the_tenant_that_compiled_it) {
  // Shared across tenants, a faster deploy would tell one tenant that
  // another runs this very text.
  const std::string code = "-- chunk cache 6\nfunction handle_call(m, s) return 1, s end";
  make_sandbox(code);  // tenant t1 (lua_fake_host.hpp)
  BOOST_TEST(LuaChunkCache::find("t1", code));
  BOOST_TEST(!LuaChunkCache::find("t2", code));
  solo::LuaSandbox::create(code, solo::test::instruction_bound_limits(), solo::LuaFacts{"t2", "svc", 1}, nullptr);
  BOOST_TEST(LuaChunkCache::find("t2", code));
  // The tenant and the text are two parts of the key, not one string.
  BOOST_TEST(!LuaChunkCache::find("t", "1" + code));
}

BOOST_AUTO_TEST_CASE(sandboxes_of_the_same_code_share_nothing_mutable) {
  // The second and third load the first one's dump; each has its own
  // globals, upvalues and state.
  const std::string code = R"lua(-- chunk cache 2
local hits = 0
shared = shared or {}
function init(config) return { n = 0 } end
function handle_call(msg, state)
  hits = hits + 1
  shared[#shared + 1] = msg.tag
  state.n = state.n + 1
  return { hits = hits, seen = #shared, n = state.n }, state
end
)lua";
  auto a = make_sandbox(code);
  BOOST_REQUIRE(LuaChunkCache::find("t1", code));
  auto b = make_sandbox(code);
  auto c = make_sandbox(code);
  for (auto* sb : {a.get(), b.get(), c.get()}) reply_of(sb->start_init(json::object{}));
  for (int i = 0; i < 3; ++i) reply_of(a->start_call(json::object{{"tag", "a"}}));
  auto rb = reply_of(b->start_call(json::object{{"tag", "b"}}));
  BOOST_TEST(rb.as_object().at("hits").as_int64() == 1);
  BOOST_TEST(rb.as_object().at("seen").as_int64() == 1);
  BOOST_TEST(rb.as_object().at("n").as_int64() == 1);
  auto rc = reply_of(c->start_call(json::object{{"tag", "c"}}));
  BOOST_TEST(rc.as_object().at("hits").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(errors_of_a_cached_chunk_keep_their_lines) {
  const std::string code = "-- chunk cache 3\nfunction handle_call(m, s)\n  error('boom')\nend\n";
  make_sandbox(code);
  BOOST_REQUIRE(LuaChunkCache::find("t1", code));
  auto sb = make_sandbox(code);
  auto r = sb->start_call(json::object{});
  BOOST_REQUIRE(r.is_error());
  BOOST_TEST(r.error.find("[string \"service\"]:3: boom") != std::string::npos, r.error);
  // The top level too.
  const std::string failing = "-- chunk cache 4\n\nerror('at load')\n";
  for (int i = 0; i < 2; ++i) {
    try {
      make_sandbox(failing);
      BOOST_FAIL("the top level raised");
    } catch (const solo::LuaLoadError& e) {
      BOOST_TEST(std::string(e.what()).find("[string \"service\"]:3: at load") != std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(code_that_does_not_compile_is_not_kept) {
  const std::string bad = "-- chunk cache 5\nfunction (";
  for (int i = 0; i < 2; ++i) BOOST_CHECK_THROW(make_sandbox(bad), solo::LuaCompileError);
  BOOST_TEST(!LuaChunkCache::find("t1", bad));
}

// Deploy and swap check the code first: the check's compile is kept, and the
// sandbox made next loads it; what does not compile is not kept.
BOOST_AUTO_TEST_CASE(the_compile_check_keeps_its_chunk_for_the_sandbox) {
  const std::string code = "-- chunk cache checked\nfunction handle_call(m, s) return 7, s end";
  BOOST_TEST(!LuaChunkCache::find("checker", code));
  BOOST_TEST(!solo::LuaSandbox::check_compiles("checker", code, {}).has_value());
  auto dump = LuaChunkCache::find("checker", code);
  BOOST_REQUIRE(dump);
  BOOST_TEST(dump->rfind("\x1bLua", 0) == 0u);
  BOOST_TEST(!LuaChunkCache::find("other", code));
  BOOST_TEST(!solo::LuaSandbox::check_compiles("checker", code, {}).has_value());  // found: compiled before
  BOOST_TEST(solo::LuaSandbox::check_compiles("checker", "function (", {}).has_value());
  BOOST_TEST(!LuaChunkCache::find("checker", "function ("));
}

BOOST_AUTO_TEST_CASE(the_cache_stays_within_its_bound) {
  // Texts of ~1 MiB each (a long comment): past max_bytes the oldest go.
  const std::string filler(1u << 20, 'x');
  std::string first;
  for (int i = 0; i < 12; ++i) {
    std::string code = "-- " + std::to_string(i) + filler + "\nfunction handle_call(m, s) return 1, s end";
    if (i == 0) first = code;
    solo::LuaLimits limits = solo::test::instruction_bound_limits();
    make_sandbox(code, nullptr, limits);
    BOOST_REQUIRE(LuaChunkCache::find("t1", code));
  }
  BOOST_TEST(!LuaChunkCache::find("t1", first));
}

BOOST_AUTO_TEST_SUITE_END()
