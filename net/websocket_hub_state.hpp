// What the WebSocket hub's files share (internal to net/websocket_*.cpp): the
// hub's State — its options, the Gateway's dispatch, the registry of live
// sessions and the counters behind its metrics — and the two calls the hub
// makes into the Beast translation unit (websocket_session.cpp).
//
// The hub (websocket_hub.cpp) owns State; a session holds it by shared_ptr
// and removes itself from the registry when it ends. Engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "base/wakeup.hpp"
#include "net/websocket_hub.hpp"

namespace solo::net {

class WebSocketSession;

struct WebSocketHub::State {
  State(asio::any_io_executor executor_in, std::shared_ptr<ApiContext> context_in, WebSocketOptions options_in)
      : executor(std::move(executor_in)),
        context(std::move(context_in)),
        options(options_in),
        drain_progress(executor) {}
  asio::any_io_executor executor;
  std::shared_ptr<ApiContext> context;
  WebSocketOptions options;
  Dispatch dispatch;
  std::map<uint64_t, std::weak_ptr<WebSocketSession>> sessions;
  uint64_t next_id = 1;
  bool draining = false;
  Wakeup drain_progress;  // notified when an op ends and when a session goes (drain_hub waits on it)
  // Metrics.
  uint64_t accepted = 0;
  uint64_t frames_received = 0;
  uint64_t frames_sent = 0;
  std::map<std::string, uint64_t> closes;  // by reason label
};

using HubState = WebSocketHub::State;

// Registers a session for an accepted upgrade request and runs its WebSocket
// handshake and its coroutines (websocket_session.cpp).
void start_session(std::shared_ptr<HubState> state, Request upgrade, asio::ip::tcp::socket socket,
                   ConnectionSlot slot);

// WebSocketHub::drain (websocket_session.cpp: it closes with WebSocket codes).
asio::awaitable<void> drain_hub(std::shared_ptr<HubState> state, std::chrono::milliseconds deadline);

}  // namespace solo::net
