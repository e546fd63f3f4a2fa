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
// be set afterwards and is then simply dropped with the slot.
//
// Thread safety: none; sender and slot live on the same io_context thread.
#pragma once

#include "engine/runtime/wakeup.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

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

 private:
  friend class ReplySender<T>;

  explicit ReplySlot(asio::any_io_executor executor) : wakeup_(std::move(executor)) {}

  // Named coroutine holding the slot alive while it waits.
  static asio::awaitable<T> wait_on(std::shared_ptr<ReplySlot> self) {
    while (!self->ready()) co_await self->wakeup_.wait();
    if (self->error_) std::rethrow_exception(self->error_);
    if (self->taken_) throw std::logic_error("ReplySlot::wait called twice");
    self->taken_ = true;
    co_return std::move(*self->value_);
  }

  void fulfil(T value) {
    value_.emplace(std::move(value));
    wakeup_.notify();
  }

  void fail(std::exception_ptr error) {
    error_ = std::move(error);
    wakeup_.notify();
  }

  std::optional<T> value_;
  std::exception_ptr error_;
  bool taken_ = false;
  Wakeup wakeup_;  // notified when the reply arrives
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
