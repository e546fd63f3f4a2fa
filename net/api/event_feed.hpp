// EventFeed: the bounded buffer between an EventStore subscription (which
// pushes committed events synchronously on the engine thread) and one SSE or
// WebSocket stream coroutine (which writes them at the client's pace).
//
// A slow client never makes the engine wait or lose events: when the buffer
// overflows it is cleared and marked `overflowed`, and the stream catches up
// from the durable log (by id) before it continues with the live feed.
//
// Engine thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

#include "base/wakeup.hpp"
#include "stores/event.hpp"

namespace solo::net {

class EventFeed {
 public:
  EventFeed(asio::any_io_executor executor, size_t capacity) : wakeup_(std::move(executor)), capacity_(capacity) {}

  void push(const Event& event) {
    if (events_.size() >= capacity_) {
      events_.clear();
      overflowed_ = true;
    } else {
      events_.push_back(event);
    }
    wakeup_.notify();
  }

  std::deque<Event> take() { return std::exchange(events_, {}); }
  bool take_overflow() { return std::exchange(overflowed_, false); }
  bool empty() const { return events_.empty() && !overflowed_; }
  Wakeup& wakeup() { return wakeup_; }

 private:
  Wakeup wakeup_;
  size_t capacity_;
  std::deque<Event> events_;
  bool overflowed_ = false;
};

}  // namespace solo::net
