// The inputSchema subset checked on the server (json_schema_check.hpp).
#include "net/mcp/json_schema_check.hpp"

#include <string>

#include <boost/json.hpp>

#include "net/api/request_args.hpp"

namespace solo::net::mcp {

namespace {

namespace json = boost::json;

bool has_type(const json::value& value, std::string_view type) {
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_bool();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_int64() || value.is_uint64()) return true;
    if (!value.is_double()) return false;
    double d = value.as_double();
    return d == static_cast<double>(static_cast<int64_t>(d));
  }
  return false;
}

std::string name_of(std::string_view where) { return where.empty() ? "the arguments" : "'" + std::string(where) + "'"; }

std::string type_text(const json::value& type) {
  if (type.is_string()) return std::string(type.as_string());
  std::string out;
  for (const auto& t : type.as_array()) out += (out.empty() ? "" : " or ") + std::string(t.as_string());
  return out;
}

double number_of(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.as_int64());
  if (value.is_uint64()) return static_cast<double>(value.as_uint64());
  return value.as_double();
}

std::string child(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
}

}  // namespace

void check_against_schema(const json::object& schema, const json::value& value, std::string_view where) {
  if (auto* type = schema.if_contains("type")) {
    bool ok = false;
    if (type->is_string()) {
      ok = has_type(value, type->as_string());
    } else {
      for (const auto& t : type->as_array()) ok = ok || has_type(value, t.as_string());
    }
    if (!ok) throw BadRequest(name_of(where) + " must be of type " + type_text(*type));
  }
  if (auto* allowed = schema.if_contains("enum")) {
    bool found = false;
    for (const auto& option : allowed->as_array()) found = found || option == value;
    if (!found) throw BadRequest(name_of(where) + " must be one of " + json::serialize(*allowed));
  }
  if (value.is_number()) {
    double number = number_of(value);
    auto* min = schema.if_contains("minimum");
    auto* max = schema.if_contains("maximum");
    if ((min && number < number_of(*min)) || (max && number > number_of(*max))) {
      throw BadRequest(name_of(where) + " must be from " + (min ? json::serialize(*min) : "-inf") + " to " +
                       (max ? json::serialize(*max) : "inf"));
    }
  }
  if (value.is_string()) {
    auto size = value.as_string().size();
    auto* min = schema.if_contains("minLength");
    auto* max = schema.if_contains("maxLength");
    if ((min && size < static_cast<size_t>(number_of(*min))) || (max && size > static_cast<size_t>(number_of(*max)))) {
      throw BadRequest(name_of(where) + " must be " + (min ? json::serialize(*min) : "0") + " to " +
                       (max ? json::serialize(*max) : "any number of") + " bytes long");
    }
  }
  if (value.is_array()) {
    const auto& items = value.as_array();
    auto* min = schema.if_contains("minItems");
    auto* max = schema.if_contains("maxItems");
    if ((min && items.size() < static_cast<size_t>(number_of(*min))) ||
        (max && items.size() > static_cast<size_t>(number_of(*max)))) {
      throw BadRequest(name_of(where) + " must hold " + (min ? json::serialize(*min) : "0") + " to " +
                       (max ? json::serialize(*max) : "any number of") + " items");
    }
    if (auto* item_schema = schema.if_contains("items"); item_schema && item_schema->is_object()) {
      for (size_t i = 0; i < items.size(); ++i) {
        check_against_schema(item_schema->as_object(), items[i], std::string(where) + "[" + std::to_string(i) + "]");
      }
    }
  }
  if (value.is_object()) {
    const auto& object = value.as_object();
    const json::object* properties = nullptr;
    if (auto* p = schema.if_contains("properties")) properties = &p->as_object();
    if (auto* required = schema.if_contains("required")) {
      for (const auto& name : required->as_array()) {
        if (!object.contains(name.as_string())) {
          throw BadRequest("'" + child(where, name.as_string()) + "' is required");
        }
      }
    }
    auto* additional = schema.if_contains("additionalProperties");
    bool closed = additional && additional->is_bool() && !additional->as_bool();
    for (const auto& [key, member] : object) {
      const json::value* member_schema = properties ? properties->if_contains(key) : nullptr;
      if (member_schema) {
        check_against_schema(member_schema->as_object(), member, child(where, key));
      } else if (closed) {
        std::string known;
        if (properties) {
          for (const auto& [name, ignored] : *properties) known += (known.empty() ? "" : ", ") + std::string(name);
        }
        throw BadRequest("unknown argument '" + child(where, key) + "' (the arguments are: " + known + ")");
      } else if (additional && additional->is_object()) {
        check_against_schema(additional->as_object(), member, child(where, key));
      }
    }
  }
}

}  // namespace solo::net::mcp
