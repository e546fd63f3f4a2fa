// CallResult: what a caller gets back from a call through a mailbox
// (ServiceActor::call, Actor::call).
//
// The expected failures of a call are values, not exceptions: an Error
// (base/error.hpp) of one of these kinds:
//   overloaded    - the mailbox was full; nothing was queued, safe to retry later
//   timeout       - no reply in time; the request may still be handled
//   stopped       - the actor closed or went away without replying
//   service_error - the handler raised; the message carries its words
//   bad_reply     - the handler ran but its reply cannot be encoded (too large,
//                   a function, a cycle, NaN); that call failed, the service is
//                   fine (a circuit breaker does not count it)
// The same Error the gateway maps for every other route (net/error_reply.hpp).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/error.hpp"

namespace solo {

template <class Reply>
class CallResult {
 public:
  // A failed result (stopped); exists because co_spawn needs default-constructible results.
  // The Error is built only when read: a successful call allocates no message.
  CallResult() = default;

  static CallResult success(Reply value) {
    CallResult r;
    r.value_.emplace(std::move(value));
    return r;
  }

  static CallResult failure(Error error) {
    CallResult r;
    r.error_ = std::move(error);
    return r;
  }
  static CallResult failure(ErrorKind kind, std::string message = {}) {
    if (message.empty()) message = std::string(to_string(kind));
    return failure(Error(kind, message));
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // Only meaningful when !ok().
  ErrorKind error() const { return failure().kind(); }
  const Error& failure() const {
    if (!error_) error_.emplace(ErrorKind::stopped, "stopped: actor stopped without replying");
    return *error_;
  }
  // The failure's message (for service_error, the service's own words).
  std::string message() const { return failure().message(); }

  // Throws std::logic_error when !ok(): reading a failed result is a bug.
  Reply& value() & { return checked(); }
  const Reply& value() const& { return const_cast<CallResult*>(this)->checked(); }
  Reply&& value() && { return std::move(checked()); }
  Reply& operator*() { return checked(); }
  Reply* operator->() { return &checked(); }

 private:
  Reply& checked() {
    if (!value_) throw std::logic_error("CallResult::value on a failed call: " + message());
    return *value_;
  }

  std::optional<Reply> value_;
  mutable std::optional<Error> error_;  // none: success, or the default failure (stopped) not yet read
};

}  // namespace solo
