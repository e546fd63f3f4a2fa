#include "net/error_reply.hpp"

#include <iostream>
#include <string>

#include <boost/json.hpp>

#include "base/iso8601.hpp"
#include "base/utf8.hpp"
#include "stores/database.hpp"

namespace solo::net {

HttpError http_error(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid: return {400, "invalid_request"};
    case ErrorKind::unauthorized: return {401, "unauthorized"};
    case ErrorKind::forbidden: return {403, "forbidden"};
    case ErrorKind::not_found: return {404, "not_found"};
    case ErrorKind::conflict: return {409, "conflict"};
    case ErrorKind::quota_exceeded: return {429, "quota_exceeded"};
    case ErrorKind::throttled: return {429, "overloaded"};
    case ErrorKind::overloaded: return {503, "overloaded"};
    case ErrorKind::timeout: return {504, "timeout"};
    case ErrorKind::stopped:
    case ErrorKind::service_error:
    case ErrorKind::bad_reply: return {500, "service_error"};
    case ErrorKind::internal: return {500, "internal_error"};
  }
  return {500, "internal_error"};
}

Response error_reply(const Error& error) {
  const auto [status, code] = http_error(error.kind());
  // The message often quotes what the client sent (a path, a header): bytes
  // that are not UTF-8 become U+FFFD, so the body stays valid JSON.
  boost::json::object body;
  body["error"] = code;
  body["message"] = to_valid_utf8(error.what());
  for (const auto& [name, value] : error.details()) body[name] = value;
  body["timestamp"] = utc_now_iso8601();
  auto response = json_response(status, body);
  if (error.retry_after()) {
    response.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, error.retry_after()->count())));
  }
  return response;
}

Response error_reply(const StoreError& error) {
  auto response = error_response(
      503, "store_unavailable",
      std::string("the store cannot commit (") + error.what() + "); nothing was written, retry later");
  response.headers.emplace_back("Retry-After", std::to_string(kStoreRetryAfterSeconds));
  return response;
}

Response error_reply(const std::exception_ptr& error, std::string_view where) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return error_reply(e);
  } catch (const StoreError& e) {
    return error_reply(e);
  } catch (const std::exception& e) {
    std::cerr << "solo: " << where << " failed: " << e.what() << std::endl;
  } catch (...) {
    std::cerr << "solo: " << where << " failed: a non-standard exception" << std::endl;
  }
  return error_response(500, "internal_error", "internal error");
}

}  // namespace solo::net
