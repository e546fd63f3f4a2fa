// The real `solo serve`: boot, /health, /metrics, /events with SSE, the timed
// shutdown on SIGTERM, a second signal, and a crash (SIGKILL) told from a
// clean stop at the next start.
#include <signal.h>

#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "net/sse.hpp"
#include "stores/sqlite.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;

namespace {

struct Row {
  int64_t id;
  std::string type;
  std::string payload;
};

std::vector<Row> read_events(const std::filesystem::path& db_path) {
  SqliteDatabase db(db_path, OpenOptions{.read_only = true});
  SqliteStatement statement(db.handle(), "SELECT id, event_type, payload FROM events ORDER BY id");
  std::vector<Row> rows;
  while (statement.step()) rows.push_back({statement.column_int(0), statement.column_text(1), statement.column_text(2)});
  return rows;
}

boost::json::object get_json(net::HttpClient& client, const std::string& target, int expected_status = 200) {
  auto response = client.request("GET", target);
  BOOST_TEST_REQUIRE(response.status == expected_status, target << ": " << response.body);
  return boost::json::parse(response.body).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serve)

BOOST_AUTO_TEST_CASE(serve_prints_its_url_and_answers_health_metrics_and_events) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  BOOST_TEST(solo.url().rfind("http://127.0.0.1:", 0) == 0);
  auto client = solo.client();
  auto health = get_json(client, "/health");
  BOOST_TEST(health.at("status").as_string() == "healthy");
  BOOST_TEST(health.at("events").as_int64() >= 1);
  // The body is written by hand (net/api/system_routes.cpp): it must be the
  // very bytes boost::json writes for the same object, keys in this order.
  const auto raw = client.request("GET", "/health");
  BOOST_TEST(raw.status == 200);
  const auto parsed = boost::json::parse(raw.body);
  BOOST_TEST(boost::json::serialize(parsed) == raw.body);
  std::vector<std::string> keys;
  for (const auto& field : parsed.as_object()) keys.emplace_back(field.key());
  BOOST_TEST((keys == std::vector<std::string>{"status", "version", "services", "events", "uptime_s", "timestamp"}));
  BOOST_TEST(parsed.at("timestamp").as_string().size() == 24u);

  auto metrics = client.request("GET", "/metrics");
  BOOST_TEST(metrics.status == 200);
  for (const char* name : {"solo_events_appended_total", "solo_store_commits_total", "solo_store_batch_size_bucket",
                           "solo_store_commit_seconds_bucket", "solo_uptime_seconds", "solo_http_requests_total"}) {
    BOOST_TEST(metrics.body.find(name) != std::string::npos, name);
  }

  auto events = get_json(client, "/events?since=0&limit=10");
  const auto& list = events.at("events").as_array();
  BOOST_TEST_REQUIRE(!list.empty());
  BOOST_TEST(list[0].at("id").as_int64() == 1);
  // The first start grants the admin token, then announces itself.
  BOOST_TEST(list[0].at("event_type").as_string() == "capability_granted");
  BOOST_TEST(list.back().at("event_type").as_string() == "system_started");

  auto bad = client.request("GET", "/events?limit=0");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(boost::json::parse(bad.body).at("error").as_string() == "invalid_request");
  BOOST_TEST(client.request("GET", "/nowhere").status == 404);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_exits_zero_with_shutdown_complete_last_and_the_next_start_reports_clean) {
  test::TempDir dir;
  {
    SoloProcess solo(dir / "data");
    auto started = std::chrono::steady_clock::now();
    BOOST_TEST(solo.terminate(std::chrono::seconds(12)).value_or(-1) == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(10)));
  }
  auto rows = read_events(dir / "data" / "solo.db");
  BOOST_TEST_REQUIRE(rows.size() >= 3u);
  BOOST_TEST(rows.back().type == "system_shutdown_complete");
  BOOST_TEST(rows[rows.size() - 2].type == "system_shutdown_started");
  {
    SoloProcess solo(dir / "data");
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  rows = read_events(dir / "data" / "solo.db");
  auto first = std::find_if(rows.begin(), rows.end(), [](const Row& r) { return r.type == "system_started"; });
  BOOST_TEST_REQUIRE((first != rows.end()));
  auto restarted = std::find_if(first + 1, rows.end(), [](const Row& r) { return r.type == "system_started"; });
  BOOST_TEST_REQUIRE((restarted != rows.end()));
  BOOST_TEST(boost::json::parse(restarted->payload).at("previous_shutdown").as_string() == "clean");
  for (size_t i = 0; i < rows.size(); ++i) BOOST_TEST(rows[i].id == static_cast<int64_t>(i + 1));
}

BOOST_AUTO_TEST_CASE(a_killed_server_is_reported_as_a_crash_at_the_next_start) {
  test::TempDir dir;
  {
    SoloProcess solo(dir / "data");
    solo.kill9();
  }
  SoloProcess solo(dir / "data");
  auto client = solo.client();
  auto events = get_json(client, "/events?type=system_started");
  const auto& list = events.at("events").as_array();
  BOOST_TEST_REQUIRE(list.size() == 2u);
  BOOST_TEST(list[1].at("payload").at("previous_shutdown").as_string() == "crash");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(sse_streams_events_with_ids_heartbeats_and_resumes_after_last_event_id) {
  test::TempDir dir;
  // Three starts give six events: started/shutdown pairs plus the live start.
  for (int i = 0; i < 2; ++i) {
    SoloProcess solo(dir / "data");
    solo.terminate();
  }
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "100"});
  auto client = solo.client(std::chrono::seconds(5));
  net::SseParser parser;
  std::vector<net::SseEvent> seen;
  int heartbeats = 0;
  client.stream("/events", {{"accept", "text/event-stream"}, {"last-event-id", "2"}}, [&](std::string_view piece) {
    if (piece.find(": heartbeat") != std::string_view::npos) ++heartbeats;
    for (auto& event : parser.feed(piece)) seen.push_back(event);
    return heartbeats < 2;
  });
  // Every stored event after id 2, in order, then the stream idles with heartbeats.
  auto stored = read_events(dir / "data" / "solo.db");
  BOOST_TEST_REQUIRE(seen.size() == stored.size() - 2);
  BOOST_TEST(*seen.front().id == "3");
  BOOST_TEST(*seen.back().id == std::to_string(stored.back().id));
  BOOST_TEST(seen.back().event == "system_started");
  BOOST_TEST(heartbeats >= 2);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(sse_delivers_events_committed_while_the_stream_is_open) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "100"});
  auto client = solo.client(std::chrono::seconds(5));
  net::SseParser parser;
  std::vector<std::string> types;
  bool stopped = false;
  // The stream is open before the shutdown appends its events; the server's
  // drain then ends the stream, after system_shutdown_started was delivered.
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    solo.signal(SIGTERM);
    stopped = true;
  });
  try {
    client.stream("/events?since=1", {{"accept", "text/event-stream"}}, [&](std::string_view piece) {
      for (auto& event : parser.feed(piece)) types.push_back(event.event);
      return true;
    });
  } catch (const std::exception&) {
    // The server closing the stream mid-chunk is a normal end here.
  }
  stopper.join();
  BOOST_TEST(stopped);
  BOOST_TEST(std::count(types.begin(), types.end(), "system_shutdown_started") == 1);
  BOOST_TEST(solo.wait(std::chrono::seconds(12)).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_busy_port_is_a_clear_start_failure) {
  test::TempDir dir;
  SoloProcess first(dir / "one");
  auto port = first.url().substr(first.url().rfind(':') + 1);
  BOOST_CHECK_EXCEPTION(SoloProcess(dir / "two", {"--listen", "127.0.0.1:" + port}), std::runtime_error,
                        [](const std::runtime_error& e) {
                          return std::string(e.what()).find("cannot listen") != std::string::npos;
                        });
  BOOST_TEST(first.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
