// solo::Error: the one vocabulary for the failures Solo expects. It lives in
// base/ so that every layer above (the sandbox included, whose LuaError is
// one) reports with it.
//
// An expected failure is a kind (what went wrong, as a client can act on it),
// a message for the client, an optional Retry-After and, for the kinds that
// carry fields, structured details (quota_exceeded: {"quota", "limit",
// "used"}). Engine components throw it (or a thin subclass naming where it
// comes from: SpecError, QuotaExceeded, LuaError, ...), return it inside
// Result<T> (boost::system::result) or inside a CallResult: the same value in
// every carrier, so nothing is re-worded on the way out.
//
// net/error_reply.hpp is the one place that turns it into an HTTP status and
// the documented body (and so into WebSocket op replies). A StoreError (the
// store cannot commit, stores/database.hpp) stays its own type, since callers
// must tell "nothing was written" apart; the same mapper answers it.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/assert/source_location.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

namespace solo {

// HTTP status and code of each kind: net/error_reply.cpp.
enum class ErrorKind {
  invalid,         // the request cannot be done as asked; nothing changed
  unauthorized,    // no valid credentials
  forbidden,       // the credentials do not allow it
  not_found,       // no such thing (for this tenant)
  conflict,        // it clashes with the current state (already deployed, another change in progress)
  quota_exceeded,  // past one of the tenant's quotas; details: quota, limit, used
  throttled,       // this caller is over its own share (load shedding per tenant, ops per connection)
  overloaded,      // no room now (a full mailbox, an open circuit, not started yet); retry later
  timeout,         // no answer in time; the request may still be carried out
  stopped,         // the service stopped (or crashed) without answering
  service_error,   // the service's own code raised the error
  bad_reply,       // the service answered with something that cannot be encoded (the service is fine)
  internal,        // a failure inside Solo
};

// "invalid", "not_found", ...: for logs and tests.
std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  using Kind = ErrorKind;  // lets the thin aliases read DeployError::Kind::not_found

  Error(ErrorKind kind, const std::string& message, std::optional<std::chrono::seconds> retry_after = std::nullopt,
        boost::json::object details = {})
      : std::runtime_error(message), kind_(kind), retry_after_(retry_after), details_(std::move(details)) {}

  // What boost::system::result::error() returns when there is no error.
  Error() : Error(ErrorKind::internal, "no error") {}

  ErrorKind kind() const { return kind_; }
  std::string message() const { return what(); }
  // When the client may try again (overloaded, ...); none: not worth retrying as is.
  const std::optional<std::chrono::seconds>& retry_after() const { return retry_after_; }
  // Fields the error body carries besides error, message and timestamp.
  const boost::json::object& details() const { return details_; }

 private:
  ErrorKind kind_;
  std::optional<std::chrono::seconds> retry_after_;
  boost::json::object details_;
};

// boost::system::result<T, Error>::value() on a failure throws the Error itself.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& location);

// A value or the Error that prevented it.
template <class T>
using Result = boost::system::result<T, Error>;

}  // namespace solo
