// WebSocketHub behind a real HttpServer (no engine): id-correlated replies,
// error replies, malformed frames, 401 before the upgrade, the query-token
// form, the slow-reader close (1008) beside an unaffected client, keep-alive
// pings and the cut of a silent peer, and drain's 1001. Watch with events is
// covered against the real binary (tests/integration/websocket_test.cpp).
#include "net/websocket_hub.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>


#include <chrono>
#include <future>
#include <thread>

#include "net/http_server.hpp"
#include "net/router.hpp"
#include "support/websocket_read.hpp"

using namespace solo;
using namespace solo::net;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = boost::asio::ip::tcp;

namespace {

json::value reply_body(const Request& request) {
  json::object body;
  body["reply"] = json::parse(request.body);
  return body;
}

json::value status_body(const std::string& id) {
  json::object body;
  body["service_id"] = id;
  body["status"] = "running";
  return body;
}

struct WsServer;
asio::awaitable<Response> handle(WsServer* server, Request& request);

// An HttpServer + Router + WebSocketHub on their own io_context thread; the
// handler plays the Gateway: token "good" in Authorization, or ?token= on /ws.
struct WsServer {
  explicit WsServer(WebSocketOptions options = {}) {
    hub = std::make_shared<WebSocketHub>(io.get_executor(), nullptr, options);
    router.add("POST", "/services/{id}/call", [](Request& request) -> asio::awaitable<Response> {
      co_return json_response(200, reply_body(request));
    });
    router.add("GET", "/services/{id}", [](Request& request) -> asio::awaitable<Response> {
      if (request.params.at("id") != "known") co_return error_response(404, "not_found", "no such service");
      co_return json_response(200, status_body(request.params.at("id")));
    });
    add_websocket_routes(router, hub);
    HttpServer::RequestHandler handler = [this](Request& request) { return handle(this, request); };
    HttpServerOptions http_options;
    http_options.port = 0;
    server = std::make_unique<HttpServer>(io.get_executor(), http_options, handler);
    server->set_on_upgrade([hub = hub](Request&& request, tcp::socket&& socket, ConnectionSlot slot) {
      hub->accept(std::move(request), std::move(socket), std::move(slot));
    });
    hub->set_dispatch(handler);
    server->listen();
    asio::co_spawn(io, server->run(), asio::detached);
    thread = std::thread([this] { io.run(); });
  }
  ~WsServer() {
    drain();
    io.stop();
    thread.join();
  }
  void drain() {
    if (drained) return;
    drained = true;
    asio::co_spawn(io, drain_both(this), asio::use_future).get();
  }
  static asio::awaitable<void> drain_both(WsServer* self) {
    co_await self->hub->drain(std::chrono::milliseconds(200));
    co_await self->server->drain(std::chrono::milliseconds(200));
  }
  std::uint16_t port() const { return server->local_endpoint().port(); }

  asio::io_context io;
  Router router;
  std::shared_ptr<WebSocketHub> hub;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  bool drained = false;
};

asio::awaitable<Response> handle(WsServer* server, Request& request) {
  auto header = request.header("authorization");
  bool good = header && *header == "Bearer good";
  if (!header && request.path == "/ws" && request.query_param("token") == std::optional<std::string>("good")) {
    request.headers.emplace_back("authorization", "Bearer good");
    good = true;
  }
  if (!good) co_return error_response(401, "unauthorized", "missing or unknown token");
  co_return co_await server->router.route(request);
}

// A blocking Beast client; reads give up after read_timeout instead of hanging.
struct Client {
  Client(std::uint16_t port, const std::string& token = "good", const std::string& target = "/ws",
         int receive_buffer = 0) {
    auto& socket = ws.next_layer();
    socket.open(tcp::v4());
    if (receive_buffer) socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    if (!token.empty()) {
      ws.set_option(websocket::stream_base::decorator(
          [token](websocket::request_type& request) { request.set(http::field::authorization, "Bearer " + token); }));
    }
    ws.handshake(handshake_response, "127.0.0.1", target, handshake_error);
  }
  void set_read_timeout(std::chrono::milliseconds timeout) { read_timeout = timeout; }
  void send(const std::string& text) {
    ws.text(true);
    ws.write(asio::buffer(text));
  }
  json::object read() {
    beast::flat_buffer buffer;
    if (auto ec = solo::test::read_within(ws, io, buffer, read_timeout)) throw beast::system_error(ec);
    return json::parse(beast::buffers_to_string(buffer.data())).as_object();
  }
  // Reads frames until the server's close; returns its close code (0 when the
  // connection ended otherwise) and counts the frames before it.
  std::uint16_t read_until_close(std::size_t* frames = nullptr) {
    for (;;) {
      beast::flat_buffer buffer;
      auto ec = solo::test::read_within(ws, io, buffer, read_timeout);
      if (ec == websocket::error::closed) return ws.reason().code;
      if (ec) return 0;
      if (frames) ++*frames;
    }
  }

  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  websocket::response_type handshake_response;
  beast::error_code handshake_error;
  std::chrono::milliseconds read_timeout{5000};
};

std::string call_frame(const std::string& id, const std::string& message) {
  json::object args;
  args["service_id"] = "echo";
  args["message"] = message;
  json::object frame;
  frame["id"] = id;
  frame["op"] = "call";
  frame["args"] = std::move(args);
  return json::serialize(frame);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_hub)

BOOST_AUTO_TEST_CASE(ops_are_answered_with_their_ids_even_out_of_order) {
  WsServer server;
  Client client(server.port());
  BOOST_TEST_REQUIRE(!client.handshake_error, client.handshake_error.message());
  client.send(R"({"id": 1, "op": "call", "args": {"service_id": "echo", "message": {"x": 1}}})");
  client.send(R"({"id": "two", "op": "status", "args": {"service_id": "known"}})");
  client.send(R"({"id": 3, "op": "status", "args": {"service_id": "missing"}})");
  std::map<std::string, json::object> replies;
  for (int i = 0; i < 3; ++i) {
    auto reply = client.read();
    replies[json::serialize(reply.at("id"))] = reply;
  }
  BOOST_TEST(replies.at("1").at("ok").as_bool());
  BOOST_TEST(replies.at("1").at("result").at("reply").at("x").as_int64() == 1);
  BOOST_TEST(replies.at("\"two\"").at("result").at("status").as_string() == "running");
  auto& error = replies.at("3");
  BOOST_TEST(!error.at("ok").as_bool());
  BOOST_TEST(error.at("error").at("error").as_string() == "not_found");
  BOOST_TEST(error.at("error").at("status").as_int64() == 404);
  BOOST_TEST(error.at("error").at("message").as_string() == "no such service");
}

BOOST_AUTO_TEST_CASE(malformed_frames_get_error_replies_and_the_connection_lives_on) {
  WsServer server;
  Client client(server.port());
  BOOST_TEST_REQUIRE(!client.handshake_error);
  client.send("this is not json");
  auto reply = client.read();
  BOOST_TEST(reply.at("id").is_null());
  BOOST_TEST(reply.at("error").at("error").as_string() == "invalid_request");
  client.send(R"({"id": 7})");
  reply = client.read();
  BOOST_TEST(reply.at("id").as_int64() == 7);
  BOOST_TEST(reply.at("error").at("message").as_string().find("'op'") != json::string::npos);
  client.send(R"({"id": 8, "op": "no_such_op"})");
  reply = client.read();
  BOOST_TEST(reply.at("error").at("message").as_string().find("unknown op") != json::string::npos);
  client.send(R"({"id": 9, "op": "status", "args": {"service_id": "a/b"}})");
  reply = client.read();
  BOOST_TEST(reply.at("error").at("status").as_int64() == 400);
  client.send(R"({"id": 10, "op": "ping"})");
  reply = client.read();
  BOOST_TEST(reply.at("ok").as_bool());

  // Binary frames close the connection with 1003; other connections are unharmed.
  Client other(server.port());
  client.ws.binary(true);
  client.ws.write(asio::buffer(std::string("\x01\x02", 2)));
  BOOST_TEST(client.read_until_close() == 1003);
  other.send(R"({"id": 1, "op": "ping"})");
  BOOST_TEST(other.read().at("ok").as_bool());
}

BOOST_AUTO_TEST_CASE(missing_or_bad_token_is_refused_with_401_before_the_upgrade) {
  WsServer server;
  Client missing(server.port(), "");
  BOOST_TEST(bool(missing.handshake_error == websocket::error::upgrade_declined));
  BOOST_TEST(missing.handshake_response.result_int() == 401);
  BOOST_TEST(json::parse(missing.handshake_response.body()).at("error").as_string() == "unauthorized");
  Client wrong(server.port(), "bad");
  BOOST_TEST(wrong.handshake_response.result_int() == 401);
  Client query(server.port(), "", "/ws?token=good");
  BOOST_TEST_REQUIRE(!query.handshake_error, query.handshake_error.message());
  query.send(R"({"id": 1, "op": "status", "args": {"service_id": "known"}})");
  BOOST_TEST(query.read().at("ok").as_bool());
}

BOOST_AUTO_TEST_CASE(a_slow_reader_is_closed_with_1008_and_others_are_unaffected) {
  WebSocketOptions options;
  options.max_queue_frames = 16;
  options.max_queue_bytes = 512 * 1024;
  options.close_timeout = std::chrono::seconds(5);
  WsServer server(options);
  Client slow(server.port(), "good", "/ws", 4096);
  Client fast(server.port());
  BOOST_TEST_REQUIRE(!slow.handshake_error);
  const std::string big(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) slow.send(call_frame("s" + std::to_string(i), big));
  // The fast client is served while the slow one's queue fills up and overflows.
  for (int i = 0; i < 20; ++i) {
    fast.send(call_frame("f" + std::to_string(i), "hello"));
    auto reply = fast.read();
    BOOST_TEST(reply.at("id").as_string() == "f" + std::to_string(i));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::size_t frames = 0;
  BOOST_TEST(slow.read_until_close(&frames) == 1008);
  BOOST_TEST(std::string(slow.ws.reason().reason.data(), slow.ws.reason().reason.size()) == "send queue overflow");
  BOOST_TEST(frames < 64u);
  fast.send(call_frame("after", "still here"));
  BOOST_TEST(fast.read().at("result").at("reply").as_string() == "still here");
}

BOOST_AUTO_TEST_CASE(pings_keep_a_reading_peer_and_a_silent_peer_is_cut) {
  WebSocketOptions options;
  options.ping_interval = std::chrono::milliseconds(100);
  options.idle_timeout = std::chrono::milliseconds(400);
  WsServer server(options);
  Client alive(server.port());
  Client silent(server.port());
  int pings = 0;
  alive.ws.control_callback([&pings](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings;
  });
  // Reading answers the pings; nothing else arrives, so after 1.2 s the read
  // is still pending and the connection open. (Asynchronous with run_for:
  // Asio's blocking reads ignore SO_RCVTIMEO.)
  beast::flat_buffer buffer;
  bool completed = false;
  beast::error_code ec;
  alive.ws.async_read(buffer, [&](beast::error_code e, std::size_t) {
    completed = true;
    ec = e;
  });
  alive.io.run_for(std::chrono::milliseconds(1200));
  BOOST_TEST(pings >= 5);
  BOOST_TEST(!completed, "the read ended: " << ec.message());
  alive.ws.next_layer().cancel();
  alive.io.run();
  // The silent one never read (never answered a ping): it was cut.
  silent.set_read_timeout(std::chrono::milliseconds(2000));
  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(silent.read_until_close() == 0);
  BOOST_TEST(bool(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500)));
}

BOOST_AUTO_TEST_CASE(drain_closes_with_1001_going_away) {
  WsServer server;
  Client client(server.port());
  BOOST_TEST_REQUIRE(!client.handshake_error);
  auto drained = std::async(std::launch::async, [&server] { server.drain(); });
  BOOST_TEST(client.read_until_close() == 1001);
  drained.get();
}

BOOST_AUTO_TEST_CASE(a_plain_get_of_ws_is_426) {
  WsServer server;
  // Through a raw socket: the HTTP answers.
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  http::request<http::empty_body> request{http::verb::get, "/ws", 11};
  request.set(http::field::authorization, "Bearer good");
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  BOOST_TEST(response.result_int() == 426);
}

BOOST_AUTO_TEST_SUITE_END()
