// MCP over Streamable HTTP with the real binary (docs/mcp.md, "Transport"),
// spoken as raw HTTP: initialize opens a session bound to its token, tools
// are listed and called (deploy, then call the service), another token's use
// of the session is 404, the GET stream carries resources/updated after a
// subscription to solo://events and a deploy, resumes with Last-Event-ID,
// DELETE ends the session, and shutdown ends the stream.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "net/sse.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using namespace std::chrono_literals;
using solo::test::SoloProcess;

namespace {

namespace json = boost::json;

const char* kCode = R"(
function init(config) return { n = 0 } end
function handle_call(msg, state) state.n = state.n + 1; return { n = state.n, echo = msg }, state end
function handle_cast(msg, state) return state end
)";

std::string grant(const SoloProcess& solo, const std::string& tenant, json::array permissions) {
  json::object body{{"tenant_id", tenant}, {"permissions", std::move(permissions)}, {"ttl_seconds", 3600}};
  auto response = test::send(solo, "POST", "/tokens", json::serialize(body), solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
  return std::string(json::parse(response.body).at("token").as_string());
}

// One POST /mcp: the JSON-RPC body with the token, the session (when given)
// and the Accept header a Streamable HTTP client sends.
net::ClientResponse post(const SoloProcess& solo, const std::string& token, const std::string& session,
                         const std::string& body) {
  net::HttpClient client(solo.url(), 30s);
  net::HeaderList headers{{"authorization", "Bearer " + token},
                          {"content-type", "application/json"},
                          {"accept", "application/json, text/event-stream"}};
  if (!session.empty()) headers.emplace_back("mcp-session-id", session);
  return client.request("POST", "/mcp", body, headers);
}

json::object rpc(const SoloProcess& solo, const std::string& token, const std::string& session, int id,
                 const std::string& method, json::object params) {
  json::object message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  auto response = post(solo, token, session, json::serialize(message));
  BOOST_TEST_REQUIRE(response.status == 200, method << ": " << response.status << " " << response.body);
  auto answer = json::parse(response.body).as_object();
  BOOST_TEST(answer.at("id") == json::value(id));
  return answer;
}

std::string initialize(const SoloProcess& solo, const std::string& token) {
  json::object params{{"protocolVersion", "2025-11-25"},
                      {"capabilities", json::object{}},
                      {"clientInfo", json::object{{"name", "mcp_test"}, {"version", "1"}}}};
  json::object message{{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", params}};
  auto response = post(solo, token, "", json::serialize(message));
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  BOOST_TEST(json::parse(response.body).at("result").at("protocolVersion").as_string() == "2025-11-25");
  auto session = response.header("mcp-session-id");
  BOOST_TEST_REQUIRE(session.has_value());
  auto initialized = post(solo, token, *session, R"({"jsonrpc": "2.0", "method": "notifications/initialized"})");
  BOOST_TEST(initialized.status == 202);
  BOOST_TEST(initialized.body.empty());
  return *session;
}

json::object call_tool(const SoloProcess& solo, const std::string& token, const std::string& session, int id,
                       const std::string& tool, json::object arguments) {
  auto answer = rpc(solo, token, session, id, "tools/call",
                    json::object{{"name", tool}, {"arguments", std::move(arguments)}});
  BOOST_TEST_REQUIRE(answer.contains("result"), tool << ": " << json::serialize(answer));
  return answer.at("result").as_object();
}

// GET /mcp in a thread: the SSE events it receives, until stop() or the
// stream ends (server shutdown, session ended).
class Stream {
 public:
  Stream(const SoloProcess& solo, const std::string& token, const std::string& session,
         std::optional<std::string> last_event_id = std::nullopt)
      : thread_([this, url = solo.url(), token, session, last_event_id] {
          try {
            net::HttpClient client(url, 30s);
            net::HeaderList headers{{"authorization", "Bearer " + token},
                                    {"accept", "text/event-stream"},
                                    {"mcp-session-id", session}};
            if (last_event_id) headers.emplace_back("last-event-id", *last_event_id);
            net::SseParser parser;
            client.stream("/mcp", headers, [&](std::string_view piece) {
              opened_ = true;
              auto events = parser.feed(piece);
              std::lock_guard lock(mutex_);
              for (auto& event : events) events_.push_back(std::move(event));
              return !stopping_;
            });
          } catch (const std::exception& error) {
            std::lock_guard lock(mutex_);
            failure_ = error.what();
          }
          ended_ = true;
        }) {}
  ~Stream() {
    stopping_ = true;
    thread_.join();  // the next heartbeat (--heartbeat-ms) lets on_data say stop
  }
  std::vector<net::SseEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // The ids of the resources/updated events for `uri`.
  std::vector<std::string> updates(const std::string& uri) {
    std::vector<std::string> ids;
    for (const auto& event : events()) {
      auto message = json::parse(event.data);
      if (message.at("method") == "notifications/resources/updated" && message.at("params").at("uri") == uri.c_str()) {
        ids.push_back(event.id.value_or(""));
      }
    }
    return ids;
  }
  bool opened() const { return opened_; }
  bool ended() const { return ended_; }
  std::string failure() {
    std::lock_guard lock(mutex_);
    return failure_;
  }

 private:
  std::mutex mutex_;
  std::vector<net::SseEvent> events_;
  std::string failure_;
  std::atomic<bool> opened_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ended_{false};
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_http)

BOOST_AUTO_TEST_CASE(initialize_list_deploy_call_foreign_token_and_delete) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "200"});
  auto alice = grant(solo, "alpha", json::array{"tenant_admin"});
  auto bob = grant(solo, "alpha", json::array{"tenant_admin"});  // same tenant, another token

  // No token: the Gateway's 401, before any MCP.
  net::HttpClient anonymous(solo.url(), 30s);
  BOOST_TEST(anonymous.request("POST", "/mcp", R"({"jsonrpc": "2.0", "id": 1, "method": "ping"})").status == 401);

  auto session = initialize(solo, alice);
  auto tools = rpc(solo, alice, session, 1, "tools/list", {}).at("result").at("tools").as_array();
  bool has_deploy = false;
  for (const auto& tool : tools) has_deploy = has_deploy || tool.at("name") == "deploy_service";
  BOOST_TEST(has_deploy);

  auto deployed = call_tool(solo, alice, session, 2, "deploy_service", json::object{{"service_id", "echo"}, {"code", kCode}});
  BOOST_TEST(!deployed.at("isError").as_bool(), json::serialize(deployed));
  auto called = call_tool(solo, alice, session, 3, "call_service",
                          json::object{{"service_id", "echo"}, {"message", json::object{{"hello", "mcp"}}}});
  BOOST_TEST_REQUIRE(!called.at("isError").as_bool(), json::serialize(called));
  BOOST_TEST(json::serialize(called).find("\"hello\":\"mcp\"") != std::string::npos, json::serialize(called));
  // The service really is there, as REST sees it.
  BOOST_TEST(test::send(solo, "GET", "/services/echo", "", alice).status == 200);

  // A failed operation is a tool result with isError, not a JSON-RPC error.
  auto missing = call_tool(solo, alice, session, 4, "call_service", json::object{{"service_id", "nobody"}, {"message", 1}});
  BOOST_TEST(missing.at("isError").as_bool());

  // Bob's token presenting Alice's session: it does not exist for him.
  auto foreign = post(solo, bob, session, R"({"jsonrpc": "2.0", "id": 5, "method": "tools/list"})");
  BOOST_TEST(foreign.status == 404, foreign.body);
  // Without a session, or with an unknown one.
  BOOST_TEST(post(solo, alice, "", R"({"jsonrpc": "2.0", "id": 6, "method": "tools/list"})").status == 400);
  BOOST_TEST(post(solo, alice, std::string(64, '0'), R"({"jsonrpc": "2.0", "id": 7, "method": "ping"})").status == 404);

  // DELETE ends it (not for Bob).
  net::HttpClient client(solo.url(), 30s);
  BOOST_TEST(client.request("DELETE", "/mcp", "", {{"authorization", "Bearer " + bob}, {"mcp-session-id", session}}).status == 404);
  BOOST_TEST(client.request("DELETE", "/mcp", "", {{"authorization", "Bearer " + alice}, {"mcp-session-id", session}}).status == 204);
  BOOST_TEST(post(solo, alice, session, R"({"jsonrpc": "2.0", "id": 8, "method": "ping"})").status == 404);

  auto metrics = test::send(solo, "GET", "/metrics", "", solo.admin_token()).body;
  BOOST_TEST(metrics.find("solo_mcp_requests_total{method=\"tools/call\"} 3") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("solo_mcp_sessions 0") != std::string::npos);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_token_without_deploy_gets_a_tool_error) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "200"});
  auto reader = grant(solo, "alpha", json::array{"status"});
  auto session = initialize(solo, reader);
  auto refused = call_tool(solo, reader, session, 1, "deploy_service", json::object{{"service_id", "echo"}, {"code", kCode}});
  BOOST_TEST(refused.at("isError").as_bool());
  BOOST_TEST(json::serialize(refused).find("forbidden") != std::string::npos, json::serialize(refused));
  BOOST_TEST(test::send(solo, "GET", "/services/echo", "", solo.admin_token(), "alpha").status == 404);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_stream_carries_resource_updates_and_resumes) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "200"});
  auto alice = grant(solo, "alpha", json::array{"tenant_admin"});
  auto other = grant(solo, "beta", json::array{"tenant_admin"});
  auto session = initialize(solo, alice);
  auto subscribed = rpc(solo, alice, session, 1, "resources/subscribe", json::object{{"uri", "solo://events"}});
  BOOST_TEST_REQUIRE(subscribed.contains("result"), json::serialize(subscribed));

  std::string first_id;
  {
    Stream stream(solo, alice, session);
    BOOST_TEST_REQUIRE(test::eventually([&] { return stream.opened(); }, 20s), stream.failure());
    // One stream per session.
    net::HttpClient client(solo.url(), 30s);
    auto second = client.request("GET", "/mcp", "", {{"authorization", "Bearer " + alice},
                                                     {"accept", "text/event-stream"},
                                                     {"mcp-session-id", session}});
    BOOST_TEST(second.status == 409);
    // Another tenant's deploy is not alpha's event log: no update from it.
    auto elsewhere = call_tool(solo, other, initialize(solo, other), 1, "deploy_service",
                               json::object{{"service_id", "far"}, {"code", kCode}});
    BOOST_TEST(!elsewhere.at("isError").as_bool());
    auto deployed = call_tool(solo, alice, session, 2, "deploy_service", json::object{{"service_id", "echo"}, {"code", kCode}});
    BOOST_TEST_REQUIRE(!deployed.at("isError").as_bool(), json::serialize(deployed));
    BOOST_TEST_REQUIRE(test::eventually([&] { return !stream.updates("solo://events").empty(); }, 20s),
                       "no resources/updated on the stream; " << stream.failure());
    first_id = stream.updates("solo://events").front();
    BOOST_TEST(!first_id.empty());
  }
  // Resume: from before the first event, it is replayed (from the buffer).
  {
    Stream resumed(solo, alice, session, "0");
    BOOST_TEST_REQUIRE(test::eventually([&] { return !resumed.updates("solo://events").empty(); }, 20s),
                       resumed.failure());
    BOOST_TEST(resumed.updates("solo://events").front() == first_id);
  }
  // Resume after the last one seen: nothing old, only what is new.
  {
    Stream resumed(solo, alice, session, first_id);
    BOOST_TEST_REQUIRE(test::eventually([&] { return resumed.opened(); }, 20s), resumed.failure());
    auto redeployed = call_tool(solo, alice, session, 3, "deploy_service", json::object{{"service_id", "echo2"}, {"code", kCode}});
    BOOST_TEST_REQUIRE(!redeployed.at("isError").as_bool(), json::serialize(redeployed));
    BOOST_TEST_REQUIRE(test::eventually([&] { return !resumed.updates("solo://events").empty(); }, 20s),
                       resumed.failure());
    for (const auto& id : resumed.updates("solo://events")) BOOST_TEST(std::stoull(id) > std::stoull(first_id));
  }
  auto unsubscribed = rpc(solo, alice, session, 4, "resources/unsubscribe", json::object{{"uri", "solo://events"}});
  BOOST_TEST(unsubscribed.contains("result"));

  // Shutdown ends an open stream, and solo exits cleanly. (Resuming, so that
  // it takes over from the last stream, whose end the server may not have
  // noticed yet: a plain GET would be 409 until its next heartbeat fails.)
  Stream open(solo, alice, session, first_id);
  BOOST_TEST_REQUIRE(test::eventually([&] { return open.opened(); }, 20s),
                     "ended " << open.ended() << " failure " << open.failure());
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
  BOOST_TEST(test::eventually([&] { return open.ended(); }, 20s));
}

BOOST_AUTO_TEST_SUITE_END()
