// Wakeup: see wakeup.hpp.
#include "base/wakeup.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace solo {

Wakeup::Wakeup(asio::any_io_executor executor)
    : executor_(executor), timer_(std::move(executor), asio::steady_timer::time_point::max()) {}

void Wakeup::notify() { timer_.cancel(); }

asio::awaitable<void> Wakeup::wait() {
  // as_tuple: operation_aborted is the normal outcome here (that is what a
  // notify() looks like); the cancellation state tells it from our own
  // cancellation.
  auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
  auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none)
    throw boost::system::system_error(asio::error::operation_aborted, "wakeup wait cancelled");
}

asio::awaitable<void> Wakeup::wait_until(std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(executor_, deadline);
  // The first to complete wins and the other is cancelled; when the calling
  // coroutine is cancelled, both are, and this throws operation_aborted.
  co_await (wait() || timer.async_wait(asio::use_awaitable));
}

}  // namespace solo
