#include "base/error.hpp"

namespace solo {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid: return "invalid";
    case ErrorKind::unauthorized: return "unauthorized";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::quota_exceeded: return "quota_exceeded";
    case ErrorKind::throttled: return "throttled";
    case ErrorKind::overloaded: return "overloaded";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::stopped: return "stopped";
    case ErrorKind::service_error: return "service_error";
    case ErrorKind::bad_reply: return "bad_reply";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

void throw_exception_from_error(const Error& error, const boost::source_location&) { throw error; }

}  // namespace solo
