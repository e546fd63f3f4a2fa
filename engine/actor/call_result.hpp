// CallResult: what a caller gets back from Actor::call.
//
// The expected failures of a call are values, not exceptions:
//   overloaded - the mailbox was full; nothing was queued, safe to retry later
//   timeout    - no reply in time; the request may still be handled
//   stopped    - the actor closed or went away without replying
//   error      - the handler threw; message() carries its what()
//   bad_reply  - the handler ran but its reply cannot be encoded (too large,
//                a function, a cycle, NaN); that call failed, the service is
//                fine (a circuit breaker does not count it)
// call_error also has an error_category so it can travel as an error_code
// (for example into an HTTP status mapping in net/).
#pragma once

#include <boost/system/error_code.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace solo {

enum class call_error { overloaded = 1, timeout, stopped, error, bad_reply };

const boost::system::error_category& call_error_category() noexcept;
boost::system::error_code make_error_code(call_error e) noexcept;
std::string_view to_string(call_error e) noexcept;

template <class Reply>
class CallResult {
 public:
  // A failed result (stopped); exists because co_spawn needs default-constructible results.
  CallResult() : error_(call_error::stopped), message_(to_string(call_error::stopped)) {}

  static CallResult success(Reply value) {
    CallResult r;
    r.value_.emplace(std::move(value));
    return r;
  }

  static CallResult failure(call_error error, std::string message = {}) {
    CallResult r;
    r.error_ = error;
    r.message_ = message.empty() ? std::string(to_string(error)) : std::move(message);
    return r;
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // Only meaningful when !ok().
  call_error error() const { return error_; }
  boost::system::error_code error_code() const {
    return ok() ? boost::system::error_code{} : make_error_code(error_);
  }
  // Empty when ok(); for call_error::error the handler's exception message.
  const std::string& message() const { return message_; }

  // Throws std::logic_error when !ok(): reading a failed result is a bug.
  Reply& value() & { return checked(); }
  const Reply& value() const& { return const_cast<CallResult*>(this)->checked(); }
  Reply&& value() && { return std::move(checked()); }
  Reply& operator*() { return checked(); }
  Reply* operator->() { return &checked(); }

 private:
  Reply& checked() {
    if (!value_) throw std::logic_error("CallResult::value on a failed call: " + message_);
    return *value_;
  }

  std::optional<Reply> value_;
  call_error error_{};
  std::string message_;
};

}  // namespace solo

template <>
struct boost::system::is_error_code_enum<solo::call_error> : std::true_type {};
