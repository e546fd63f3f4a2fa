// Forwarder over real sockets on 127.0.0.1: a front HttpServer forwards to an
// upstream HttpServer (or to a raw socket that misbehaves on purpose), and
// the test thread is the client. What the upstream sees, what comes back,
// streams, WebSocket splicing, and every failure: unreachable, died
// mid-request, over capacity.
#include "net/forwarder.hpp"
#include "net/http_client.hpp"
#include "net/sse.hpp"
#include "unit/net/net_test_support.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>

namespace solo::net {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;
using test::TestServer;

// The upstream's answer: what it was sent, with a status and a header of its own.
asio::awaitable<Response> describe(Request& request) {
  if (request.path == "/slow") {
    asio::steady_timer timer(co_await asio::this_coro::executor, 500ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  auto response = json_response(201, {{"method", request.method},
                                      {"target", request.target},
                                      {"body", request.body},
                                      {"host", request.header("host").value_or("")},
                                      {"custom", request.header("x-custom").value_or("")},
                                      {"forwarded_for", request.header("x-forwarded-for").value_or("")},
                                      {"forwarded_by", request.header("x-solo-forwarded-by").value_or("")},
                                      {"connection", request.header("connection").value_or("")}});
  response.headers.emplace_back("X-Answer", "from-upstream");
  co_return response;
}

// Three events, then heartbeats until the client goes: a stream that does
// not end, so that each piece must reach the client as it comes.
asio::awaitable<void> three_events(std::shared_ptr<StreamWriter> writer) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 1; i <= 3; ++i) {
    if (!co_await writer->write(format_sse_event(i, "tick", "{\"n\":" + std::to_string(i) + "}"))) co_return;
    timer.expires_after(50ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  while (co_await writer->write(sse_heartbeat())) {
    timer.expires_after(200ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<Response> upstream(Request& request) {
  if (request.path == "/events") {
    Response response;
    response.content_type = "text/event-stream";
    response.stream = three_events;
    co_return response;
  }
  co_return co_await describe(request);
}

// A front server whose handler forwards every request to `target()`; a
// request the forwarder did not send is answered 599 so that tests see it.
struct Front {
  explicit Front(std::function<std::string()> target, std::size_t max_connections = 32)
      : target_(std::move(target)), max_connections_(max_connections) {
    server.emplace(HttpServerOptions{}, [this](Request& request) { return serve(request); });
    server->server().set_on_upgrade([this](Request&& request, asio::ip::tcp::socket&& socket, ConnectionSlot slot) {
      forwarder->splice(std::move(request), std::move(socket), std::move(slot), target_(),
                        error_response(503, "standby", "cannot forward"));
    });
  }
  // The forwarder's kept connections belong to the server's io_context: it
  // goes first, on the server's thread, then the server and its io_context.
  ~Front() {
    std::promise<void> gone;
    asio::post(server->executor(), [&] {
      forwarder.reset();
      gone.set_value();
    });
    gone.get_future().get();
    server.reset();
  }

  asio::awaitable<Response> serve(Request& request) {
    if (!forwarder) {
      ForwarderOptions options;
      options.node = "front";
      options.max_connections = max_connections_;
      options.response_timeout = 2s;
      forwarder = std::make_unique<Forwarder>(co_await asio::this_coro::executor, options);
    }
    if (Forwarder::is_upgrade(request)) {
      Response upgrade;
      upgrade.status = 101;
      co_return upgrade;
    }
    auto answer = co_await forwarder->forward(request, target_());
    if (!answer) co_return error_response(599, "not_forwarded", "nothing reached the upstream");
    co_return std::move(*answer);
  }

  std::string url() const { return server->url(); }
  std::uint16_t port() const { return server->port(); }
  ForwarderStats stats() {
    std::promise<ForwarderStats> got;
    asio::post(server->executor(), [&] { got.set_value(forwarder ? forwarder->stats() : ForwarderStats{}); });
    return got.get_future().get();
  }

  std::function<std::string()> target_;
  std::size_t max_connections_;
  std::unique_ptr<Forwarder> forwarder;  // made on the server's thread at the first request
  std::optional<TestServer> server;
};

// A port nothing listens on (bound, then closed).
std::uint16_t closed_port() {
  TestServer probe(HttpServerOptions{}, upstream);
  auto port = probe.port();
  probe.stop(0ms);
  return port;
}

// Raw connections accepted on 127.0.0.1, one after the other, each handled
// by `serve(fd)` on a thread.
class RawUpstream {
 public:
  explicit RawUpstream(std::function<void(int)> serve) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("RawUpstream: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, serve = std::move(serve)] {
      for (int fd; (fd = ::accept(listener_, nullptr, nullptr)) >= 0;) {
        serve(fd);
        ::close(fd);
      }
    });
  }
  ~RawUpstream() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Reads from `fd` until `marker` or 5 s; returns what came.
std::string read_until(int fd, std::string_view marker) {
  std::string got;
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (got.find(marker) == std::string::npos && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[4096];
    auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

boost::json::object json_of(const std::string& text) { return boost::json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(forwarder)

BOOST_AUTO_TEST_CASE(the_upstream_gets_the_request_and_the_client_its_answer) {
  TestServer up(HttpServerOptions{}, upstream);
  Front front([&] { return up.url(); });
  HttpClient client(front.url());
  auto answer = client.request("POST", "/echo/x?q=1", R"({"n":1})",
                               {{"x-custom", "kept"}, {"x-solo-forwarded-by", "forged"}, {"x-forwarded-for", "10.9.9.9"}});
  BOOST_TEST(answer.status == 201, answer.body);
  BOOST_TEST(answer.header("x-answer").value_or("") == "from-upstream");
  BOOST_TEST(answer.header("content-type").value_or("") == "application/json");
  auto seen = json_of(answer.body);
  BOOST_TEST(seen.at("method").as_string() == "POST");
  BOOST_TEST(seen.at("target").as_string() == "/echo/x?q=1");
  BOOST_TEST(seen.at("body").as_string() == R"({"n":1})");
  BOOST_TEST(seen.at("custom").as_string() == "kept");
  BOOST_TEST(seen.at("host").as_string() == "127.0.0.1:" + std::to_string(up.port()));
  // The client's own X-Solo-Forwarded-By is replaced by the node's; X-Forwarded-For grows by the client.
  BOOST_TEST(seen.at("forwarded_by").as_string() == "front");
  BOOST_TEST(seen.at("forwarded_for").as_string() == "10.9.9.9, 127.0.0.1");
  auto stats = front.stats();
  BOOST_TEST(stats.forwarded == 1u);
  BOOST_TEST(stats.open == 1u);  // kept for the next request
}

BOOST_AUTO_TEST_CASE(a_kept_connection_is_reused_and_one_the_upstream_closed_is_not) {
  {
    TestServer up(HttpServerOptions{}, upstream);
    Front front([&] { return up.url(); });
    for (int i = 0; i < 3; ++i) BOOST_TEST(HttpClient(front.url()).request("GET", "/again").status == 201);
    BOOST_TEST(front.stats().open == 1u);
    BOOST_TEST(up.server().active_connections() == 1u);  // one connection served all three
  }
  // An upstream that answers, keeps the connection a moment, then closes it:
  // the next request must not be sent on it (a POST would come back 502).
  std::atomic<int> connections{0};
  RawUpstream closes([&](int fd) {
    ++connections;
    read_until(fd, "\r\n\r\n{}");
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(100ms);
  });
  Front front([&] { return closes.url(); });
  BOOST_TEST(HttpClient(front.url()).request("POST", "/one", "{}").status == 200);
  std::this_thread::sleep_for(400ms);  // the upstream has closed the kept connection
  auto second = HttpClient(front.url()).request("POST", "/two", "{}");
  BOOST_TEST(second.status == 200, second.body);
  BOOST_TEST(connections.load() == 2);
  BOOST_TEST(front.stats().failed == 0u);
}

BOOST_AUTO_TEST_CASE(a_stream_is_relayed_piece_by_piece) {
  TestServer up(HttpServerOptions{}, upstream);
  Front front([&] { return up.url(); });
  HttpClient client(front.url(), 5s);
  SseParser parser;
  std::vector<SseEvent> events;
  client.stream("/events", {}, [&](std::string_view piece) {
    for (auto& event : parser.feed(piece)) events.push_back(std::move(event));
    return events.size() < 3;
  });
  BOOST_TEST_REQUIRE(events.size() == 3u);
  BOOST_TEST(events[0].event == "tick");
  BOOST_TEST(events[2].data == R"({"n":3})");
  BOOST_TEST(TestServer::eventually([&] { return front.stats().open == 0u; }));
}

BOOST_AUTO_TEST_CASE(an_upstream_that_cannot_be_reached_gets_nothing) {
  const auto port = closed_port();
  Front front([&] { return "http://127.0.0.1:" + std::to_string(port); });
  HttpClient client(front.url());
  auto answer = client.request("POST", "/anything", "{}");
  BOOST_TEST(answer.status == 599, answer.body);
  BOOST_TEST(front.stats().unreachable == 1u);
  // An https:// upstream is not one it forwards to.
  BOOST_TEST(!Forwarder::can_forward_to("https://127.0.0.1:1"));
  BOOST_TEST(Forwarder::can_forward_to("http://127.0.0.1:1"));
}

BOOST_AUTO_TEST_CASE(an_upstream_that_dies_mid_request_is_502_unless_a_retry_is_harmless) {
  for (const std::string method : {"POST", "GET"}) {
    RawUpstream dies([](int fd) { read_until(fd, "\r\n\r\n"); });  // reads the request, closes: no answer
    Front front([&] { return dies.url(); });
    HttpClient client(front.url());
    auto answer = client.request(method, "/write", method == "POST" ? "{}" : "");
    if (method == "POST") {
      BOOST_TEST(answer.status == 502, answer.body);
      BOOST_TEST(json_of(answer.body).at("error").as_string() == "forward_failed");
      BOOST_TEST(front.stats().failed == 1u);
    } else {
      BOOST_TEST(answer.status == 599, answer.body);  // not sent as far as the caller knows: it answers
      BOOST_TEST(front.stats().unreachable == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(over_its_connections_or_a_clients_half_of_them_it_answers_503_overloaded) {
  TestServer up(HttpServerOptions{}, upstream);
  Front front([&] { return up.url(); }, /*max_connections=*/2);  // one client address: at most 1
  auto slow = std::async(std::launch::async, [&] { return HttpClient(front.url()).request("GET", "/slow"); });
  BOOST_TEST_REQUIRE(TestServer::eventually([&] { return front.stats().open == 1u; }));
  // The same client (127.0.0.1) holds its share already.
  auto refused = HttpClient(front.url()).request("GET", "/fast");
  BOOST_TEST(refused.status == 503, refused.body);
  BOOST_TEST(json_of(refused.body).at("error").as_string() == "overloaded");
  BOOST_TEST(json_of(refused.body).at("message").as_string().find("one client address") != std::string::npos);
  BOOST_TEST(refused.header("retry-after").value_or("") == "1");
  // Another client gets the node's other connection; a third finds none left.
  RawConnection other(front.port(), "127.0.0.2");
  BOOST_TEST_REQUIRE(other.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  BOOST_TEST_REQUIRE(TestServer::eventually([&] { return front.stats().open == 2u; }));
  RawConnection third(front.port(), "127.0.0.3");
  BOOST_TEST_REQUIRE(third.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto full = third.read_response();
  BOOST_TEST(full.starts_with("HTTP/1.1 503"), full);
  BOOST_TEST(full.find("forwards at most 2 requests at once") != std::string::npos, full);
  BOOST_TEST(slow.get().status == 201);
  BOOST_TEST(other.read_response().starts_with("HTTP/1.1 201"));
  BOOST_TEST(front.stats().refused == 2u);
}

BOOST_AUTO_TEST_CASE(a_websocket_upgrade_is_spliced_both_ways) {
  std::string upgrade_seen;
  RawUpstream echo([&](int fd) {
    upgrade_seen = read_until(fd, "\r\n\r\n");
    std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    auto bytes = read_until(fd, "ping");
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);  // echo what came after the upgrade
    read_until(fd, "never");                               // until the client goes
  });
  Front front([&] { return echo.url(); });
  RawConnection client(static_cast<std::uint16_t>(std::stoi(front.url().substr(front.url().rfind(':') + 1))));
  BOOST_TEST_REQUIRE(client.send("GET /ws?tenant=t HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  BOOST_TEST(client.read_until("\r\n\r\n").starts_with("HTTP/1.1 101"));
  BOOST_TEST_REQUIRE(client.send("ping"));
  BOOST_TEST(client.read_until("ping").ends_with("ping"));
  BOOST_TEST(upgrade_seen.starts_with("GET /ws?tenant=t HTTP/1.1\r\n"), upgrade_seen);
  BOOST_TEST(upgrade_seen.find("x-solo-forwarded-by: front\r\n") != std::string::npos, upgrade_seen);
  BOOST_TEST(upgrade_seen.find("upgrade: websocket\r\n") != std::string::npos, upgrade_seen);
  BOOST_TEST(front.stats().forwarded == 1u);
}

BOOST_AUTO_TEST_CASE(a_websocket_upgrade_to_an_unreachable_upstream_gets_the_callers_answer) {
  const auto port = closed_port();
  Front front([&] { return "http://127.0.0.1:" + std::to_string(port); });
  RawConnection client(static_cast<std::uint16_t>(std::stoi(front.url().substr(front.url().rfind(':') + 1))));
  BOOST_TEST_REQUIRE(client.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
  auto answer = client.read_until("cannot forward");
  BOOST_TEST(answer.starts_with("HTTP/1.1 503"), answer);
  BOOST_TEST(answer.find("\"standby\"") != std::string::npos, answer);
  BOOST_TEST(client.closed_within(2s));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
