// Bounds on what lives outside a service's Lua heap (docs/services.md, "The sandbox and its limits"):
// values leaving the sandbox are capped as serialized JSON while they are
// encoded, a reply that cannot be encoded fails that call only (Fault::reply),
// solo.emit kinds are names, a mailbox weighs its messages, and only an admin
// may deploy limits above the defaults.
#include "engine/actor/mailbox.hpp"
#include "engine/sandbox/lua_json.hpp"
#include "engine/services/service_spec.hpp"
#include "engine/tenancy/quota_exceeded.hpp"
#include "engine/tenancy/tenant_quota.hpp"
#include "unit/engine/lua_fake_host.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;
using solo::test::FakeLuaHost;
using solo::test::make_sandbox;

namespace {

// Runs `code` (returning one value) in a bare state and encodes it with `limits`.
solo::LuaJsonResult encode(const std::string& code, const solo::LuaJsonLimits& limits) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  solo::LuaJsonResult r;
  if (luaL_loadstring(L, code.c_str()) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    r.error = lua_tostring(L, -1);
  } else {
    r = solo::to_json(L, -1, limits);
  }
  lua_close(L);
  return r;
}

constexpr std::size_t kMiB = 1u << 20;

// One 1 MiB string referenced 60 times: 60 MiB as JSON from a small heap.
const char* kSixtyMiB = R"(
  local s = string.rep("x", 1024 * 1024)
  local t = {}
  for i = 1, 60 do t[i] = s end
  return t
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(bounds)

BOOST_AUTO_TEST_CASE(encoding_stops_as_soon_as_the_serialized_size_passes_max_bytes) {
  solo::LuaJsonLimits limits;
  limits.max_bytes = kMiB;
  auto r = encode(kSixtyMiB, limits);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.too_large);
  BOOST_TEST(r.error == "is too large (more than 1048576 bytes as JSON)");
  // It stopped at the second string: it never built (or counted) the rest.
  BOOST_TEST(r.bytes < 3 * kMiB);
  BOOST_TEST(r.value.is_null());
}

BOOST_AUTO_TEST_CASE(the_running_size_matches_the_serialized_size) {
  const std::string code = R"(return { a = { 1, 2.5, "q\"uote\n", true, false }, ["b c"] = {}, d = -12 })";
  auto r = encode(code, {});
  BOOST_TEST_REQUIRE(r.ok(), r.error);
  const auto text = json::serialize(r.value);
  // Doubles may be written a byte differently (1.5E0 vs 1.5); nothing else.
  BOOST_TEST(r.bytes <= text.size() + 4);
  BOOST_TEST(r.bytes + 4 >= text.size());
  BOOST_TEST(solo::json_size(r.value) == text.size());

  // Exactly at the cap is fine; one byte under is not.
  solo::LuaJsonLimits exact;
  exact.max_bytes = r.bytes;
  BOOST_TEST(encode(code, exact).ok());
  exact.max_bytes = r.bytes - 1;
  BOOST_TEST(encode(code, exact).too_large);
}

BOOST_AUTO_TEST_CASE(json_size_is_the_serialized_size_of_every_kind_of_value) {
  const json::value values[] = {
      nullptr, true, false, 0, -1, std::int64_t{-9223372036854775807 - 1}, std::uint64_t{18446744073709551615u},
      1.5, -0.0, 1e300, 3.14159, json::string("plain"), json::string("esc \" \\ \b\f\n\r\t \x01\x1f \x7f / \xc3\xa9"),
      json::array(), json::object(), json::array{1, "two", nullptr, json::array{json::object{}}},
      json::object{{"k\"ey", json::object{{"a", json::array{1.25, 2, false}}, {"", nullptr}}}, {"n", 7}},
  };
  for (const auto& v : values) {
    BOOST_TEST(solo::json_size(v) == json::serialize(v).size(), json::serialize(v));
  }
  // Deeper than the walk goes (64): the rest is sized by the serializer.
  json::value deep = 1;
  for (int i = 0; i < 2000; ++i) {
    json::array level;
    level.emplace_back(std::move(deep));
    level.emplace_back("x");
    deep = std::move(level);
  }
  BOOST_TEST(solo::json_size(deep) == json::serialize(deep).size());
  BOOST_TEST(solo::json_size(deep, 100) > 100);
  BOOST_TEST(solo::json_size(deep, 100) < json::serialize(deep).size());
}

BOOST_AUTO_TEST_CASE(json_size_stops_counting_just_past_its_limit) {
  json::array big;
  for (int i = 0; i < 64; ++i) big.emplace_back(std::string(kMiB, 'x'));
  const std::size_t n = solo::json_size(big, kMiB);
  BOOST_TEST(n > kMiB);
  BOOST_TEST(n < kMiB + 64 * 1024);
}

BOOST_AUTO_TEST_CASE(a_reply_past_payload_bytes_fails_the_call_with_fault_reply_and_the_sandbox_goes_on) {
  solo::LuaLimits limits;
  limits.memory_bytes = 8 * kMiB;
  auto sb = make_sandbox(R"(
    function handle_call(msg, state)
      state.n = (state.n or 0) + 1
      if msg.op == "big" then
        local s = string.rep('x', 1024 * 1024) local t = {} for i = 1, 60 do t[i] = s end return t, state
      elseif msg.op == "fn" then return { f = print }, state
      elseif msg.op == "nan" then return 0/0, state
      elseif msg.op == "huge" then return math.huge, state
      elseif msg.op == "cycle" then local t = {} t.self = t return t, state
      end
      return state.n, state
    end)",
                         nullptr, limits);
  BOOST_TEST_REQUIRE(sb->start_init(nullptr).is_done());
  for (const char* op : {"big", "fn", "nan", "huge", "cycle"}) {
    auto step = sb->start_call(json::object{{"op", op}});
    BOOST_TEST_REQUIRE(step.is_error(), op);
    BOOST_TEST(step.fault == solo::StepResult::Fault::reply, op << ": " << step.error);
    BOOST_TEST(step.error.find("handle_call reply ") == 0, step.error);
  }
  auto big = sb->start_call(json::object{{"op", "big"}});
  BOOST_TEST(big.error == "handle_call reply is too large (more than 1048576 bytes as JSON)");
  // The handlers finished: their new states were kept (six calls before this one).
  auto ok = sb->start_call(json::object{});
  BOOST_TEST_REQUIRE(ok.is_done(), ok.error);
  BOOST_TEST(ok.reply == json::value(7));
  // A handler error is still a runtime fault (it crashes the service).
  auto sb2 = make_sandbox("function handle_call(m, s) error('boom') end");
  BOOST_TEST_REQUIRE(sb2->start_init(nullptr).is_done());
  BOOST_TEST(sb2->start_call(nullptr).fault == solo::StepResult::Fault::runtime);
}

BOOST_AUTO_TEST_CASE(payload_bytes_caps_after_cast_call_and_emit_messages) {
  FakeLuaHost host;
  solo::LuaLimits limits;
  limits.payload_bytes = 1000;
  auto sb = make_sandbox(R"(
    function handle_call(msg, state)
      local big = string.rep("y", 2000)
      local ok, err
      if msg.op == "after" then ok, err = pcall(solo.after, 10, { big })
      elseif msg.op == "cast" then ok, err = pcall(solo.cast, "other", big)
      elseif msg.op == "emit" then ok, err = pcall(solo.emit, "kind", { big })
      elseif msg.op == "call" then ok, err = pcall(solo.call, "other", big)
      elseif msg.op == "small" then solo.after(10, { n = 1 }) solo.emit("kind", 1) solo.cast("other", "x") ok = true
      end
      return { ok = ok, err = err }, state
    end)",
                         &host, limits);
  BOOST_TEST_REQUIRE(sb->start_init(nullptr).is_done());
  for (std::string op : {"after", "cast", "emit", "call"}) {
    auto step = sb->start_call(json::object{{"op", op}});
    BOOST_TEST_REQUIRE(step.is_done(), step.error);
    BOOST_TEST(step.reply.at("ok") == json::value(false), op);
    const auto err = std::string(step.reply.at("err").as_string());
    BOOST_TEST(err.find("solo." + op + ": ") != std::string::npos, err);
    BOOST_TEST(err.find("is too large (more than 1000 bytes as JSON)") != std::string::npos, err);
  }
  BOOST_TEST(host.timers.empty());
  BOOST_TEST(host.casts.empty());
  BOOST_TEST(host.events.empty());
  auto small = sb->start_call(json::object{{"op", "small"}});
  BOOST_TEST_REQUIRE(small.is_done(), small.error);
  BOOST_TEST(host.timers.size() == 1u);
  BOOST_TEST(host.events.size() == 1u);
  BOOST_TEST(host.casts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(solo_emit_kinds_are_names_of_1_to_64_characters) {
  FakeLuaHost host;
  auto sb = make_sandbox(R"(
    function handle_call(kind, state)
      local ok, err = pcall(solo.emit, kind, 1)
      return { ok = ok, err = err }, state
    end)",
                         &host);
  BOOST_TEST_REQUIRE(sb->start_init(nullptr).is_done());
  for (std::string good : std::initializer_list<std::string>{"a", "order.created", "A_b-9.x", std::string(64, 'k')}) {
    auto step = sb->start_call(json::value(good));
    BOOST_TEST_REQUIRE(step.is_done(), step.error);
    BOOST_TEST(step.reply.at("ok") == json::value(true), good);
  }
  for (std::string bad : std::initializer_list<std::string>{"", "has space", "new\nline", "slash/", "é", std::string(65, 'k')}) {
    auto step = sb->start_call(json::value(bad));
    BOOST_TEST_REQUIRE(step.is_done(), step.error);
    BOOST_TEST(step.reply.at("ok") == json::value(false), bad);
    BOOST_TEST(std::string(step.reply.at("err").as_string()).find("solo.emit: the kind must be") != std::string::npos);
  }
  BOOST_TEST(host.events.size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_mailbox_weighs_its_queued_items) {
  boost::asio::io_context io;
  solo::Mailbox<int> mailbox(io.get_executor(), 10);
  BOOST_TEST(mailbox.try_push(1, 100));
  BOOST_TEST(mailbox.try_push(2));
  BOOST_TEST(mailbox.try_push(3, 50));
  BOOST_TEST(mailbox.bytes() == 150u);
  BOOST_TEST(*mailbox.try_pop() == 1);
  BOOST_TEST(mailbox.bytes() == 50u);
  mailbox.try_pop();
  mailbox.try_pop();
  BOOST_TEST(mailbox.bytes() == 0u);
}

// The per-service maxima of a tenant's quota default to the default limits:
// a deploy at or below them passes, the first limit above is refused, named.
BOOST_AUTO_TEST_CASE(default_quota_refuses_the_first_limit_above_its_default) {
  auto quota = solo::TenantQuota::defaults(solo::ServiceLimitsMax{});
  solo::ServiceSpec spec;
  spec.tenant_id = "acme";
  solo::check_service_maxima(spec, quota);
  spec.limits.memory_bytes = 1u << 20;  // lowered
  spec.limits.mailbox = 10;
  spec.limits.payload_bytes = 1000;
  spec.limits.call_timeout = std::chrono::milliseconds(100);
  solo::check_service_maxima(spec, quota);
  spec.limits.instructions_per_message = 1'000'000'000;
  try {
    solo::check_service_maxima(spec, quota);
    BOOST_FAIL("a raised limit passed");
  } catch (const solo::QuotaExceeded& error) {
    BOOST_TEST(error.quota() == "instructions_per_message");
    BOOST_TEST(error.limit() == 100'000'000u);
    BOOST_TEST(error.used() == 1'000'000'000u);
    BOOST_TEST(std::string(error.what()).find("limits.instructions_per_message 1000000000 is above the tenant's "
                                              "maximum 100000000") != std::string::npos);
  }
  solo::ServiceSpec other;
  other.limits.call_timeout = std::chrono::milliseconds(5001);
  BOOST_CHECK_EXCEPTION(solo::check_service_maxima(other, quota), solo::QuotaExceeded,
                        [](const auto& e) { return e.quota() == "call_timeout_ms" && e.used() == 5001u; });
  other = {};
  other.limits.payload_bytes = 2u << 20;
  BOOST_CHECK_EXCEPTION(solo::check_service_maxima(other, quota), solo::QuotaExceeded,
                        [](const auto& e) { return e.quota() == "payload_bytes" && e.used() == (2u << 20); });
  // A raised maximum lets the same limit through.
  quota.merge(boost::json::object{{"payload_bytes", 2u << 20}}, solo::ServiceLimitsMax{});
  solo::check_service_maxima(other, quota);
}

BOOST_AUTO_TEST_CASE(payload_bytes_is_a_deploy_limit_and_round_trips) {
  solo::ServiceLimitsMax max;
  auto body = json::parse(R"({"service_id": "s", "code": "x = 1", "limits": {"payload_bytes": 4096}})").as_object();
  auto spec = solo::parse_service_spec(body, "t", max);
  BOOST_TEST(spec.limits.payload_bytes == 4096u);
  auto back = solo::service_spec_from_json(solo::to_json(spec), "t");
  BOOST_TEST(back.limits.payload_bytes == 4096u);
  auto zero = json::parse(R"({"service_id": "s", "code": "x = 1", "limits": {"payload_bytes": 0}})").as_object();
  BOOST_CHECK_THROW(solo::parse_service_spec(zero, "t", max), solo::SpecError);
}

BOOST_AUTO_TEST_SUITE_END()
