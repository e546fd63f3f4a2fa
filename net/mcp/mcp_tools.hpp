// The MCP tools (docs/mcp.md): every tool is one REST request, exactly as the
// WebSocket ops are (net/websocket_ops.hpp), so a tool call passes the same
// authentication, authorization, quotas and load shedding as its REST twin.
// This file owns the catalog an agent reads (names, descriptions written for a
// model, JSON Schemas of input and output) and the two translations around
// the request: arguments -> OpRequest, Response -> CallToolResult.
//
// Pure functions; no I/O. Owner: the MCP catalog (net/mcp/mcp_tools.cpp).
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "net/http_message.hpp"
#include "net/websocket_ops.hpp"

namespace solo::net::mcp {

// The `tools` array of a tools/list result: each
// {name, title, description, inputSchema, outputSchema, annotations}.
const boost::json::array& tool_list();

// The REST request a tools/call stands for. std::nullopt for a tool name the
// catalog does not have (the server answers JSON-RPC -32602). Arguments that
// cannot form a request throw BadRequest (net/api/request_args.hpp); the
// server turns that into a tool result with isError, so a model can correct
// itself.
std::optional<OpRequest> tool_request(std::string_view tool, const boost::json::object& arguments);

// The CallToolResult for the REST answer to tool_request():
// {content: [{type: "text", text}], structuredContent, isError}. A 2xx answer
// gives the body as structuredContent (matching the tool's outputSchema) and
// as text; any other answer gives isError: true and a text a model can act on
// (the error code, its message, and what to do about it).
boost::json::object tool_result(std::string_view tool, const Response& response);

// The permission a tool's REST route checks ("deploy", "storage:read",
// "secrets:read or secrets:write"); std::nullopt for an unknown tool. For the
// forbidden advice, the docs' table and the permission matrix test.
std::optional<std::string_view> tool_permission(std::string_view tool);

}  // namespace solo::net::mcp
