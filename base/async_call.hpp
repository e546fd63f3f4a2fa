// Running a function on another thread and awaiting its result on the engine
// thread: the one pattern behind Writer::execute and Reader::run.
//
// `async_call<R>(executor, enqueue, fn)` suspends the calling coroutine, hands
// `enqueue` a UniqueTask that runs fn on the worker thread, and resumes the
// coroutine on its own executor with fn's result or exception. A work guard
// keeps the io_context alive while the task is out.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/unique_task.hpp"

namespace solo {

template <class R, class Enqueue, class Fn>
boost::asio::awaitable<R> async_call(boost::asio::any_io_executor executor, Enqueue enqueue, Fn fn) {
  namespace asio = boost::asio;
  auto initiate = [executor, enqueue = std::move(enqueue), fn = std::move(fn)](auto handler) mutable {
    auto work = asio::make_work_guard(executor);
    enqueue(UniqueTask([executor, fn = std::move(fn), handler = std::move(handler), work = std::move(work)]() mutable {
      std::exception_ptr error;
      std::optional<R> value;
      try {
        value.emplace(fn());
      } catch (...) {
        error = std::current_exception();
      }
      auto target = asio::get_associated_executor(handler, executor);
      asio::post(target, [handler = std::move(handler), error, value = std::move(value)]() mutable {
        std::move(handler)(error, value ? std::move(*value) : R{});
      });
    }));
  };
  // Not a coroutine itself: async_initiate builds the awaitable directly, so
  // no extra coroutine frame holds the moved-from arguments.
  return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(std::move(initiate),
                                                                                          asio::use_awaitable);
}

}  // namespace solo
