#include "net/api/event_routes.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "base/timeout.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/event_feed.hpp"
#include "net/api/request_tenant.hpp"
#include "net/api/request_args.hpp"
#include "net/router.hpp"
#include "net/sse.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

constexpr size_t kPageLimit = 1000;
constexpr size_t kFeedCapacity = 10000;

// The tenant whose events a request may see; empty = every tenant: an admin
// sees all unless it names a tenant with X-Tenant-ID; others see their own.
std::string tenant_filter(const Request& request) {
  if (is_admin(request) && !request.header("x-tenant-id")) return {};
  return request_tenant(request);
}

std::optional<int64_t> optional_query_int(const Request& request, std::string_view name) {
  auto text = request.query_param(name);
  if (!text) return std::nullopt;
  return parse_int(*text, name, 0, INT64_MAX);
}

EventQuery parse_query(const Request& request) {
  EventQuery query;
  query.after_id = event_cursor(optional_query_int(request, "since"), optional_query_int(request, "since_id"));
  if (auto last = request.header("last-event-id")) query.after_id = parse_int(*last, "Last-Event-ID", 0, INT64_MAX);
  query.limit = static_cast<size_t>(query_int(request, "limit", 100, 1, kPageLimit));
  query.tenant_id = tenant_filter(request);
  if (auto service = request.query_param("service_id")) query.service_id = require_identifier(*service, "service_id");
  if (auto type = request.query_param("type")) query.event_type = require_identifier(*type, "type");
  return query;
}

bool matches(const EventQuery& filter, const Event& event) {
  return (filter.tenant_id.empty() || filter.tenant_id == event.tenant_id) &&
         (filter.service_id.empty() || filter.service_id == event.service_id) &&
         (filter.event_type.empty() || filter.event_type == event.event_type);
}

asio::awaitable<bool> send_event(StreamWriter& out, const Event& event) {
  co_return co_await out.write(format_sse_event(static_cast<uint64_t>(event.id), event.event_type,
                                                boost::json::serialize(to_json(event))));
}

// Writes every stored event after `cursor` that matches; returns false when
// the client went away.
asio::awaitable<bool> catch_up(std::shared_ptr<EventStore> store, EventQuery filter, int64_t& cursor,
                               StreamWriter& out) {
  for (;;) {
    filter.after_id = cursor;
    filter.limit = kPageLimit;
    auto page = co_await store->query(filter);
    for (const auto& event : page) {
      if (!co_await send_event(out, event)) co_return false;
      cursor = event.id;
    }
    if (page.size() < kPageLimit) co_return true;
  }
}

// The SSE stream: subscribe first (so nothing committed meanwhile is missed),
// replay history, then tail the feed; events at or below the cursor are
// duplicates of the replay and skipped.
asio::awaitable<void> stream_events(std::shared_ptr<EventStore> store, EventQuery filter,
                                    std::chrono::milliseconds heartbeat, std::shared_ptr<StreamWriter> out) {
  auto feed = std::make_shared<EventFeed>(co_await asio::this_coro::executor, kFeedCapacity);
  auto subscription = store->subscribe([feed, filter](const Event& event) {
    if (matches(filter, event)) feed->push(event);
  });
  int64_t cursor = filter.after_id;
  if (!co_await out->write("retry: 2000\n\n")) co_return;
  if (!co_await catch_up(store, filter, cursor, *out)) co_return;
  for (;;) {
    if (feed->take_overflow()) {
      feed->take();
      if (!co_await catch_up(store, filter, cursor, *out)) co_return;
      continue;
    }
    auto events = feed->take();
    for (const auto& event : events) {
      if (event.id <= cursor) continue;
      if (!co_await send_event(*out, event)) co_return;
      cursor = event.id;
    }
    if (!feed->empty()) continue;
    auto wait = feed->wakeup().wait();
    if (!co_await with_timeout(std::move(wait), heartbeat)) {
      if (!co_await out->write(sse_heartbeat())) co_return;
    }
  }
}

asio::awaitable<Response> get_events(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "events");
  EventQuery query = parse_query(request);  // BadRequest: 400 at the gateway
  auto accept = request.header("accept");
  if (accept && accept->find("text/event-stream") != std::string_view::npos) {
    Response response;
    response.content_type = "text/event-stream";
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.stream = [store = context->events, query, heartbeat = context->sse_heartbeat](
                          std::shared_ptr<StreamWriter> out) { return stream_events(store, query, heartbeat, out); };
    co_return response;
  }
  auto events = co_await context->events->query(query);
  boost::json::array list;
  for (const auto& event : events) list.push_back(to_json(event));
  int64_t next = events.empty() ? query.after_id : events.back().id;
  co_return json_response(200, boost::json::object{{"events", std::move(list)}, {"next", next}});
}

}  // namespace

int64_t event_cursor(std::optional<int64_t> since, std::optional<int64_t> since_id) {
  if (since && since_id && *since != *since_id) {
    throw BadRequest("'since_id' is an alias of 'since' and they differ (" + std::to_string(*since) + " and " +
                     std::to_string(*since_id) + "): give one of them");
  }
  return since.value_or(since_id.value_or(0));
}

void add_event_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/events", [context](Request& request) { return get_events(context, request); });
}

}  // namespace solo::net
