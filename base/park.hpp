// park_until_cancelled: what a supervised component does once it is ready and
// has no loop of its own — wait until its supervisor stops it (terminal
// cancellation makes the wait throw operation_aborted).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace solo {

inline boost::asio::awaitable<void> park_until_cancelled() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                  boost::asio::steady_timer::time_point::max());
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace solo
