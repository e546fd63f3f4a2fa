// The watch op (docs/websocket.md, "watch"): a session's subscription to the
// durable event log (and, with `logs`, to its tenant's log lines), replayed
// from `since` and then tailed. Beast-free.
//
// Subscribe first (nothing committed meanwhile is missed), reply, replay from
// `since`, then tail: live events wait in an EventFeed; when it overflows, or
// while the session's queue has no room for the watch (back-pressure, up to
// watch_stall_timeout), the watch catches up from the durable log by id.
// Log lines are not durable: a slow watcher loses the oldest.
//
// With `stats`, a stats frame (net/api/service_figures.hpp) goes out once a
// second beside the events, for the token's tenant (an admin without
// X-Tenant-ID: every tenant), through the same back-pressure as the events:
// at most one frame waits for room; it ends with the watch (its cancellation
// or its generation).
//
// One watch per session: a new one replaces the running one (the session's
// watch generation and cancellation signal), as do unwatch and the close.
// GCC 12 note: inside coroutines no lambda or braced temporary is passed
// within a co_await expression. Engine thread only.
#include "net/websocket_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <optional>

#include "base/timeout.hpp"
#include "engine/services/log_book.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/event_feed.hpp"
#include "net/api/event_routes.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/api/service_figures.hpp"
#include "net/websocket_frames.hpp"
#include "net/websocket_ops.hpp"
#include "net/websocket_session.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kEventPage = 1000;
constexpr size_t kFeedCapacity = 10000;
constexpr size_t kLogFeedCapacity = 10000;
constexpr std::chrono::seconds kStatsInterval{1};

struct WatchSpec {
  EventQuery filter;  // tenant_id ("" = all), service_id, event_type
  int64_t since = 0;
  bool logs = false;
  bool stats = false;
  std::string stats_tenant;  // "" = every tenant (admin)
  std::string log_tenant;
  std::string log_service;
  std::optional<int64_t> log_since;
};

// Waits for room for a watch frame, then queues it; false when the watch
// should end (superseded, closing, or the stall overflowed the connection).
asio::awaitable<bool> send_watched(std::shared_ptr<WebSocketSession> self, uint64_t generation, std::string frame) {
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
asio::awaitable<bool> catch_up(std::shared_ptr<WebSocketSession> self, uint64_t generation,
                               std::shared_ptr<EventStore> store, EventQuery filter, int64_t& cursor) {
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
asio::awaitable<void> run_watch(std::shared_ptr<WebSocketSession> self, uint64_t generation, json::value id,
                                WatchSpec spec) {
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

// The stats frames of a watch (see the file comment), until the watch ends.
asio::awaitable<void> run_stats(std::shared_ptr<WebSocketSession> self, uint64_t generation, std::string tenant) {
  asio::steady_timer tick(self->hub->executor);
  for (;;) {
    tick.expires_after(kStatsInterval);
    auto [cancelled] = co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    if (cancelled || self->closing || self->watch_generation != generation) co_return;
    if (!co_await send_watched(self, generation, stats_frame(*self->hub->context, tenant))) co_return;
  }
}

// The watch and its stats frames side by side: the watch's cancellation
// (a new watch, unwatch, the close) ends both.
asio::awaitable<void> run_watch_with_stats(std::shared_ptr<WebSocketSession> self, uint64_t generation,
                                           json::value id, WatchSpec spec) {
  using namespace asio::experimental::awaitable_operators;
  std::string tenant = spec.stats_tenant;
  auto watch = run_watch(self, generation, std::move(id), std::move(spec));
  auto stats = run_stats(self, generation, std::move(tenant));
  co_await (std::move(watch) && std::move(stats));
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

}  // namespace

asio::awaitable<void> start_watch(std::shared_ptr<WebSocketSession> self, json::value id, json::object args) {
  WatchSpec spec;
  std::string problem;
  try {
    spec.since = event_cursor(optional_int(args, "since"), optional_int(args, "since_id"));
    spec.filter.service_id = optional_identifier(args, "service_id");
    spec.filter.event_type = optional_identifier(args, "type");
    spec.log_since = optional_int(args, "log_since");
    if (auto* logs = args.if_contains("logs"); logs && !logs->is_null()) {
      if (!logs->is_bool()) throw BadRequest("'logs' must be a boolean");
      spec.logs = logs->as_bool();
    }
    if (auto* stats = args.if_contains("stats"); stats && !stats->is_null()) {
      if (!stats->is_bool()) throw BadRequest("'stats' must be a boolean");
      spec.stats = stats->as_bool();
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
  if (answer.status == 200 && spec.stats) {  // the figures are GET /services's
    probe.path = "/services";
    probe.query.clear();
    probe.query.emplace_back("limit", "1");
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
  spec.stats_tenant = spec.filter.tenant_id;
  spec.log_service = spec.filter.service_id;
  if (self->closing) co_return;
  self->stop_watch();
  const auto generation = self->watch_generation;
  auto signal = std::make_shared<asio::cancellation_signal>();
  self->watch_cancel = signal;
  auto slot = signal->slot();
  auto done = [signal](std::exception_ptr) {};
  if (spec.stats) {
    asio::co_spawn(self->hub->executor, run_watch_with_stats(self, generation, std::move(id), std::move(spec)),
                   asio::bind_cancellation_slot(slot, std::move(done)));
    co_return;
  }
  asio::co_spawn(self->hub->executor, run_watch(self, generation, std::move(id), std::move(spec)),
                 asio::bind_cancellation_slot(slot, std::move(done)));
}

}  // namespace solo::net
