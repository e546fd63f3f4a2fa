// WebSocket ops (docs/websocket.md) as the REST requests they stand for:
// every op but watch/unwatch/ping runs through the same router, permissions
// and handlers as its HTTP twin, so the two surfaces cannot drift apart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "net/http_message.hpp"

namespace solo::net {

// One client text frame {"id", "op", "args"} taken apart. `error` is set
// (the message of a 400 invalid_request error frame) when the frame is not a
// JSON object, has no string "op", or "args" is neither an object nor null;
// `id` is kept whenever the frame gave one, so the error can answer it.
struct OpFrame {
  boost::json::value id;
  std::string op;
  boost::json::object args;
  std::string error;
};
OpFrame parse_op_frame(std::string_view text);

struct OpRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<std::string> body;
};

// The REST equivalent of an op; nullopt for an unknown op. Throws BadRequest
// for args that cannot form a request.
std::optional<OpRequest> op_request(std::string_view op, const boost::json::object& args);

// The op as a Request carrying the upgrade request's identity: its
// credentials (Authorization, X-Tenant-ID), tenant and caller.
Request make_request(const Request& upgrade, OpRequest op);

}  // namespace solo::net
