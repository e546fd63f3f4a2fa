// Tests for the base layer's coroutine helpers: run_until_complete, with_timeout, Wakeup.
#include "base/run_until.hpp"
#include "base/timeout.hpp"
#include "base/wakeup.hpp"
#include "support/engine_coro.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using solo::run_until_complete;
using solo::with_timeout;

namespace {

asio::awaitable<int> answer_after(std::chrono::milliseconds d, int value) {
  co_await solo::test::sleep_for(d);
  co_return value;
}

asio::awaitable<int> throw_after(std::chrono::milliseconds d) {
  co_await solo::test::sleep_for(d);
  throw std::runtime_error("op failed");
}

asio::awaitable<void> sleep_and_note_cancel(std::chrono::milliseconds d, std::shared_ptr<bool> cancelled) {
  try {
    co_await solo::test::sleep_for(d);
  } catch (const boost::system::system_error&) {
    *cancelled = true;
    throw;
  }
}

asio::awaitable<void> void_throw() {
  co_await solo::test::sleep_for(1ms);
  throw std::logic_error("void op failed");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime)

BOOST_AUTO_TEST_CASE(run_until_complete_returns_the_value_and_rethrows_the_exception) {
  asio::io_context io;
  BOOST_TEST(run_until_complete(io, answer_after(1ms, 42)) == 42);
  BOOST_CHECK_THROW(run_until_complete(io, throw_after(1ms)), std::runtime_error);
  BOOST_CHECK_THROW(run_until_complete(io, void_throw()), std::logic_error);
}

BOOST_AUTO_TEST_CASE(run_until_complete_gives_up_at_its_time_limit) {
  asio::io_context io;
  BOOST_CHECK_THROW(run_until_complete(io, answer_after(10s, 1), 50ms), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(with_timeout_returns_the_value_when_the_op_is_fast_enough) {
  asio::io_context io;
  auto result = run_until_complete(io, with_timeout(answer_after(1ms, 7), 1s));
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(*result == 7);
}

BOOST_AUTO_TEST_CASE(with_timeout_returns_nullopt_and_cancels_a_slow_op) {
  asio::io_context io;
  auto cancelled = std::make_shared<bool>(false);
  const auto t0 = std::chrono::steady_clock::now();
  bool finished = run_until_complete(io, with_timeout(sleep_and_note_cancel(10s, cancelled), 30ms), 5s);
  BOOST_TEST(!finished);
  BOOST_TEST(*cancelled);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 2s));
  BOOST_TEST(!run_until_complete(io, with_timeout(answer_after(10s, 1), 10ms), 5s).has_value());
}

BOOST_AUTO_TEST_CASE(with_timeout_rethrows_the_ops_exception_at_once_not_as_a_timeout) {
  asio::io_context io;
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(run_until_complete(io, with_timeout(throw_after(1ms), 5s), 3s), std::runtime_error);
  BOOST_CHECK_THROW(run_until_complete(io, with_timeout(void_throw(), 5s), 3s), std::logic_error);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 1s));
}

BOOST_AUTO_TEST_CASE(with_timeout_void_returns_true_when_in_time) {
  asio::io_context io;
  auto cancelled = std::make_shared<bool>(false);
  BOOST_TEST(run_until_complete(io, with_timeout(sleep_and_note_cancel(1ms, cancelled), 1s)));
  BOOST_TEST(!*cancelled);
}

BOOST_AUTO_TEST_SUITE_END()
