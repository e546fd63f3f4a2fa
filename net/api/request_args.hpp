// Validation of request arguments shared by the handlers: integers in a
// range, identifiers (docs/http-api.md: 1-128 of A-Z a-z 0-9 _ - ., not starting
// with '.'), and JSON bodies. Each returns the value or throws BadRequest,
// which the gateway answers as 400 `invalid_request` with its message
// (net/error_reply.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "base/error.hpp"
#include "net/http_message.hpp"

namespace solo::net {

// An argument the request cannot be served with: an Error of kind invalid.
class BadRequest : public Error {
 public:
  explicit BadRequest(const std::string& message) : Error(ErrorKind::invalid, message) {}
};

// `text` as an integer within [min, max]; `name` is for the error message.
int64_t parse_int(std::string_view text, std::string_view name, int64_t min, int64_t max);
// An optional integer query parameter within [min, max]; fallback when absent.
int64_t query_int(const Request& request, std::string_view name, int64_t fallback, int64_t min, int64_t max);

// Throws BadRequest naming `what` when id is not a valid identifier.
const std::string& require_identifier(const std::string& id, std::string_view what);

// The body parsed as a JSON object; throws BadRequest when it is not one.
boost::json::object parse_json_object(const Request& request);
// The body as any JSON value ("" -> {}): the one place request bodies are
// parsed. Throws BadRequest when it is not JSON or holds a number a double
// cannot represent (1e400 parses as infinity, which no reply can carry back
// and no Lua handler should see).
boost::json::value parse_json_body(const Request& request);

}  // namespace solo::net
