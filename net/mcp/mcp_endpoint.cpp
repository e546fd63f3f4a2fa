// /mcp, the Streamable HTTP transport (mcp_endpoint.hpp).
// GCC 12 note: inside coroutines no lambda or braced temporary is passed
// within a co_await expression.
#include "net/mcp/mcp_endpoint.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "base/prometheus.hpp"
#include "base/timeout.hpp"
#include "engine/security/capability.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "net/api/api_context.hpp"
#include "net/mcp/json_rpc.hpp"
#include "net/router.hpp"
#include "net/sse.hpp"

namespace solo::net::mcp {

namespace json = boost::json;

namespace {

constexpr std::string_view kSessionHeader = "Mcp-Session-Id";

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether the Accept header admits `type` ("application/json"): the type
// itself, its "major/*" or "*/*". No Accept header admits everything.
bool accepts(const Request& request, std::string_view type) {
  auto header = request.header("accept");
  if (!header) return true;
  const auto major = type.substr(0, type.find('/'));
  const auto text = lower(*header);
  std::string_view rest(text);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = trim(rest.substr(0, comma).substr(0, rest.substr(0, comma).find(';')));
    if (item == type || item == "*/*" || item == std::string(major) + "/*") return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

// An answer of the transport itself (not of a method): a JSON-RPC error with
// id null, as MCP clients read it, and the HTTP status that tells what is wrong.
Response transport_error(int status, int code, std::string_view message) {
  Response response;
  response.status = status;
  response.body = json::serialize(rpc_error(nullptr, code, message));
  return response;
}

// DNS rebinding: a browser page served by another host must not reach a
// server on the user's machine. No Origin (not a browser): allowed; else its
// host must be this server's own (the Host header) or loopback.
bool origin_allowed(const Request& request) {
  auto origin = request.header("origin");
  if (!origin) return true;
  const auto text = lower(*origin);
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return false;
  const std::string authority = text.substr(scheme_end + 3, text.find('/', scheme_end + 3) - (scheme_end + 3));
  if (auto host = request.header("host"); host && lower(*host) == authority) return true;
  std::string hostname = authority;
  if (hostname.starts_with('[')) {
    hostname = hostname.substr(0, hostname.find(']') + 1);
  } else {
    hostname = hostname.substr(0, hostname.find(':'));
  }
  return hostname == "localhost" || hostname == "127.0.0.1" || hostname == "[::1]";
}

std::string owner_of(const Request& request) {
  return request.caller ? request.caller->token_id : std::string("anonymous");
}

// The checks every method shares; the refusal, if any.
std::optional<Response> check_common(const Request& request) {
  if (!origin_allowed(request)) {
    return transport_error(403, rpc_code::invalid_request, "Origin not allowed: /mcp takes requests from its own host or loopback");
  }
  if (auto version = request.header("mcp-protocol-version"); version && !is_supported_protocol_version(*version)) {
    return transport_error(400, rpc_code::invalid_request,
                           "unsupported MCP-Protocol-Version '" + std::string(*version) +
                               "' (supported: 2025-11-25, 2025-06-18, 2025-03-26)");
  }
  return std::nullopt;
}

Response session_required() {
  return transport_error(400, rpc_code::invalid_request,
                         "the Mcp-Session-Id header is required (send initialize first to get one)");
}

Response session_not_found() {
  return transport_error(404, -32001, "session not found (unknown, expired or ended): initialize a new one");
}

// The SSE stream of a POST answered as text/event-stream: its responses, then the end.
asio::awaitable<void> write_responses(std::vector<std::string> chunks, std::shared_ptr<StreamWriter> out) {
  for (auto& chunk : chunks) {
    if (!co_await out->write(std::move(chunk))) co_return;
  }
}

// GET /mcp: the session's server messages after `cursor`, then new ones as
// they come, with heartbeats; ends when the session ends, the client goes
// away, or at shutdown (the server's cancellation).
asio::awaitable<void> run_stream(std::shared_ptr<McpSession> session, std::uint64_t cursor,
                                 std::chrono::milliseconds heartbeat, std::shared_ptr<StreamWriter> out) {
  struct Open {
    std::shared_ptr<McpSession> session;
    ~Open() {
      session->stream_open = false;
      session->last_used = McpSession::Clock::now();  // idle expiry counts from the stream's end
    }
  } open{session};
  if (!co_await out->write(": stream open\n\n")) co_return;
  for (;;) {
    if (session->closed()) co_return;
    std::vector<McpSession::StreamEvent> pending;  // copied: the buffer changes while we write
    for (const auto& event : session->buffered()) {
      if (event.id > cursor) pending.push_back(event);
    }
    for (const auto& event : pending) {
      if (!co_await out->write(format_sse_event(event.id, "", event.data))) co_return;
      cursor = event.id;
      session->delivered = std::max(session->delivered, cursor);
    }
    if (!pending.empty()) continue;
    auto wait = session->wakeup().wait();
    if (!co_await with_timeout(std::move(wait), heartbeat)) {
      if (!co_await out->write(sse_heartbeat())) co_return;
    }
  }
}

}  // namespace

McpEndpoint::McpEndpoint(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, McpLimits limits)
    : context_(context), sessions_(std::move(executor), std::move(context), limits) {}

void McpEndpoint::set_dispatch(McpServer::Dispatch dispatch) {
  server_ = std::make_unique<McpServer>(std::move(dispatch), std::string(solo_server_version));
}

void McpEndpoint::drain() { sessions_.close_all(); }

asio::awaitable<Response> McpEndpoint::post(Request& request) {
  if (auto refused = check_common(request)) co_return std::move(*refused);
  auto content_type = request.header("content-type");
  if (!content_type || !lower(*content_type).starts_with("application/json")) {
    co_return transport_error(415, rpc_code::invalid_request, "POST /mcp takes Content-Type: application/json");
  }
  const bool json_ok = accepts(request, "application/json");
  const bool sse_ok = accepts(request, "text/event-stream");
  if (!json_ok && !sse_ok) {
    co_return transport_error(406, rpc_code::invalid_request,
                              "POST /mcp answers application/json or text/event-stream: accept one of them");
  }
  if (!server_) {
    co_return transport_error(503, rpc_code::internal_error, "the MCP server is not ready yet; retry shortly");
  }
  std::shared_ptr<McpSession> session;
  if (auto id = request.header("mcp-session-id")) {
    session = sessions_.find(*id, owner_of(request));
    if (!session) co_return session_not_found();
  }
  auto parsed = parse_body(request.body, session && allows_batches(session->protocol_version()));
  if (parsed.messages.empty()) {  // nothing valid: the errors, as 400
    Response response;
    response.status = 400;
    if (parsed.batch && parsed.errors.size() > 1) {
      json::array list(parsed.errors.begin(), parsed.errors.end());
      response.body = json::serialize(list);
    } else {
      response.body = json::serialize(parsed.errors.front());
    }
    co_return response;
  }
  bool initialize = false;
  for (const auto& message : parsed.messages) {
    if (message.method == "initialize" && message.kind == RpcMessage::Kind::request) initialize = true;
  }
  if (!session && !(initialize && parsed.messages.size() == 1 && !parsed.batch)) co_return session_required();

  std::vector<json::object> answers = std::move(parsed.errors);
  std::optional<std::string> new_session;
  for (const auto& message : parsed.messages) {
    if (message.kind != RpcMessage::Kind::response) {
      ++requests_[is_known_method(message.method) ? message.method : std::string("other")];
    }
    if (session && message.method == "initialize" && message.kind == RpcMessage::Kind::request) {
      answers.push_back(rpc_error(message.id, rpc_code::invalid_request, "this session is already initialized"));
      continue;
    }
    auto answer = co_await server_->handle(message, request, session.get());
    if (!answer) continue;
    if (!session && message.method == "initialize" && answer->contains("result")) {
      const auto& version = answer->at("result").at("protocolVersion").as_string();
      auto created = sessions_.create(owner_of(request), request.tenant, std::string(version));
      if (auto* refused = std::get_if<Response>(&created)) co_return std::move(*refused);
      new_session = std::get<std::shared_ptr<McpSession>>(created)->id();
    }
    answers.push_back(std::move(*answer));
  }
  Response response;
  if (new_session) response.headers.emplace_back(std::string(kSessionHeader), *new_session);
  if (answers.empty()) {  // only notifications and responses
    response.status = 202;
    response.content_type.clear();
    co_return response;
  }
  std::string body;
  if (parsed.batch) {
    json::array list(answers.begin(), answers.end());
    body = json::serialize(list);
  } else {
    body = json::serialize(answers.front());
  }
  if (json_ok) {
    response.body = std::move(body);
    co_return response;
  }
  // The client accepts only text/event-stream: the answers as SSE events.
  std::vector<std::string> chunks;
  if (parsed.batch) {
    for (const auto& answer : answers) chunks.push_back(format_sse_event(std::nullopt, "", json::serialize(answer)));
  } else {
    chunks.push_back(format_sse_event(std::nullopt, "", body));
  }
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = [chunks = std::move(chunks)](std::shared_ptr<StreamWriter> out) mutable {
    return write_responses(std::move(chunks), std::move(out));
  };
  co_return response;
}

asio::awaitable<Response> McpEndpoint::get(Request& request) {
  if (auto refused = check_common(request)) co_return std::move(*refused);
  auto accept = request.header("accept");
  if (!accept || !accepts(request, "text/event-stream")) {
    co_return transport_error(406, rpc_code::invalid_request, "GET /mcp is an SSE stream: send Accept: text/event-stream");
  }
  auto id = request.header("mcp-session-id");
  if (!id) co_return session_required();
  auto session = sessions_.find(*id, owner_of(request));
  if (!session) co_return session_not_found();
  if (session->stream_open) {
    co_return transport_error(409, rpc_code::invalid_request,
                              "this session's stream is already open (one GET /mcp stream per session)");
  }
  std::uint64_t cursor = session->delivered;
  if (auto last = request.header("last-event-id")) {
    auto text = trim(*last);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cursor);
    if (ec != std::errc() || end != text.data() + text.size()) {
      co_return transport_error(400, rpc_code::invalid_request, "Last-Event-ID must be an event id of this stream");
    }
  }
  session->stream_open = true;
  Response response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = [session, cursor, heartbeat = context_ ? context_->sse_heartbeat : std::chrono::milliseconds(15000)](
                        std::shared_ptr<StreamWriter> out) { return run_stream(session, cursor, heartbeat, std::move(out)); };
  co_return response;
}

asio::awaitable<Response> McpEndpoint::remove(Request& request) {
  if (auto refused = check_common(request)) co_return std::move(*refused);
  auto id = request.header("mcp-session-id");
  if (!id) co_return session_required();
  auto session = sessions_.find(*id, owner_of(request));
  if (!session) co_return session_not_found();
  sessions_.end(session->id());
  Response response;
  response.status = 204;
  response.content_type.clear();
  co_return response;
}

void McpEndpoint::register_metrics(Telemetry& telemetry) {
  telemetry.add_collector([weak = weak_from_this()](std::string& out) {
    auto self = weak.lock();
    if (!self) return;
    const auto& sessions_ = self->sessions_;
    const auto& requests_ = self->requests_;
    prometheus::gauge(out, "solo_mcp_sessions", "Open MCP sessions.", static_cast<double>(sessions_.size()));
    prometheus::counter(out, "solo_mcp_sessions_total", "MCP sessions created, since start.",
                        static_cast<double>(sessions_.created()));
    if (requests_.empty()) return;
    prometheus::family(out, "solo_mcp_requests_total",
                       "MCP requests and notifications received, by method (unknown methods: other).", "counter");
    for (const auto& [method, count] : requests_) {
      prometheus::sample(out, "solo_mcp_requests_total", {{"method", method}}, static_cast<double>(count));
    }
  });
}

void add_mcp_routes(Router& router, std::shared_ptr<McpEndpoint> endpoint) {
  router.add("POST", "/mcp", [endpoint](Request& request) { return endpoint->post(request); });
  router.add("GET", "/mcp", [endpoint](Request& request) { return endpoint->get(request); });
  router.add("DELETE", "/mcp", [endpoint](Request& request) { return endpoint->remove(request); });
}

}  // namespace solo::net::mcp
