// /mcp, the Streamable HTTP transport (net/mcp/mcp_endpoint.hpp), driven
// through its handlers with a recording dispatch: sessions (issued at
// initialize, bound to the token, unknown/expired/foreign -> 404), version
// negotiation, notifications (202), JSON-RPC errors, batches per version,
// the header checks, and the stream's bounded buffer.
#include "net/mcp/mcp_endpoint.hpp"
#include "net/mcp/mcp_resources.hpp"
#include "net/mcp/mcp_tools.hpp"

#include <regex>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/security/capability.hpp"
#include "support/async_test.hpp"

namespace solo::net::mcp {
namespace {

namespace json = boost::json;

struct Dispatched {
  std::vector<std::string> targets;
  std::vector<std::string> credentials;
};

asio::awaitable<Response> recording_dispatch(std::shared_ptr<Dispatched> log, Request& request) {
  log->targets.push_back(request.method + " " + request.target);
  log->credentials.push_back(std::string(request.header("authorization").value_or("")));
  co_return json_response(200, json::object{{"events", json::array{}}, {"next", 0}, {"services", json::array{}}});
}

std::shared_ptr<const Capability> token(std::string id, std::string tenant = "acme") {
  auto capability = std::make_shared<Capability>();
  capability->token_id = std::move(id);
  capability->tenant_id = std::move(tenant);
  capability->permissions = {"tenant_admin"};
  return capability;
}

struct Endpoint {
  explicit Endpoint(McpLimits limits = {}) : endpoint(std::make_shared<McpEndpoint>(io.get_executor(), nullptr, limits)) {
    endpoint->set_dispatch([log = dispatched](Request& request) { return recording_dispatch(log, request); });
  }

  Request request(std::string method, std::string body = "", std::string session = "", std::string token_id = "t1") {
    Request r;
    r.method = std::move(method);
    r.path = r.target = "/mcp";
    r.body = std::move(body);
    r.headers = {{"content-type", "application/json"},
                 {"accept", "application/json, text/event-stream"},
                 {"authorization", "Bearer secret-" + token_id},
                 {"host", "127.0.0.1:8080"}};
    if (!session.empty()) r.headers.emplace_back("mcp-session-id", session);
    r.caller = token(token_id);
    r.tenant = "acme";
    return r;
  }
  Response post(Request r) { return test::run_awaitable(io, endpoint->post(r)); }
  Response post(std::string body, std::string session = "", std::string token_id = "t1") {
    return post(request("POST", std::move(body), std::move(session), std::move(token_id)));
  }
  Response get(Request r) { return test::run_awaitable(io, endpoint->get(r)); }
  Response remove(Request r) { return test::run_awaitable(io, endpoint->remove(r)); }

  // initialize with `version`; the session id.
  std::string initialize(std::string version = "2025-11-25", std::string token_id = "t1") {
    auto response = post(R"({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": ")" +
                             version + R"(", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})",
                         "", std::move(token_id));
    BOOST_REQUIRE_EQUAL(response.status, 200);
    for (const auto& [name, value] : response.headers) {
      if (name == "Mcp-Session-Id") return value;
    }
    BOOST_FAIL("initialize gave no Mcp-Session-Id");
    return {};
  }

  asio::io_context io;
  std::shared_ptr<Dispatched> dispatched = std::make_shared<Dispatched>();
  std::shared_ptr<McpEndpoint> endpoint;
};

json::value body(const Response& response) { return json::parse(response.body); }
int error_code(const Response& response) {
  return static_cast<int>(body(response).at("error").at("code").as_int64());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_endpoint)

BOOST_AUTO_TEST_CASE(initialize_negotiates_the_version_and_issues_a_session) {
  Endpoint mcp;
  for (std::string_view version : supported_protocol_versions) {
    auto response = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": ")" +
                             std::string(version) + R"("}})");
    BOOST_REQUIRE_EQUAL(response.status, 200);
    auto result = body(response).at("result").as_object();
    BOOST_TEST(result.at("protocolVersion").as_string() == version);
    BOOST_TEST(result.at("serverInfo").at("name").as_string() == "solo");
    BOOST_TEST(result.at("capabilities").at("resources").at("subscribe").as_bool());
    BOOST_TEST(result.at("capabilities").as_object().contains("tools"));
    BOOST_TEST(result.at("capabilities").as_object().contains("prompts"));
    BOOST_TEST(!result.at("instructions").as_string().empty());
  }
  // The instructions name only tools and prompts that exist (a renamed tool
  // would leave a model calling a name Solo does not have).
  std::set<std::string> names;
  for (const auto& tool : solo::net::mcp::tool_list()) names.insert(std::string(tool.at("name").as_string()));
  for (const auto& prompt : solo::net::mcp::prompt_list()) names.insert(std::string(prompt.at("name").as_string()));
  auto init = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25"}})");
  const std::string text(body(init).at("result").at("instructions").as_string());
  const std::regex identifier("[a-z]+(_[a-z]+)+");
  int named = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), identifier); it != std::sregex_iterator(); ++it, ++named) {
    BOOST_TEST(names.count(it->str()) == 1u, "the instructions name '" << it->str() << "', which is no tool or prompt");
  }
  BOOST_TEST(named >= 10);
  // An unknown version: the latest, and the client decides.
  auto old = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2024-11-05"}})");
  BOOST_TEST(body(old).at("result").at("protocolVersion").as_string() == latest_protocol_version);
  // Session ids: 256 random bits, a new one each time.
  auto first = mcp.initialize();
  auto second = mcp.initialize();
  BOOST_TEST(first.size() == 64u);
  BOOST_TEST(first != second);
  // initialize without protocolVersion: invalid params, and no session.
  auto bad = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})");
  BOOST_TEST(error_code(bad) == rpc_code::invalid_params);
  for (const auto& header : bad.headers) BOOST_TEST(header.first != "Mcp-Session-Id");
}

BOOST_AUTO_TEST_CASE(sessions_unknown_expired_or_foreign_are_404_and_required_otherwise) {
  Endpoint mcp;
  auto session = mcp.initialize("2025-11-25", "t1");
  auto ping = R"({"jsonrpc": "2.0", "id": 1, "method": "ping"})";
  BOOST_TEST(mcp.post(ping, session, "t1").status == 200);
  BOOST_TEST(mcp.post(ping).status == 400);                          // no session: initialize first
  BOOST_TEST(mcp.post(ping, std::string(64, 'a')).status == 404);   // unknown
  BOOST_TEST(mcp.post(ping, session, "t2").status == 404);          // another token's
  BOOST_TEST(mcp.get(mcp.request("GET", "", session, "t2")).status == 404);
  BOOST_TEST(mcp.remove(mcp.request("DELETE", "", session, "t2")).status == 404);
  BOOST_TEST(mcp.post(ping, session, "t1").status == 200);          // still the owner's

  BOOST_TEST(mcp.remove(mcp.request("DELETE", "", session)).status == 204);
  BOOST_TEST(mcp.post(ping, session).status == 404);                // ended
  BOOST_TEST(mcp.remove(mcp.request("DELETE")).status == 400);

  McpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(0);
  Endpoint expiring(limits);
  auto gone = expiring.initialize();
  BOOST_TEST(expiring.post(ping, gone).status == 404);              // expired
}

BOOST_AUTO_TEST_CASE(notifications_and_responses_get_202_and_nothing_back) {
  Endpoint mcp;
  auto session = mcp.initialize();
  for (std::string_view message : {R"({"jsonrpc": "2.0", "method": "notifications/initialized"})",
                                   R"({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}})",
                                   R"({"jsonrpc": "2.0", "method": "notifications/whatever"})",
                                   R"({"jsonrpc": "2.0", "id": 9, "result": {}})"}) {
    auto response = mcp.post(std::string(message), session);
    BOOST_TEST(response.status == 202, message);
    BOOST_TEST(response.body.empty());
  }
}

BOOST_AUTO_TEST_CASE(json_rpc_errors_have_their_codes) {
  Endpoint mcp;
  auto session = mcp.initialize();
  auto parse_error = mcp.post("{not json", session);
  BOOST_TEST(parse_error.status == 400);
  BOOST_TEST(error_code(parse_error) == rpc_code::parse_error);
  auto invalid = mcp.post(R"({"jsonrpc": "2.0", "id": 1})", session);
  BOOST_TEST(invalid.status == 400);
  BOOST_TEST(error_code(invalid) == rpc_code::invalid_request);
  auto unknown = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "tools/destroy"})", session);
  BOOST_TEST(unknown.status == 200);
  BOOST_TEST(error_code(unknown) == rpc_code::method_not_found);
  BOOST_TEST(body(unknown).at("id") == json::value(1));
  for (std::string_view bad : {R"({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": [1]})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 5}})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "no_such_tool"}})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "deploy_service", "arguments": 3}})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {}})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "prompts/get", "params": {"name": "no_such_prompt"}})",
                               R"({"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe", "params": {"uri": "solo://guide/service-contract"}})"}) {
    auto response = mcp.post(std::string(bad), session);
    BOOST_TEST(response.status == 200, bad);
    BOOST_TEST(error_code(response) == rpc_code::invalid_params, bad);
  }
  auto missing = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": "solo://nothing"}})", session);
  BOOST_TEST(error_code(missing) == rpc_code::resource_not_found);
  BOOST_TEST(mcp.dispatched->targets.empty());  // none of these reached the REST layer
}

BOOST_AUTO_TEST_CASE(a_resource_read_is_one_rest_request_with_the_callers_credentials) {
  Endpoint mcp;
  auto session = mcp.initialize();
  auto read = mcp.post(R"({"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": "solo://events"}})", session);
  BOOST_TEST_REQUIRE(read.status == 200);
  BOOST_TEST(body(read).at("result").as_object().contains("contents"));
  BOOST_REQUIRE_EQUAL(mcp.dispatched->targets.size(), 1u);
  BOOST_TEST(mcp.dispatched->targets[0].starts_with("GET /events"));
  BOOST_TEST(mcp.dispatched->credentials[0] == "Bearer secret-t1");
}

BOOST_AUTO_TEST_CASE(batches_on_2025_03_26_only) {
  Endpoint mcp;
  std::string batch = R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/initialized"},
                          {"jsonrpc": "2.0", "id": 2, "method": "nope"}, 7])";
  auto old = mcp.initialize("2025-03-26");
  auto answered = mcp.post(batch, old);
  BOOST_TEST_REQUIRE(answered.status == 200);
  auto answers = body(answered).as_array();
  BOOST_TEST(answers.size() == 3u);  // the invalid element, ping, nope (the notification has none)
  int codes = 0;
  for (const auto& answer : answers) {
    if (answer.as_object().contains("result")) BOOST_TEST(answer.at("id") == json::value(1));
    if (answer.as_object().contains("error")) codes += static_cast<int>(answer.at("error").at("code").as_int64());
  }
  BOOST_TEST(codes == rpc_code::invalid_request + rpc_code::method_not_found);
  for (std::string version : {"2025-06-18", "2025-11-25"}) {
    auto refused = mcp.post(batch, mcp.initialize(version));
    BOOST_TEST(refused.status == 400);
    BOOST_TEST(error_code(refused) == rpc_code::invalid_request);
  }
  // No batch can open a session.
  BOOST_TEST(mcp.post(R"([{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-03-26"}}])").status == 400);
}

BOOST_AUTO_TEST_CASE(header_checks) {
  Endpoint mcp;
  auto session = mcp.initialize();
  std::string ping = R"({"jsonrpc": "2.0", "id": 1, "method": "ping"})";
  auto with = [&](std::string name, std::string value) {
    auto request = mcp.request("POST", ping, session);
    std::erase_if(request.headers, [&](const auto& header) { return header.first == name; });
    if (!value.empty()) request.headers.emplace_back(name, value);
    return mcp.post(request).status;
  };
  BOOST_TEST(with("content-type", "text/plain") == 415);
  BOOST_TEST(with("content-type", "") == 415);
  BOOST_TEST(with("content-type", "application/json; charset=utf-8") == 200);
  BOOST_TEST(with("accept", "text/html") == 406);
  BOOST_TEST(with("accept", "*/*") == 200);
  BOOST_TEST(with("origin", "http://evil.example") == 403);
  BOOST_TEST(with("origin", "null") == 403);
  BOOST_TEST(with("origin", "http://localhost:3000") == 200);
  BOOST_TEST(with("origin", "http://127.0.0.1:8080") == 200);
  BOOST_TEST(with("origin", "http://[::1]:8080") == 200);
  // DNS rebinding: the page's host resolves to us, so Host names it too.
  auto rebound = mcp.request("POST", ping, session);
  std::erase_if(rebound.headers, [](const auto& header) { return header.first == "host"; });
  rebound.headers.emplace_back("host", "evil.example:8080");
  rebound.headers.emplace_back("origin", "http://evil.example:8080");
  BOOST_TEST(mcp.post(rebound).status == 403);
  // The host the server listens on is its own.
  mcp.endpoint->set_own_host("solo.internal");
  BOOST_TEST(with("origin", "https://solo.internal:8443") == 200);
  mcp.endpoint->set_own_host("0.0.0.0");
  BOOST_TEST(with("origin", "http://0.0.0.0:8080") == 403);
  BOOST_TEST(with("mcp-protocol-version", "2099-01-01") == 400);
  BOOST_TEST(with("mcp-protocol-version", "2025-11-25") == 200);

  // Accepting only text/event-stream: the answer comes as an SSE stream.
  auto request = mcp.request("POST", ping, session);
  std::erase_if(request.headers, [](const auto& header) { return header.first == "accept"; });
  request.headers.emplace_back("accept", "text/event-stream");
  auto streamed = mcp.post(request);
  BOOST_TEST(streamed.status == 200);
  BOOST_TEST(streamed.content_type == "text/event-stream");
  BOOST_TEST(static_cast<bool>(streamed.stream));
}

BOOST_AUTO_TEST_CASE(one_stream_per_session) {
  Endpoint mcp;
  auto session = mcp.initialize();
  auto no_accept = mcp.request("GET", "", session);
  std::erase_if(no_accept.headers, [](const auto& header) { return header.first == "accept"; });
  BOOST_TEST(mcp.get(no_accept).status == 406);
  BOOST_TEST(mcp.get(mcp.request("GET")).status == 400);
  auto bad_resume = mcp.request("GET", "", session);
  bad_resume.headers.emplace_back("last-event-id", "seven");
  BOOST_TEST(mcp.get(bad_resume).status == 400);
  auto stream = mcp.get(mcp.request("GET", "", session));
  BOOST_TEST(stream.status == 200);
  BOOST_TEST(stream.content_type == "text/event-stream");
  BOOST_TEST(mcp.get(mcp.request("GET", "", session)).status == 409);
  // Resuming takes the stream over (the old connection is likely dead).
  auto resume = mcp.request("GET", "", session);
  resume.headers.emplace_back("last-event-id", "0");
  BOOST_TEST(mcp.get(resume).status == 200);
  BOOST_TEST(mcp.endpoint->sessions().find(session, "t1")->stream_generation == 2u);
}

BOOST_AUTO_TEST_CASE(bounds_sessions_per_tenant_and_the_stream_buffer) {
  McpLimits limits;
  limits.max_sessions_per_tenant = 2;
  limits.max_buffered_events = 3;
  Endpoint mcp(limits);
  std::string ping = R"({"jsonrpc": "2.0", "id": 1, "method": "ping"})";
  auto first = mcp.initialize();
  auto second = mcp.initialize();
  BOOST_TEST(mcp.post(ping, first).status == 200);  // second is now the least recently used
  auto third = mcp.initialize();
  BOOST_TEST(mcp.endpoint->sessions().size() == 2u);
  BOOST_TEST(mcp.post(ping, second).status == 404);
  BOOST_TEST(mcp.post(ping, first).status == 200);
  BOOST_TEST(mcp.post(ping, third).status == 200);

  auto session = mcp.endpoint->sessions().find(third, "t1");
  BOOST_REQUIRE(session);
  for (int i = 0; i < 5; ++i) session->push(json::object{{"n", i}});
  BOOST_REQUIRE_EQUAL(session->buffered().size(), 3u);
  BOOST_TEST(session->buffered().front().id == 3u);
  BOOST_TEST(session->buffered().back().id == 5u);

  std::string initialize = R"({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25"}})";
  McpLimits one_in_all;
  one_in_all.max_sessions = 1;
  Endpoint full(one_in_all);
  full.initialize();
  BOOST_TEST(full.post(initialize).status == 503);

  // A tenant whose every session streams: nothing to replace, 429.
  McpLimits one_per_tenant;
  one_per_tenant.max_sessions_per_tenant = 1;
  Endpoint busy(one_per_tenant);
  auto streaming = busy.initialize();
  BOOST_TEST(busy.get(busy.request("GET", "", streaming)).status == 200);
  BOOST_TEST(busy.post(initialize).status == 429);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net::mcp
