// WebSocketHub and its sessions (see websocket_session.hpp, docs/websocket.md).
//
// Everything runs on the hub's single-threaded executor, so session fields are
// plain members. A Session is kept alive by its coroutines (shared_ptr); the
// hub's registry holds weak pointers for drain() and metrics.
//
// GCC 12 note: inside coroutines no lambda or braced temporary is passed
// within a co_await expression, and JSON objects are built by plain helper
// functions.
#include "net/websocket_session.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <deque>
#include <iostream>
#include <map>
#include <optional>

#include "base/prometheus.hpp"
#include "engine/identifier.hpp"
#include "base/timeout.hpp"
#include "base/wakeup.hpp"
#include "engine/services/log_book.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/event_feed.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/error_reply.hpp"
#include "net/router.hpp"
#include "net/websocket_frames.hpp"
#include "net/websocket_ops.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

constexpr size_t kEventPage = 1000;
constexpr size_t kFeedCapacity = 10000;
constexpr size_t kLogFeedCapacity = 10000;

class Session;

}  // namespace

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
  std::map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_id = 1;
  bool draining = false;
  Wakeup drain_progress;  // notified when an op ends and when a session goes (drain() waits on it)
  // Metrics.
  uint64_t accepted = 0;
  uint64_t frames_received = 0;
  uint64_t frames_sent = 0;
  std::map<std::string, uint64_t> closes;  // by reason label
};

namespace {

using HubState = WebSocketHub::State;

// ---- Session ----------------------------------------------------------------------

struct Outgoing {
  enum class Kind { text, ping, close } kind = Kind::text;
  std::string data;
  websocket::close_reason reason;
};

struct WatchSpec {
  EventQuery filter;  // tenant_id ("" = all), service_id, event_type
  int64_t since = 0;
  bool logs = false;
  std::string log_tenant;
  std::string log_service;
  std::optional<int64_t> log_since;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HubState> hub_in, uint64_t id_in, Request upgrade_in, tcp::socket socket,
          ConnectionSlot slot_in)
      : hub(std::move(hub_in)),
        id(id_in),
        slot(std::move(slot_in)),
        upgrade(std::move(upgrade_in)),
        ws(std::move(socket)),
        writer_wakeup(hub->executor),
        space(hub->executor),
        last_heard(Clock::now()) {}
  ~Session() {
    hub->sessions.erase(id);
    hub->drain_progress.notify();
  }

  const WebSocketOptions& options() const { return hub->options; }

  // Queues a text frame; false (and nothing queued) once closing, or when the
  // queue overflows, which starts the 1008 close.
  bool send(std::string text) {
    if (closing || closed) return false;
    if (queue.size() + 1 > options().max_queue_frames || queued_bytes + text.size() > options().max_queue_bytes) {
      overflow();
      return false;
    }
    queued_bytes += text.size();
    Outgoing item;
    item.data = std::move(text);
    queue.push_back(std::move(item));
    writer_wakeup.notify();
    return true;
  }

  // Whether a watch frame of this size fits under the watch's share (half)
  // of the queue.
  bool watch_room(size_t bytes) const {
    return queue.size() + 1 <= options().max_queue_frames / 2 &&
           queued_bytes + bytes <= options().max_queue_bytes / 2;
  }

  void overflow() {
    count_close("overflow");
    begin_close(websocket::close_code::policy_error, "send queue overflow", true);
  }

  void count_close(const std::string& reason) { ++hub->closes[reason]; }

  // Stops new frames, optionally drops what is queued, queues the close frame
  // and arms the deadline after which the socket is cut.
  void begin_close(websocket::close_code code, std::string_view reason, bool discard) {
    if (closing || closed) return;
    closing = true;
    stop_watch();
    if (discard) {
      queue.clear();
      queued_bytes = 0;
    }
    Outgoing item;
    item.kind = Outgoing::Kind::close;
    item.reason = websocket::close_reason(code, reason);
    queue.push_back(std::move(item));
    close_deadline = Clock::now() + options().close_timeout;
    writer_wakeup.notify();
    space.notify();
  }

  // Cuts the TCP connection: every pending operation fails.
  void cut() {
    if (closed) return;
    closed = true;
    closing = true;
    stop_watch();
    beast::error_code ignored;
    ws.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws.next_layer().close(ignored);
    writer_wakeup.notify();
    space.notify();
  }

  void stop_watch() {
    ++watch_generation;
    if (watch_cancel) {
      watch_cancel->emit(asio::cancellation_type::terminal);
      watch_cancel.reset();
    }
  }

  std::shared_ptr<HubState> hub;
  uint64_t id;
  ConnectionSlot slot;  // the HttpServer's per-address slot: this connection still counts for its address
  Request upgrade;  // identity for every op: credentials, tenant, caller
  websocket::stream<tcp::socket> ws;
  std::deque<Outgoing> queue;
  size_t queued_bytes = 0;
  Wakeup writer_wakeup;  // the queue got an item
  Wakeup space;          // the queue shrank (watch back-pressure)
  bool open = false;     // handshake done
  bool closing = false;  // close frame queued or sent: no new frames
  bool closed = false;   // socket cut
  Clock::time_point last_heard;
  Clock::time_point last_ping{};
  Clock::time_point close_deadline{};
  bool writing = false;
  Clock::time_point write_started{};
  size_t ops_in_flight = 0;
  uint64_t watch_generation = 0;
  std::shared_ptr<asio::cancellation_signal> watch_cancel;
};

// ---- Writer ------------------------------------------------------------------------

asio::awaitable<void> write_loop(std::shared_ptr<Session> self) {
  for (;;) {
    while (self->queue.empty() && !self->closed) co_await self->writer_wakeup.wait();
    if (self->closed) co_return;
    Outgoing item = std::move(self->queue.front());
    self->queue.pop_front();
    self->queued_bytes -= item.data.size();
    self->space.notify();
    self->writing = true;
    self->write_started = Clock::now();
    beast::error_code ec;
    if (item.kind == Outgoing::Kind::text) {
      self->ws.text(true);
      auto [write_ec, n] = co_await self->ws.async_write(asio::buffer(item.data), as_tuple(use_awaitable));
      ec = write_ec;
      if (!ec) ++self->hub->frames_sent;
    } else if (item.kind == Outgoing::Kind::ping) {
      websocket::ping_data payload;
      auto [ping_ec] = co_await self->ws.async_ping(payload, as_tuple(use_awaitable));
      ec = ping_ec;
    } else {
      // Sends the close frame and waits for the peer's (the reader gets it);
      // the keep-alive ticker cuts a peer that never answers.
      auto [close_ec] = co_await self->ws.async_close(item.reason, as_tuple(use_awaitable));
      (void)close_ec;
      self->writing = false;
      self->cut();
      co_return;
    }
    self->writing = false;
    if (ec) {
      self->cut();
      co_return;
    }
  }
}

// ---- Keep-alive ------------------------------------------------------------------

asio::awaitable<void> keepalive_loop(std::shared_ptr<Session> self) {
  const auto& options = self->options();
  const auto tick = std::max<Clock::duration>(
      std::chrono::milliseconds(10), std::min<Clock::duration>(options.ping_interval, options.idle_timeout) / 4);
  asio::steady_timer timer(self->hub->executor);
  self->last_ping = Clock::now();
  while (!self->closed) {
    timer.expires_after(tick);
    co_await timer.async_wait(as_tuple(use_awaitable));
    if (self->closed) co_return;
    const auto now = Clock::now();
    if (self->closing && now >= self->close_deadline) {
      self->cut();
    } else if (now - self->last_heard >= options.idle_timeout) {
      self->count_close("idle");
      self->cut();
    } else if (self->writing && now - self->write_started >= options.idle_timeout) {
      self->count_close("write_stalled");
      self->cut();
    } else if (self->open && !self->closing && now - self->last_ping >= options.ping_interval) {
      self->last_ping = now;
      Outgoing ping;
      ping.kind = Outgoing::Kind::ping;
      self->queue.push_back(std::move(ping));  // control frames bypass the limits
      self->writer_wakeup.notify();
    }
  }
}

// ---- Ops -------------------------------------------------------------------------

asio::awaitable<void> run_op(std::shared_ptr<Session> self, json::value id, std::shared_ptr<Request> request) {
  ++self->ops_in_flight;
  Response response;
  try {
    response = co_await self->hub->dispatch(*request);  // the Gateway answers expected failures
  } catch (...) {
    response = error_reply(std::current_exception(), "websocket op " + request->method + " " + request->path);
  }
  --self->ops_in_flight;
  self->hub->drain_progress.notify();
  if (response.stream) response = error_response(400, "invalid_request", "streams are not available as ops; use watch");
  self->send(reply_frame(id, response));
}

// Waits for room for a watch frame, then queues it; false when the watch
// should end (superseded, closing, or the stall overflowed the connection).
asio::awaitable<bool> send_watched(std::shared_ptr<Session> self, uint64_t generation, std::string frame) {
  const auto give_up = Clock::now() + self->options().watch_stall_timeout;
  while (!self->watch_room(frame.size())) {
    if (self->closing || self->watch_generation != generation) co_return false;
    const auto now = Clock::now();
    if (now >= give_up) {
      self->overflow();
      co_return false;
    }
    auto wait = self->space.wait();
    co_await with_timeout(std::move(wait), give_up - now);
  }
  if (self->closing || self->watch_generation != generation) co_return false;
  co_return self->send(std::move(frame));
}

bool event_matches(const EventQuery& filter, const Event& event) {
  return (filter.tenant_id.empty() || filter.tenant_id == event.tenant_id) &&
         (filter.service_id.empty() || filter.service_id == event.service_id) &&
         (filter.event_type.empty() || filter.event_type == event.event_type);
}

bool log_matches(const WatchSpec& spec, const LogLine& line) {
  return line.tenant_id == spec.log_tenant && (spec.log_service.empty() || line.service_id == spec.log_service);
}

struct LogFeed {
  std::deque<LogLine> lines;
  bool overflowed = false;
};

// Sends every stored event after `cursor` that matches.
asio::awaitable<bool> catch_up(std::shared_ptr<Session> self, uint64_t generation, std::shared_ptr<EventStore> store,
                               EventQuery filter, int64_t& cursor) {
  for (;;) {
    filter.after_id = cursor;
    filter.limit = kEventPage;
    auto page = co_await store->query(filter);
    for (const auto& event : page) {
      if (!co_await send_watched(self, generation, event_frame(event))) co_return false;
      cursor = event.id;
    }
    if (page.size() < kEventPage) co_return true;
  }
}

// The watch: subscribe first (nothing committed meanwhile is missed), reply,
// replay from `since`, then tail; the EventFeed's overflow falls back to the log.
asio::awaitable<void> run_watch(std::shared_ptr<Session> self, uint64_t generation, json::value id, WatchSpec spec) {
  auto store = self->hub->context->events;
  auto book = self->hub->context->logs;
  auto executor = co_await asio::this_coro::executor;
  auto feed = std::make_shared<EventFeed>(executor, kFeedCapacity);
  auto subscription = store->subscribe([feed, filter = spec.filter](const Event& event) {
    if (event_matches(filter, event)) feed->push(event);
  });
  auto logs = std::make_shared<LogFeed>();
  std::optional<uint64_t> log_subscription;
  if (spec.logs && book) {
    log_subscription = book->subscribe([feed, logs, spec](const LogLine& line) {
      if (!log_matches(spec, line)) return;
      if (logs->lines.size() >= kLogFeedCapacity) {
        logs->lines.pop_front();  // logs are not durable: a slow watcher loses the oldest
        logs->overflowed = true;
      }
      logs->lines.push_back(line);
      feed->wakeup().notify();
    });
  }
  struct Unsubscribe {
    std::shared_ptr<LogBook> book;
    std::optional<uint64_t> id;
    ~Unsubscribe() {
      if (id) book->unsubscribe(*id);
    }
  } unsubscribe{book, log_subscription};

  int64_t cursor = spec.since;
  int64_t log_cursor = 0;
  if (!self->send(ok_frame(id, watch_result(true, spec.since)))) co_return;
  if (spec.logs && book && spec.log_since) {
    log_cursor = *spec.log_since;
    for (const auto& line : book->read(spec.log_tenant, spec.log_service, "", log_cursor, kLogFeedCapacity)) {
      if (!co_await send_watched(self, generation, log_frame(line))) co_return;
      log_cursor = line.id;
    }
  }
  if (!co_await catch_up(self, generation, store, spec.filter, cursor)) co_return;
  for (;;) {
    if (self->watch_generation != generation || self->closing) co_return;
    if (feed->take_overflow()) {
      feed->take();
      if (!co_await catch_up(self, generation, store, spec.filter, cursor)) co_return;
      continue;
    }
    auto events = feed->take();
    for (const auto& event : events) {
      if (event.id <= cursor) continue;
      if (!co_await send_watched(self, generation, event_frame(event))) co_return;
      cursor = event.id;
    }
    while (!logs->lines.empty()) {
      auto line = std::move(logs->lines.front());
      logs->lines.pop_front();
      if (line.id <= log_cursor) continue;
      log_cursor = line.id;
      if (!co_await send_watched(self, generation, log_frame(line))) co_return;
    }
    if (!feed->empty() || !logs->lines.empty()) continue;
    co_await feed->wakeup().wait();
  }
}

std::optional<int64_t> optional_int(const json::object& args, std::string_view name) {
  auto* value = args.if_contains(name);
  if (!value || value->is_null()) return std::nullopt;
  if (value->is_int64() && value->as_int64() >= 0) return value->as_int64();
  if (value->is_uint64() && value->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(value->as_uint64());
  }
  if (value->is_string()) return parse_int(value->as_string(), name, 0, INT64_MAX);
  throw BadRequest("'" + std::string(name) + "' must be a non-negative integer");
}

std::string optional_identifier(const json::object& args, std::string_view name) {
  auto* value = args.if_contains(name);
  if (!value || value->is_null()) return {};
  if (!value->is_string()) throw BadRequest("'" + std::string(name) + "' must be a string");
  return require_identifier(std::string(value->as_string()), name);
}

// Parses watch args, checks the caller may read events (and logs) exactly as
// GET /events (GET /logs) would, then replaces any running watch.
asio::awaitable<void> start_watch(std::shared_ptr<Session> self, json::value id, json::object args) {
  WatchSpec spec;
  std::string problem;
  try {
    spec.since = optional_int(args, "since").value_or(0);
    spec.filter.service_id = optional_identifier(args, "service_id");
    spec.filter.event_type = optional_identifier(args, "type");
    spec.log_since = optional_int(args, "log_since");
    if (auto* logs = args.if_contains("logs"); logs && !logs->is_null()) {
      if (!logs->is_bool()) throw BadRequest("'logs' must be a boolean");
      spec.logs = logs->as_bool();
    }
  } catch (const BadRequest& error) {
    problem = error.what();
  }
  if (!problem.empty()) {
    self->send(error_frame(id, 400, "invalid_request", problem));
    co_return;
  }
  const auto& context = self->hub->context;
  if (!context || !context->events || (spec.logs && !context->logs)) {
    self->send(error_frame(id, 503, "overloaded", "events are not available yet"));
    co_return;
  }
  // Authorization: the same checks as the REST reads.
  OpRequest probe;
  probe.method = "GET";
  probe.path = "/events";
  probe.query.emplace_back("limit", "1");
  if (!spec.filter.service_id.empty()) probe.query.emplace_back("service_id", spec.filter.service_id);
  auto check = std::make_shared<Request>(make_request(self->upgrade, probe));
  Response answer = co_await self->hub->dispatch(*check);
  if (answer.status == 200 && spec.logs) {
    probe.path = "/logs";
    check = std::make_shared<Request>(make_request(self->upgrade, probe));
    answer = co_await self->hub->dispatch(*check);
  }
  if (answer.status != 200) {
    self->send(reply_frame(id, answer));
    co_return;
  }
  // The tenant filter of GET /events: an admin sees every tenant unless it
  // names one with X-Tenant-ID; anyone else sees their own.
  if (is_admin(self->upgrade) && !self->upgrade.header("x-tenant-id")) {
    spec.filter.tenant_id.clear();
  } else {
    spec.filter.tenant_id = request_tenant(self->upgrade);
  }
  spec.log_tenant = request_tenant(self->upgrade);
  spec.log_service = spec.filter.service_id;
  if (self->closing) co_return;
  self->stop_watch();
  const auto generation = self->watch_generation;
  auto signal = std::make_shared<asio::cancellation_signal>();
  self->watch_cancel = signal;
  auto slot = signal->slot();
  auto done = [signal](std::exception_ptr) {};
  asio::co_spawn(self->hub->executor, run_watch(self, generation, std::move(id), std::move(spec)),
                 asio::bind_cancellation_slot(slot, std::move(done)));
}

// One text frame from the client.
void handle_text(const std::shared_ptr<Session>& self, std::string_view text) {
  if (self->closing) return;
  auto frame = parse_op_frame(text);
  if (!frame.error.empty()) {
    self->send(error_frame(frame.id, 400, "invalid_request", frame.error));
    return;
  }
  json::value id = std::move(frame.id);
  std::string op = std::move(frame.op);
  json::object args = std::move(frame.args);
  if (op == "watch") {
    asio::co_spawn(self->hub->executor, start_watch(self, std::move(id), std::move(args)), asio::detached);
    return;
  }
  if (op == "unwatch") {
    self->stop_watch();
    self->send(ok_frame(id, watch_result(false, 0)));
    return;
  }
  if (op == "ping") {
    json::object result;
    result["pong"] = true;
    self->send(ok_frame(id, std::move(result)));
    return;
  }
  std::optional<OpRequest> request;
  try {
    request = op_request(op, args);
  } catch (const BadRequest& error) {
    self->send(reply_frame(id, error_reply(error)));
    return;
  }
  if (!request) {
    self->send(error_frame(id, 400, "invalid_request", "unknown op '" + op + "'"));
    return;
  }
  if (self->ops_in_flight >= self->options().max_ops_in_flight) {
    self->send(
        reply_frame(id, error_reply(Error(ErrorKind::throttled, "too many operations in flight on this connection"))));
    return;
  }
  auto shared = std::make_shared<Request>(make_request(self->upgrade, std::move(*request)));
  asio::co_spawn(self->hub->executor, run_op(self, std::move(id), std::move(shared)), asio::detached);
}

// ---- Reader and session ------------------------------------------------------------

asio::awaitable<void> read_loop(std::shared_ptr<Session> self) {
  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    auto [ec, n] = co_await self->ws.async_read(buffer, as_tuple(use_awaitable));
    if (ec) {
      if (ec == websocket::error::message_too_big) self->count_close("too_big");
      co_return;
    }
    self->last_heard = Clock::now();
    ++self->hub->frames_received;
    if (self->closing) continue;  // draining the peer's frames until its close arrives
    if (!self->ws.got_text()) {
      self->count_close("binary");
      self->begin_close(websocket::close_code::unknown_data, "binary frames are not supported", false);
      continue;
    }
    handle_text(self, std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
  }
}

http::request<http::empty_body> beast_request(const Request& request) {
  http::request<http::empty_body> out{http::verb::get, request.target, 11};
  for (const auto& [name, value] : request.headers) out.insert(name, value);
  return out;
}

asio::awaitable<void> run_session(std::shared_ptr<Session> self) {
  auto& ws = self->ws;
  ws.read_message_max(self->options().max_frame_bytes);
  ws.auto_fragment(false);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = self->options().close_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  auto decorate = [](websocket::response_type& response) { response.set(http::field::server, "solo"); };
  ws.set_option(websocket::stream_base::decorator(decorate));
  std::weak_ptr<Session> weak = self;
  auto heard = [weak](websocket::frame_type, beast::string_view) {
    if (auto session = weak.lock()) session->last_heard = Clock::now();
  };
  ws.control_callback(heard);

  auto keepalive = keepalive_loop(self);
  asio::co_spawn(self->hub->executor, std::move(keepalive), asio::detached);
  auto request = beast_request(self->upgrade);
  self->writing = true;
  self->write_started = Clock::now();
  auto [ec] = co_await ws.async_accept(request, as_tuple(use_awaitable));
  self->writing = false;
  if (ec) {
    self->cut();
    co_return;
  }
  self->open = true;
  self->last_heard = Clock::now();
  auto writer = write_loop(self);
  asio::co_spawn(self->hub->executor, std::move(writer), asio::detached);
  co_await read_loop(self);
  // The peer closed (Beast answered its close frame), failed the protocol, or
  // the socket was cut. If we started the close, the writer finishes it.
  if (!self->closing) self->cut();
}

}  // namespace

// ---- WebSocketHub ------------------------------------------------------------------

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
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  const auto id = state_->next_id++;
  auto session = std::make_shared<Session>(state_, id, std::move(request), std::move(socket), std::move(slot));
  state_->sessions.emplace(id, session);
  ++state_->accepted;
  asio::co_spawn(state_->executor, run_session(std::move(session)), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const boost::system::system_error&) {
    } catch (const std::exception& e) {
      std::cerr << "solo: websocket session failed: " << e.what() << std::endl;
    }
  });
}

namespace {

std::vector<std::shared_ptr<Session>> live_sessions(const HubState& state) {
  std::vector<std::shared_ptr<Session>> out;
  for (const auto& [id, weak] : state.sessions) {
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

size_t ops_in_flight(const HubState& state) {
  size_t total = 0;
  for (const auto& session : live_sessions(state)) total += session->ops_in_flight;
  return total;
}

asio::awaitable<void> drain_hub(std::shared_ptr<HubState> state, std::chrono::milliseconds deadline) {
  const auto give_up_at = Clock::now() + deadline;
  state->draining = true;
  for (const auto& session : live_sessions(*state)) session->stop_watch();
  while (ops_in_flight(*state) > 0 && Clock::now() < give_up_at) {
    co_await state->drain_progress.wait_until(give_up_at);
  }
  // Close with 1001; what is queued (the last replies) goes out first.
  for (const auto& session : live_sessions(*state)) {
    session->count_close("going_away");
    session->begin_close(websocket::close_code::going_away, "server shutting down", false);
  }
  const auto unwind_until = Clock::now() + std::chrono::seconds(1);
  while (!state->sessions.empty() && Clock::now() < unwind_until) {
    co_await state->drain_progress.wait_until(unwind_until);
  }
  for (const auto& session : live_sessions(*state)) session->cut();
}

}  // namespace

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

// ---- Routes ------------------------------------------------------------------------

namespace {

bool is_websocket_upgrade(const Request& request) {
  auto upgrade = request.header("upgrade");
  return request.method == "GET" && upgrade && beast::iequals(*upgrade, "websocket");
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
  router.add("GET", "/ui", [](Request&) -> asio::awaitable<Response> {
    Response response;
    response.content_type = "text/html; charset=utf-8";
    response.headers.emplace_back("Cache-Control", "no-store");
    response.body = std::string(websocket_ui_page());
    co_return response;
  });
}

}  // namespace solo::net
