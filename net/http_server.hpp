// HttpServer: the HTTP/1.1 listener and its connections.
//
// One coroutine per connection reads requests (keep-alive), converts each into
// a solo::net::Request, awaits the handler and writes the Response, or streams
// it with chunked transfer encoding when Response::stream is set (SSE). The
// protective limits live here, before any handler runs: header and body size
// (431 / 413 without reading the body), request framing (a Transfer-Encoding
// that does not end in chunked, or one together with Content-Length: 400, RFC
// 9112 6.3), a first-byte deadline for a new connection, a whole-request read
// deadline (slowloris), an idle keep-alive deadline, and connection caps.
//
// Connection caps: at most max_connections_per_address per client address
// (HTTP and WebSocket connections together, see AddressSlots) and at most
// max_connections in all. A connection over either cap is still accepted, as
// an "overflow" connection that serves exactly one request and then closes:
// GET /health gets its real answer (so that monitors see the instance even
// while a flood holds every slot), anything else 503 `overloaded` with
// Retry-After. Overflow connections take no slot; there are at most
// kMaxOverflowConnections of them (kMaxOverflowPerAddress per address: 64 and
// 8). When they are all taken, a new one pushes out the oldest overflow
// connection that has not sent a byte yet (a monitor sends its request at
// once; a flood's connections stay silent); if every one is talking, or its
// address holds its 8 already, the new connection is closed at once, without
// an answer. An overflow connection's request must arrive within
// kOverflowRequestTimeout (1 s), so trickling ones free their places quickly.
//
// Accept failures (out of descriptors, say) are logged at most once a second,
// with the count of those not logged.
//
// Shutdown follows "ask, wait to a deadline, force": stop_accepting() closes
// the listener; drain() closes idle connections and cancels streams at once,
// waits for in-flight requests up to the deadline, then emits terminal
// cancellation to every connection and closes its socket.
//
// Threading: the server and all its connections live on the executor passed
// in, which must be single-threaded (an io_context run by one thread, or a
// strand). Call listen(), stop_accepting(), run() and drain() from that
// executor (listen() may also be called before the io_context runs).
// active_connections() and in_flight() may be read from any thread.
//
// TLS: with HttpServerOptions::tls set, listen() loads the certificate and
// key (throwing "cannot load TLS certificate FILE: why" and the like), and
// every accepted connection first completes a TLS handshake (TLS 1.2 or
// later) within tls->handshake_timeout, then runs the same session code over
// an SSL stream. With client_ca_file set, a client must present a certificate
// that CA signed (mutual TLS); without one its handshake fails. A failed or
// stalled handshake closes that connection only.
//
// Beast and Asio SSL stay inside http_server.cpp; this header only needs
// Asio's TCP types.
#pragma once

#include "net/address_slots.hpp"
#include "net/http_message.hpp"
#include "net/tls_context.hpp"  // TlsServerOptions

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace solo::net {

// Overflow connections (over a connection cap; see above) open at a time.
inline constexpr std::size_t kMaxOverflowConnections = 64;
inline constexpr std::size_t kMaxOverflowPerAddress = 8;
// An overflow connection serves one small request (a monitor's GET /health,
// sent at once): its first byte and its whole request must come within this,
// so that a flood of silent or trickling connections holds an overflow place
// for at most this long, not the first-byte and read deadlines of a served one.
inline constexpr std::chrono::milliseconds kOverflowRequestTimeout{1000};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; see local_endpoint()
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::seconds idle_timeout{30};  // between requests on a keep-alive connection; also bounds each write
  std::chrono::seconds read_timeout{10};  // the whole request, headers and body, from its first byte
  // From accept (TLS: the end of the handshake) to the first byte of the first
  // request: a connection that sends nothing is closed after this.
  std::chrono::milliseconds first_byte_timeout{5000};
  std::size_t max_connections = 1024;             // in all; beyond: overflow connections (above)
  std::size_t max_connections_per_address = 64;   // per client IP, WebSocket included; beyond: overflow
  std::optional<TlsServerOptions> tls;    // HTTPS when set
};

class HttpServer {
 public:
  using RequestHandler = std::function<asio::awaitable<Response>(Request&)>;
  // Called once per answered request with its final status and the time from
  // the end of reading to the end of writing (streams: to the stream's end).
  using RequestObserver =
      std::function<void(const Request&, int status, std::chrono::nanoseconds elapsed)>;

  HttpServer(asio::any_io_executor executor, HttpServerOptions options, RequestHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS files (when options.tls is set), binds and listens. Throws
  // std::runtime_error("cannot listen on HOST:PORT: why"), or for TLS
  // "cannot load TLS certificate FILE: why" (also "TLS key", "TLS client CA").
  void listen();
  bool tls() const;
  asio::ip::tcp::endpoint local_endpoint() const;

  // Set before run(); called on the server's executor.
  void set_on_request(RequestObserver observer);

  // WebSocket hook (net/websocket_hub.hpp): when the handler answers a
  // request with status 101, the server does not write that answer; it hands
  // the request and the connection's socket to this callback and the HTTP
  // session ends (the connection no longer counts in active_connections()).
  // The handler gets the connection's per-address slot and keeps it for as
  // long as the upgraded connection lives. Plain connections only: over TLS a
  // 101 is turned into 501. Set before run().
  using UpgradeHandler = std::function<void(Request&&, asio::ip::tcp::socket&&, ConnectionSlot)>;
  void set_on_upgrade(UpgradeHandler handler);

  // The accept loop; returns once stop_accepting() (or drain()) closed the
  // listener. Connections run as their own coroutines and outlive it.
  asio::awaitable<void> run();

  void stop_accepting();

  // Stops accepting, waits for in-flight requests until `deadline` has passed,
  // then cancels and closes every connection (SSE streams included) and waits
  // briefly for their coroutines to finish.
  asio::awaitable<void> drain(std::chrono::milliseconds deadline);

  std::size_t active_connections() const;
  std::size_t in_flight() const;
  std::size_t overflow_connections() const;  // open overflow connections (over a cap)
  std::uint64_t refused_connections() const;  // connections over a cap, since start (overflow or closed at once)

  struct State;  // defined in http_server.cpp (holds the Beast-facing parts)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace solo::net
