#include "net/api/request_args.hpp"

#include <charconv>
#include <cmath>
#include <optional>

#include <boost/json/parse.hpp>

#include "engine/services/service_spec.hpp"

namespace solo::net {

int64_t parse_int(std::string_view text, std::string_view name, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw BadRequest("'" + std::string(name) + "' must be an integer from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  return value;
}

int64_t query_int(const Request& request, std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  auto text = request.query_param(name);
  return text ? parse_int(*text, name, min, max) : fallback;
}

const std::string& require_identifier(const std::string& id, std::string_view what) {
  if (!is_valid_identifier(id)) {
    throw BadRequest(std::string(what) +
                     " must be 1 to 128 characters of A-Z a-z 0-9 _ - . and not start with '.'");
  }
  return id;
}

namespace {

// The path ("", ".a", "[2].b") of the first non-finite number in `v`, if any.
std::optional<std::string> non_finite_at(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      if (!std::isfinite(v.get_double())) return std::string();
      return std::nullopt;
    case boost::json::kind::array: {
      std::size_t i = 0;
      for (const auto& item : v.get_array()) {
        if (auto at = non_finite_at(item)) return "[" + std::to_string(i) + "]" + *at;
        ++i;
      }
      return std::nullopt;
    }
    case boost::json::kind::object:
      for (const auto& member : v.get_object()) {
        if (auto at = non_finite_at(member.value())) return "." + std::string(member.key()) + *at;
      }
      return std::nullopt;
    default: return std::nullopt;
  }
}

boost::json::value parse_body(const Request& request) {
  boost::system::error_code ec;
  auto value = boost::json::parse(request.body, ec);
  if (ec) throw BadRequest("body is not valid JSON: " + ec.message());
  if (auto at = non_finite_at(value)) {
    throw BadRequest("body holds a number too large for a double" + (at->empty() ? "" : " (at " + *at + ")"));
  }
  return value;
}

}  // namespace

boost::json::value parse_json_body(const Request& request) {
  if (request.body.empty()) return boost::json::object();
  return parse_body(request);
}

boost::json::object parse_json_object(const Request& request) {
  auto value = parse_body(request);
  if (!value.is_object()) throw BadRequest("body must be a JSON object");
  return std::move(value.as_object());
}

}  // namespace solo::net
