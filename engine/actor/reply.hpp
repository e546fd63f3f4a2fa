// ReplySlot / ReplySender: a one-shot answer from an actor to one caller.
//
// The caller keeps the slot (shared state) and awaits wait(); the sender
// travels with the request through the mailbox to the actor. The sender sets a
// value or an exception exactly once. A sender destroyed unset — the request
// was dropped with a mailbox, or the actor died mid-message — delivers
// ActorStopped ("actor stopped without replying"), so a caller never waits for
// an answer nobody will give.
//
// wait() is cancellable (a caller's timeout cancels it); the reply may still
// be set afterwards and is then simply dropped with the slot. wait_for() has
// the timeout built in: the slot's own timer expires at the deadline, so a
// call needs no second timer and no racing coroutines (with_timeout), which
// is most of what a call round trip would otherwise cost.
//
// Thread safety: none; sender and slot live on the same io_context thread.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace solo {

namespace asio = boost::asio;

// What a caller receives when the actor went away without replying.
class ActorStopped : public std::runtime_error {
 public:
  ActorStopped() : std::runtime_error("actor stopped without replying") {}
};

template <class T>
class ReplySender;

template <class T>
class ReplySlot : public std::enable_shared_from_this<ReplySlot<T>> {
 public:
  struct Pair {
    std::shared_ptr<ReplySlot> slot;
    ReplySender<T> sender;
  };

  // A fresh slot and its only sender.
  static Pair create(asio::any_io_executor executor);

  ReplySlot(const ReplySlot&) = delete;
  ReplySlot& operator=(const ReplySlot&) = delete;

  // True once a value or an exception has been set.
  bool ready() const { return value_.has_value() || error_ != nullptr; }

  // Waits for the reply: returns the value or rethrows the exception. Call
  // once (the value is moved out). Throws operation_aborted when cancelled.
  asio::awaitable<T> wait() { return wait_on(this->shared_from_this()); }

  // Like wait(), or nullopt when no reply came within `timeout`. Call once.
  asio::awaitable<std::optional<T>> wait_for(std::chrono::steady_clock::duration timeout) {
    return wait_for_on(this->shared_from_this(), timeout);
  }

 private:
  friend class ReplySender<T>;

  explicit ReplySlot(asio::any_io_executor executor)
      : timer_(std::move(executor), asio::steady_timer::time_point::max()) {}

  // Named coroutines holding the slot alive while they wait.
  static asio::awaitable<T> wait_on(std::shared_ptr<ReplySlot> self) {
    auto reply = co_await wait_for_on(self, std::nullopt);
    co_return std::move(*reply);
  }

  // Parks on the timer until fulfil()/fail() cancel it (the reply), the
  // deadline passes (nullopt), or the calling coroutine is cancelled
  // (operation_aborted). Without a timeout the expiry stays at max().
  static asio::awaitable<std::optional<T>> wait_for_on(std::shared_ptr<ReplySlot> self,
                                                       std::optional<std::chrono::steady_clock::duration> timeout) {
    if (timeout && !self->ready()) self->timer_.expires_after(*timeout);
    while (!self->ready()) {
      auto [ec] = co_await self->timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (self->ready()) break;
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) {
        throw boost::system::system_error(asio::error::operation_aborted, "reply wait cancelled");
      }
      if (!ec) co_return std::nullopt;  // the deadline passed
    }
    if (self->error_) std::rethrow_exception(self->error_);
    if (self->taken_) throw std::logic_error("ReplySlot::wait called twice");
    self->taken_ = true;
    co_return std::move(*self->value_);
  }

  void fulfil(T value) {
    value_.emplace(std::move(value));
    timer_.cancel();
  }

  void fail(std::exception_ptr error) {
    error_ = std::move(error);
    timer_.cancel();
  }

  std::optional<T> value_;
  std::exception_ptr error_;
  bool taken_ = false;
  asio::steady_timer timer_;  // cancelled when the reply arrives; expires at wait_for's deadline
};

template <class T>
class ReplySender {
 public:
  ReplySender() = default;
  explicit ReplySender(std::shared_ptr<ReplySlot<T>> slot) : slot_(std::move(slot)) {}

  ReplySender(ReplySender&& other) noexcept : slot_(std::move(other.slot_)) {}
  ReplySender& operator=(ReplySender&& other) noexcept {
    if (this != &other) {
      abandon();
      slot_ = std::move(other.slot_);
    }
    return *this;
  }
  ReplySender(const ReplySender&) = delete;
  ReplySender& operator=(const ReplySender&) = delete;

  ~ReplySender() { abandon(); }

  // True while a reply can still be set.
  bool valid() const { return slot_ != nullptr; }

  void set_value(T value) {
    if (!slot_) throw std::logic_error("reply already sent");
    slot_->fulfil(std::move(value));
    slot_.reset();
  }

  void set_exception(std::exception_ptr error) {
    if (!slot_) throw std::logic_error("reply already sent");
    slot_->fail(std::move(error));
    slot_.reset();
  }

 private:
  void abandon() noexcept {
    if (slot_) {
      slot_->fail(std::make_exception_ptr(ActorStopped{}));
      slot_.reset();
    }
  }

  std::shared_ptr<ReplySlot<T>> slot_;  // null once replied (or moved from)
};

template <class T>
typename ReplySlot<T>::Pair ReplySlot<T>::create(asio::any_io_executor executor) {
  std::shared_ptr<ReplySlot> slot(new ReplySlot(std::move(executor)));
  ReplySender<T> sender(slot);
  return Pair{std::move(slot), std::move(sender)};
}

}  // namespace solo
