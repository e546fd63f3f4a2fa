// Fuzz target: the WebSocket ops surface (docs/websocket.md) — a client text
// frame taken apart (parse_op_frame), the op turned into the REST request it
// stands for (op_request, make_request), and the frames answering it
// (error_frame, reply_frame). The wire-level frame decoding (Beast, masking,
// fragmentation, close) is reached by the http target, whose corpus holds
// upgrades to /ws followed by client frames.
//
// Input: the frame's text. Invariants:
//   - parse_op_frame refuses exactly what is not {"op": string, "args":
//     object|null|absent}, keeping the id;
//   - an op maps to a known method and a path under one of the REST routes,
//     whose segments taken from args cannot reach another route (no '/',
//     '?', '#', no dot segments), or to a BadRequest; a body, when set, is JSON;
//   - the request keeps only the upgrade's credentials, tenant and caller;
//   - every answer frame is JSON with the same id and ok == (status is 2xx).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "net/api/request_args.hpp"
#include "net/websocket_frames.hpp"
#include "net/websocket_ops.hpp"

namespace json = boost::json;
using solo::net::Response;

namespace {

// The paths an op may produce; {} is a segment from args.
bool known_path(const std::string& method, std::string_view path) {
  static const std::set<std::string_view> fixed = {"/services",      "/events",          "/logs",
                                                   "/tokens",        "/auth/verify",     "/auth/whoami",
                                                   "/secrets",       "/registry",        "/health",
                                                   "/metrics",       "/system/recovery", "/system/verify",
                                                   "/system/shutdown"};
  if (fixed.count(path)) return true;
  for (std::string_view prefix : {"/services/", "/tokens/", "/secrets/", "/registry/", "/tenants/"}) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    auto rest = path.substr(prefix.size());
    auto segment = rest.substr(0, rest.find('/'));
    if (segment.empty() || segment == "." || segment == "..") return false;
    auto tail = rest.substr(segment.size());
    if (tail.empty()) return true;
    if (prefix == "/tenants/") return tail == "/quota";
    if (prefix != "/services/") return false;
    if (tail == "/code" || tail == "/call" || tail == "/cast" || tail == "/versions" || tail == "/storage" ||
        tail == "/storage:import") {
      return true;
    }
    // A version by event id (one segment); a storage key is the whole rest, '/' included.
    if (tail.substr(0, 10) == "/versions/") {
      auto id = tail.substr(10);
      return !id.empty() && id.find('/') == std::string_view::npos;
    }
    return tail.substr(0, 9) == "/storage/" && tail.size() > 9;
  }
  return false;
}

void check_frame(const std::string& text, const json::value& id, bool ok) {
  boost::system::error_code ec;
  auto frame = json::parse(text, ec);
  FUZZ_CHECK(!ec && frame.is_object(), "an answer frame is not a JSON object: " + text);
  FUZZ_CHECK(frame.as_object().contains("id") && frame.at("id") == id, "the id was not kept: " + text);
  FUZZ_CHECK(frame.at("ok") == json::value(ok), "ok disagrees with the status: " + text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto frame = solo::net::parse_op_frame(text);

  boost::system::error_code ec;
  auto parsed = json::parse(text, ec);
  bool well_formed = !ec && parsed.is_object() && parsed.as_object().contains("op") &&
                     parsed.at("op").is_string();
  if (well_formed) {
    const auto* args = parsed.as_object().if_contains("args");
    well_formed = !args || args->is_null() || args->is_object();
  }
  FUZZ_CHECK(frame.error.empty() == well_formed, "parse_op_frame refused a good frame or took a bad one");
  if (!ec && parsed.is_object() && parsed.as_object().contains("id")) {
    FUZZ_CHECK(frame.id == parsed.at("id"), "the id was not kept");
  }
  check_frame(solo::net::error_frame(frame.id, 400, "invalid_request", frame.error), frame.id, false);
  if (!frame.error.empty()) return 0;

  std::optional<solo::net::OpRequest> op;
  try {
    op = solo::net::op_request(frame.op, frame.args);
  } catch (const solo::net::BadRequest& refused) {
    check_frame(solo::net::error_frame(frame.id, 400, "invalid_request", refused.what()), frame.id, false);
    return 0;
  }
  if (!op) return 0;
  FUZZ_CHECK(op->method == "GET" || op->method == "POST" || op->method == "PUT" || op->method == "DELETE",
             op->method);
  FUZZ_CHECK(known_path(op->method, op->path), frame.op + " -> " + op->path);
  if (op->body) {
    (void)json::parse(*op->body, ec);
    FUZZ_CHECK(!ec, "a body that is not JSON: " + *op->body);
  }

  solo::net::Request upgrade;
  upgrade.method = "GET";
  upgrade.path = upgrade.target = "/ws";
  upgrade.headers = {{"authorization", "Bearer t"}, {"x-tenant-id", "acme"}, {"cookie", "c"}};
  upgrade.tenant = "acme";
  upgrade.remote_address = "127.0.0.1";
  auto query = op->query;
  auto path = op->path;
  auto request = solo::net::make_request(upgrade, *op);
  FUZZ_CHECK(request.path == path && request.query == query, "make_request changed the path or query");
  FUZZ_CHECK(request.tenant == "acme" && request.remote_address == "127.0.0.1", "identity not carried");
  for (const auto& [name, value] : request.headers) {
    FUZZ_CHECK(name == "authorization" || name == "x-tenant-id" || name == "content-type", name);
  }

  // The answers: a success carrying the args as its JSON body, an error
  // without a JSON body, and one with Retry-After.
  Response success;
  success.status = 200;
  success.body = json::serialize(frame.args);
  check_frame(solo::net::reply_frame(frame.id, success), frame.id, true);
  Response plain;
  plain.status = 400 + static_cast<int>(size % 200);
  plain.content_type = "text/plain";
  plain.body = frame.op;
  check_frame(solo::net::reply_frame(frame.id, plain), frame.id, false);
  Response busy = solo::net::error_response(503, "overloaded", frame.op);
  busy.headers.emplace_back("Retry-After", "1");
  auto busy_frame = solo::net::reply_frame(frame.id, busy);
  check_frame(busy_frame, frame.id, false);
  FUZZ_CHECK(json::parse(busy_frame).at("error").at("retry_after") == "1", busy_frame);
  return 0;
}
