// run_until_complete: drive an io_context until one awaitable has finished.
//
// The composition root and the tests both need "run this coroutine to the end
// and give me its result": co_spawn it, run the context one handler at a time
// until the completion handler has fired, and hand back the value or rethrow
// the exception. Running handler by handler (not ctx.run()) matters: other
// work on the context (a supervisor's children, a listening socket) would keep
// run() busy forever after our awaitable is done.
//
// Thread safety: call it from the thread that is to run the context, and not
// while another thread runs the same context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace solo {

namespace asio = boost::asio;

namespace detail {

// Runs `ctx` until `done` is true. Throws std::runtime_error when the context
// runs out of work first (the awaitable waits for something nobody will do),
// or when `limit` (if any) elapses first: a hung test fails instead of hanging.
void run_context_until(asio::io_context& ctx, const bool& done,
                       std::optional<std::chrono::steady_clock::duration> limit);

}  // namespace detail

// Runs `ctx` until `op` completes; returns its value or rethrows its exception.
// With `limit`, throws std::runtime_error once that much time has passed.
template <class T>
T run_until_complete(asio::io_context& ctx, asio::awaitable<T> op,
                     std::optional<std::chrono::steady_clock::duration> limit = std::nullopt) {
  // Shared, not on our stack: if we throw (limit, out of work) the completion
  // handler stays queued in `ctx` and may still run later.
  struct outcome {
    bool done = false;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
  };
  auto state = std::make_shared<outcome>();
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(ctx, std::move(op), [state](std::exception_ptr e) {
      state->error = e;
      state->done = true;
    });
  } else {
    asio::co_spawn(ctx, std::move(op), [state](std::exception_ptr e, T value) {
      if (e)
        state->error = e;
      else
        state->value.emplace(std::move(value));
      state->done = true;
    });
  }
  detail::run_context_until(ctx, state->done, limit);
  if (state->error) std::rethrow_exception(state->error);
  if constexpr (!std::is_void_v<T>) return std::move(*state->value);
}

}  // namespace solo
