// Tests for engine/shutdown/shutdown_sequence: every step runs in order; a
// step over its own deadline, or over what is left of the total, is cut off
// (cancelled) and reported "timeout"; a step that throws is reported with its
// message; the sequence goes on after either.
//
// The slow steps would finish by themselves after 3 s: a sequence that did not
// enforce a deadline would report them "ok", so no timing is asserted.
#include "engine/shutdown/shutdown_sequence.hpp"

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/engine_coro.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using solo::ShutdownSequence;
using solo::ShutdownStep;
using solo::ShutdownStepResult;

namespace {

// Would finish after 3 s; records whether it was cancelled instead.
ShutdownStep slow_step(std::string name, std::chrono::milliseconds deadline, bool* cancelled) {
  return {std::move(name), deadline, [cancelled]() -> asio::awaitable<void> {
            try {
              co_await solo::test::sleep_for(3s);
            } catch (const boost::system::system_error&) {
              *cancelled = true;
              throw;
            }
          }};
}

ShutdownStep recording_step(std::string name, std::vector<std::string>* ran) {
  return {name, 1000ms, [ran, name]() -> asio::awaitable<void> {
            ran->push_back(name);
            co_return;
          }};
}

std::string outcome_of(const std::vector<ShutdownStepResult>& results, const std::string& name) {
  for (const auto& result : results) {
    if (result.name == name) return result.outcome;
  }
  return "missing";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shutdown_sequence)

BOOST_AUTO_TEST_CASE(a_step_over_its_deadline_is_cut_off_reported_and_the_sequence_goes_on) {
  asio::io_context io;
  std::vector<std::string> ran;
  bool cancelled = false;
  ShutdownSequence sequence(60s);
  sequence.add(recording_step("first", &ran));
  sequence.add(slow_step("stuck", 50ms, &cancelled));
  sequence.add({"throws", 1000ms, []() -> asio::awaitable<void> {
                  throw std::runtime_error("cannot close");
                  co_return;
                }});
  sequence.add(recording_step("last", &ran));

  auto results = solo::test::run_awaitable(io, sequence.run());

  BOOST_TEST_REQUIRE(results.size() == 4u);
  BOOST_TEST(results[0].name == "first");
  BOOST_TEST(results[1].name == "stuck");
  BOOST_TEST(results[2].name == "throws");
  BOOST_TEST(results[3].name == "last");
  BOOST_TEST(outcome_of(results, "first") == "ok");
  BOOST_TEST(outcome_of(results, "stuck") == "timeout");
  BOOST_TEST(cancelled);  // cut off, not left running
  BOOST_TEST(outcome_of(results, "throws") == "error: cannot close");
  BOOST_TEST(outcome_of(results, "last") == "ok");
  BOOST_TEST((ran == std::vector<std::string>{"first", "last"}));
}

BOOST_AUTO_TEST_CASE(the_total_deadline_cuts_off_a_step_within_its_own_deadline_and_leaves_the_rest_a_minimum) {
  asio::io_context io;
  std::vector<std::string> ran;
  bool first_cancelled = false;
  bool second_cancelled = false;
  ShutdownSequence sequence(100ms);
  sequence.add(slow_step("over_the_total", 60s, &first_cancelled));
  // Nothing is left of the total: this one gets the minimum and is cut off too.
  sequence.add(slow_step("nothing_left", 60s, &second_cancelled));
  sequence.add(recording_step("quick", &ran));

  auto results = solo::test::run_awaitable(io, sequence.run());

  BOOST_TEST_REQUIRE(results.size() == 3u);
  BOOST_TEST(outcome_of(results, "over_the_total") == "timeout");
  BOOST_TEST(first_cancelled);
  BOOST_TEST(outcome_of(results, "nothing_left") == "timeout");
  BOOST_TEST(second_cancelled);
  // A step that needs no time still runs when the total is spent.
  BOOST_TEST(outcome_of(results, "quick") == "ok");
  BOOST_TEST((ran == std::vector<std::string>{"quick"}));
}

BOOST_AUTO_TEST_SUITE_END()
