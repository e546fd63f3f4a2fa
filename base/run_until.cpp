// run_until_complete: the non-template loop (see run_until.hpp).
#include "base/run_until.hpp"

#include <stdexcept>

namespace solo::detail {

void run_context_until(asio::io_context& ctx, const bool& done,
                       std::optional<std::chrono::steady_clock::duration> limit) {
  // A previous run may have stopped the context (run() returning stops it);
  // restart so that run_one() does not return 0 at once.
  ctx.restart();
  const auto deadline = limit ? std::chrono::steady_clock::now() + *limit
                              : std::chrono::steady_clock::time_point::max();
  while (!done) {
    std::size_t ran = 0;
    if (limit) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        throw std::runtime_error("run_until_complete: time limit reached before the awaitable completed");
      ran = ctx.run_one_for(deadline - now);
      // run_one_for returns 0 both on timeout and when out of work.
      if (ran == 0 && ctx.stopped() && !done)
        throw std::runtime_error("run_until_complete: io_context ran out of work before the awaitable completed");
    } else {
      ran = ctx.run_one();
      if (ran == 0 && !done)
        throw std::runtime_error("run_until_complete: io_context ran out of work before the awaitable completed");
    }
  }
}

}  // namespace solo::detail
