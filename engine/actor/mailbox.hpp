// Mailbox: the bounded queue in front of an actor.
//
// Producers never wait: try_push() either queues the item or refuses it (full
// or closed), so an overloaded actor pushes back on its callers at once
// instead of growing without bound. The single consumer (the actor's run
// loop) waits in pop(). close() stops new pushes; pop() still hands out what
// was queued and returns nullopt once the queue is closed and empty, which is
// how a run loop drains and ends.
//
// Each item may carry a weight in bytes (what it holds outside any actor's
// own heap); bytes() is the sum over the queued items, so an owner can bound
// the memory its queue holds as well as the count.
//
// pop() is cancellable: when the consuming coroutine is cancelled it throws
// system_error(operation_aborted) and nothing is taken from the queue.
//
// Thread safety: none. Everything runs on one io_context thread. The Mailbox
// must outlive a pending pop() (Actor keeps it in shared state).
#pragma once

#include "base/wakeup.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace solo {

namespace asio = boost::asio;

template <class T>
class Mailbox {
 public:
  Mailbox(asio::any_io_executor executor, std::size_t capacity)
      : capacity_(capacity), wakeup_(std::move(executor)) {}

  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Queues `item` (weighing `bytes`); false (and nothing queued) when full or closed.
  bool try_push(T item, std::size_t bytes = 0) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(Entry{std::move(item), bytes});
    bytes_ += bytes;
    wakeup_.notify();
    return true;
  }

  // Queues `item` ahead of everything, whatever the capacity: for a message
  // that was admitted and whose handling began outside the consumer (the
  // service actor's inline call, handed over when it cannot finish at once),
  // so it goes on before anything queued meanwhile. False only when closed.
  bool push_front(T item, std::size_t bytes = 0) {
    if (closed_) return false;
    items_.push_front(Entry{std::move(item), bytes});
    bytes_ += bytes;
    wakeup_.notify();
    return true;
  }

  // Waits for the next item; nullopt once closed and empty.
  asio::awaitable<std::optional<T>> pop() {
    while (items_.empty()) {
      if (closed_) co_return std::nullopt;
      co_await wakeup_.wait();
    }
    co_return take();
  }

  // Takes the next item if there is one, without waiting.
  std::optional<T> try_pop() {
    if (items_.empty()) return std::nullopt;
    return take();
  }

  // Refuses further pushes; queued items can still be popped.
  void close() {
    closed_ = true;
    wakeup_.notify();
  }

  bool closed() const { return closed_; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::size_t capacity() const { return capacity_; }
  // The weights of the queued items together.
  std::size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    T item;
    std::size_t bytes;
  };

  std::optional<T> take() {
    std::optional<T> item(std::move(items_.front().item));
    bytes_ -= items_.front().bytes;
    items_.pop_front();
    return item;
  }

  const std::size_t capacity_;
  std::deque<Entry> items_;
  std::size_t bytes_ = 0;
  bool closed_ = false;
  Wakeup wakeup_;  // notified on push and close; the consumer waits on it
};

}  // namespace solo
