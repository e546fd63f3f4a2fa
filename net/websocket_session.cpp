// The transport of a WebSocket session (see websocket_session.hpp,
// docs/websocket.md): the Beast stream, the handshake, the reader, the writer
// (the only one that writes: replies, events, pings and the close frame leave
// through the session's one bounded queue) and the keep-alive ticker (a ping
// every ping_interval; a peer silent for idle_timeout, or a write stuck for as
// long, is cut off); the queue and close of WebSocketSession; and the hub's
// drain, which ends every session with 1001.
//
// This is the only file of the WebSocket code that includes Beast; what a
// client's frame asks for is handled in websocket_dispatch.cpp and
// websocket_watch.cpp.
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

#include <algorithm>
#include <iostream>
#include <vector>

#include "net/websocket_dispatch.hpp"

namespace solo::net {

// ---- WebSocketSession: the queue and the close -------------------------------------

WebSocketSession::WebSocketSession(std::shared_ptr<HubState> hub_in, uint64_t id_in, Request upgrade_in,
                                   ConnectionSlot slot_in)
    : hub(std::move(hub_in)),
      id(id_in),
      slot(std::move(slot_in)),
      upgrade(std::move(upgrade_in)),
      writer_wakeup(hub->executor),
      space(hub->executor) {}

WebSocketSession::~WebSocketSession() {
  hub->sessions.erase(id);
  hub->drain_progress.notify();
}

bool WebSocketSession::send(std::string text) {
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

bool WebSocketSession::watch_room(size_t bytes) const {
  return queue.size() + 1 <= options().max_queue_frames / 2 && queued_bytes + bytes <= options().max_queue_bytes / 2;
}

void WebSocketSession::overflow() {
  count_close("overflow");
  begin_close(kClosePolicyViolation, "send queue overflow", true);
}

void WebSocketSession::begin_close(std::uint16_t code, std::string_view reason, bool discard) {
  if (closing || closed) return;
  closing = true;
  stop_watch();
  if (discard) {
    queue.clear();
    queued_bytes = 0;
  }
  Outgoing item;
  item.kind = Outgoing::Kind::close;
  item.close_code = code;
  item.close_reason = std::string(reason);
  queue.push_back(std::move(item));
  close_deadline = Clock::now() + options().close_timeout;
  writer_wakeup.notify();
  space.notify();
}

void WebSocketSession::stop_watch() {
  ++watch_generation;
  if (watch_cancel) {
    watch_cancel->emit(asio::cancellation_type::terminal);
    watch_cancel.reset();
  }
}

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// ---- Session: the Beast stream -----------------------------------------------------

class Session final : public WebSocketSession {
 public:
  Session(std::shared_ptr<HubState> hub_in, uint64_t id_in, Request upgrade_in, tcp::socket socket,
          ConnectionSlot slot_in)
      : WebSocketSession(std::move(hub_in), id_in, std::move(upgrade_in), std::move(slot_in)),
        ws(std::move(socket)),
        last_heard(Clock::now()) {}

  void cut() override {
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

  websocket::stream<tcp::socket> ws;
  bool open = false;  // handshake done
  Clock::time_point last_heard;
  Clock::time_point last_ping{};
  bool writing = false;
  Clock::time_point write_started{};
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
      websocket::close_reason reason(static_cast<websocket::close_code>(item.close_code), item.close_reason);
      auto [close_ec] = co_await self->ws.async_close(reason, as_tuple(use_awaitable));
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
    handle_text_frame(self, std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
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

void start_session(std::shared_ptr<HubState> state, Request upgrade, asio::ip::tcp::socket socket,
                   ConnectionSlot slot) {
  const auto id = state->next_id++;
  auto session = std::make_shared<Session>(state, id, std::move(upgrade), std::move(socket), std::move(slot));
  state->sessions.emplace(id, session);
  ++state->accepted;
  asio::co_spawn(state->executor, run_session(std::move(session)), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const boost::system::system_error&) {
    } catch (const std::exception& e) {
      std::cerr << "solo: websocket session failed: " << e.what() << std::endl;
    }
  });
}

// ---- Drain ---------------------------------------------------------------------------

namespace {

std::vector<std::shared_ptr<WebSocketSession>> live_sessions(const HubState& state) {
  std::vector<std::shared_ptr<WebSocketSession>> out;
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

}  // namespace

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

}  // namespace solo::net
