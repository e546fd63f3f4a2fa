// Actor<Request, Reply>: a bounded mailbox handled one message at a time.
//
// GenServer in miniature. Callers either call() (wait for a reply, with a
// timeout) or cast() (fire and forget); both are refused at once when the
// mailbox is full, so overload is visible to the caller instead of queueing
// without bound. run(handler) is the actor's body: it pops one envelope,
// awaits the handler, replies, and only then pops the next, so the handler's
// state needs no locks and sees messages in order.
//
// Choices worth knowing:
// - call() queues eagerly, when it is invoked (not when its awaitable is
//   first resumed), so the order of call()/cast() invocations is the order of
//   handling, and "overloaded" is decided at the call site.
// - A handler exception is a crash: the caller of that message gets
//   ErrorKind::service_error with the exception's message right away (not a timeout
//   later), and then the exception propagates out of run(), so the supervisor
//   restarts the actor with fresh state (a half-applied update must not keep
//   serving). If run() was cancelled (its supervisor stops it) mid-message,
//   that caller gets ErrorKind::stopped instead.
// - The mailbox belongs to the Actor, not to one run(): messages queued when
//   run() crashes stay queued for the next run() (the supervisor's restart).
//   close() refuses new messages; run() then drains what was queued and
//   returns. Destroying the Actor closes it; queued callers whose envelopes
//   are destroyed get ErrorKind::stopped.
//
// Thread safety: none. One io_context thread.
#pragma once

#include "engine/actor/call_result.hpp"
#include "engine/actor/mailbox.hpp"
#include "engine/actor/reply.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace solo {

namespace asio = boost::asio;

template <class Request, class Reply>
class Actor {
 public:
  using Handler = std::function<asio::awaitable<Reply>(Request&)>;

  Actor(asio::any_io_executor executor, std::size_t mailbox_capacity)
      : state_(std::make_shared<State>(std::move(executor), mailbox_capacity)) {}

  Actor(const Actor&) = delete;
  Actor& operator=(const Actor&) = delete;

  ~Actor() { state_->mailbox.close(); }

  // Queues `request` now and returns an awaitable for the outcome: the reply,
  // or overloaded (nothing queued) / stopped / timeout / error.
  asio::awaitable<CallResult<Reply>> call(Request request, std::chrono::steady_clock::duration timeout) {
    if (state_->mailbox.closed()) return refuse(ErrorKind::stopped);
    auto [slot, sender] = ReplySlot<Reply>::create(state_->executor);
    if (!state_->mailbox.try_push(Envelope{std::move(request), std::move(sender)}))
      return refuse(ErrorKind::overloaded);
    return await_reply(std::move(slot), timeout);
  }

  // Queues `request` without a reply; false (nothing queued) when full or closed.
  bool cast(Request request) { return state_->mailbox.try_push(Envelope{std::move(request), std::nullopt}); }

  // The actor's body: handles one message at a time until the mailbox is
  // closed and drained (returns), the coroutine is cancelled (throws
  // operation_aborted) or the handler throws (rethrows, see above).
  asio::awaitable<void> run(Handler handler) { return run_loop(state_, std::move(handler)); }

  // Refuses new messages; run() drains the queue and returns.
  void close() { state_->mailbox.close(); }
  bool closed() const { return state_->mailbox.closed(); }

  std::size_t queued() const { return state_->mailbox.size(); }
  std::size_t capacity() const { return state_->mailbox.capacity(); }

 private:
  struct Envelope {
    Request request;
    std::optional<ReplySender<Reply>> reply;  // empty for cast()
  };

  // Shared with run(): the loop keeps it alive even if the Actor goes first.
  struct State {
    State(asio::any_io_executor ex, std::size_t capacity) : executor(ex), mailbox(ex, capacity) {}
    asio::any_io_executor executor;
    Mailbox<Envelope> mailbox;
  };

  static asio::awaitable<CallResult<Reply>> refuse(ErrorKind error) {
    co_return CallResult<Reply>::failure(error);
  }

  static asio::awaitable<CallResult<Reply>> await_reply(std::shared_ptr<ReplySlot<Reply>> slot,
                                                        std::chrono::steady_clock::duration timeout) {
    std::exception_ptr failure;
    try {
      std::optional<Reply> reply = co_await slot->wait_for(timeout);
      if (!reply) co_return CallResult<Reply>::failure(ErrorKind::timeout);
      co_return CallResult<Reply>::success(std::move(*reply));
    } catch (...) {
      failure = std::current_exception();
    }
    // Our own caller being cancelled is not a call outcome: let it unwind.
    auto cancellation = co_await asio::this_coro::cancellation_state;
    if (cancellation.cancelled() != asio::cancellation_type::none) std::rethrow_exception(failure);
    try {
      std::rethrow_exception(failure);
    } catch (const ActorStopped& e) {
      co_return CallResult<Reply>::failure(ErrorKind::stopped, e.what());
    } catch (const std::exception& e) {
      co_return CallResult<Reply>::failure(ErrorKind::service_error, e.what());
    } catch (...) {
      co_return CallResult<Reply>::failure(ErrorKind::service_error, "handler failed with a non-standard exception");
    }
  }

  static asio::awaitable<void> run_loop(std::shared_ptr<State> state, Handler handler) {
    for (;;) {
      std::optional<Envelope> next = co_await state->mailbox.pop();
      if (!next) co_return;  // closed and drained
      std::exception_ptr failure;
      try {
        Reply reply = co_await handler(next->request);
        if (next->reply) next->reply->set_value(std::move(reply));
        continue;
      } catch (...) {
        failure = std::current_exception();
      }
      if (next->reply) {
        auto cancellation = co_await asio::this_coro::cancellation_state;
        if (cancellation.cancelled() != asio::cancellation_type::none)
          next->reply->set_exception(std::make_exception_ptr(ActorStopped{}));
        else
          next->reply->set_exception(failure);
      }
      std::rethrow_exception(failure);
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace solo
