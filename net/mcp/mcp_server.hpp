// The MCP method dispatcher (docs/mcp.md, "Transport"): one JSON-RPC request
// in, its response out, independent of the transport (the Streamable HTTP
// endpoint, net/mcp/mcp_endpoint.hpp, is its only caller; `solo mcp` relays
// to that endpoint).
//
// Every tool call and resource read is one REST request built with
// make_request(the /mcp request, OpRequest) (net/websocket_ops.hpp) and
// answered by the Dispatch function (the Gateway's dispatch in solo), so it
// passes the same authentication, authorization, quotas and load shedding as
// its REST twin. The catalog (what the tools and resources are) is
// net/mcp/mcp_tools.hpp and mcp_resources.hpp.
//
// Engine thread only.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "net/http_message.hpp"
#include "net/mcp/json_rpc.hpp"
#include "net/mcp/mcp_resources.hpp"

namespace solo::net::mcp {

// The protocol versions Solo speaks, newest first. Batches (JSON arrays of
// messages) exist only in 2025-03-26; later versions removed them.
inline constexpr std::array<std::string_view, 3> supported_protocol_versions{"2025-11-25", "2025-06-18",
                                                                           "2025-03-26"};
inline constexpr std::string_view latest_protocol_version = supported_protocol_versions.front();
bool is_supported_protocol_version(std::string_view version);
// The client's version when Solo supports it, else the latest (the client
// then decides whether it can go on, as the spec says).
std::string_view negotiate_protocol_version(std::string_view requested);
bool allows_batches(std::string_view version);

// The methods Solo answers (metrics label them; anything else is "other").
bool is_known_method(std::string_view method);

// A session's subscriptions, as the dispatcher changes them
// (resources/subscribe and unsubscribe). Implemented by the endpoint's session.
class SubscriptionSink {
 public:
  virtual ~SubscriptionSink() = default;
  // Adds (or keeps) the subscription to `uri`; false when the session already
  // holds its maximum of subscriptions.
  virtual bool subscribe(const std::string& uri, const Subscription& what, const Request& identity) = 0;
  virtual void unsubscribe(const std::string& uri) = 0;
};

class McpServer {
 public:
  using Dispatch = std::function<asio::awaitable<Response>(Request&)>;

  McpServer(Dispatch dispatch, std::string server_version);

  // The response (result or error) to one request; std::nullopt for a
  // notification or a client's response (nothing to answer). `identity` is
  // the /mcp HTTP request: its credentials, tenant and caller make every REST
  // request the call stands for. `session` takes the subscriptions (null
  // outside a session: resources/subscribe is then refused).
  asio::awaitable<std::optional<boost::json::object>> handle(const RpcMessage& message, const Request& identity,
                                                             SubscriptionSink* session) const;

 private:
  asio::awaitable<boost::json::object> answer(const RpcMessage& message, const Request& identity,
                                              SubscriptionSink* session) const;
  asio::awaitable<Response> send(const Request& identity, OpRequest op) const;

  Dispatch dispatch_;
  std::string server_version_;
};

}  // namespace solo::net::mcp
