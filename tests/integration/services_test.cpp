// Services through the real binary's HTTP API (docs/http-api.md, Services; Events
// and logs): the deploy/call/status/list/kill lifecycle with exact statuses and
// shapes, tenants, hot swap with migration and rollback, crashes and restart
// intensity, solo.call between services, overload (503) and timeout (504),
// and /logs as JSON and SSE.
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "net/sse.hpp"
#include "support/examples.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::WsClient;
namespace json = boost::json;

using solo::test::eventually;

namespace {

using solo::test::example;

// One HTTP client with the admin token, acting for one tenant through
// X-Tenant-ID ("" = no header: the tenant "default").
struct Api {
  Api(const SoloProcess& solo, std::string tenant_id = "")
      : client(solo.client(std::chrono::seconds(30), tenant_id)), tenant(std::move(tenant_id)) {}

  net::ClientResponse send(std::string_view method, const std::string& target, const std::string& body = {}) {
    return client.request(method, target, body);
  }

  net::ClientResponse deploy(const std::string& id, const std::string& code, json::object extra = {}) {
    extra["service_id"] = id;
    extra["code"] = code;
    return send("POST", "/services", json::serialize(extra));
  }

  net::ClientResponse call(const std::string& id, const json::value& msg) {
    return send("POST", "/services/" + id + "/call", json::serialize(msg));
  }

  // A call that must succeed; returns the reply.
  json::value reply(const std::string& id, const json::value& msg) {
    auto response = call(id, msg);
    BOOST_TEST_REQUIRE(response.status == 200, id << " " << json::serialize(msg) << ": " << response.body);
    return json::parse(response.body).at("reply");
  }

  json::object status(const std::string& id) {
    auto response = send("GET", "/services/" + id);
    BOOST_TEST_REQUIRE(response.status == 200, response.body);
    return json::parse(response.body).as_object();
  }

  json::array events(const std::string& query) {
    auto response = send("GET", "/events?" + query);
    BOOST_TEST_REQUIRE(response.status == 200, response.body);
    return json::parse(response.body).at("events").as_array();
  }

  net::HttpClient client;
  std::string tenant;
};

json::object body_of(const net::ClientResponse& response) { return json::parse(response.body).as_object(); }

// The error shape of docs/http-api.md with the given status and code.
void expect_error(const net::ClientResponse& response, int status, const std::string& code) {
  BOOST_TEST(response.status == status, response.body);
  auto body = body_of(response);
  BOOST_TEST(body.at("error").as_string() == code);
  BOOST_TEST(body.at("message").is_string());
  BOOST_TEST(body.contains("timestamp"));
}


std::vector<std::string> ids(const json::object& page) {
  std::vector<std::string> out;
  for (const auto& service : page.at("services").as_array()) out.emplace_back(service.at("service_id").as_string());
  return out;
}

const char* kCrashOnBoom = R"(
function init(config) return { count = 0 } end
function handle_call(msg, state)
  if msg.op == "boom" then error("boom requested") end
  state.count = state.count + 1
  return { count = state.count }, state
end
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(services)

BOOST_AUTO_TEST_CASE(deploy_call_status_list_and_kill_answer_with_the_documented_statuses_and_shapes) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);

  auto deployed = api.deploy("counter", example("counter.lua"));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  auto body = body_of(deployed);
  BOOST_TEST(body.at("service_id").as_string() == "counter");
  BOOST_TEST(body.at("status").as_string() == "deployed");
  BOOST_TEST(body.at("version").as_int64() == 1);

  auto called = api.call("counter", json::object{{"op", "inc"}, {"by", 2}});
  BOOST_TEST(called.status == 200);
  BOOST_TEST(json::parse(called.body) == json::parse(R"({"reply": {"count": 2}})"));
  BOOST_TEST(api.reply("counter", json::object{{"op", "inc"}}).at("count").as_int64() == 3);

  auto status = api.status("counter");
  for (const char* key : {"service_id", "status", "alive", "version", "code_sha256", "memory_bytes",
                          "message_queue_len", "reductions", "cpu_time_ms", "restarts", "created_at",
                          "updated_at"}) {
    BOOST_TEST(status.contains(key), key);
  }
  BOOST_TEST(status.at("status").as_string() == "running");
  BOOST_TEST(status.at("alive").as_bool());
  BOOST_TEST(status.at("version").as_int64() == 1);
  BOOST_TEST(status.at("code_sha256").as_string().size() == 64u);
  BOOST_TEST(status.at("memory_bytes").as_int64() > 0);
  BOOST_TEST(status.at("reductions").as_int64() >= 0);
  BOOST_TEST(status.at("cpu_time_ms").as_double() > 0);  // init and two calls ran
  BOOST_TEST(status.at("restarts").as_int64() == 0);

  for (const char* id : {"alpha", "beta", "gamma"}) BOOST_TEST(api.deploy(id, example("counter.lua")).status == 201);
  auto first = api.send("GET", "/services?limit=2&offset=0");
  BOOST_TEST_REQUIRE(first.status == 200);
  auto page = body_of(first);
  BOOST_TEST(page.at("total").as_int64() == 4);
  BOOST_TEST(page.at("limit").as_int64() == 2);
  BOOST_TEST(page.at("offset").as_int64() == 0);
  BOOST_TEST((ids(page) == std::vector<std::string>{"alpha", "beta"}));
  page = body_of(api.send("GET", "/services?limit=2&offset=2"));
  BOOST_TEST((ids(page) == std::vector<std::string>{"counter", "gamma"}));
  BOOST_TEST(body_of(api.send("GET", "/services?status=running")).at("total").as_int64() == 4);
  BOOST_TEST(body_of(api.send("GET", "/services?status=crashed")).at("total").as_int64() == 0);
  expect_error(api.send("GET", "/services?limit=0"), 400, "invalid_request");

  auto killed = api.send("DELETE", "/services/counter");
  BOOST_TEST(killed.status == 202, killed.body);
  BOOST_TEST(body_of(killed).at("service_id").as_string() == "counter");
  BOOST_TEST(body_of(killed).at("status").as_string() == "killed");
  expect_error(api.send("GET", "/services/counter"), 404, "not_found");
  expect_error(api.call("counter", json::object{{"op", "get"}}), 404, "not_found");
  expect_error(api.send("DELETE", "/services/counter"), 404, "not_found");
  BOOST_TEST(body_of(api.send("GET", "/services")).at("total").as_int64() == 3);
  BOOST_TEST(api.send("DELETE", "/services/alpha?force=true").status == 202);

  std::vector<std::string> types;
  for (const auto& event : api.events("service_id=counter&limit=100")) {
    types.emplace_back(event.at("event_type").as_string());
  }
  BOOST_TEST((types == std::vector<std::string>{"service_deployed", "service_started", "service_killed"}));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_400_and_a_compile_error_names_the_line) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  auto broken = api.deploy("broken", "function init(config)\n  return {}\nend\nfunction handle_call(msg, state)\n  return 1 +\nend\n");
  expect_error(broken, 400, "invalid_request");
  auto message = std::string(body_of(broken).at("message").as_string());
  BOOST_TEST(message.find(":6:") != std::string::npos, message);
  expect_error(api.send("GET", "/services/broken"), 404, "not_found");

  expect_error(api.deploy("bad id!", example("counter.lua")), 400, "invalid_request");
  expect_error(api.deploy(".hidden", example("counter.lua")), 400, "invalid_request");
  expect_error(api.send("POST", "/services", "{not json"), 400, "invalid_request");
  expect_error(api.send("POST", "/services", R"({"service_id": "x"})"), 400, "invalid_request");
  expect_error(api.deploy("x", example("counter.lua"), json::object{{"format", "cobol"}}), 400, "invalid_request");
  expect_error(api.deploy("x", example("counter.lua"), json::object{{"limits", {{"bogus", 1}}}}), 400,
               "invalid_request");

  BOOST_TEST(api.deploy("counter", example("counter.lua")).status == 201);
  expect_error(api.send("POST", "/services/counter/call", "{oops"), 400, "invalid_request");
  auto unknown_op = api.call("counter", json::object{{"op", "nope"}});
  expect_error(unknown_op, 500, "service_error");
  BOOST_TEST(std::string(body_of(unknown_op).at("message").as_string()).find("unknown op nope") != std::string::npos,
             unknown_op.body);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_duplicate_is_409_and_unknown_or_other_tenants_services_are_404) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api alice(solo, "alice");
  Api bob(solo, "bob");
  Api anonymous(solo);
  BOOST_TEST(alice.deploy("counter", example("counter.lua")).status == 201);
  expect_error(alice.deploy("counter", example("counter.lua")), 409, "conflict");

  expect_error(alice.send("GET", "/services/nobody"), 404, "not_found");
  expect_error(alice.call("nobody", json::object{}), 404, "not_found");
  expect_error(alice.send("POST", "/services/nobody/cast", "{}"), 404, "not_found");
  expect_error(alice.send("PUT", "/services/nobody/code", R"({"code": "function handle_call() end"})"), 404,
               "not_found");
  for (Api* other : {&bob, &anonymous}) {
    expect_error(other->send("GET", "/services/counter"), 404, "not_found");
    expect_error(other->call("counter", json::object{{"op", "get"}}), 404, "not_found");
    expect_error(other->send("DELETE", "/services/counter"), 404, "not_found");
    BOOST_TEST(body_of(other->send("GET", "/services")).at("total").as_int64() == 0);
  }
  // The same id in another tenant is another service.
  BOOST_TEST(bob.deploy("counter", example("counter.lua")).status == 201);
  bob.reply("counter", json::object{{"op", "inc"}, {"by", 10}});
  BOOST_TEST(alice.reply("counter", json::object{{"op", "get"}}).at("count").as_int64() == 0);
  expect_error(Api(solo, "bad tenant!").send("GET", "/services"), 400, "invalid_request");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_cast_is_202_and_is_handled_in_mailbox_order) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  BOOST_TEST_REQUIRE(api.deploy("counter", example("counter.lua")).status == 201);
  for (int i = 0; i < 5; ++i) {
    auto cast = api.send("POST", "/services/counter/cast", R"({"op": "inc", "by": 2})");
    BOOST_TEST(cast.status == 202, cast.body);
  }
  BOOST_TEST(api.reply("counter", json::object{{"op", "get"}}).at("count").as_int64() == 10);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_hot_swap_keeps_the_state_through_code_change) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  BOOST_TEST_REQUIRE(api.deploy("kv", example("kv.lua")).status == 201);
  api.reply("kv", json::object{{"op", "put"}, {"key", "a"}, {"value", 1}});
  api.reply("kv", json::object{{"op", "put"}, {"key", "b"}, {"value", {{"nested", true}}}});
  auto sha1 = api.status("kv").at("code_sha256");

  json::object swap{{"code", example("kv_v2.lua")}};
  auto swapped = api.send("PUT", "/services/kv/code", json::serialize(swap));
  BOOST_TEST_REQUIRE(swapped.status == 200, swapped.body);
  BOOST_TEST(body_of(swapped).at("version").as_int64() == 2);

  BOOST_TEST(api.reply("kv", json::object{{"op", "stats"}}) == json::parse(R"({"count": 2, "schema": 2})"));
  BOOST_TEST(api.reply("kv", json::object{{"op", "get"}, {"key", "b"}}) ==
             json::parse(R"({"key": "b", "value": {"nested": true}})"));
  BOOST_TEST(api.reply("kv", json::object{{"op", "put"}, {"key", "c"}, {"value", 3}}).at("count").as_int64() == 3);
  auto status = api.status("kv");
  BOOST_TEST(status.at("version").as_int64() == 2);
  BOOST_TEST(status.at("code_sha256") != sha1);

  std::vector<std::string> types;
  for (const auto& event : api.events("service_id=kv")) types.emplace_back(event.at("event_type").as_string());
  BOOST_TEST(std::count(types.begin(), types.end(), "hot_swap_started") == 1);
  BOOST_TEST(std::count(types.begin(), types.end(), "hot_swap_succeeded") == 1);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_swap_that_does_not_compile_is_400_and_leaves_version_1_running) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  BOOST_TEST_REQUIRE(api.deploy("counter", example("counter.lua")).status == 201);
  api.reply("counter", json::object{{"op", "inc"}, {"by", 7}});
  json::object swap{{"code", "function handle_call(msg, state)\n  return (\nend\n"}};
  auto swapped = api.send("PUT", "/services/counter/code", json::serialize(swap));
  expect_error(swapped, 400, "invalid_request");
  BOOST_TEST(std::string(body_of(swapped).at("message").as_string()).find(":3:") != std::string::npos, swapped.body);
  BOOST_TEST(api.status("counter").at("version").as_int64() == 1);
  BOOST_TEST(api.reply("counter", json::object{{"op", "get"}}).at("count").as_int64() == 7);
  expect_error(api.send("PUT", "/services/counter/code", R"({"code": 5})"), 400, "invalid_request");
  expect_error(api.send("PUT", "/services/counter/code", R"({"code": "x = 1", "rollback_window_ms": -1})"), 400,
               "invalid_request");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_crash_inside_the_rollback_window_restores_the_old_code_and_state) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  BOOST_TEST_REQUIRE(api.deploy("counter", example("counter.lua")).status == 201);
  api.reply("counter", json::object{{"op", "inc"}, {"by", 5}});
  json::object swap{{"code", "function handle_call(msg, state) error('version 2 is broken') end"},
                    {"rollback_window_ms", 30000}};
  auto swapped = api.send("PUT", "/services/counter/code", json::serialize(swap));
  BOOST_TEST_REQUIRE(swapped.status == 200, swapped.body);
  BOOST_TEST(body_of(swapped).at("version").as_int64() == 2);

  auto failed = api.call("counter", json::object{{"op", "get"}});
  expect_error(failed, 500, "service_error");
  BOOST_TEST(std::string(body_of(failed).at("message").as_string()).find("version 2 is broken") != std::string::npos,
             failed.body);
  BOOST_TEST(eventually([&] { return !api.events("service_id=counter&type=hot_swap_rolled_back").empty(); }));
  BOOST_TEST(eventually([&] { return api.status("counter").at("status").as_string() == "running"; }));
  BOOST_TEST(api.reply("counter", json::object{{"op", "get"}}).at("count").as_int64() == 5);
  BOOST_TEST(api.status("counter").at("version").as_int64() == 1);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_crash_restarts_within_the_intensity_and_past_it_the_service_stays_crashed) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  json::object restart{{"restart", {{"max_restarts", 2}, {"max_seconds", 60}}}};
  BOOST_TEST_REQUIRE(api.deploy("fragile", kCrashOnBoom, restart).status == 201);
  BOOST_TEST_REQUIRE(api.deploy("bystander", example("counter.lua")).status == 201);
  api.reply("fragile", json::object{{"op", "inc"}});
  api.reply("fragile", json::object{{"op", "inc"}});

  for (int crash = 1; crash <= 2; ++crash) {
    auto failed = api.call("fragile", json::object{{"op", "boom"}});
    expect_error(failed, 500, "service_error");
    BOOST_TEST(failed.body.find("boom requested") != std::string::npos, failed.body);
    BOOST_TEST(eventually([&] {
      auto status = api.status("fragile");
      return status.at("status").as_string() == "running" && status.at("restarts").as_int64() == crash;
    }));
    // A restart runs init again: the state starts over.
    BOOST_TEST(api.reply("fragile", json::object{{"op", "inc"}}).at("count").as_int64() == 1);
  }
  expect_error(api.call("fragile", json::object{{"op", "boom"}}), 500, "service_error");
  BOOST_TEST(eventually([&] { return api.status("fragile").at("status").as_string() == "crashed"; }));
  auto status = api.status("fragile");
  BOOST_TEST(!status.at("alive").as_bool());
  auto after = api.call("fragile", json::object{{"op", "inc"}});
  expect_error(after, 500, "service_error");
  BOOST_TEST(body_of(api.send("GET", "/services?status=crashed")).at("total").as_int64() == 1);
  // Events are committed in the background (group commit): wait for the last.
  BOOST_TEST(eventually([&] { return api.events("service_id=fragile&type=service_crashed").size() == 3u; }));
  BOOST_TEST(api.events("service_id=fragile&type=service_restarted").size() == 2u);
  auto last_crash = api.events("service_id=fragile&type=service_crashed").back().at("payload");
  BOOST_TEST(last_crash.at("will_restart").as_bool() == false);
  BOOST_TEST(api.reply("bystander", json::object{{"op", "inc"}}).at("count").as_int64() == 1);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(ping_calls_pong_and_self_calls_and_cycles_fail_quickly_with_a_clear_error) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  BOOST_TEST_REQUIRE(api.deploy("pong", example("pong.lua")).status == 201);
  BOOST_TEST_REQUIRE(api.deploy("ping", example("ping.lua")).status == 201);
  BOOST_TEST(api.reply("ping", json::object{{"op", "ping"}}) ==
             json::parse(R"({"sent": 1, "reply": {"pong": 1, "from": "pong"}})"));
  BOOST_TEST(api.reply("pong", json::object{{"op", "ask"}}).at("ping_says").at("pings").as_int64() == 1);
  api.reply("ping", json::object{{"op", "rally"}, {"n", 10}});
  BOOST_TEST(eventually([&] {
    return api.reply("ping", json::object{{"op", "stats"}}).at("volleys").as_int64() == 5 &&
           api.reply("pong", json::object{{"op", "stats"}}).at("volleys").as_int64() == 5;
  }));

  BOOST_TEST_REQUIRE(
      api.deploy("narcissus", "function handle_call(msg, state) return solo.call(solo.service_id, msg), state end")
          .status == 201);
  BOOST_TEST_REQUIRE(
      api.deploy("a", "function handle_call(msg, state) return solo.call('b', msg), state end").status == 201);
  BOOST_TEST_REQUIRE(
      api.deploy("b", "function handle_call(msg, state) return solo.call('a', msg), state end").status == 201);
  for (const char* id : {"narcissus", "a"}) {
    auto started = std::chrono::steady_clock::now();
    auto failed = api.call(id, json::object{});
    auto elapsed = std::chrono::steady_clock::now() - started;
    expect_error(failed, 500, "service_error");
    BOOST_TEST(failed.body.find("cycle") != std::string::npos, failed.body);
    BOOST_TEST((elapsed < std::chrono::seconds(1)), id);
  }
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

// A service that queues work for itself: {"op": "fill", "n": N} casts N work
// items to its own mailbox at once (as many as fit) and replies how many were
// queued; each work item burns CPU for about `loops` iterations. The HTTP
// server shares the engine thread, so only a burst from inside the engine
// fills a mailbox deterministically.
std::string self_loading(int loops) {
  return R"(
function init(config) return { handled = 0 } end
function handle_cast(msg, state)
  local x = 0
  for i = 1, )" + std::to_string(loops) + R"( do x = x + i end
  state.handled = state.handled + 1
  return state
end
function handle_call(msg, state)
  if msg.op == "fill" then
    local queued = 0
    for i = 1, msg.n do
      if pcall(solo.cast, solo.service_id, { work = i }) then queued = queued + 1 end
    end
    return { queued = queued }, state
  end
  return { handled = state.handled }, state
end
)";
}

BOOST_AUTO_TEST_CASE(a_full_mailbox_is_503_overloaded_with_retry_after_and_nothing_queued) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  // ~20-40 ms per item; the engine takes one slice per loop turn, and an HTTP
  // request needs several turns, so one client alone would find the mailbox
  // drained a little each time. Twelve clients, connected beforehand, send
  // their casts at once: they arrive within the same few turns, while the
  // mailbox holds nearly 20.
  json::object limits{{"limits", {{"mailbox", 20}, {"instructions_per_message", 500000000}, {"cpu_ms_per_message", 2000}}}};
  BOOST_TEST_REQUIRE(api.deploy("busy", self_loading(2'000'000), limits).status == 201);
  constexpr int kClients = 12;
  std::vector<net::HttpClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(solo.client(std::chrono::seconds(30)));
    clients.back().keep_alive(true);  // accepted now: the engine accepts one connection per turn
    BOOST_TEST_REQUIRE(clients.back().request("GET", "/health").status == 200);  // connected
  }
  auto filled = api.reply("busy", json::object{{"op", "fill"}, {"n", 40}});
  BOOST_TEST(filled.at("queued").as_int64() == 20);

  std::vector<net::ClientResponse> answers(kClients);
  {
    std::vector<std::thread> senders;
    for (int i = 0; i < kClients; ++i) {
      senders.emplace_back([&, i] { answers[i] = clients[i].request("POST", "/services/busy/cast", "{}"); });
    }
    for (auto& sender : senders) sender.join();
  }
  int accepted = 0, refused = 0;
  for (const auto& response : answers) {
    if (response.status == 202) {
      ++accepted;
      continue;
    }
    expect_error(response, 503, "overloaded");
    BOOST_TEST(response.header("retry-after").has_value());
    ++refused;
  }
  BOOST_TEST(refused > 0);
  auto call = api.call("busy", json::object{});
  if (call.status != 200) {
    expect_error(call, 503, "overloaded");
    BOOST_TEST(call.header("retry-after").has_value());
  }
  // Only what was accepted ran: nothing refused was queued.
  const int64_t expected = 20 + accepted;
  BOOST_TEST(eventually([&] {
    auto response = api.call("busy", json::object{});
    return response.status == 200 && json::parse(response.body).at("reply").at("handled").as_int64() == expected;
  }));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

// A swap queues behind the messages before it; when the mailbox is full it is
// refused like a call or a cast: 503 overloaded with Retry-After, over HTTP
// and as a WebSocket op, and the running version is untouched. (Before: 400
// invalid_request, as if the code were at fault.) The service jams itself: a
// cast fills its own mailbox, then runs long (sliced, so the server keeps
// answering) while the mailbox stays full.
BOOST_AUTO_TEST_CASE(a_swap_of_a_service_whose_mailbox_is_full_is_503_overloaded_with_retry_after) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  const std::string jam = R"(
function handle_cast(msg, state)
  if msg.op == "jam" then
    while pcall(solo.cast, solo.service_id, { op = "wait" }) do end
    local x = 0
    for i = 1, 4000000000 do x = x + i end
  end
  return state
end
function handle_call(msg, state) return "v1", state end
)";
  json::object limits{{"limits", {{"mailbox", 4}, {"instructions_per_message", 10000000000}, {"cpu_ms_per_message", 10000}}}};
  BOOST_TEST_REQUIRE(api.deploy("jammed", jam, limits).status == 201);
  BOOST_TEST_REQUIRE(api.send("POST", "/services/jammed/cast", R"({"op": "jam"})").status == 202);
  BOOST_TEST_REQUIRE(eventually([&] { return api.status("jammed").at("message_queue_len").as_int64() == 4; }));

  const std::string v2 = "function handle_call(msg, state) return 'v2', state end";
  const auto swapped = api.send("PUT", "/services/jammed/code", json::serialize(json::object{{"code", v2}}));
  expect_error(swapped, 503, "overloaded");
  BOOST_TEST(swapped.header("retry-after").value_or("") == "1", swapped.body);
  BOOST_TEST(std::string(body_of(swapped).at("message").as_string()).find("mailbox full") != std::string::npos,
             swapped.body);

  WsClient websocket(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!websocket.error);
  const auto op = websocket.op(1, "swap", json::object{{"service_id", "jammed"}, {"code", v2}});
  BOOST_TEST(op.at("ok").as_bool() == false, json::serialize(op));
  BOOST_TEST(op.at("error").at("error").as_string() == "overloaded", json::serialize(op));
  BOOST_TEST(op.at("error").at("status").as_int64() == 503, json::serialize(op));
  BOOST_TEST(op.at("error").at("retry_after").as_string() == "1", json::serialize(op));
  BOOST_TEST(api.status("jammed").at("version").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(a_call_past_the_call_timeout_is_504) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  // Forty queued items of ~20-40 ms each (the engine takes one slice per loop turn,
  // and the HTTP request itself needs a few turns to arrive): a call behind
  // them waits far longer than its 150 ms call timeout.
  json::object limits{{"limits", {{"call_timeout_ms", 150}, {"instructions_per_message", 1000000000}, {"cpu_ms_per_message", 2000}}}};
  BOOST_TEST_REQUIRE(api.deploy("slow", self_loading(2'000'000), limits).status == 201);
  BOOST_TEST(api.reply("slow", json::object{{"op", "fill"}, {"n", 40}}).at("queued").as_int64() == 40);
  auto started = std::chrono::steady_clock::now();
  auto late = api.call("slow", json::object{});
  expect_error(late, 504, "timeout");
  BOOST_TEST(late.body.find("150 ms") != std::string::npos, late.body);
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(3)));
  // Once the queue drains it answers again, and every item ran.
  BOOST_TEST(eventually([&] {
    auto response = api.call("slow", json::object{});
    return response.status == 200 && json::parse(response.body).at("reply").at("handled").as_int64() == 40;
  }));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(logs_are_served_as_json_pages_and_as_an_sse_stream) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "100"});
  Api api(solo);
  const char* chatty = R"(
function handle_call(msg, state)
  solo.log(msg.level or "info", msg.text)
  return true, state
end
)";
  BOOST_TEST_REQUIRE(api.deploy("chatty", chatty).status == 201);
  BOOST_TEST_REQUIRE(api.deploy("quiet", chatty).status == 201);
  api.reply("chatty", json::object{{"text", "one"}});
  api.reply("chatty", json::object{{"level", "error"}, {"text", "two"}});
  api.reply("quiet", json::object{{"level", "debug"}, {"text", "three"}});

  auto all = api.send("GET", "/logs");
  BOOST_TEST_REQUIRE(all.status == 200, all.body);
  auto body = body_of(all);
  const auto& logs = body.at("logs").as_array();
  BOOST_TEST_REQUIRE(logs.size() == 3u);
  BOOST_TEST(logs[0].at("service_id").as_string() == "chatty");
  BOOST_TEST(logs[0].at("level").as_string() == "info");
  BOOST_TEST(logs[0].at("message").as_string() == "one");
  BOOST_TEST(body.at("next") == logs[2].at("id"));
  auto errors = body_of(api.send("GET", "/logs?level=error")).at("logs").as_array();
  BOOST_TEST_REQUIRE(errors.size() == 1u);
  BOOST_TEST(errors[0].at("message").as_string() == "two");
  BOOST_TEST(body_of(api.send("GET", "/logs?service_id=quiet")).at("logs").as_array().size() == 1u);
  auto since = std::to_string(logs[0].at("id").as_int64());
  BOOST_TEST(body_of(api.send("GET", "/logs?since=" + since)).at("logs").as_array().size() == 2u);
  BOOST_TEST(body_of(Api(solo, "other").send("GET", "/logs")).at("logs").as_array().empty());
  expect_error(api.send("GET", "/logs?level=loud"), 400, "invalid_request");

  // SSE: the stored lines of chatty, then a live one.
  std::vector<std::string> seen;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Api(solo).reply("chatty", json::object{{"text", "live"}});
  });
  auto stream_client = solo.client(std::chrono::seconds(5));
  net::SseParser parser;
  stream_client.stream("/logs?service_id=chatty", {{"accept", "text/event-stream"}}, [&](std::string_view piece) {
    for (auto& event : parser.feed(piece)) {
      BOOST_TEST(event.event == "log");
      auto line = json::parse(event.data);
      BOOST_TEST(event.id.value_or("") == std::to_string(line.at("id").as_int64()));
      seen.emplace_back(line.at("message").as_string());
    }
    return seen.size() < 3;
  });
  writer.join();
  BOOST_TEST((seen == std::vector<std::string>{"one", "two", "live"}));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
