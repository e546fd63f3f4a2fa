// Tests for engine/actor/actor.hpp: call, cast, overload, timeout, crashes.
#include "engine/actor/actor.hpp"
#include "base/run_until.hpp"
#include "support/engine_coro.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using solo::ErrorKind;
using solo::run_until_complete;

namespace {

using EchoActor = solo::Actor<std::string, std::string>;

// Handler: "slow" sleeps 200 ms, "boom" throws, anything else echoes; every
// handled request is recorded.
asio::awaitable<std::string> echo(std::shared_ptr<std::vector<std::string>> seen, std::string& request) {
  seen->push_back(request);
  if (request == "slow") co_await solo::test::sleep_for(200ms);
  if (request == "boom") throw std::runtime_error("handler exploded");
  co_return "echo " + request;
}

EchoActor::Handler echo_handler(std::shared_ptr<std::vector<std::string>> seen) {
  return [seen](std::string& request) { return echo(seen, request); };
}

struct Outcome {
  std::exception_ptr error;
  bool done = false;
};

void spawn_run(asio::io_context& io, EchoActor& actor, std::shared_ptr<std::vector<std::string>> seen,
               std::shared_ptr<Outcome> outcome) {
  asio::co_spawn(io, actor.run(echo_handler(seen)), [outcome](std::exception_ptr e) {
    outcome->error = e;
    outcome->done = true;
  });
}

asio::awaitable<void> idle(std::chrono::milliseconds d) { co_await solo::test::sleep_for(d); }

}  // namespace

BOOST_AUTO_TEST_SUITE(actor)

BOOST_AUTO_TEST_CASE(call_returns_the_handlers_reply) {
  asio::io_context io;
  EchoActor actor(io.get_executor(), 4);
  auto seen = std::make_shared<std::vector<std::string>>();
  auto outcome = std::make_shared<Outcome>();
  spawn_run(io, actor, seen, outcome);
  auto result = run_until_complete(io, actor.call("hi", 1s), 3s);
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(result.value() == "echo hi");
}

BOOST_AUTO_TEST_CASE(call_times_out_when_the_handler_is_too_slow) {
  asio::io_context io;
  EchoActor actor(io.get_executor(), 4);
  auto seen = std::make_shared<std::vector<std::string>>();
  spawn_run(io, actor, seen, std::make_shared<Outcome>());
  const auto t0 = std::chrono::steady_clock::now();
  auto result = run_until_complete(io, actor.call("slow", 30ms), 3s);
  BOOST_TEST(!result.ok());
  BOOST_TEST((result.error() == ErrorKind::timeout));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 150ms));
}

BOOST_AUTO_TEST_CASE(call_is_refused_as_overloaded_when_the_mailbox_is_full_and_nothing_is_queued) {
  asio::io_context io;
  EchoActor actor(io.get_executor(), 2);  // not running: nothing drains the mailbox
  BOOST_TEST(actor.cast("a"));
  BOOST_TEST(actor.cast("b"));
  auto result = run_until_complete(io, actor.call("c", 1s), 3s);
  BOOST_TEST((result.error() == ErrorKind::overloaded));
  BOOST_TEST(actor.queued() == 2u);
}

BOOST_AUTO_TEST_CASE(cast_is_handled_in_order_and_refused_when_full) {
  asio::io_context io;
  EchoActor actor(io.get_executor(), 3);
  auto seen = std::make_shared<std::vector<std::string>>();
  BOOST_TEST(actor.cast("1"));
  BOOST_TEST(actor.cast("2"));
  BOOST_TEST(actor.cast("3"));
  BOOST_TEST(!actor.cast("4"));
  auto outcome = std::make_shared<Outcome>();
  spawn_run(io, actor, seen, outcome);
  run_until_complete(io, idle(20ms));
  BOOST_TEST(*seen == (std::vector<std::string>{"1", "2", "3"}), boost::test_tools::per_element());
  actor.close();
  run_until_complete(io, idle(10ms));
  BOOST_TEST(outcome->done);  // closed and drained: run() returned
  BOOST_TEST(!outcome->error);
}

BOOST_AUTO_TEST_CASE(a_handler_exception_replies_error_to_the_caller_and_crashes_run) {
  asio::io_context io;
  EchoActor actor(io.get_executor(), 4);
  auto seen = std::make_shared<std::vector<std::string>>();
  auto outcome = std::make_shared<Outcome>();
  spawn_run(io, actor, seen, outcome);
  auto result = run_until_complete(io, actor.call("boom", 1s), 3s);
  BOOST_TEST((result.error() == ErrorKind::service_error));
  BOOST_TEST(result.message() == "handler exploded");
  run_until_complete(io, idle(5ms));
  BOOST_TEST(outcome->done);
  BOOST_CHECK_THROW(std::rethrow_exception(outcome->error), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_queued_call_gets_stopped_when_the_actor_goes_away) {
  asio::io_context io;
  auto actor = std::make_unique<EchoActor>(io.get_executor(), 4);
  auto pending = actor->call("never handled", 5s);
  actor.reset();
  auto result = run_until_complete(io, std::move(pending), 3s);
  BOOST_TEST((result.error() == ErrorKind::stopped));
}

BOOST_AUTO_TEST_SUITE_END()
