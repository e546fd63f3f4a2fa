// with_timeout for awaitable<void>: see timeout.hpp.
#include "base/timeout.hpp"

namespace solo {

namespace detail {

asio::awaitable<std::exception_ptr> capture_void_outcome(asio::awaitable<void> op) {
  std::exception_ptr error;
  try {
    co_await std::move(op);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error;
}

}  // namespace detail

asio::awaitable<bool> with_timeout(asio::awaitable<void> op, std::chrono::steady_clock::duration d) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  auto winner =
      co_await (detail::capture_void_outcome(std::move(op)) || timer.async_wait(asio::use_awaitable));
  if (winner.index() == 1) co_return false;
  if (auto error = std::get<0>(winner)) std::rethrow_exception(error);
  co_return true;
}

}  // namespace solo
