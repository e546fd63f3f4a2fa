// Forwarder: hands a request this node does not serve to the node that does
// (docs/cluster.md, "Any node answers"). A cluster node that stands by uses it
// to pass every request but its own /health to the active node, so a client
// may talk to any node.
//
// - HTTP: keep-alive connections to the upstream, each kept idle for at most
//   2 s after an answer and then reused (well within the upstream's own idle
//   timeout, so it is not the upstream that closes them). A kept connection
//   is checked before reuse; if the upstream closed it all the same, the
//   request goes again on a new one when nothing of it can have been taken
//   in (the write failed) or when it is a GET or HEAD. The answer comes back
//   as the upstream gave it, status, headers and body; a streamed answer
//   (SSE, chunked text/event-stream) is relayed piece by piece as it arrives,
//   on a connection of its own that is not kept.
// - WebSocket: the upgrade request is replayed to the upstream and from then
//   on bytes are copied both ways (the upstream's 101 included) until either
//   side closes: the two ends speak WebSocket to each other through it.
//
// What a client sees when forwarding fails:
// - the upstream cannot be reached (refused, nothing within connect_timeout),
//   or the request could not be written to it: nothing of the request reached
//   the upstream, forward() returns nullopt and the caller answers (503
//   `standby`: a move may be under way, retry after a moment);
// - the request was sent and no whole answer came back (the upstream died or
//   went silent for response_timeout): a GET or HEAD is answered as above
//   (retrying it is harmless); anything else is 502 `forward_failed`,
//   because whether it took effect is unknown;
// - the node already holds max_connections upstream connections, none of
//   them idle, or the client's address already has half that many forwards
//   in progress (requests, streams, WebSocket sessions: one client cannot
//   take every connection from the others): 503 `overloaded` with
//   Retry-After. The node bound matters: the upstream counts every forwarded
//   connection against this node's address (max_connections_per_address),
//   so a flood through one node cannot take more than that node's share of
//   the upstream.
//
// Nothing the client sends is trusted: its Host, hop-by-hop headers
// (Connection, Upgrade except for a WebSocket, Transfer-Encoding, TE, ...) and
// any X-Solo-Forwarded-By are dropped; the forwarder adds X-Forwarded-For (the
// client's address, informational) and X-Solo-Forwarded-By (this node). A
// request that already carries X-Solo-Forwarded-By is not forwarded again
// (the caller checks forwarded()), so two nodes with stale views of each
// other cannot bounce a request between them.
//
// http:// upstreams only: an https:// upstream is not forwarded to (the
// caller answers 503 `standby` naming it, as without a forwarder).
//
// Threading: one executor, single-threaded (the node's io_context); every
// call from it. Coroutines it starts keep its state alive; stop() closes
// every upstream and spliced socket so that they end.
#pragma once

#include "net/address_slots.hpp"
#include "net/http_message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace solo::net {

// The header a forwarded request carries: the name of the node that forwarded it.
inline constexpr std::string_view kForwardedByHeader = "x-solo-forwarded-by";

struct ForwarderOptions {
  std::string node;  // sent as X-Solo-Forwarded-By
  std::chrono::milliseconds connect_timeout{1000};
  // To the answer's head, then between pieces of its body (an SSE stream
  // sends a heartbeat every 15 s, so a live stream never waits this long).
  std::chrono::milliseconds response_timeout{60000};
  // An answer read whole (a stream is relayed piece by piece, unbounded):
  // with max_connections of them at once, this bounds what forwarding holds.
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_connections = 32;                // upstream connections at once (HTTP, SSE, WebSocket)
};

struct ForwarderStats {
  std::uint64_t forwarded = 0;    // answers relayed (any status), WebSocket sessions spliced
  std::uint64_t unreachable = 0;  // the upstream could not be reached: nothing was sent
  std::uint64_t failed = 0;       // sent, and no whole answer came back
  std::uint64_t refused = 0;      // over max_connections
  std::size_t open = 0;           // upstream connections open now, in use or kept idle
};

class Forwarder {
 public:
  Forwarder(asio::any_io_executor executor, ForwarderOptions options);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Whether `url` is an upstream this forwarder can reach (http://HOST:PORT).
  static bool can_forward_to(std::string_view url);
  // Whether `request` was forwarded by a node already (never forward it again).
  static bool forwarded(const Request& request);
  // Whether `request` asks for a WebSocket upgrade (then splice(), not forward()).
  static bool is_upgrade(const Request& request);

  // Forwards `request` to `upstream` (can_forward_to) and returns its answer;
  // nullopt when nothing of it reached the upstream (see above). The request
  // must stay alive until the returned awaitable completes; a streamed answer
  // does not refer to it.
  asio::awaitable<std::optional<Response>> forward(const Request& request, std::string upstream);

  // Splices an upgraded connection (HttpServer::set_on_upgrade) with the
  // upstream. When the upstream cannot be reached, or the node is over
  // max_connections, `unavailable` (or 503 `overloaded`) is written to the
  // client and the connection closed. Returns at once; the splice runs on.
  void splice(Request&& request, asio::ip::tcp::socket&& client, ConnectionSlot slot, std::string upstream,
              Response unavailable);

  ForwarderStats stats() const;

  // Closes every upstream connection and spliced client socket; forwards in
  // flight end (502 or nullopt), splices end. Later calls still work.
  void stop();

  struct State;  // forwarder.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace solo::net
