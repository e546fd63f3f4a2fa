// HttpServer over real sockets on 127.0.0.1: routing, limits, timeouts,
// streaming and drain. The server runs on its own thread (TestServer); the
// test thread is the client, through HttpClient or a RawConnection.
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"
#include "net/sse.hpp"
#include "unit/net/net_test_support.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <mutex>

namespace solo::net {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;
using test::TestServer;
using Clock = std::chrono::steady_clock;

// ---- Handlers (named coroutines; lambdas only bind their arguments) --------

asio::awaitable<Response> describe_request(Request& request) {
  boost::json::object params, query;
  for (const auto& [key, value] : request.params) params[key] = value;
  for (const auto& [key, value] : request.query) query[key] = value;
  co_return json_response(200, {{"method", request.method},
                                {"path", request.path},
                                {"params", params},
                                {"query", query},
                                {"body", request.body},
                                {"remote", request.remote_address},
                                {"agent", request.header("user-agent").value_or("")}});
}

asio::awaitable<Response> sleep_then_answer(std::chrono::milliseconds delay, Request&) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::use_awaitable);
  co_return json_response(200, {{"slept_ms", delay.count()}});
}

asio::awaitable<Response> throw_secret(Request&) {
  throw std::runtime_error("db password is hunter2");
  co_return Response{};
}

asio::awaitable<Response> count_calls(std::shared_ptr<std::atomic<int>> calls, Request&) {
  ++*calls;
  co_return json_response(200, {{"ok", true}});
}

asio::awaitable<void> produce_events(int count, std::chrono::milliseconds gap,
                                     std::shared_ptr<StreamWriter> writer) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 1; i <= count; ++i) {
    if (!co_await writer->write(format_sse_event(i, "tick", "{\"n\":" + std::to_string(i) + "}"))) {
      co_return;
    }
    if (i == count) break;
    timer.expires_after(gap);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

// Heartbeats until the client goes away or the server cancels it.
asio::awaitable<void> heartbeat_forever(std::shared_ptr<StreamWriter> writer) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (co_await writer->write(sse_heartbeat())) {
    timer.expires_after(20ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

Response stream_of(std::function<asio::awaitable<void>(std::shared_ptr<StreamWriter>)> producer) {
  Response response;
  response.content_type = "text/event-stream";
  response.stream = std::move(producer);
  return response;
}

asio::awaitable<Response> three_ticks(Request&) {
  co_return stream_of([](std::shared_ptr<StreamWriter> writer) {
    return produce_events(3, 250ms, std::move(writer));
  });
}

asio::awaitable<Response> endless_heartbeats(Request&) {
  co_return stream_of(heartbeat_forever);
}

HttpServer::RequestHandler sleeper(std::chrono::milliseconds delay) {
  return [delay](Request& request) { return sleep_then_answer(delay, request); };
}

HttpServerOptions small_limits() {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  options.max_header_bytes = 1024;
  return options;
}

boost::json::object json_of(const std::string& text) { return boost::json::parse(text).as_object(); }

// The body of a raw response ("" if none).
std::string body_of(const std::string& raw) {
  const auto at = raw.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : raw.substr(at + 4);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(a_routed_request_reaches_its_handler_with_params_query_and_body) {
  Router router;
  router.add("POST", "/items/{id}", describe_request);
  TestServer server({}, [&router](Request& request) { return router.route(request); });

  HttpClient client(server.url());
  const auto response = client.request("POST", "/items/a%20b?x=1&y=two%2F", R"({"k":1})");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.header("content-type").value() == "application/json");
  BOOST_TEST(response.header("server").value() == "solo");
  const auto json = json_of(response.body);
  BOOST_TEST(json.at("path").as_string() == "/items/a b");
  BOOST_TEST(json.at("params").at("id").as_string() == "a b");
  BOOST_TEST(json.at("query").at("x").as_string() == "1");
  BOOST_TEST(json.at("query").at("y").as_string() == "two/");
  BOOST_TEST(json.at("body").as_string() == R"({"k":1})");
  BOOST_TEST(json.at("remote").as_string() == "127.0.0.1");
  BOOST_TEST(json.at("agent").as_string() == "solo");
}

BOOST_AUTO_TEST_CASE(unknown_paths_and_wrong_methods_answer_404_and_405_over_the_wire) {
  Router router;
  router.add("GET", "/health", describe_request);
  TestServer server({}, [&router](Request& request) { return router.route(request); });
  HttpClient client(server.url());

  const auto missing = client.request("GET", "/nope");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(json_of(missing.body).at("error").as_string() == "not_found");

  const auto wrong = client.request("DELETE", "/health");
  BOOST_TEST(wrong.status == 405);
  BOOST_TEST(wrong.header("allow").value() == "GET");
}

BOOST_AUTO_TEST_CASE(a_keep_alive_connection_serves_several_requests) {
  TestServer server({}, describe_request);
  RawConnection connection(server.port());
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(connection.send("GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto response = connection.read_response();
    BOOST_TEST(response.rfind("HTTP/1.1 200", 0) == 0u);
    BOOST_TEST(json_of(body_of(response)).at("path").as_string() == "/r" + std::to_string(i));
  }
  // Pipelined: two requests in one write, two answers in order.
  BOOST_REQUIRE(connection.send("GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  BOOST_TEST(json_of(body_of(connection.read_response())).at("path").as_string() == "/p1");
  BOOST_TEST(json_of(body_of(connection.read_response())).at("path").as_string() == "/p2");
  BOOST_TEST(server.server().active_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_declared_oversized_body_gets_413_before_it_is_read) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  TestServer server(small_limits(), [calls](Request& r) { return count_calls(calls, r); });
  RawConnection connection(server.port());
  // Only the head is sent: the answer must not wait for the 10 MB.
  BOOST_REQUIRE(connection.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
  const auto response = connection.read_response();
  BOOST_TEST(response.rfind("HTTP/1.1 413", 0) == 0u);
  BOOST_TEST(json_of(body_of(response)).at("error").as_string() == "too_large");
  BOOST_TEST(connection.closed_within(3s));
  BOOST_TEST(calls->load() == 0);
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_limit_gets_413) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  TestServer server(small_limits(), [calls](Request& r) { return count_calls(calls, r); });
  RawConnection connection(server.port());
  BOOST_REQUIRE(connection.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "800\r\n" + std::string(0x800, 'a') + "\r\n0\r\n\r\n"));
  BOOST_TEST(connection.read_response().rfind("HTTP/1.1 413", 0) == 0u);
  BOOST_TEST(calls->load() == 0);
}

BOOST_AUTO_TEST_CASE(a_header_over_the_limit_is_refused_and_closed) {
  TestServer server(small_limits(), describe_request);
  RawConnection connection(server.port());
  BOOST_REQUIRE(connection.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') +
                                "\r\n\r\n"));
  const auto response = connection.read_response();
  BOOST_TEST((response.rfind("HTTP/1.1 431", 0) == 0u || response.rfind("HTTP/1.1 400", 0) == 0u),
             response);
  BOOST_TEST(connection.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(a_malformed_request_gets_400_and_the_server_keeps_serving) {
  TestServer server({}, describe_request);
  {
    RawConnection connection(server.port());
    BOOST_REQUIRE(connection.send("NOT AN HTTP REQUEST AT ALL\r\n\r\n"));
    const auto response = connection.read_response();
    BOOST_TEST(response.rfind("HTTP/1.1 400", 0) == 0u, response);
    BOOST_TEST(json_of(body_of(response)).at("error").as_string() == "invalid_request");
    BOOST_TEST(connection.closed_within(3s));
  }
  HttpClient client(server.url());
  BOOST_TEST(client.request("GET", "/after").status == 200);
}

BOOST_AUTO_TEST_CASE(an_idle_keep_alive_connection_is_closed_after_idle_timeout) {
  HttpServerOptions options;
  options.idle_timeout = 1s;
  TestServer server(options, describe_request);
  RawConnection connection(server.port());
  BOOST_REQUIRE(connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  BOOST_TEST(connection.read_response().rfind("HTTP/1.1 200", 0) == 0u);
  const auto start = Clock::now();
  BOOST_TEST(connection.closed_within(5s));
  const auto waited = Clock::now() - start;
  BOOST_TEST((waited >= 800ms));
  BOOST_TEST((waited < 3s));
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(a_client_trickling_its_headers_is_cut_off_after_read_timeout) {
  HttpServerOptions options;
  options.read_timeout = 1s;
  options.idle_timeout = 30s;
  TestServer server(options, describe_request);
  RawConnection connection(server.port());
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'z');
  const auto start = Clock::now();
  bool cut_off = false;
  for (const char byte : request) {  // one byte every 50 ms: 10 s if never cut off
    if (!connection.send(std::string_view(&byte, 1)) || connection.peer_closed()) {
      cut_off = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(cut_off);
  BOOST_TEST((Clock::now() - start < 3s));
}

BOOST_AUTO_TEST_CASE(a_streaming_response_reaches_the_client_chunk_by_chunk) {
  TestServer server({}, three_ticks);
  HttpClient client(server.url());
  SseParser parser;
  std::vector<SseEvent> events;
  std::vector<Clock::time_point> arrivals;
  client.stream("/events", {{"Accept", "text/event-stream"}}, [&](std::string_view piece) {
    arrivals.push_back(Clock::now());
    for (auto& event : parser.feed(piece)) events.push_back(std::move(event));
    return true;
  });
  BOOST_REQUIRE(events.size() == 3u);
  BOOST_TEST(events[0].id.value() == "1");
  BOOST_TEST(events[2].id.value() == "3");
  BOOST_TEST(events[1].event == "tick");
  BOOST_TEST(events[1].data == R"({"n":2})");
  // The first event arrived while the producer was still pausing (2 x 250 ms).
  BOOST_REQUIRE(arrivals.size() >= 3u);
  BOOST_TEST((arrivals.back() - arrivals.front() >= 400ms));
}

BOOST_AUTO_TEST_CASE(a_stream_consumer_may_stop_early) {
  TestServer server({}, endless_heartbeats);
  HttpClient client(server.url());
  int pieces = 0;
  client.stream("/events", {}, [&](std::string_view) { return ++pieces < 3; });
  BOOST_TEST(pieces == 3);
  // The server notices on a later write and lets the connection go.
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(drain_waits_for_an_in_flight_request_then_closes) {
  TestServer server({}, sleeper(400ms));
  auto answer = std::async(std::launch::async, [url = server.url()] {
    return HttpClient(url).request("GET", "/slow");
  });
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().in_flight() == 1; }));
  const auto start = Clock::now();
  server.drain(5000ms);
  const auto took = Clock::now() - start;
  BOOST_TEST((took >= 200ms));
  BOOST_TEST((took < 3s));
  BOOST_TEST(answer.get().status == 200);
  BOOST_TEST(server.server().active_connections() == 0u);
  BOOST_TEST(server.server().in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(drain_cancels_requests_that_outlast_the_deadline) {
  TestServer server({}, sleeper(20s));
  auto answer = std::async(std::launch::async, [url = server.url()] {
    return HttpClient(url).request("GET", "/slow");
  });
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().in_flight() == 1; }));
  const auto start = Clock::now();
  server.drain(200ms);
  BOOST_TEST((Clock::now() - start < 2s));
  BOOST_CHECK_THROW(answer.get(), std::runtime_error);
  BOOST_TEST(server.server().active_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(drain_ends_streams_and_closes_idle_connections_at_once) {
  TestServer server({}, endless_heartbeats);
  auto streamed = std::make_shared<std::atomic<int>>(0);
  auto consumer = std::async(std::launch::async, [url = server.url(), streamed] {
    HttpClient(url).stream("/events", {}, [streamed](std::string_view) {
      ++*streamed;
      return true;
    });
  });
  RawConnection idle(server.port());
  BOOST_REQUIRE(TestServer::eventually([&] {
    return streamed->load() > 0 && server.server().active_connections() == 2;
  }));
  const auto start = Clock::now();
  server.drain(10s);
  BOOST_TEST((Clock::now() - start < 2s));
  BOOST_TEST((consumer.wait_for(3s) == std::future_status::ready));
  BOOST_TEST(idle.closed_within(1s));
  BOOST_TEST(server.server().active_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_gets_500_without_the_exception_text) {
  TestServer server({}, throw_secret);
  const auto response = HttpClient(server.url()).request("GET", "/boom");
  BOOST_TEST(response.status == 500);
  const auto json = json_of(response.body);
  BOOST_TEST(json.at("error").as_string() == "internal_error");
  BOOST_TEST(json.at("message").as_string() == "internal error");
  BOOST_TEST(response.body.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(connections_over_the_cap_get_503) {
  HttpServerOptions options;
  options.max_connections = 1;
  TestServer server(options, describe_request);
  RawConnection first(server.port());
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().active_connections() == 1; }));
  RawConnection second(server.port());
  BOOST_REQUIRE(second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto response = second.read_response();
  BOOST_TEST(response.rfind("HTTP/1.1 503", 0) == 0u, response);
  BOOST_TEST(json_of(body_of(response)).at("error").as_string() == "overloaded");
  BOOST_TEST(second.closed_within(3s));
  // The first connection is unaffected.
  BOOST_REQUIRE(first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  BOOST_TEST(first.read_response().rfind("HTTP/1.1 200", 0) == 0u);
}

// ---- Connection limits (per address, global, first byte, framing) ----------

std::string get(std::string_view target) { return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

bool answered(RawConnection& connection, std::string_view target, std::string_view status) {
  if (!connection.send(get(target))) return false;
  return connection.read_response().rfind("HTTP/1.1 " + std::string(status), 0) == 0;
}

BOOST_AUTO_TEST_CASE(a_connection_over_the_per_address_cap_gets_503_and_takes_no_slot) {
  HttpServerOptions options;
  options.max_connections_per_address = 2;
  TestServer server(options, describe_request);
  RawConnection first(server.port());
  auto second = std::make_unique<RawConnection>(server.port());
  BOOST_REQUIRE(answered(first, "/", "200"));
  BOOST_REQUIRE(answered(*second, "/", "200"));
  RawConnection third(server.port());
  BOOST_REQUIRE(third.send(get("/")));
  const auto response = third.read_response();
  BOOST_TEST(response.rfind("HTTP/1.1 503", 0) == 0u, response);
  BOOST_TEST(response.find("Retry-After: 1") != std::string::npos, response);
  const auto json = json_of(body_of(response));
  BOOST_TEST(json.at("error").as_string() == "overloaded");
  BOOST_TEST(std::string(json.at("message").as_string()).find("too many connections from 127.0.0.1") == 0u);
  BOOST_TEST(third.closed_within(3s));
  BOOST_TEST(server.server().active_connections() == 2u);
  BOOST_TEST(server.server().refused_connections() == 1u);
  // Another address is not affected, and the held connections keep working.
  RawConnection elsewhere(server.port(), "127.0.0.2");
  BOOST_TEST(answered(elsewhere, "/", "200"));
  BOOST_TEST(answered(first, "/", "200"));
  // A freed slot is taken again.
  second.reset();  // first and elsewhere stay
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().active_connections() == 2; }));
  second = std::make_unique<RawConnection>(server.port());
  BOOST_TEST(answered(*second, "/", "200"));
}

BOOST_AUTO_TEST_CASE(health_is_answered_when_every_slot_is_taken_and_nothing_else_is) {
  HttpServerOptions options;
  options.max_connections = 2;
  TestServer server(options, describe_request);
  RawConnection first(server.port()), second(server.port());
  BOOST_REQUIRE(answered(first, "/", "200"));
  BOOST_REQUIRE(answered(second, "/", "200"));
  RawConnection monitor(server.port());
  BOOST_REQUIRE(monitor.send(get("/health")));
  const auto health = monitor.read_response();
  BOOST_TEST(health.rfind("HTTP/1.1 200", 0) == 0u, health);
  BOOST_TEST(json_of(body_of(health)).at("path").as_string() == "/health");
  BOOST_TEST(monitor.closed_within(3s));  // one request only
  RawConnection other(server.port());
  BOOST_REQUIRE(other.send(get("/services")));
  const auto refused = other.read_response();
  BOOST_TEST(refused.rfind("HTTP/1.1 503", 0) == 0u, refused);
  BOOST_TEST(std::string(json_of(body_of(refused)).at("message").as_string()).find("too many connections (at most 2)") ==
             0u);
  BOOST_TEST(server.server().active_connections() == 2u);
}

BOOST_AUTO_TEST_CASE(overflow_connections_are_bounded_and_closed_at_once_beyond) {
  HttpServerOptions options;
  options.max_connections = 1;
  TestServer server(options, describe_request);
  RawConnection holder(server.port());
  BOOST_REQUIRE(answered(holder, "/", "200"));
  std::vector<std::unique_ptr<RawConnection>> overflow;
  for (std::size_t i = 0; i < kMaxOverflowPerAddress; ++i) overflow.push_back(std::make_unique<RawConnection>(server.port()));
  BOOST_REQUIRE(TestServer::eventually(
      [&] { return server.server().overflow_connections() == kMaxOverflowPerAddress; }));
  RawConnection beyond(server.port());
  BOOST_TEST(beyond.closed_within(3s));
  BOOST_TEST(beyond.read_response(100ms).empty());  // no answer at all
  // Another address still gets its /health.
  RawConnection monitor(server.port(), "127.0.0.3");
  BOOST_TEST(answered(monitor, "/health", "200"));
}

BOOST_AUTO_TEST_CASE(a_silent_overflow_connection_gives_its_place_back_within_the_overflow_deadline) {
  HttpServerOptions options;
  options.max_connections = 1;
  options.first_byte_timeout = 30s;  // a served connection may stay silent this long; an overflow one may not
  TestServer server(options, describe_request);
  RawConnection holder(server.port());
  BOOST_REQUIRE(answered(holder, "/", "200"));
  std::vector<std::unique_ptr<RawConnection>> silent;
  for (std::size_t i = 0; i < kMaxOverflowPerAddress; ++i) silent.push_back(std::make_unique<RawConnection>(server.port()));
  BOOST_REQUIRE(TestServer::eventually(
      [&] { return server.server().overflow_connections() == kMaxOverflowPerAddress; }));
  // Every overflow place of this address is held by a silent connection; they
  // are closed at the overflow deadline, and a monitor from the same address
  // is answered after that.
  for (auto& connection : silent) BOOST_TEST(connection->closed_within(kOverflowRequestTimeout + 5s));
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().overflow_connections() == 0; }));
  RawConnection monitor(server.port());
  BOOST_TEST(answered(monitor, "/health", "200"));
}

BOOST_AUTO_TEST_CASE(a_monitor_is_answered_when_silent_connections_from_many_addresses_hold_every_overflow_place) {
  HttpServerOptions options;
  options.max_connections = 1;
  TestServer server(options, describe_request);
  RawConnection holder(server.port());
  BOOST_REQUIRE(answered(holder, "/", "200"));
  // Every overflow place, taken by silent connections spread over enough
  // addresses that no per-address share stops them.
  std::vector<std::unique_ptr<RawConnection>> silent;
  const std::size_t addresses = kMaxOverflowConnections / kMaxOverflowPerAddress;
  for (std::size_t a = 0; a < addresses; ++a) {
    for (std::size_t i = 0; i < kMaxOverflowPerAddress; ++i) {
      const std::string source = "127.0.0." + std::to_string(10 + a);
      silent.push_back(std::make_unique<RawConnection>(server.port(), source.c_str()));
    }
  }
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().overflow_connections() == kMaxOverflowConnections; }));
  // A monitor from another address pushes out the oldest silent one and gets its answer.
  RawConnection monitor(server.port(), "127.0.0.3");
  BOOST_TEST(answered(monitor, "/health", "200"));
  BOOST_TEST(silent.front()->closed_within(3s));
  // The others are still held (they are closed by the overflow deadline, not by the monitor).
  BOOST_TEST(server.server().overflow_connections() <= kMaxOverflowConnections);
}

BOOST_AUTO_TEST_CASE(a_connection_that_sends_nothing_is_closed_after_the_first_byte_deadline) {
  HttpServerOptions options;
  options.first_byte_timeout = 300ms;
  options.idle_timeout = 30s;
  TestServer server(options, describe_request);
  RawConnection silent(server.port());
  BOOST_REQUIRE(TestServer::eventually([&] { return server.server().active_connections() == 1; }));
  BOOST_TEST(silent.closed_within(10s));  // idle_timeout (30 s) would keep it
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
  // After a first request, the keep-alive idle deadline applies instead.
  RawConnection talking(server.port());
  BOOST_REQUIRE(answered(talking, "/", "200"));
  BOOST_TEST(!talking.closed_within(1s));
}

BOOST_AUTO_TEST_CASE(a_transfer_encoding_that_does_not_end_in_chunked_is_400) {
  TestServer server({}, describe_request);
  const std::vector<std::string> bad = {
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  };
  for (const auto& request : bad) {
    RawConnection connection(server.port());
    BOOST_REQUIRE(connection.send(request));
    const auto response = connection.read_response();
    BOOST_TEST(response.rfind("HTTP/1.1 400", 0) == 0u, request << " -> " << response);
    BOOST_TEST(response.find("invalid_request") != std::string::npos, response);
    BOOST_TEST(connection.closed_within(3s));
  }
  RawConnection chunked(server.port());
  BOOST_REQUIRE(chunked.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  const auto response = chunked.read_response();
  BOOST_TEST(response.rfind("HTTP/1.1 200", 0) == 0u, response);
  BOOST_TEST(json_of(body_of(response)).at("body").as_string() == "abc");
}

BOOST_AUTO_TEST_CASE(address_slots_count_per_address_and_free_on_release) {
  AddressSlots slots(2);
  auto a1 = slots.try_take("a");
  auto a2 = slots.try_take("a");
  BOOST_TEST(static_cast<bool>(a1));
  BOOST_TEST(static_cast<bool>(a2));
  BOOST_TEST(!slots.try_take("a"));
  BOOST_TEST(static_cast<bool>(slots.try_take("b")));
  BOOST_TEST(slots.held("a") == 2u);
  BOOST_TEST(slots.held("b") == 0u);  // its handle was dropped at once
  a1.reset();
  BOOST_TEST(slots.held("a") == 1u);
  BOOST_TEST(static_cast<bool>(slots.try_take("a")));
}

BOOST_AUTO_TEST_CASE(the_observer_sees_each_request_with_its_status) {
  Router router;
  router.add("GET", "/health", describe_request);
  auto seen = std::make_shared<std::vector<std::pair<std::string, int>>>();
  auto mutex = std::make_shared<std::mutex>();
  TestServer server(
      {}, [&router](Request& request) { return router.route(request); },
      [seen, mutex](const Request& request, int status, std::chrono::nanoseconds elapsed) {
        std::lock_guard lock(*mutex);
        seen->emplace_back(request.path, status);
      });
  HttpClient client(server.url());
  client.request("GET", "/health");
  client.request("GET", "/missing");
  BOOST_REQUIRE(TestServer::eventually([&] {
    std::lock_guard lock(*mutex);
    return seen->size() == 2;
  }));
  std::lock_guard lock(*mutex);
  BOOST_TEST((*seen)[0].first == "/health");
  BOOST_TEST((*seen)[0].second == 200);
  BOOST_TEST((*seen)[1].second == 404);
}

BOOST_AUTO_TEST_CASE(listening_on_a_taken_port_fails_clearly) {
  TestServer taken({}, describe_request);
  asio::io_context io;
  HttpServerOptions options;
  options.port = taken.port();
  HttpServer server(io.get_executor(), options, describe_request);
  try {
    server.listen();
    BOOST_FAIL("listen() should have thrown");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).rfind("cannot listen on 127.0.0.1:" + std::to_string(taken.port()), 0) == 0u,
               e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
