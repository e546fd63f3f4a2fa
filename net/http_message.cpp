// Request accessors and the response builders shared by every handler.
#include "net/http_message.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "engine/utf8.hpp"

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
                                   {"timestamp", utc_timestamp_now()},
                               });
}

std::string utc_timestamp_now() {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

}  // namespace solo::net
