// The subset of JSON Schema (draft 2020-12) the MCP catalog writes its
// inputSchemas in, checked on the server: a model's arguments are refused
// with a message naming the field before any request is built, and because
// the check reads the very schema tools/list publishes, the two cannot drift.
//
// Supported keywords: type (a name or a list), properties, required,
// additionalProperties (false or absent), items, enum, minimum, maximum,
// minLength, maxLength (in bytes), minItems, maxItems. A schema without
// "type" accepts any JSON value. Other keywords (description, pattern) are
// for the model to read; the REST route behind the tool checks what they say.
//
// Pure functions; no I/O. Owner: the MCP catalog.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace solo::net::mcp {

// Throws BadRequest ("'limits.mailbox' must be an integer from 1 to ...")
// when `value` does not satisfy `schema`; `where` names the value ("" for the
// arguments object itself).
void check_against_schema(const boost::json::object& schema, const boost::json::value& value,
                          std::string_view where = "");

}  // namespace solo::net::mcp
