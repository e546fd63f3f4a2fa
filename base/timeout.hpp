// with_timeout: race an operation against a timer; the loser is cancelled.
//
// Built on the awaitable operator `||` (Boost 1.81 has no cancel_after). One
// trap in 1.81: `a || b` waits for the first *success*, so an `op` that throws
// quickly would be reported as a timeout once the timer fires. We therefore
// wrap `op` in a coroutine that captures its outcome (value or exception) and
// always succeeds, then rethrow the exception ourselves.
//
// On timeout, `op` receives terminal cancellation and with_timeout returns
// only after `op` has finished unwinding: an op that ignores cancellation
// delays the timeout (everything in engine/ honours it).
//
// If the calling coroutine is itself cancelled, both sides are cancelled and
// with_timeout rethrows what `op` threw (normally operation_aborted).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace solo {

namespace asio = boost::asio;

namespace detail {

template <class T>
struct captured_outcome {
  std::exception_ptr error;
  std::optional<T> value;
};

// Never throws: turns op's exception into a value (see the file comment).
template <class T>
asio::awaitable<captured_outcome<T>> capture_outcome(asio::awaitable<T> op) {
  captured_outcome<T> out;
  try {
    out.value.emplace(co_await std::move(op));
  } catch (...) {
    out.error = std::current_exception();
  }
  co_return out;
}

asio::awaitable<std::exception_ptr> capture_void_outcome(asio::awaitable<void> op);

}  // namespace detail

// Returns op's value, or nullopt when `d` elapsed first (op is then cancelled).
// Rethrows op's exception.
template <class T>
  requires(!std::is_void_v<T>)
asio::awaitable<std::optional<T>> with_timeout(asio::awaitable<T> op,
                                               std::chrono::steady_clock::duration d) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  auto winner =
      co_await (detail::capture_outcome(std::move(op)) || timer.async_wait(asio::use_awaitable));
  if (winner.index() == 1) co_return std::nullopt;
  auto& outcome = std::get<0>(winner);
  if (outcome.error) std::rethrow_exception(outcome.error);
  co_return std::move(outcome.value);
}

// Returns true when op finished within `d`, false on timeout (op cancelled).
// Rethrows op's exception.
asio::awaitable<bool> with_timeout(asio::awaitable<void> op, std::chrono::steady_clock::duration d);

}  // namespace solo
