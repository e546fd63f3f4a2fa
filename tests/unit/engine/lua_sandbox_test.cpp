// LuaSandbox: the service lifecycle, state, solo table and solo.call.
#include "engine/sandbox/lua_sandbox.hpp"

#include "unit/engine/lua_fake_host.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;
using solo::LuaSandbox;
using solo::StepResult;
using solo::test::FakeLuaHost;
using solo::test::make_sandbox;

namespace {

constexpr const char* counter = R"lua(
function init(config) return { count = config.start or 0 } end
function handle_call(msg, state)
  if msg.op == "inc" then state.count = state.count + (msg.by or 1) end
  return { count = state.count }, state
end
function handle_cast(msg, state) state.count = 0 return state end
)lua";

json::value reply_of(const StepResult& r) {
  BOOST_TEST_INFO("error: " << r.error);
  BOOST_REQUIRE(r.is_done());
  return r.reply;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_sandbox)

BOOST_AUTO_TEST_CASE(a_counter_keeps_its_state_across_messages) {
  auto sb = make_sandbox(counter);
  BOOST_TEST(sb->start_init(json::object{}).is_done());
  reply_of(sb->start_call(json::parse(R"({"op":"inc"})")));
  reply_of(sb->start_call(json::parse(R"({"op":"inc","by":5})")));
  BOOST_TEST(reply_of(sb->start_call(json::parse(R"({"op":"get"})"))) == json::parse(R"({"count":6})"));
  BOOST_TEST(sb->start_cast(json::object{}).is_done());
  BOOST_TEST(reply_of(sb->start_call(json::parse(R"({"op":"get"})"))) == json::parse(R"({"count":0})"));
}

BOOST_AUTO_TEST_CASE(init_receives_the_config) {
  auto sb = make_sandbox(counter);
  BOOST_TEST(sb->start_init(json::parse(R"({"start":40})")).is_done());
  BOOST_TEST(reply_of(sb->start_call(json::parse(R"({"op":"inc","by":2})"))) == json::parse(R"({"count":42})"));
}

BOOST_AUTO_TEST_CASE(without_init_the_state_is_an_empty_table) {
  auto sb = make_sandbox("function handle_call(m, s) s.n = (s.n or 0) + 1 return s.n, s end");
  BOOST_TEST(sb->start_init(nullptr).is_done());
  BOOST_TEST(reply_of(sb->start_call(nullptr)) == json::value(1));
  BOOST_TEST(reply_of(sb->start_call(nullptr)) == json::value(2));
}

BOOST_AUTO_TEST_CASE(a_missing_handle_call_is_a_clear_error) {
  auto sb = make_sandbox("x = 1");
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error == "service does not define handle_call");
  BOOST_TEST(!sb->has_function("handle_call"));
}

BOOST_AUTO_TEST_CASE(a_compile_error_names_the_line) {
  const char* bad = "function handle_call(m, s)\n  return 1, s\nx = = 2\nend";
  try {
    make_sandbox(bad);
    BOOST_FAIL("expected LuaCompileError");
  } catch (const solo::LuaCompileError& e) {
    BOOST_TEST(std::string(e.what()).find("[string \"service\"]:3:") != std::string::npos, e.what());
  }
  auto checked = LuaSandbox::check_compiles("t", bad, {});
  BOOST_REQUIRE(checked.has_value());
  BOOST_TEST(checked->find("[string \"service\"]:3:") != std::string::npos);
  BOOST_TEST(!LuaSandbox::check_compiles("t", counter, {}).has_value());
}

BOOST_AUTO_TEST_CASE(a_top_level_error_is_a_load_error) {
  BOOST_CHECK_THROW(make_sandbox("error('boom')"), solo::LuaLoadError);
}

BOOST_AUTO_TEST_CASE(a_runtime_error_names_the_line_and_keeps_the_previous_state) {
  auto sb = make_sandbox(R"lua(
function init() return { n = 1 } end
function handle_call(msg, state)
  state.n = state.n + 1
  if msg == "fail" then
    error("nope")
  end
  return state.n, state
end)lua");
  sb->start_init(nullptr);
  BOOST_TEST(reply_of(sb->start_call("ok")) == json::value(2));
  auto r = sb->start_call("fail");
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.fault == StepResult::Fault::runtime);
  BOOST_TEST(r.error.find("[string \"service\"]:6: nope") != std::string::npos, r.error);
  // The table was mutated in place before the error (Lua semantics); the
  // registry still holds the same table, so the count carries on.
  BOOST_TEST(reply_of(sb->start_call("ok")) == json::value(4));
}

BOOST_AUTO_TEST_CASE(a_reply_that_is_a_function_is_a_clear_error) {
  auto sb = make_sandbox("function handle_call(m, s) return { f = function() end }, s end");
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("cannot encode a function") != std::string::npos, r.error);
  BOOST_TEST(r.error.find(".f") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(handle_call_must_return_the_new_state) {
  auto sb = make_sandbox("function handle_call(m, s) return 1 end");
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error == "handle_call must return the reply and the new state");
}

BOOST_AUTO_TEST_CASE(solo_call_yields_a_pending_call_and_resume_delivers_the_reply) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  local r = solo.call("other", { q = msg }, 250)
  return { got = r.answer }, state
end)lua");
  sb->start_init(nullptr);
  auto r = sb->start_call("hello");
  BOOST_REQUIRE(r.is_call());
  BOOST_TEST(r.call.service_id == "other");
  BOOST_TEST(r.call.msg == json::parse(R"({"q":"hello"})"));
  BOOST_TEST(r.call.timeout.count() == 250);
  BOOST_TEST(sb->waiting());
  auto done = sb->resume(json::parse(R"({"answer":42})"), false);
  BOOST_TEST(reply_of(done) == json::parse(R"({"got":42})"));
  BOOST_TEST(!sb->waiting());
}

BOOST_AUTO_TEST_CASE(an_error_resume_raises_in_lua_and_pcall_can_catch_it) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  if msg == "catch" then
    local ok, err = pcall(solo.call, "other", {})
    return { ok = ok, err = err }, state
  end
  return solo.call("other", {}), state
end)lua");
  sb->start_init(nullptr);
  BOOST_REQUIRE(sb->start_call("catch").is_call());
  auto caught = reply_of(sb->resume("timeout", true));
  BOOST_TEST(caught.at("ok") == json::value(false));
  BOOST_TEST(std::string(caught.at("err").as_string()).find("solo.call: timeout") != std::string::npos);

  BOOST_REQUIRE(sb->start_call("raise").is_call());
  auto r = sb->resume("overloaded", true);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("solo.call: overloaded") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(solo_call_can_wait_inside_pcall_and_xpcall) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  local ok1, a = pcall(solo.call, "x", 1)
  local ok2, b = xpcall(function() return solo.call("y", 2) end, debug and debug.traceback or tostring)
  return { ok1, a, ok2, b }, state
end)lua");
  auto first = sb->start_call(nullptr);
  BOOST_REQUIRE(first.is_call());
  BOOST_TEST(first.call.service_id == "x");
  auto second = sb->resume("A", false);
  BOOST_REQUIRE(second.is_call());
  BOOST_TEST(second.call.service_id == "y");
  BOOST_TEST(reply_of(sb->resume("B", false)) == json::parse(R"([true,"A",true,"B"])"));
}

BOOST_AUTO_TEST_CASE(solo_call_is_not_available_while_loading) {
  try {
    make_sandbox("solo.call('x', 1)");
    BOOST_FAIL("expected LuaLoadError");
  } catch (const solo::LuaLoadError& e) {
    BOOST_TEST(std::string(e.what()).find("not available while the service loads") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(starting_a_message_abandons_one_waiting_in_solo_call) {
  auto sb = make_sandbox(R"lua(
function init() return { n = 0 } end
function handle_call(msg, state)
  if msg == "wait" then state.n = 100 solo.call("x", 1) end
  return state.n, state
end)lua");
  sb->start_init(nullptr);
  BOOST_REQUIRE(sb->start_call("wait").is_call());
  BOOST_TEST(sb->start_terminate("killed").is_done());
  BOOST_TEST(!sb->waiting());
  BOOST_TEST(sb->resume(1, false).is_error());
}

BOOST_AUTO_TEST_CASE(solo_call_timeout_is_capped_by_the_limit) {
  auto sb = make_sandbox("function handle_call(m, s) return solo.call('x', 1, 999999), s end");
  auto r = sb->start_call(nullptr);
  BOOST_REQUIRE(r.is_call());
  BOOST_TEST(r.call.timeout.count() == 5000);
}

BOOST_AUTO_TEST_CASE(solo_call_inside_a_coroutine_is_a_clear_error) {
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  local co = coroutine.wrap(function() return solo.call("x", 1) end)
  return co(), state
end)lua");
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("not allowed inside a coroutine") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(a_bare_yield_in_a_handler_is_an_error) {
  auto sb = make_sandbox("function handle_call(m, s) coroutine.yield(1) return 1, s end");
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("coroutine.yield outside a coroutine") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(the_budget_of_a_message_continues_across_resumes) {
  solo::LuaLimits limits;
  limits.instructions_per_message = 2'000'000;
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  for i = 1, 1200000 do end  -- about 60% of the budget (one FORLOOP per iteration)
  solo.call("x", 1)
  for i = 1, 1200000 do end  -- another 60%: over
  return 1, state
end)lua", nullptr, limits);
  BOOST_REQUIRE(sb->start_call(nullptr).is_call());
  auto r = sb->resume(1, false);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.fault == StepResult::Fault::instructions);
}

BOOST_AUTO_TEST_CASE(the_solo_table_reaches_the_host) {
  FakeLuaHost host;
  host.secrets["token"] = "s3cret";
  auto sb = make_sandbox(R"lua(
function handle_call(msg, state)
  solo.log("info", "hello", 42)
  print("printed")
  solo.emit("thing", { a = 1 })
  local id = solo.after(100, { tick = true })
  solo.cast("other", { x = solo.null })
  return {
    id = id,
    cancelled = solo.cancel(id),
    secret = solo.secret("token"),
    missing = solo.secret("nope") == nil,
    tenant = solo.tenant_id, service = solo.service_id, version = solo.version,
    now = math.type(solo.now()) == "integer" and solo.now() > 1600000000000,
  }, state
end)lua", &host);
  auto reply = reply_of(sb->start_call(nullptr));
  BOOST_TEST(reply == json::parse(R"({"id":1,"cancelled":true,"secret":"s3cret","missing":true,
                                      "tenant":"t1","service":"svc","version":3,"now":true})"));
  BOOST_REQUIRE(host.logs.size() == 2u);
  BOOST_TEST(host.logs[0].first == "info");
  BOOST_TEST(host.logs[0].second == "hello 42");
  BOOST_TEST(host.logs[1].second == "printed");
  BOOST_REQUIRE(host.events.size() == 1u);
  BOOST_TEST(host.events[0].second == json::parse(R"({"a":1})"));
  BOOST_REQUIRE(host.timers.size() == 1u);
  BOOST_TEST(host.timers[0].first == 100);
  BOOST_REQUIRE(host.casts.size() == 1u);
  BOOST_TEST(host.casts[0].second == json::parse(R"({"x":null})"));
}

BOOST_AUTO_TEST_CASE(a_bad_log_level_is_an_error) {
  FakeLuaHost host;
  auto sb = make_sandbox("function handle_call(m, s) solo.log('loud', 'x') return 1, s end", &host);
  auto r = sb->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("level must be") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(handle_info_and_terminate_are_optional) {
  auto sb = make_sandbox("function handle_call(m, s) return 1, s end");
  BOOST_TEST(sb->start_info(nullptr).is_done());
  BOOST_TEST(sb->start_terminate("shutdown").is_done());
  BOOST_TEST(sb->start_cast(nullptr).is_error());
}

BOOST_AUTO_TEST_CASE(state_moves_between_sandboxes_through_code_change) {
  auto v1 = make_sandbox(counter);
  v1->start_init(json::parse(R"({"start":7})"));
  auto exported = v1->export_state();
  BOOST_REQUIRE(exported.ok());
  BOOST_TEST(exported.value == json::parse(R"({"count":7})"));

  auto v2 = make_sandbox(R"lua(
function code_change(old, old_version) return { total = old.count, from = old_version } end
function handle_call(msg, state) return state, state end)lua");
  BOOST_TEST(v2->start_code_change(exported.value, 1).is_done());
  BOOST_TEST(reply_of(v2->start_call(nullptr)) == json::parse(R"({"total":7,"from":1})"));

  // Without code_change the old state carries over; import_state rolls back.
  auto v3 = make_sandbox("function handle_call(m, s) return s, s end");
  BOOST_TEST(v3->start_code_change(exported.value, 1).is_done());
  BOOST_TEST(reply_of(v3->start_call(nullptr)) == json::parse(R"({"count":7})"));
  BOOST_TEST(!v3->import_state(json::parse(R"({"count":1})")).has_value());
  BOOST_TEST(reply_of(v3->start_call(nullptr)) == json::parse(R"({"count":1})"));
}

BOOST_AUTO_TEST_CASE(a_state_that_cannot_be_encoded_cannot_be_exported) {
  auto sb = make_sandbox("function init() return { f = print } end function handle_call(m, s) return 1, s end");
  sb->start_init(nullptr);
  auto exported = sb->export_state();
  BOOST_TEST(!exported.ok());
  BOOST_TEST(exported.error.find("cannot encode a function") != std::string::npos, exported.error);
}

// A call step converts its message on the step's own thread (lua_sandbox.cpp,
// start_call): what the conversion refuses fails that call only.
BOOST_AUTO_TEST_CASE(a_message_too_deep_to_convert_fails_the_call_and_the_sandbox_goes_on) {
  auto sb = make_sandbox(counter);
  BOOST_TEST(sb->start_init(json::object{}).is_done());
  reply_of(sb->start_call(json::parse(R"({"op":"inc"})")));
  json::value deep = json::object{{"op", "inc"}};
  for (int i = 0; i < 100; ++i) deep = json::object{{"op", "inc"}, {"next", std::move(deep)}};
  auto r = sb->start_call(deep);
  BOOST_TEST(r.is_error());
  BOOST_TEST(r.error.find("JSON nesting deeper than 64 levels") != std::string::npos, r.error);
  BOOST_TEST(reply_of(sb->start_call(json::parse(R"({"op":"inc"})"))) == json::parse(R"({"count":2})"));
}

BOOST_AUTO_TEST_CASE(a_message_past_the_memory_limit_fails_the_call_as_memory_and_the_sandbox_goes_on) {
  solo::LuaLimits limits;
  limits.memory_bytes = 1u << 20;
  auto sb = make_sandbox(counter, nullptr, limits);
  BOOST_TEST(sb->start_init(json::object{}).is_done());
  json::array big;
  for (int i = 0; i < 8; ++i) big.emplace_back(std::string(200'000, 'x'));
  auto r = sb->start_call(json::object{{"op", "inc"}, {"data", std::move(big)}});
  BOOST_TEST(r.is_error());
  BOOST_TEST((r.fault == StepResult::Fault::memory), r.error);
  BOOST_TEST(reply_of(sb->start_call(json::parse(R"({"op":"inc"})"))) == json::parse(R"({"count":1})"));
}

BOOST_AUTO_TEST_CASE(converting_the_message_is_not_charged_to_the_handlers_instruction_budget) {
  // 20,000 strings cost the allocator's charge (bytes / 8) many times this
  // budget if the conversion were metered; the handler itself runs a few
  // dozen instructions.
  solo::LuaLimits limits;
  limits.instructions_per_message = 5'000;
  auto sb = make_sandbox(counter, nullptr, limits);
  BOOST_TEST(sb->start_init(json::object{}).is_done());
  json::array many;
  for (int i = 0; i < 20'000; ++i) many.emplace_back("item " + std::to_string(i));
  BOOST_TEST(reply_of(sb->start_call(json::object{{"op", "inc"}, {"items", std::move(many)}})) ==
             json::parse(R"({"count":1})"));
  // The budget still binds the handler.
  auto spin = make_sandbox("function handle_call(m, s) for i = 1, 100000 do end return 1, s end", nullptr, limits);
  auto r = spin->start_call(nullptr);
  BOOST_TEST(r.is_error());
  BOOST_TEST((r.fault == StepResult::Fault::instructions), r.error);
}

BOOST_AUTO_TEST_CASE(memory_and_reductions_are_reported) {
  auto sb = make_sandbox(counter);
  BOOST_TEST(sb->memory_bytes() > 0u);
  BOOST_TEST(sb->memory_bytes() < 200'000u);
  auto before = sb->reductions();
  sb->start_init(json::object{});
  auto spin = make_sandbox("function handle_call(m, s) for i = 1, 100000 do end return 1, s end");
  spin->start_call(nullptr);
  BOOST_TEST(spin->reductions() >= 100'000u);
  BOOST_TEST(sb->reductions() >= before);
}

BOOST_AUTO_TEST_SUITE_END()
