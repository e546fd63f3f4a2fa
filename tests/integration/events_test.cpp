// GET /events through the real binary (docs/http-api.md, "Events and logs"):
// `since_id`, the name clients of the original Solo API pass, is an alias of
// `since` for a page, for the SSE stream, and for the WebSocket `events` and
// `watch` ops; both given and different is 400 `invalid_request` in the error
// shape, as is a `since_id` that is not a non-negative integer.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "net/sse.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::WsClient;
namespace json = boost::json;

namespace {

constexpr const char* kEcho = R"(
function init(config) return {} end
function handle_call(msg, state) return msg, state end
)";

std::vector<std::int64_t> ids_of(const json::array& events) {
  std::vector<std::int64_t> ids;
  for (const auto& event : events) ids.push_back(event.at("id").as_int64());
  return ids;
}

std::vector<std::int64_t> ids_of(const net::ClientResponse& response) {
  const auto body = json::parse(response.body);
  return ids_of(body.at("events").as_array());
}

void deploy(net::HttpClient& client, const std::string& id) {
  json::object body;
  body["service_id"] = id;
  body["code"] = kEcho;
  auto response = client.request("POST", "/services", json::serialize(body));
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
}

// Deploys two services, waits until both have started (service_started
// follows the deploy's answer), and returns the ids of every event in the
// log then: nothing more is appended until the test acts.
std::vector<std::int64_t> logged_ids(net::HttpClient& client) {
  deploy(client, "one");
  deploy(client, "two");
  BOOST_TEST_REQUIRE(test::eventually([&] {
    return ids_of(client.request("GET", "/events?since=0&type=service_started")).size() == 2;
  }));
  auto all = ids_of(client.request("GET", "/events?since=0&limit=1000"));
  BOOST_TEST_REQUIRE(all.size() >= 5u);
  return all;
}

// A 400 in the documented error shape whose message names `word`.
void expect_invalid_request(const net::ClientResponse& response, const std::string& word) {
  BOOST_TEST(response.status == 400, response.body);
  const auto body = json::parse(response.body).as_object();
  BOOST_TEST(body.at("error").as_string() == "invalid_request");
  BOOST_TEST(std::string(body.at("message").as_string()).find(word) != std::string::npos, response.body);
  BOOST_TEST(!body.at("timestamp").as_string().empty());
}

json::object args_of(std::initializer_list<std::pair<std::string, json::value>> fields) {
  json::object args;
  for (const auto& [key, value] : fields) args[key] = value;
  return args;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE(since_id_is_an_alias_of_since_for_a_page) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client();
  const auto all = logged_ids(client);
  const auto cursor = all[1];
  const std::vector<std::int64_t> after(all.begin() + 2, all.end());

  const auto by_since = client.request("GET", "/events?limit=1000&since=" + std::to_string(cursor));
  BOOST_TEST_REQUIRE(by_since.status == 200, by_since.body);
  BOOST_TEST(ids_of(by_since) == after);
  const auto by_alias = client.request("GET", "/events?limit=1000&since_id=" + std::to_string(cursor));
  BOOST_TEST_REQUIRE(by_alias.status == 200, by_alias.body);
  BOOST_TEST(ids_of(by_alias) == after);
  BOOST_TEST(json::parse(by_alias.body).at("next").as_int64() == after.back());
  // Both, the same: fine.
  const auto both = client.request(
      "GET", "/events?limit=1000&since=" + std::to_string(cursor) + "&since_id=" + std::to_string(cursor));
  BOOST_TEST_REQUIRE(both.status == 200, both.body);
  BOOST_TEST(ids_of(both) == after);
  // Both, different: which one the client meant is unknown.
  expect_invalid_request(client.request("GET", "/events?since=0&since_id=" + std::to_string(cursor)), "since_id");
  // A since_id that is no cursor at all.
  expect_invalid_request(client.request("GET", "/events?since_id=yesterday"), "since_id");
  expect_invalid_request(client.request("GET", "/events?since_id=-1"), "since_id");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(since_id_is_an_alias_of_since_for_the_sse_stream) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "100"});
  auto client = solo.client(std::chrono::seconds(5));
  const auto all = logged_ids(client);
  const auto cursor = all[1];

  net::SseParser parser;
  std::vector<std::int64_t> seen;
  int heartbeats = 0;
  client.stream("/events?since_id=" + std::to_string(cursor), {{"accept", "text/event-stream"}},
                [&](std::string_view piece) {
                  if (piece.find(": heartbeat") != std::string_view::npos) ++heartbeats;
                  for (auto& event : parser.feed(piece)) seen.push_back(std::stoll(event.id.value_or("0")));
                  return heartbeats < 2;
                });
  BOOST_TEST_REQUIRE(!seen.empty());
  BOOST_TEST(seen.front() == all[2]);
  BOOST_TEST(std::vector<std::int64_t>(all.begin() + 2, all.end()) ==
             std::vector<std::int64_t>(seen.begin(), seen.begin() + std::min(seen.size(), all.size() - 2)));
  // The stream refuses the conflict before it starts.
  expect_invalid_request(client.request("GET", "/events?since=1&since_id=2", "", {{"accept", "text/event-stream"}}),
                         "since_id");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(since_id_is_an_alias_of_since_for_the_websocket_events_and_watch_ops) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto http = solo.client();
  const auto all = logged_ids(http);
  const auto cursor = all[1];
  const std::vector<std::int64_t> after(all.begin() + 2, all.end());

  WsClient client(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!client.error, client.error.message());
  auto page = client.op(1, "events", args_of({{"since_id", cursor}, {"limit", 1000}}));
  BOOST_TEST_REQUIRE(page.at("ok").as_bool(), json::serialize(page));
  BOOST_TEST(ids_of(page.at("result").at("events").as_array()) == after);
  auto conflict = client.op(2, "events", args_of({{"since", 0}, {"since_id", cursor}}));
  BOOST_TEST(!conflict.at("ok").as_bool());
  BOOST_TEST(conflict.at("error").at("error").as_string() == "invalid_request");
  BOOST_TEST(conflict.at("error").at("status").as_int64() == 400);

  auto refused = client.op(3, "watch", args_of({{"since", 0}, {"since_id", cursor}}));
  BOOST_TEST(!refused.at("ok").as_bool());
  BOOST_TEST(refused.at("error").at("error").as_string() == "invalid_request");
  BOOST_TEST(std::string(refused.at("error").at("message").as_string()).find("since_id") != std::string::npos);

  auto watching = client.op(4, "watch", args_of({{"since_id", cursor}}));
  BOOST_TEST_REQUIRE(watching.at("ok").as_bool(), json::serialize(watching));
  BOOST_TEST(watching.at("result").at("since").as_int64() == cursor);
  std::vector<std::int64_t> seen;
  while (seen.size() < after.size()) {
    auto frame = client.next([](const json::object& f) { return f.contains("event"); });
    seen.push_back(frame.at("event").at("id").as_int64());
  }
  BOOST_TEST(seen == after);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
