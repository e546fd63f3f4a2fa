// MCP sessions (mcp_sessions.hpp): the registry, each session's
// subscriptions and its bounded stream buffer.
#include "net/mcp/mcp_sessions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "base/hex.hpp"
#include "engine/security/crypto.hpp"
#include "engine/services/log_book.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/request_tenant.hpp"
#include "net/mcp/json_rpc.hpp"

namespace solo::net::mcp {

namespace json = boost::json;

namespace {

// Waits out the coalescing window, then sends one update per changed URI.
asio::awaitable<void> flush_later(std::weak_ptr<McpSession> weak, std::chrono::milliseconds window,
                                  std::function<void(McpSession&)> flush) {
  asio::steady_timer timer(co_await asio::this_coro::executor, window);
  co_await timer.async_wait(asio::use_awaitable);
  if (auto session = weak.lock()) flush(*session);
}

}  // namespace

McpSession::McpSession(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, const McpLimits& limits,
                       std::string id, std::string owner, std::string tenant, std::string protocol_version)
    : last_used(Clock::now()),
      executor_(executor),
      context_(std::move(context)),
      limits_(limits),
      id_(std::move(id)),
      owner_(std::move(owner)),
      tenant_(std::move(tenant)),
      protocol_version_(std::move(protocol_version)),
      wakeup_(executor) {}

McpSession::~McpSession() {
  if (log_feed_ && context_ && context_->logs) context_->logs->unsubscribe(*log_feed_);
}

bool McpSession::subscribe(const std::string& uri, const Subscription& what, const Request& identity) {
  if (closed_) return false;
  if (!subscriptions_.contains(uri) && subscriptions_.size() >= limits_.max_subscriptions) return false;
  Watched watched{what, request_tenant(identity)};
  // The tenant filter of GET /events: an admin sees every tenant unless it
  // names one with X-Tenant-ID; anyone else sees their own.
  if (what.kind == Subscription::Kind::events && is_admin(identity) && !identity.header("x-tenant-id")) {
    watched.tenant.clear();
  }
  subscriptions_.insert_or_assign(uri, std::move(watched));
  update_feeds();
  return true;
}

void McpSession::unsubscribe(const std::string& uri) {
  subscriptions_.erase(uri);
  dirty_.erase(uri);
  update_feeds();
}

// Listens to the event store and the log book only while a subscription
// needs them.
void McpSession::update_feeds() {
  bool events = false;
  bool logs = false;
  for (const auto& [uri, watched] : subscriptions_) {
    (watched.what.kind == Subscription::Kind::events ? events : logs) = true;
  }
  std::weak_ptr<McpSession> weak = weak_from_this();
  if (events && !event_feed_on_ && context_ && context_->events) {
    event_feed_on_ = true;
    event_feed_ = context_->events->subscribe([weak](const Event& event) {
      auto self = weak.lock();
      if (!self) return;
      for (const auto& [uri, watched] : self->subscriptions_) {
        if (watched.what.kind == Subscription::Kind::events &&
            (watched.tenant.empty() || watched.tenant == event.tenant_id)) {
          self->changed(uri);
        }
      }
    });
  } else if (!events && event_feed_on_) {
    event_feed_.reset();
    event_feed_on_ = false;
  }
  if (logs && !log_feed_ && context_ && context_->logs) {
    log_feed_ = context_->logs->subscribe([weak](const LogLine& line) {
      auto self = weak.lock();
      if (!self) return;
      for (const auto& [uri, watched] : self->subscriptions_) {
        if (watched.what.kind == Subscription::Kind::logs && watched.tenant == line.tenant_id &&
            watched.what.service_id == line.service_id) {
          self->changed(uri);
        }
      }
    });
  } else if (!logs && log_feed_) {
    context_->logs->unsubscribe(*log_feed_);
    log_feed_.reset();
  }
}

void McpSession::changed(const std::string& uri) {
  dirty_.insert(uri);
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  auto flush = [](McpSession& session) { session.flush(); };
  asio::co_spawn(executor_, flush_later(weak_from_this(), limits_.coalesce, std::move(flush)), asio::detached);
}

void McpSession::flush() {
  flush_scheduled_ = false;
  for (const auto& uri : std::exchange(dirty_, {})) {
    if (subscriptions_.contains(uri)) {
      push(rpc_notification("notifications/resources/updated", json::object{{"uri", uri}}));
    }
  }
}

void McpSession::push(const json::object& message) {
  if (closed_) return;
  buffer_.push_back(StreamEvent{next_event_id_++, json::serialize(message)});
  while (buffer_.size() > limits_.max_buffered_events) buffer_.pop_front();  // the oldest are lost to a late resume
  wakeup_.notify();
}

void McpSession::close() {
  if (closed_) return;
  closed_ = true;
  subscriptions_.clear();
  dirty_.clear();
  update_feeds();
  wakeup_.notify();
}

// ---- the registry --------------------------------------------------------------------

McpSessions::McpSessions(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, McpLimits limits)
    : executor_(std::move(executor)), context_(std::move(context)), limits_(limits) {}

void McpSessions::expire() {
  const auto now = McpSession::Clock::now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto& session = *it->second;
    if (!session.stream_open && now - session.last_used >= limits_.idle_timeout) {
      session.close();
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

std::variant<std::shared_ptr<McpSession>, Response> McpSessions::create(const std::string& owner,
                                                                         const std::string& tenant,
                                                                         const std::string& protocol_version) {
  expire();
  if (draining_) {
    auto response = error_response(503, "overloaded", "solo is shutting down");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  // Per tenant: make room by ending the least recently used session without
  // an open stream (clients often never DELETE theirs).
  std::size_t of_tenant = 0;
  std::shared_ptr<McpSession> idlest;
  for (const auto& [id, session] : sessions_) {
    if (session->tenant() != tenant) continue;
    ++of_tenant;
    if (!session->stream_open && (!idlest || session->last_used < idlest->last_used)) idlest = session;
  }
  if (of_tenant >= limits_.max_sessions_per_tenant) {
    if (!idlest) {
      auto response = error_response(429, "throttled",
                                     "this tenant has " + std::to_string(limits_.max_sessions_per_tenant) +
                                         " MCP sessions, each with an open stream; end one (DELETE /mcp)");
      response.headers.emplace_back("Retry-After", "5");
      return response;
    }
    idlest->close();
    sessions_.erase(idlest->id());
  }
  if (sessions_.size() >= limits_.max_sessions) {
    auto response = error_response(503, "overloaded", "no more MCP sessions accepted; retry later");
    response.headers.emplace_back("Retry-After", "5");
    return response;
  }
  auto id = to_hex(crypto::random_bytes(32));  // 256 bits: unguessable
  auto session = std::make_shared<McpSession>(executor_, context_, limits_, id, owner, tenant, protocol_version);
  sessions_.emplace(id, session);
  ++created_;
  return session;
}

std::shared_ptr<McpSession> McpSessions::find(std::string_view id, const std::string& owner) {
  expire();
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->owner() != owner || it->second->closed()) return nullptr;
  it->second->last_used = McpSession::Clock::now();
  return it->second;
}

void McpSessions::end(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second->close();
  sessions_.erase(it);
}

void McpSessions::close_all() {
  draining_ = true;
  for (auto& [id, session] : sessions_) session->close();
  sessions_.clear();
}

}  // namespace solo::net::mcp
