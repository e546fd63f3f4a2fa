// WebSocket /ws: every API operation as an id-correlated frame, and `watch`
// streaming events (and log lines) with resume. The protocol is in
// docs/websocket.md; this is its server.
//
// How a connection gets here: GET /ws goes through the Gateway like any
// request (so 401/403 are answered as HTTP before any upgrade); the /ws route
// answers 101, and the HttpServer then hands the request and the TCP socket to
// WebSocketHub::accept() instead of writing that answer (HttpServer's
// set_on_upgrade). The hub runs the WebSocket handshake and the session.
//
// A session is three coroutines on the hub's executor: a reader (frames in;
// each op is spawned as its own coroutine, so several may be in flight), a
// writer (the only one that writes: replies, events, pings and the close
// frame leave through one bounded queue), and a keep-alive ticker (a ping every
// ping_interval; a peer silent for idle_timeout, or a write stuck for as long,
// is cut off). An op becomes a Request with the same method, path, query and
// body as its REST endpoint and the upgrade request's credentials, and goes
// through the same dispatch as HTTP (authentication, authorization and
// validation identical; a revoked token stops working mid-connection).
//
// Back-pressure: op replies are queued at once; when the queue is over
// max_queue_frames or max_queue_bytes the connection is closed with 1008
// "send queue overflow". A watch waits for room (the queue half full) up to
// watch_stall_timeout, then overflows the same way; while it waits, live
// events it has not sent are caught up from the durable log (EventFeed).
//
// Shutdown: drain() stops the watches, waits for in-flight ops until the
// deadline, then closes every connection with 1001 (going away).
//
// Where each part lives (each file's header says more):
//   websocket_hub.{hpp,cpp}       this hub: accepting, the registry of
//                                 sessions, its metrics, the GET /ws route
//   websocket_hub_state.hpp       what the hub's files share (the registry,
//                                 its counters, the calls into the session)
//   websocket_session.{hpp,cpp}   one connection: its outgoing queue and
//                                 close (the .hpp, Beast-free), the handshake,
//                                 reader, writer and keep-alive, and drain()
//   websocket_dispatch.{hpp,cpp}  a client's text frame to its op, watch,
//                                 unwatch or ping
//   websocket_watch.{hpp,cpp}     the watch op: the event (and log) subscription
//   websocket_ops, websocket_frames: ops as REST requests; the frames we send
// Beast is included only by websocket_session.cpp. Engine thread only.
#pragma once

#include "net/address_slots.hpp"
#include "net/http_message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace solo {
class Telemetry;
}

namespace solo::net {

class Router;
struct ApiContext;

struct WebSocketOptions {
  std::chrono::milliseconds ping_interval{20000};  // the server pings this often
  std::chrono::milliseconds idle_timeout{60000};   // a peer silent this long (no frame, no pong) is cut off; also bounds a stuck write
  std::chrono::milliseconds close_timeout{5000};   // from our close frame to cutting the socket
  std::chrono::milliseconds watch_stall_timeout{10000};  // a watch waiting this long for queue room overflows
  std::size_t max_frame_bytes = 1024 * 1024;       // larger incoming messages: close 1009
  std::size_t max_queue_frames = 1000;             // outgoing frames waiting for the socket
  std::size_t max_queue_bytes = 4 * 1024 * 1024;
  std::size_t max_ops_in_flight = 256;             // per connection; beyond: an `overloaded` error reply
  std::size_t max_connections = 1024;              // beyond: GET /ws answers 503
};

class WebSocketHub {
 public:
  // How an op's Request is answered: the Gateway's dispatch (authentication
  // included) in solo; any handler in tests.
  using Dispatch = std::function<asio::awaitable<Response>(Request&)>;

  // `context` provides the event store and log book for watch (either may be
  // null: watch then answers 503).
  WebSocketHub(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, WebSocketOptions options = {});
  ~WebSocketHub();
  WebSocketHub(const WebSocketHub&) = delete;
  WebSocketHub& operator=(const WebSocketHub&) = delete;

  void set_dispatch(Dispatch dispatch);

  // Whether a new connection would be taken (not draining, under the cap).
  bool accepting() const;
  // Takes over an upgrade request the dispatch accepted (answered 101) and
  // its socket: runs the WebSocket handshake and the session. `slot` (the
  // HttpServer's per-address slot) is held until the session ends.
  void accept(Request request, asio::ip::tcp::socket socket, ConnectionSlot slot = nullptr);

  asio::awaitable<void> drain(std::chrono::milliseconds deadline);

  // solo_ws_connections, solo_ws_frames_{received,sent}_total, solo_ws_closes_total{reason}.
  void register_metrics(Telemetry& telemetry);
  std::size_t connections() const;

  struct State;  // websocket_hub_state.hpp

 private:
  std::shared_ptr<State> state_;
};

// GET /ws: 101 for a WebSocket upgrade request (the server then calls
// hub->accept), 426 for any other request, 503 when the hub is not accepting.
// (GET /ui, the dashboard that uses it: net/ui/dashboard_assets.hpp.)
void add_websocket_routes(Router& router, std::shared_ptr<WebSocketHub> hub);

}  // namespace solo::net
