// HttpServer: accept loop, per-connection session coroutine, drain.
//
// The session is written against a Connection<Stream>: plain connections use
// beast::tcp_stream, TLS ones beast::ssl_stream<beast::tcp_stream>, which
// only adds a handshake before the first request and a close_notify after the
// last; everything else reaches the socket through beast::get_lowest_layer(). Timeouts use beast::tcp_stream's expiry, which
// closes the socket when it fires and makes the pending operation fail with
// beast::error::timeout.
//
// Pure functions convert between Beast messages and Request/Response; the
// coroutines only do I/O (the shape of Beast's http_server_awaitable example).
// The TLS context (certificate, key, client verification) is built by
// net/tls_context.cpp.
#include "net/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "base/exception_text.hpp"
#include "base/wakeup.hpp"

namespace solo::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// After an error answer we read (and drop) what the client still sends for
// this long, so that closing with unread data does not reset the connection
// before the client has read the answer (the "lingering close" of Apache).
constexpr auto linger_timeout = std::chrono::seconds(1);
constexpr std::size_t linger_max_bytes = 64 * 1024;
// Accept failures are logged at most this often (with a count of the rest),
// and the loop pauses this long after one rather than spin.
constexpr auto accept_log_interval = std::chrono::seconds(1);
constexpr auto accept_retry_pause = std::chrono::milliseconds(50);

// One accepted connection as drain() sees it, whatever its stream type.
// Owned jointly by the registry in State and the session coroutine; touched
// only on the server's executor.
struct ConnectionControl {
  virtual ~ConnectionControl() = default;
  virtual void close() = 0;
  asio::cancellation_signal cancel;  // bound to the session coroutine
  bool busy = false;       // from a request's header to the end of its answer
  bool streaming = false;  // a Response::stream producer is running
  // Over a connection cap: serves one request, and only GET /health for real.
  bool overflow = false;
  bool address_full = false;  // overflow because of the per-address cap (else the global one)
  bool heard = false;         // a byte of a request has arrived (a silent overflow connection can be evicted)
  bool evicted = false;       // closed to make room for a newer overflow connection
  ConnectionSlot slot;  // its AddressSlots slot (per-address cap), handed on at a WebSocket upgrade
};

template <class Stream>
struct Connection final : ConnectionControl {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  Connection(tcp::socket socket, asio::ssl::context& context) : stream(std::move(socket), context) {}
  void close() override {
    auto& layer = beast::get_lowest_layer(stream);
    beast::error_code ignored;
    layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
    layer.close();
  }
  Stream stream;
  beast::flat_buffer buffer;  // bytes read past the previous request (pipelining)
  std::string remote_address;
};

using PlainConnection = Connection<beast::tcp_stream>;
using TlsConnection = Connection<beast::ssl_stream<beast::tcp_stream>>;

template <class Conn>
constexpr bool is_tls = std::is_same_v<Conn, TlsConnection>;

}  // namespace

struct HttpServer::State {
  State(asio::any_io_executor executor_in, HttpServerOptions options_in, RequestHandler handler_in)
      : executor(std::move(executor_in)),
        options(std::move(options_in)),
        handler(std::move(handler_in)),
        acceptor(executor),
        drain_progress(executor),
        slots(options.max_connections_per_address),
        overflow_slots(kMaxOverflowPerAddress) {}

  // Immutable after run() starts.
  asio::any_io_executor executor;
  HttpServerOptions options;
  RequestHandler handler;
  RequestObserver on_request;
  HttpServer::UpgradeHandler on_upgrade;  // WebSocket hook; see set_on_upgrade()
  std::unique_ptr<asio::ssl::context> tls;  // set by listen() when options.tls is
  // Executor-owned.
  tcp::acceptor acceptor;
  std::map<std::uint64_t, std::shared_ptr<ConnectionControl>> connections;
  std::uint64_t next_connection_id = 0;
  bool draining = false;
  Wakeup drain_progress;  // notified when a request ends and when a connection goes (drain() waits on it)
  AddressSlots slots;           // per-address cap of served connections
  AddressSlots overflow_slots;  // per-address cap of overflow connections
  Clock::time_point last_accept_log{};
  std::uint64_t unlogged_accept_failures = 0;
  // Written on the executor, readable anywhere.
  std::atomic<std::size_t> active{0};    // served connections (not overflow ones)
  std::atomic<std::size_t> overflow{0};  // overflow connections
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::size_t> in_flight{0};
};

namespace {

using State = HttpServer::State;

// Counts a request as in flight (drain() waits for it) while alive.
class InFlight {
 public:
  InFlight(State& state, ConnectionControl& connection) : state_(state), connection_(connection) {
    ++state_.in_flight;
    connection_.busy = true;
  }
  ~InFlight() { release(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  void release() {
    if (released_) return;
    released_ = true;
    --state_.in_flight;
    connection_.busy = false;
    state_.drain_progress.notify();
  }

 private:
  State& state_;
  ConnectionControl& connection_;
  bool released_ = false;
};

// Removes the connection from the registry when its session ends.
struct Registration {
  std::shared_ptr<State> state;
  std::uint64_t id;
  bool overflow;
  ~Registration() {
    state->connections.erase(id);
    --(overflow ? state->overflow : state->active);
    state->drain_progress.notify();
  }
};

// ---- Pure conversions ------------------------------------------------------

std::optional<Request> to_request(http::request<http::string_body>&& message,
                                  const std::string& remote_address) {
  const std::string_view target_text(message.target().data(), message.target().size());
  const auto target = boost::urls::parse_origin_form(target_text);
  if (!target) return std::nullopt;
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(target_text);
  // Most paths have no escapes: then the decoded path is the encoded one,
  // copied whole rather than decoded byte by byte.
  const auto encoded_path = target->encoded_path();
  if (encoded_path.find('%') == boost::core::string_view::npos) {
    request.path.assign(encoded_path.data(), encoded_path.size());
  } else {
    request.path = target->path();
  }
  if (target->has_query()) {
    for (const auto& param : target->params()) request.query.emplace_back(param.key, param.value);
  }
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    std::string name(field.name_string());
    // ASCII only (field names are tokens), without std::tolower's locale look-up per byte.
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_address;
  return request;
}

template <class Message>
void set_head(Message& message, const Response& response, bool keep_alive) {
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  message.set(http::field::server, "solo");
  if (!response.content_type.empty()) {  // empty: no body (202, 204)
    message.set(http::field::content_type, response.content_type);
  }
  // Handler headers replace the defaults above when they name the same field.
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.keep_alive(keep_alive);
}

http::response<http::string_body> to_beast(Response response, bool keep_alive) {
  http::response<http::string_body> message;
  set_head(message, response, keep_alive);
  message.body() = std::move(response.body);
  message.prepare_payload();
  return message;
}

// The answer to a request that failed before reaching a handler; nullopt when
// there is nobody to answer (peer gone, timed out, connection closed).
std::optional<Response> answer_for_read_error(const beast::error_code& ec,
                                              const HttpServerOptions& options) {
  if (ec == http::error::header_limit) {
    return error_response(431, "too_large",
                          "request header exceeds " + std::to_string(options.max_header_bytes) +
                              " bytes");
  }
  if (ec == http::error::body_limit) {
    return error_response(413, "too_large",
                          "request body exceeds " + std::to_string(options.max_body_bytes) +
                              " bytes");
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    // Beast's parse messages ("bad method", "bad version") name no user data.
    return error_response(400, "invalid_request", "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

// RFC 9112 6.3: a request whose Transfer-Encoding does not end in chunked has
// no reliable length, and one with both Transfer-Encoding and Content-Length
// is a request-smuggling vector; both are 400 (and the connection closes).
template <class Fields>
std::optional<Response> framing_error(const Fields& fields) {
  if (fields.find(http::field::transfer_encoding) == fields.end()) return std::nullopt;
  if (fields.find(http::field::content_length) != fields.end()) {
    return error_response(400, "invalid_request", "a request may not have both Transfer-Encoding and Content-Length");
  }
  std::string_view last;
  for (auto it = fields.find(http::field::transfer_encoding);
       it != fields.end() && it->name() == http::field::transfer_encoding; ++it) {
    std::string_view value(it->value().data(), it->value().size());
    auto comma = value.rfind(',');
    last = comma == std::string_view::npos ? value : value.substr(comma + 1);
  }
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  if (!beast::iequals(last, "chunked")) {
    return error_response(400, "invalid_request", "Transfer-Encoding must end in chunked");
  }
  return std::nullopt;
}

// The one request an overflow connection serves for real.
template <class Fields>
bool is_health_request(const Fields& header) {
  const auto method = header.method();
  return (method == http::verb::get || method == http::verb::head) && header.target() == "/health";
}

Response over_capacity(const State& state, const ConnectionControl& conn, const std::string& address) {
  const bool address_full = conn.address_full;
  auto response = error_response(
      503, "overloaded",
      address_full ? "too many connections from " + address + " (at most " +
                         std::to_string(state.options.max_connections_per_address) + "); close one and retry"
                   : "too many connections (at most " + std::to_string(state.options.max_connections) +
                         "); retry shortly");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

bool cancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

void observe(State& state, const Request& request, int status, Clock::time_point started) {
  if (state.on_request) state.on_request(request, status, Clock::now() - started);
}

// ---- Coroutines ------------------------------------------------------------

// Sends `response` with Connection: close, then closes lingering.
template <class Conn>
asio::awaitable<void> answer_and_close(std::shared_ptr<Conn> conn, Response response,
                                       std::chrono::seconds write_timeout) {
  auto& layer = beast::get_lowest_layer(conn->stream);
  auto message = to_beast(std::move(response), false);
  layer.expires_after(write_timeout);
  auto [write_ec, written] =
      co_await http::async_write(conn->stream, message, as_tuple(use_awaitable));
  if (!write_ec) {
    beast::error_code ignored;
    layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
    layer.expires_after(linger_timeout);
    std::array<char, 4096> sink;
    std::size_t drained = 0;
    while (drained < linger_max_bytes) {
      auto [read_ec, n] = co_await layer.async_read_some(asio::buffer(sink), as_tuple(use_awaitable));
      if (read_ec) break;
      drained += n;
    }
  }
  conn->close();
}

// A handler's exception becomes a 500 without its text (it may carry secrets
// or internals); the text goes to stderr. Cancellation (drain) propagates.
asio::awaitable<Response> call_handler(std::shared_ptr<State> state, Request& request) {
  std::exception_ptr failure;
  try {
    co_return co_await state->handler(request);
  } catch (...) {
    failure = std::current_exception();
  }
  if (cancelled(co_await asio::this_coro::cancellation_state)) std::rethrow_exception(failure);
  std::cerr << "solo: handler for " << request.method << ' ' << request.path
            << " failed: " << describe_exception(failure) << std::endl;
  co_return error_response(500, "internal_error", "internal error");
}

template <class Conn>
class ChunkWriter;

template <class Conn>
asio::awaitable<bool> write_chunk(std::shared_ptr<ChunkWriter<Conn>> writer, std::string chunk);

// StreamWriter over one connection: each write() is one HTTP chunk, written
// (and so flushed) before write() completes. Once a write failed, every later
// write() returns false without touching the socket.
template <class Conn>
class ChunkWriter final : public StreamWriter,
                          public std::enable_shared_from_this<ChunkWriter<Conn>> {
 public:
  ChunkWriter(std::shared_ptr<Conn> conn, std::chrono::seconds timeout)
      : conn_(std::move(conn)), timeout_(timeout) {}
  asio::awaitable<bool> write(std::string chunk) override {
    return write_chunk(this->shared_from_this(), std::move(chunk));
  }
  bool failed() const { return failed_; }

 private:
  friend asio::awaitable<bool> write_chunk<Conn>(std::shared_ptr<ChunkWriter<Conn>>, std::string);
  std::shared_ptr<Conn> conn_;
  std::chrono::seconds timeout_;
  bool failed_ = false;
};

template <class Conn>
asio::awaitable<bool> write_chunk(std::shared_ptr<ChunkWriter<Conn>> writer, std::string chunk) {
  if (writer->failed_) co_return false;
  if (chunk.empty()) co_return true;  // an empty chunk would end the body
  beast::get_lowest_layer(writer->conn_->stream).expires_after(writer->timeout_);
  auto [ec, n] = co_await asio::async_write(writer->conn_->stream,
                                            http::make_chunk(asio::buffer(chunk)),
                                            as_tuple(use_awaitable));
  if (ec) writer->failed_ = true;
  co_return !ec;
}

// Sends a streaming response; returns whether the connection may serve another
// request.
template <class Conn>
asio::awaitable<bool> stream_response(std::shared_ptr<State> state, std::shared_ptr<Conn> conn,
                                      Request& request, Response response, bool keep_alive,
                                      Clock::time_point started) {
  auto& layer = beast::get_lowest_layer(conn->stream);
  http::response<http::empty_body> head;
  set_head(head, response, keep_alive);
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer{head};
  layer.expires_after(state->options.idle_timeout);
  co_await http::async_write_header(conn->stream, serializer, use_awaitable);

  auto writer = std::make_shared<ChunkWriter<Conn>>(conn, state->options.idle_timeout);
  std::exception_ptr failure;
  try {
    co_await response.stream(writer);
  } catch (...) {
    failure = std::current_exception();
  }
  conn->streaming = false;
  if (failure) {
    if (cancelled(co_await asio::this_coro::cancellation_state)) std::rethrow_exception(failure);
    // The head is gone already: all we can do is cut the body short.
    std::cerr << "solo: stream for " << request.method << ' ' << request.path
              << " failed: " << describe_exception(failure) << std::endl;
    co_return false;
  }
  if (writer->failed()) co_return false;
  layer.expires_after(state->options.idle_timeout);
  auto [ec, n] =
      co_await asio::async_write(conn->stream, http::make_chunk_last(), as_tuple(use_awaitable));
  observe(*state, request, response.status, started);
  co_return !ec && keep_alive && !state->draining;
}

template <class Conn>
asio::awaitable<void> serve_requests(std::shared_ptr<State> state, std::shared_ptr<Conn> conn) {
  const auto& options = state->options;
  auto& layer = beast::get_lowest_layer(conn->stream);
  bool first_request = true;
  for (;;) {
    if (state->draining) co_return;
    // Idle: wait for the first byte of the next request (of the first one: a
    // short deadline, so that silent connections do not hold slots). The
    // read_timeout starts with it, so a client that trickles a request in is
    // cut off however steadily it trickles.
    if (conn->buffer.size() == 0) {
      if (conn->overflow) {
        layer.expires_after(std::min(options.first_byte_timeout, kOverflowRequestTimeout));
      } else if (first_request) {
        layer.expires_after(options.first_byte_timeout);
      } else {
        layer.expires_after(options.idle_timeout);
      }
      auto [idle_ec, n] =
          co_await conn->stream.async_read_some(conn->buffer.prepare(4096), as_tuple(use_awaitable));
      if (idle_ec) co_return;  // closed, idle timeout, or drain
      conn->buffer.commit(n);
    }
    conn->heard = true;
    first_request = false;
    layer.expires_after(conn->overflow
                            ? std::min<std::chrono::milliseconds>(options.read_timeout, kOverflowRequestTimeout)
                            : std::chrono::milliseconds(options.read_timeout));
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
    parser.body_limit(options.max_body_bytes);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(conn->stream, conn->buffer, parser, as_tuple(use_awaitable));
    if (header_ec) {
      if (auto answer = answer_for_read_error(header_ec, options)) {
        co_await answer_and_close(conn, std::move(*answer), options.idle_timeout);
      }
      co_return;
    }

    InFlight in_flight(*state, *conn);
    if (auto refused = framing_error(parser.get())) {
      co_await answer_and_close(conn, std::move(*refused), options.idle_timeout);
      co_return;
    }
    if (conn->overflow && !is_health_request(parser.get())) {
      co_await answer_and_close(conn, over_capacity(*state, *conn, conn->remote_address), options.idle_timeout);
      co_return;
    }
    // Refuse a declared oversized body before reading any of it.
    if (const auto length = parser.content_length(); length && *length > options.max_body_bytes) {
      co_await answer_and_close(conn, *answer_for_read_error(http::error::body_limit, options),
                                options.idle_timeout);
      co_return;
    }
    if (!parser.is_done()) {
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(conn->stream, go_on, use_awaitable);
      }
      auto [body_ec, body_bytes] =
          co_await http::async_read(conn->stream, conn->buffer, parser, as_tuple(use_awaitable));
      if (body_ec) {
        if (auto answer = answer_for_read_error(body_ec, options)) {
          co_await answer_and_close(conn, std::move(*answer), options.idle_timeout);
        }
        co_return;
      }
    }
    const bool client_keep_alive = parser.get().keep_alive();
    auto request = to_request(parser.release(), conn->remote_address);
    if (!request) {
      co_await answer_and_close(
          conn, error_response(400, "invalid_request", "request target is not an origin-form path"),
          options.idle_timeout);
      co_return;
    }

    const auto started = Clock::now();
    Response response = co_await call_handler(state, *request);
    // WebSocket hook: a 101 from the handler hands the socket over (set_on_upgrade).
    if (response.status == 101 && state->on_upgrade) {
      if constexpr (std::is_same_v<Conn, PlainConnection>) {
        in_flight.release();
        observe(*state, *request, 101, started);
        state->on_upgrade(std::move(*request), layer.release_socket(), std::move(conn->slot));
        co_return;
      } else {
        response = error_response(501, "not_implemented", "WebSocket over TLS is not supported yet");
      }
    }
    const bool keep_alive = client_keep_alive && !state->draining && !conn->overflow;
    if (response.stream) {
      // A stream ends when its producer wants, not when the request is
      // "done", so drain() does not wait for it: it cancels it at once.
      conn->streaming = true;
      in_flight.release();
      if (!co_await stream_response(state, conn, *request, std::move(response), keep_alive,
                                    started)) {
        co_return;
      }
      continue;
    }
    const int status = response.status;
    auto message = to_beast(std::move(response), keep_alive);
    layer.expires_after(options.idle_timeout);
    co_await http::async_write(conn->stream, message, use_awaitable);
    observe(*state, *request, status, started);
    if (!keep_alive) co_return;
  }
}

// The TLS handshake within the deadline; false when it failed (a plain HTTP
// client, an untrusted or missing client certificate, a stalled peer).
asio::awaitable<bool> tls_handshake(std::shared_ptr<TlsConnection> conn, std::chrono::milliseconds deadline) {
  beast::get_lowest_layer(conn->stream).expires_after(deadline);
  auto [ec] = co_await conn->stream.async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
  co_return !ec;
}

// Sends close_notify, waiting at most a moment for the peer's.
asio::awaitable<void> tls_shutdown(std::shared_ptr<TlsConnection> conn) {
  auto& layer = beast::get_lowest_layer(conn->stream);
  if (!layer.socket().is_open()) co_return;
  layer.expires_after(std::chrono::seconds(1));
  auto [ec] = co_await conn->stream.async_shutdown(as_tuple(use_awaitable));
  (void)ec;  // the peer may well have gone already
}

template <class Conn>
asio::awaitable<void> run_session(std::shared_ptr<State> state, std::shared_ptr<Conn> conn, std::uint64_t id) {
  Registration registration{state, id, conn->overflow};
  try {
    if constexpr (is_tls<Conn>) {
      if (co_await tls_handshake(conn, state->options.tls->handshake_timeout)) {
        co_await serve_requests(state, conn);
        if (!state->draining) co_await tls_shutdown(conn);
      }
    } else {
      co_await serve_requests(state, conn);
    }
  } catch (const boost::system::system_error&) {
    // The peer vanished mid-write, or drain() cancelled us: nothing to report.
  } catch (const std::exception& e) {
    std::cerr << "solo: http connection from " << conn->remote_address
              << " failed: " << e.what() << std::endl;
  }
  conn->close();
}

template <class Conn>
void start_session(const std::shared_ptr<State>& state, std::shared_ptr<Conn> conn) {
  const auto id = state->next_connection_id++;
  state->connections.emplace(id, conn);
  ++(conn->overflow ? state->overflow : state->active);
  auto slot = conn->cancel.slot();
  asio::co_spawn(state->executor, run_session(state, std::move(conn), id),
                 asio::bind_cancellation_slot(slot, asio::detached));
}

template <class Conn>
std::shared_ptr<Conn> make_connection(State& state, tcp::socket socket) {
  if constexpr (is_tls<Conn>) {
    return std::make_shared<Conn>(std::move(socket), *state.tls);
  } else {
    return std::make_shared<Conn>(std::move(socket));
  }
}

// Closes the oldest overflow connection that has not sent a byte yet, to
// make room for a new one; false when every overflow connection is talking.
// A monitor's connection sends its GET /health at once, so a flood of silent
// connections from many addresses cannot keep it out: each newcomer pushes
// out the oldest silent one instead of being turned away.
bool evict_silent_overflow(State& state) {
  for (const auto& [id, conn] : state.connections) {  // by id: oldest first
    if (!conn->overflow || conn->heard || conn->busy || conn->evicted) continue;
    conn->evicted = true;
    conn->close();  // its session ends and gives the place back
    return true;
  }
  return false;
}

// Overflow connections open and not yet being evicted.
std::size_t live_overflow(const State& state) {
  std::size_t evicting = 0;
  for (const auto& [id, conn] : state.connections) evicting += conn->overflow && conn->evicted ? 1 : 0;
  return state.overflow.load() - std::min(evicting, state.overflow.load());
}

// Takes a slot (or an overflow place) for a new connection and starts its
// session; closes it at once when even the overflow places are taken by
// connections that are talking (silent ones are evicted first).
template <class Conn>
void admit(const std::shared_ptr<State>& state, tcp::socket socket, std::string address) {
  ConnectionSlot slot;
  const bool room = state->active.load() < state->options.max_connections;
  if (room) slot = state->slots.try_take(address);
  const bool overflow = !slot;
  if (overflow) {
    ++state->refused;
    slot = state->overflow_slots.try_take(address);
    if (!slot) return;  // this address holds its share of overflow places: the socket closes here
    if (live_overflow(*state) >= kMaxOverflowConnections && !evict_silent_overflow(*state)) return;
  }
  auto conn = make_connection<Conn>(*state, std::move(socket));
  conn->remote_address = std::move(address);
  conn->overflow = overflow;
  conn->address_full = overflow && room;
  conn->slot = std::move(slot);
  start_session(state, std::move(conn));
}

// At most one line per accept_log_interval; the ones in between are counted
// and the count goes with the next line.
void log_accept_failure(State& state, const beast::error_code& ec) {
  const auto now = Clock::now();
  if (state.last_accept_log != Clock::time_point{} && now - state.last_accept_log < accept_log_interval) {
    ++state.unlogged_accept_failures;
    return;
  }
  std::cerr << "solo: accept failed: " << ec.message();
  if (state.unlogged_accept_failures > 0) {
    std::cerr << " (and " << state.unlogged_accept_failures << " more not logged since the last line)";
  }
  std::cerr << std::endl;
  state.last_accept_log = now;
  state.unlogged_accept_failures = 0;
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(as_tuple(use_awaitable));
    if (ec) {
      if (!state->acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: transient, so back off rather than spin.
      log_accept_failure(*state, ec);
      asio::steady_timer pause(state->executor, accept_retry_pause);
      co_await pause.async_wait(as_tuple(use_awaitable));
      continue;
    }
    beast::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) continue;  // already gone
    auto address = peer.address().to_string();
    if (state->tls) {
      admit<TlsConnection>(state, std::move(socket), std::move(address));
    } else {
      admit<PlainConnection>(state, std::move(socket), std::move(address));
    }
  }
}

std::vector<std::shared_ptr<ConnectionControl>> snapshot(const State& state) {
  std::vector<std::shared_ptr<ConnectionControl>> out;
  out.reserve(state.connections.size());
  for (const auto& [id, conn] : state.connections) out.push_back(conn);
  return out;
}

void close_acceptor(State& state) {
  beast::error_code ignored;
  state.acceptor.close(ignored);
}

asio::awaitable<void> drain_connections(std::shared_ptr<State> state,
                                        std::chrono::milliseconds deadline) {
  const auto give_up_at = Clock::now() + deadline;
  state->draining = true;
  close_acceptor(*state);
  // Idle connections have nothing to finish; streams never finish by themselves.
  for (const auto& conn : snapshot(*state)) {
    if (conn->streaming) {
      conn->cancel.emit(asio::cancellation_type::terminal);
    } else if (!conn->busy) {
      conn->close();
    }
  }
  while (state->in_flight.load() > 0 && Clock::now() < give_up_at) {
    co_await state->drain_progress.wait_until(give_up_at);
  }
  // Force: cancel what still runs (handlers see operation_aborted) and close.
  for (const auto& conn : snapshot(*state)) {
    conn->cancel.emit(asio::cancellation_type::terminal);
    conn->close();
  }
  // Let the session coroutines unwind so that callers see zero connections.
  const auto unwind_until = Clock::now() + std::chrono::seconds(1);
  while (!state->connections.empty() && Clock::now() < unwind_until) {
    co_await state->drain_progress.wait_until(unwind_until);
  }
}

}  // namespace

HttpServer::HttpServer(asio::any_io_executor executor, HttpServerOptions options,
                       RequestHandler handler)
    : state_(std::make_shared<State>(std::move(executor), std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() = default;

void HttpServer::listen() {
  auto& state = *state_;
  const auto where = state.options.host + ":" + std::to_string(state.options.port);
  if (state.options.tls && !state.tls) state.tls = make_server_tls_context(*state.options.tls);
  try {
    tcp::resolver resolver(state.executor);
    const auto results = resolver.resolve(state.options.host, std::to_string(state.options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = results.begin()->endpoint();
    state.acceptor.open(endpoint.protocol());
    state.acceptor.set_option(tcp::acceptor::reuse_address(true));
    state.acceptor.bind(endpoint);
    state.acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    close_acceptor(state);
    throw std::runtime_error("cannot listen on " + where + ": " + e.code().message());
  }
}

asio::ip::tcp::endpoint HttpServer::local_endpoint() const { return state_->acceptor.local_endpoint(); }

bool HttpServer::tls() const { return state_->options.tls.has_value(); }

void HttpServer::set_on_request(RequestObserver observer) { state_->on_request = std::move(observer); }

void HttpServer::set_on_upgrade(UpgradeHandler handler) { state_->on_upgrade = std::move(handler); }

asio::awaitable<void> HttpServer::run() { return accept_loop(state_); }

void HttpServer::stop_accepting() {
  asio::dispatch(state_->executor, [state = state_] { close_acceptor(*state); });
}

asio::awaitable<void> HttpServer::drain(std::chrono::milliseconds deadline) {
  return drain_connections(state_, deadline);
}

std::size_t HttpServer::active_connections() const { return state_->active.load(); }

std::size_t HttpServer::in_flight() const { return state_->in_flight.load(); }

std::size_t HttpServer::overflow_connections() const { return state_->overflow.load(); }

std::uint64_t HttpServer::refused_connections() const { return state_->refused.load(); }

}  // namespace solo::net
