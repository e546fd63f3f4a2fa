// MCP sessions of the Streamable HTTP transport (docs/mcp.md, "Transport"):
// who owns each Mcp-Session-Id, its negotiated protocol version, its
// resource subscriptions, and the bounded buffer of server messages its
// SSE stream (GET /mcp) carries and resumes from (Last-Event-ID).
//
// A session is bound to the token that created it: looked up with another
// token it does not exist (404, exactly as an unknown or expired one), so a
// session id seen by someone else is useless to them.
//
// Subscriptions: resources/subscribe (net/mcp/mcp_server.hpp) adds one here;
// the session then listens to the event store (solo://events) or the log
// book (solo://services/{id}/logs) of the subscriber's tenant, exactly the
// feeds the WebSocket watch uses, and queues
// notifications/resources/updated {uri} on its stream. Changes within
// McpLimits::coalesce make one update per URI.
//
// Bounds (McpLimits, documented in docs/mcp.md): sessions in all and per
// tenant, idle expiry, subscriptions per session, buffered stream messages.
// Engine thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include "base/wakeup.hpp"
#include "net/http_message.hpp"
#include "net/mcp/mcp_server.hpp"
#include "stores/event_store.hpp"

namespace solo::net {
struct ApiContext;
}

namespace solo::net::mcp {

struct McpLimits {
  std::size_t max_sessions = 1024;             // in all; beyond: initialize answers 503
  std::size_t max_sessions_per_tenant = 32;    // beyond: the tenant's least recently used idle session ends (429 when all stream)
  std::chrono::milliseconds idle_timeout{30 * 60 * 1000};  // a session unused this long (and no open stream) ends
  std::size_t max_subscriptions = 32;          // per session
  std::size_t max_buffered_events = 256;       // per session: stream messages kept for Last-Event-ID
  std::chrono::milliseconds coalesce{100};     // changes within this window make one resources/updated
};

class McpSession : public SubscriptionSink, public std::enable_shared_from_this<McpSession> {
 public:
  using Clock = std::chrono::steady_clock;

  McpSession(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, const McpLimits& limits,
             std::string id, std::string owner, std::string tenant, std::string protocol_version);
  ~McpSession() override;

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }
  const std::string& tenant() const { return tenant_; }
  const std::string& protocol_version() const { return protocol_version_; }

  // SubscriptionSink (resources/subscribe and unsubscribe).
  bool subscribe(const std::string& uri, const Subscription& what, const Request& identity) override;
  void unsubscribe(const std::string& uri) override;
  std::size_t subscriptions() const { return subscriptions_.size(); }

  // A server message for the stream: numbered (the SSE id), kept in the
  // bounded buffer, and the stream woken.
  void push(const boost::json::object& message);
  struct StreamEvent {
    std::uint64_t id;
    std::string data;
  };
  const std::deque<StreamEvent>& buffered() const { return buffer_; }
  // The highest id a stream has written (a new stream without Last-Event-ID
  // starts after it).
  std::uint64_t delivered = 0;
  bool stream_open = false;
  Wakeup& wakeup() { return wakeup_; }

  // Ends the session: subscriptions dropped, the stream woken to end.
  void close();
  bool closed() const { return closed_; }

  Clock::time_point last_used;

 private:
  struct Watched {
    Subscription what;
    std::string tenant;  // events: "" = every tenant (an admin without X-Tenant-ID)
  };
  void changed(const std::string& uri);
  void flush();
  void update_feeds();

  asio::any_io_executor executor_;
  std::shared_ptr<ApiContext> context_;
  McpLimits limits_;
  std::string id_, owner_, tenant_, protocol_version_;
  std::map<std::string, Watched, std::less<>> subscriptions_;
  EventStore::Subscription event_feed_;
  bool event_feed_on_ = false;
  std::optional<std::uint64_t> log_feed_;
  std::set<std::string> dirty_;
  bool flush_scheduled_ = false;
  std::deque<StreamEvent> buffer_;
  std::uint64_t next_event_id_ = 1;
  Wakeup wakeup_;
  bool closed_ = false;
};

class McpSessions {
 public:
  McpSessions(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, McpLimits limits = {});

  // A new session for `owner` (the token id) of `tenant`, or the refusal
  // (429 throttled, 503 overloaded or draining).
  std::variant<std::shared_ptr<McpSession>, Response> create(const std::string& owner, const std::string& tenant,
                                                              const std::string& protocol_version);
  // The live session with this id owned by `owner`; null when unknown,
  // expired, ended or owned by another token. Marks it used.
  std::shared_ptr<McpSession> find(std::string_view id, const std::string& owner);
  void end(const std::string& id);
  // Shutdown: every session ends (their streams return), no new ones.
  void close_all();

  std::size_t size() const { return sessions_.size(); }
  std::uint64_t created() const { return created_; }
  const McpLimits& limits() const { return limits_; }

 private:
  void expire();

  asio::any_io_executor executor_;
  std::shared_ptr<ApiContext> context_;
  McpLimits limits_;
  std::map<std::string, std::shared_ptr<McpSession>, std::less<>> sessions_;
  std::uint64_t created_ = 0;
  bool draining_ = false;
};

}  // namespace solo::net::mcp
