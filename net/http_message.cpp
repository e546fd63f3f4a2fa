// Request accessors and the response builders shared by every handler.
#include "net/http_message.hpp"

#include <boost/json.hpp>


#include "base/iso8601.hpp"
#include "base/utf8.hpp"

namespace solo::net {

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Response json_response(int status, const boost::json::value& body) {
  Response response;
  response.status = status;
  response.body = boost::json::serialize(body);
  return response;
}

// The message often quotes what the client sent (a path, a header); the body
// must stay valid JSON, so bytes that are not UTF-8 become U+FFFD (found by
// fuzz_http: a path with %EC answered 405 with a body no JSON parser takes).
Response error_response(int status, std::string_view code, std::string_view message) {
  return json_response(status, boost::json::object{
                                   {"error", code},
                                   {"message", to_valid_utf8(message)},
                                   {"timestamp", utc_now_iso8601()},
                               });
}

}  // namespace solo::net
