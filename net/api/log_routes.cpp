#include "net/api/log_routes.hpp"

#include <deque>

#include <boost/json.hpp>

#include "base/timeout.hpp"
#include "base/wakeup.hpp"
#include "engine/services/log_book.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/router.hpp"
#include "net/sse.hpp"

namespace solo::net {

namespace {

struct LogQuery {
  std::string tenant_id;
  std::string service_id;
  std::string level;
  int64_t since = 0;
  size_t limit = 100;
};

LogQuery parse_query(const Request& request) {
  LogQuery query;
  query.tenant_id = request_tenant(request);
  if (auto service = request.query_param("service_id")) query.service_id = require_identifier(*service, "service_id");
  if (auto level = request.query_param("level")) {
    if (LogBook::level_rank(*level) < 0) throw BadRequest("'level' must be debug, info, warn or error");
    query.level = *level;
  }
  query.since = query_int(request, "since", 0, 0, INT64_MAX);
  if (auto last = request.header("last-event-id")) query.since = parse_int(*last, "Last-Event-ID", 0, INT64_MAX);
  query.limit = static_cast<size_t>(query_int(request, "limit", 100, 1, 1000));
  return query;
}

bool matches(const LogQuery& query, const LogLine& line) {
  return line.tenant_id == query.tenant_id && (query.service_id.empty() || line.service_id == query.service_id) &&
         LogBook::level_rank(line.level) >= (query.level.empty() ? 0 : LogBook::level_rank(query.level));
}

// Live lines wait here between the LogBook (which pushes synchronously) and
// the stream's writes; a slow reader loses the oldest lines, never the engine's time.
struct LogFeed {
  explicit LogFeed(asio::any_io_executor executor) : wakeup(std::move(executor)) {}
  Wakeup wakeup;
  std::deque<LogLine> lines;
};

asio::awaitable<void> stream_logs(std::shared_ptr<LogBook> book, LogQuery query, std::chrono::milliseconds heartbeat,
                                  std::shared_ptr<StreamWriter> out) {
  auto feed = std::make_shared<LogFeed>(co_await asio::this_coro::executor);
  auto id = book->subscribe([feed, query](const LogLine& line) {
    if (!matches(query, line)) return;
    feed->lines.push_back(line);
    if (feed->lines.size() > 10000) feed->lines.pop_front();
    feed->wakeup.notify();
  });
  struct Unsubscribe {
    std::shared_ptr<LogBook> book;
    uint64_t id;
    ~Unsubscribe() { book->unsubscribe(id); }
  } unsubscribe{book, id};
  int64_t cursor = query.since;
  for (const auto& line : book->read(query.tenant_id, query.service_id, query.level, cursor, 10000)) {
    if (!co_await out->write(format_sse_event(static_cast<uint64_t>(line.id), "log",
                                              boost::json::serialize(to_json(line))))) {
      co_return;
    }
    cursor = line.id;
  }
  for (;;) {
    while (!feed->lines.empty()) {
      auto line = std::move(feed->lines.front());
      feed->lines.pop_front();
      if (line.id <= cursor) continue;
      cursor = line.id;
      if (!co_await out->write(format_sse_event(static_cast<uint64_t>(line.id), "log",
                                                boost::json::serialize(to_json(line))))) {
        co_return;
      }
    }
    auto wait = feed->wakeup.wait();
    if (!co_await with_timeout(std::move(wait), heartbeat)) {
      if (!co_await out->write(sse_heartbeat())) co_return;
    }
  }
}

asio::awaitable<Response> get_logs(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "logs");
  auto query = parse_query(request);
  auto accept = request.header("accept");
  if (accept && accept->find("text/event-stream") != std::string_view::npos) {
    Response response;
    response.content_type = "text/event-stream";
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.stream = [book = context->logs, query, heartbeat = context->sse_heartbeat](
                          std::shared_ptr<StreamWriter> out) { return stream_logs(book, query, heartbeat, out); };
    co_return response;
  }
  auto lines = context->logs->read(query.tenant_id, query.service_id, query.level, query.since, query.limit);
  boost::json::array list;
  for (const auto& line : lines) list.push_back(to_json(line));
  boost::json::object body;
  body["logs"] = std::move(list);
  body["next"] = lines.empty() ? query.since : lines.back().id;
  co_return json_response(200, body);
}

}  // namespace

void add_log_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/logs", [context](Request& request) { return get_logs(context, request); });
}

}  // namespace solo::net
