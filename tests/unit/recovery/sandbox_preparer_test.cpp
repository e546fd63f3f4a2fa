// Tests for recovery/sandbox_preparer: every planned row comes back parsed
// and, for Lua, compiled but not run (its top level waits for the engine
// thread and its host); rows it cannot prepare (a spec that does not parse,
// code that does not compile) come back empty for the Deployer's own path;
// take() works in any order, also before a row is ready; a preparer
// destroyed midway stops and joins its workers.
#include "recovery/sandbox_preparer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"

using namespace solo;
using namespace solo::test;

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

const char* kCode = "loaded = (loaded or 0) + 1\nfunction handle_call(m, s) return loaded, s end";

ServiceRow row_of(const std::string& id, const std::string& code, int64_t version = 1,
                  const std::string& format = "lua") {
  json::object body;
  body["service_id"] = id;
  body["code"] = code;
  if (format != "lua") body["format"] = format;
  auto spec = parse_service_spec(body, "acme", ServiceLimitsMax{});
  ServiceRow row;
  row.tenant_id = "acme";
  row.service_id = id;
  row.version = version;
  row.format = format;
  row.code = code;
  row.spec = json::serialize(to_json(spec));
  row.created_at = "2026-12-01T00:00:00.000Z";
  return row;
}

std::shared_ptr<const std::vector<ServiceRow>> plan_of(std::vector<ServiceRow> rows) {
  return std::make_shared<const std::vector<ServiceRow>>(std::move(rows));
}

asio::awaitable<PreparedService> take(SandboxPreparer& preparer, std::size_t i) {
  co_return co_await preparer.take(i);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_preparer)

BOOST_AUTO_TEST_CASE(lua_rows_come_back_parsed_and_compiled_with_their_top_level_not_yet_run) {
  asio::io_context io;
  SandboxPreparer preparer(io.get_executor(), plan_of({row_of("a", kCode, 3), row_of("b", kCode)}));
  auto a = run_awaitable(io, take(preparer, 0));
  BOOST_TEST_REQUIRE(a.spec.has_value());
  BOOST_TEST(a.spec->service_id == "a");
  BOOST_TEST(a.spec->version == 3);  // the row's version, as Deployer::recover(row) sets it
  BOOST_TEST_REQUIRE(a.compiled != nullptr);
  BOOST_TEST(!a.compiled->has_function("handle_call"));  // nothing of the service ran yet
  a.compiled->run_top_level(nullptr);
  BOOST_TEST(a.compiled->has_function("handle_call"));
  BOOST_TEST(a.compiled->start_init(json::object{}).is_done());
  auto reply = a.compiled->start_call(json::object{});
  BOOST_TEST_REQUIRE(reply.is_done(), reply.error);
  BOOST_TEST(reply.reply.as_int64() == 1);  // the top level ran once
  auto b = run_awaitable(io, take(preparer, 1));
  BOOST_TEST(b.spec->service_id == "b");
  BOOST_TEST(b.compiled != nullptr);
}

BOOST_AUTO_TEST_CASE(rows_it_cannot_prepare_come_back_empty_for_the_deployers_own_path) {
  asio::io_context io;
  auto broken_spec = row_of("bad-spec", kCode);
  broken_spec.spec = "{not json";
  SandboxPreparer preparer(io.get_executor(),
                           plan_of({broken_spec, row_of("bad-code", "function ("), row_of("native", "echo", 1, "native")}));
  auto unparsed = run_awaitable(io, take(preparer, 0));
  BOOST_TEST(!unparsed.spec.has_value());
  BOOST_TEST(unparsed.compiled == nullptr);
  auto uncompiled = run_awaitable(io, take(preparer, 1));
  BOOST_TEST(uncompiled.spec.has_value());
  BOOST_TEST(uncompiled.compiled == nullptr);
  auto native = run_awaitable(io, take(preparer, 2));
  BOOST_TEST_REQUIRE(native.spec.has_value());
  BOOST_TEST(native.spec->format == "native");
  BOOST_TEST(native.compiled == nullptr);
}

BOOST_AUTO_TEST_CASE(rows_are_taken_in_any_order_with_two_workers) {
  asio::io_context io;
  std::vector<ServiceRow> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(row_of("s" + std::to_string(i), kCode));
  SandboxPreparer preparer(io.get_executor(), plan_of(rows));
  preparer.add_worker();
  // The last one first: the engine thread waits for it without blocking.
  auto last = run_awaitable(io, take(preparer, 299));
  BOOST_TEST(last.spec->service_id == "s299");
  for (std::size_t i = 0; i < 299; ++i) {
    auto prepared = run_awaitable(io, take(preparer, i));
    BOOST_TEST_REQUIRE(prepared.spec.has_value());
    BOOST_TEST(prepared.spec->service_id == "s" + std::to_string(i));
    BOOST_TEST(prepared.compiled != nullptr);
  }
}

BOOST_AUTO_TEST_CASE(a_preparer_destroyed_midway_joins_its_workers) {
  asio::io_context io;
  std::vector<ServiceRow> rows;
  for (int i = 0; i < 5000; ++i) rows.push_back(row_of("s" + std::to_string(i), kCode));
  {
    SandboxPreparer preparer(io.get_executor(), plan_of(rows));
    preparer.add_worker();
    auto first = run_awaitable(io, take(preparer, 0));
    BOOST_TEST(first.compiled != nullptr);
  }  // joins its workers after the row each is making, not after all 5000
  // Wakeups a worker posted for the engine (none here: it never waited again) run harmlessly.
  io.restart();
  io.poll();
}

BOOST_AUTO_TEST_SUITE_END()
