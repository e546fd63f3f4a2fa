// WebSocketHub (see websocket_hub.hpp): whether a connection is taken, the
// hand-over of an accepted upgrade to a session (websocket_session.cpp), the
// registry's metrics, and the GET /ws route. Beast-free: the hub reaches the
// sessions only through websocket_hub_state.hpp.
#include "net/websocket_hub.hpp"

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cctype>

#include "base/prometheus.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "net/router.hpp"
#include "net/websocket_hub_state.hpp"

namespace solo::net {

WebSocketHub::WebSocketHub(asio::any_io_executor executor, std::shared_ptr<ApiContext> context,
                           WebSocketOptions options)
    : state_(std::make_shared<State>(std::move(executor), std::move(context), options)) {}

WebSocketHub::~WebSocketHub() = default;

void WebSocketHub::set_dispatch(Dispatch dispatch) { state_->dispatch = std::move(dispatch); }

bool WebSocketHub::accepting() const {
  return !state_->draining && state_->dispatch && state_->sessions.size() < state_->options.max_connections;
}

void WebSocketHub::accept(Request request, asio::ip::tcp::socket socket, ConnectionSlot slot) {
  if (!accepting()) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  start_session(state_, std::move(request), std::move(socket), std::move(slot));
}

asio::awaitable<void> WebSocketHub::drain(std::chrono::milliseconds deadline) { return drain_hub(state_, deadline); }

std::size_t WebSocketHub::connections() const { return state_->sessions.size(); }

void WebSocketHub::register_metrics(Telemetry& telemetry) {
  telemetry.add_collector([weak = std::weak_ptr<State>(state_)](std::string& out) {
    auto state = weak.lock();
    if (!state) return;
    prometheus::gauge(out, "solo_ws_connections", "Open WebSocket connections.",
                      static_cast<double>(state->sessions.size()));
    prometheus::counter(out, "solo_ws_connections_total", "WebSocket connections accepted.",
                        static_cast<double>(state->accepted));
    prometheus::counter(out, "solo_ws_frames_received_total", "WebSocket messages received.",
                        static_cast<double>(state->frames_received));
    prometheus::counter(out, "solo_ws_frames_sent_total", "WebSocket text messages sent.",
                        static_cast<double>(state->frames_sent));
    if (!state->closes.empty()) {
      prometheus::family(out, "solo_ws_closes_total", "WebSocket connections closed by the server, by reason.",
                         "counter");
      for (const auto& [reason, count] : state->closes) {
        prometheus::sample(out, "solo_ws_closes_total", {{"reason", reason}}, static_cast<double>(count));
      }
    }
  });
}

// ---- GET /ws -------------------------------------------------------------------------

namespace {

bool is_websocket_upgrade(const Request& request) {
  auto upgrade = request.header("upgrade");
  auto lower = [](unsigned char c) { return std::tolower(c); };
  return request.method == "GET" && upgrade &&
         std::ranges::equal(*upgrade, std::string_view("websocket"), {}, lower, lower);
}

}  // namespace

void add_websocket_routes(Router& router, std::shared_ptr<WebSocketHub> hub) {
  router.add("GET", "/ws", [hub](Request& request) -> asio::awaitable<Response> {
    if (!is_websocket_upgrade(request)) {
      auto response = error_response(426, "invalid_request", "GET /ws needs a WebSocket upgrade request");
      response.headers.emplace_back("Upgrade", "websocket");
      co_return response;
    }
    if (!hub->accepting()) {
      auto response = error_response(503, "overloaded", "no more WebSocket connections accepted");
      response.headers.emplace_back("Retry-After", "1");
      co_return response;
    }
    Response response;
    response.status = 101;  // HttpServer hands the connection to hub->accept
    co_return response;
  });
}

}  // namespace solo::net
