// An MCP client for the integration tests: JSON-RPC over POST /mcp with one
// bearer token, as an agent host sends it (docs/mcp.md, "Transport"). The
// constructor initializes a session; every later request carries its
// Mcp-Session-Id. (The official TypeScript SDK is driven by the clients'
// tests; this one needs no Node.js.)
#pragma once

#include <chrono>
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/solo_process.hpp"

namespace solo::test {

namespace json = boost::json;

inline json::object parse_object(const std::string& text) {
  auto value = json::parse(text);
  BOOST_REQUIRE_MESSAGE(value.is_object(), text);
  return value.as_object();
}

// An MCP client over POST /mcp with one bearer token: initialize opens the
// session, then every request carries Mcp-Session-Id.
class McpClient {
 public:
  McpClient(const SoloProcess& solo, std::string token) : solo_(solo), token_(std::move(token)) {
    auto init = post(json::object{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", "initialize"},
                                  {"params", json::object{{"protocolVersion", "2025-11-25"},
                                                          {"capabilities", json::object{}},
                                                          {"clientInfo", json::object{{"name", "solo-tests"},
                                                                                      {"version", "1"}}}}}});
    BOOST_REQUIRE_MESSAGE(init.status == 200, init.body);
    auto session = init.header("mcp-session-id");
    BOOST_REQUIRE(session.has_value());
    session_ = *session;
    auto initialized = post(json::object{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    BOOST_REQUIRE_EQUAL(initialized.status, 202);
  }

  // The JSON-RPC response to `method` with `params`.
  json::object request(const std::string& method, json::object params) {
    auto reply = post(json::object{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}});
    BOOST_REQUIRE_MESSAGE(reply.status == 200, method << ": " << reply.status << " " << reply.body);
    return parse_object(reply.body);
  }

  // The CallToolResult of tools/call.
  json::object call(const std::string& tool, const std::string& arguments) {
    auto response = request("tools/call", json::object{{"name", tool}, {"arguments", json::parse(arguments)}});
    BOOST_REQUIRE_MESSAGE(response.contains("result"), tool << ": " << json::serialize(response));
    return response.at("result").as_object();
  }

 private:
  net::ClientResponse post(const json::object& message) {
    net::HttpClient client(solo_.url(), std::chrono::seconds(30));
    net::HeaderList headers{{"authorization", "Bearer " + token_},
                                  {"content-type", "application/json"},
                                  {"accept", "application/json, text/event-stream"}};
    if (!session_.empty()) {
      headers.emplace_back("mcp-session-id", session_);
      headers.emplace_back("mcp-protocol-version", "2025-11-25");
    }
    return client.request("POST", "/mcp", json::serialize(message), headers);
  }

  const SoloProcess& solo_;
  std::string token_;
  std::string session_;
  int64_t next_id_ = 1;
};

// The text of a CallToolResult, and whether it is an error.
inline std::string text_of(const json::object& result) {
  return std::string(result.at("content").as_array().at(0).as_object().at("text").as_string());
}
inline bool is_error(const json::object& result) {
  auto* flag = result.if_contains("isError");
  return flag && flag->as_bool();
}

}  // namespace solo::test
