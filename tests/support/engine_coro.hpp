// Small coroutine helpers for engine tests: sleeping and waiting forever,
// so test children and handlers read as what they do.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace solo::test {

namespace asio = boost::asio;

// Sleeps `d`; cancellable (throws operation_aborted).
inline asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// Waits until cancelled (throws operation_aborted).
inline asio::awaitable<void> wait_forever() {
  asio::steady_timer timer(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace solo::test
