// WebSocketSession: one /ws connection as the op and watch code sees it (no
// Beast here): the upgrade request whose identity every op carries, the
// bounded outgoing queue with its back-pressure, the close, and the slot of
// the one watch a connection may run.
//
// The transport — the Beast stream, the handshake, the reader, the writer
// that drains this queue, the keep-alive ticker — derives from it in
// websocket_session.cpp, the only file that includes Beast; it cuts the
// socket (cut()). See websocket_hub.hpp for the protocol's overview.
//
// A session is kept alive by its coroutines (shared_ptr); the hub's registry
// holds weak pointers. Everything runs on the hub's single-threaded executor,
// so fields are plain members. Engine thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/cancellation_signal.hpp>

#include "base/wakeup.hpp"
#include "net/address_slots.hpp"
#include "net/http_message.hpp"
#include "net/websocket_hub_state.hpp"

namespace solo::net {

// RFC 6455 close code for a policy violation (here: the send queue overflowed).
inline constexpr std::uint16_t kClosePolicyViolation = 1008;

// One frame waiting for the writer.
struct Outgoing {
  enum class Kind { text, ping, close } kind = Kind::text;
  std::string data;             // text: the message (counted in queued_bytes)
  std::uint16_t close_code = 0;  // close: the code and reason sent
  std::string close_reason;
};

class WebSocketSession {
 public:
  using Clock = std::chrono::steady_clock;

  WebSocketSession(std::shared_ptr<HubState> hub, uint64_t id, Request upgrade, ConnectionSlot slot);
  virtual ~WebSocketSession();  // leaves the hub's registry
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  const WebSocketOptions& options() const { return hub->options; }

  // Queues a text frame; false (and nothing queued) once closing, or when the
  // queue overflows, which starts the 1008 close.
  bool send(std::string text);

  // Whether a watch frame of this size fits under the watch's share (half)
  // of the queue.
  bool watch_room(size_t bytes) const;

  // Counts the close as "overflow" and starts the 1008 close, dropping what is queued.
  void overflow();

  void count_close(const std::string& reason) { ++hub->closes[reason]; }

  // Stops new frames, optionally drops what is queued, queues the close frame
  // and arms the deadline after which the socket is cut.
  void begin_close(std::uint16_t code, std::string_view reason, bool discard);

  // Cuts the TCP connection: every pending operation fails.
  virtual void cut() = 0;

  // Ends the running watch, if any (a new one gets a new generation).
  void stop_watch();

  std::shared_ptr<HubState> hub;
  uint64_t id;
  ConnectionSlot slot;  // the HttpServer's per-address slot: this connection still counts for its address
  Request upgrade;      // identity for every op: credentials, tenant, caller
  std::deque<Outgoing> queue;
  size_t queued_bytes = 0;
  Wakeup writer_wakeup;  // the queue got an item
  Wakeup space;          // the queue shrank (watch back-pressure)
  bool closing = false;  // close frame queued or sent: no new frames
  bool closed = false;   // socket cut
  Clock::time_point close_deadline{};
  size_t ops_in_flight = 0;
  uint64_t watch_generation = 0;
  std::shared_ptr<asio::cancellation_signal> watch_cancel;
};

}  // namespace solo::net
