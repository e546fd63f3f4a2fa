// WsClient: a blocking WebSocket client of the real binary's /ws for the
// integration tests; reads give up after 10 s instead of hanging a suite.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "support/solo_process.hpp"
#include "support/websocket_read.hpp"

namespace solo::test {

inline std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

namespace ws_client_detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// A blocking client; reads give up after 10 s instead of hanging the suite.
struct WsClient {
  WsClient(const SoloProcess& solo, const std::string& token, const std::string& target = "/ws",
           bool token_in_header = true) {
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_of(solo.url())));
    if (token_in_header && !token.empty()) {
      ws.set_option(websocket::stream_base::decorator(
          [token](websocket::request_type& request) { request.set(http::field::authorization, "Bearer " + token); }));
    }
    ws.handshake(response, "127.0.0.1", target, error);
  }

  void send(const json::object& frame) {
    ws.text(true);
    ws.write(asio::buffer(json::serialize(frame)));
  }
  json::object read() {
    beast::flat_buffer buffer;
    if (auto ec = test::read_within(ws, io, buffer, std::chrono::seconds(10))) throw beast::system_error(ec);
    return json::parse(beast::buffers_to_string(buffer.data())).as_object();
  }
  // Sends an op and returns its reply (frames for other ids are kept aside).
  json::object op(std::int64_t id, const std::string& name, json::object args = {}) {
    json::object frame;
    frame["id"] = id;
    frame["op"] = name;
    frame["args"] = std::move(args);
    send(frame);
    for (;;) {
      auto reply = read();
      if (reply.contains("id") && reply.at("id") == json::value(id)) return reply;
      aside.push_back(std::move(reply));
    }
  }
  // The next frame satisfying pred, looking at frames set aside first.
  json::object next(const std::function<bool(const json::object&)>& pred) {
    for (auto it = aside.begin(); it != aside.end(); ++it) {
      if (pred(*it)) {
        auto found = *it;
        aside.erase(it);
        return found;
      }
    }
    for (;;) {
      auto frame = read();
      if (pred(frame)) return frame;
    }
  }

  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  websocket::response_type response;
  beast::error_code error;
  std::vector<json::object> aside;
};

}  // namespace ws_client_detail

using ws_client_detail::WsClient;

}  // namespace solo::test
