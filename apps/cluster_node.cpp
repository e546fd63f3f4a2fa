#include "apps/cluster_node.hpp"

#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "apps/exit_codes.hpp"
#include "apps/serve.hpp"
#include "base/async_call.hpp"
#include "base/iso8601.hpp"
#include "base/wakeup.hpp"
#include "engine/system/system_status.hpp"
#include "net/http_message.hpp"
#include "net/forwarder.hpp"
#include "net/http_server.hpp"
#include "stores/cluster_store.hpp"
#include "stores/database.hpp"

namespace solo {
namespace {

using Clock = std::chrono::steady_clock;

// The lease's own connection and thread: a renewal never waits behind the
// Writer's commits (a busy store must not cost the node its lease) and never
// blocks the engine thread. Tasks run one at a time, in order.
class LeaseSession {
 public:
  LeaseSession(asio::any_io_executor engine, StoreLocation location, std::chrono::milliseconds ttl)
      : engine_(std::move(engine)), location_(std::move(location)), ttl_(ttl) {
    thread_ = std::thread([this] {
      context_.run();
      db_.reset();
    });
  }
  ~LeaseSession() {
    work_.reset();
    thread_.join();
  }
  LeaseSession(const LeaseSession&) = delete;
  LeaseSession& operator=(const LeaseSession&) = delete;

  template <class R>
  asio::awaitable<R> run(std::function<R(Database&)> fn) {
    return async_call<R>(
        engine_, [this](UniqueTask task) { asio::post(context_, [task = std::move(task)]() mutable { task(); }); },
        [this, fn = std::move(fn)]() -> R { return fn(database()); });
  }

 private:
  Database& database() {
    if (!db_ || db_->broken()) {  // a server that restarted: connect again
      db_.reset();
      auto db = open_database(location_, OpenOptions{});
      // A statement that hangs (a server gone silent, a lock held by a
      // paused node) must not outlast the lease it is about.
      cluster_store::prepare_session(*db, std::max(ttl_ / 2, std::chrono::milliseconds(100)));
      db_ = std::move(db);
    }
    return *db_;
  }

  asio::any_io_executor engine_;
  StoreLocation location_;
  std::chrono::milliseconds ttl_;
  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{context_.get_executor()};
  std::unique_ptr<Database> db_;  // lease thread only
  std::thread thread_;
};

// What one heartbeat learned (read on the lease thread).
struct Beat {
  std::optional<int64_t> acquired;  // standing by: the epoch just taken
  bool renewed = false;             // active: the lease is still this node's
  std::optional<LeaseHolder> holder;
  std::string holder_url;
};

class ClusterNode : public std::enable_shared_from_this<ClusterNode> {
 public:
  ClusterNode(asio::any_io_executor executor, KernelOptions options, ClusterOptions cluster)
      : executor_(executor),
        options_(std::move(options)),
        cluster_(std::move(cluster)),
        lease_(executor, StoreLocation::parse(options_.store), cluster_.lease_ttl),
        changed_(executor),
        tend_done_(executor),
        beat_timer_(executor),
        forwarder_(executor, forwarder_options(options_, cluster_)) {}

  asio::awaitable<int> run();

 private:
  asio::awaitable<void> tend();
  asio::awaitable<void> until_acquired();
  asio::awaitable<std::string> until_lost(int64_t epoch);
  asio::awaitable<int> serve_active(std::shared_ptr<asio::signal_set> signals, bool& stop);
  asio::awaitable<void> release(int64_t epoch);
  net::Response answer_standby(const net::Request& request) const;
  asio::awaitable<net::Response> serve_standby(net::Request& request);
  std::string forward_target(const net::Request& request) const;
  std::string stats_json() const;
  static net::ForwarderOptions forwarder_options(const KernelOptions& options, const ClusterOptions& cluster) {
    net::ForwarderOptions forwarding;
    forwarding.node = cluster.node;
    // The active node counts this node's forwarded connections against its
    // address: take at most half of that address's share.
    forwarding.max_connections = std::max<std::size_t>(1, options.http.max_connections_per_address / 2);
    return forwarding;
  }
  boost::json::value active_json() const;
  bool holds(int64_t epoch) const {
    return epoch_ == epoch && lost_.empty() && Clock::now() < renewed_at_ + cluster_.lease_ttl;
  }

  asio::any_io_executor executor_;
  KernelOptions options_;
  ClusterOptions cluster_;
  LeaseSession lease_;
  Wakeup changed_;    // notified after every heartbeat
  Wakeup tend_done_;  // notified when tend() has returned
  asio::steady_timer beat_timer_;
  net::Forwarder forwarder_;  // a standby passes requests on to the active node
  std::string url_;               // where this node listens
  int64_t epoch_ = 0;             // the epoch of the lease held; 0 while standing by
  Clock::time_point renewed_at_;  // when the last acquisition or renewal that succeeded was sent
  std::string lost_;              // why the lease held was lost; "" while held
  std::optional<LeaseHolder> holder_;
  std::string holder_url_;
  std::string store_error_;  // the last heartbeat's failure, "" once one succeeds
  bool stopping_ = false;
  bool tending_ = false;
};

// Every quarter lease: a heartbeat, and the lease taken (standing by) or
// renewed (active). Runs for the node's life; run() waits for it to return.
asio::awaitable<void> ClusterNode::tend() {
  auto self = shared_from_this();
  const auto beat = cluster_.lease_ttl / 4;
  while (!stopping_) {
    const int64_t epoch = epoch_;
    const auto sent = Clock::now();
    std::function<Beat(Database&)> work = [node = cluster_.node, url = cluster_.advertise, epoch,
                                           ttl = cluster_.lease_ttl, stats = stats_json()](Database& db) {
      Beat result;
      cluster_store::heartbeat(db, node, url, stats);
      if (epoch == 0) {
        result.acquired = cluster_store::try_acquire(db, kStoreScope, node, ttl);
      } else {
        result.renewed = cluster_store::renew(db, kStoreScope, node, epoch, ttl);
      }
      result.holder = cluster_store::holder(db, kStoreScope);
      if (result.holder) result.holder_url = cluster_store::url_of(db, result.holder->owner);
      return result;
    };
    try {
      Beat result = co_await lease_.run<Beat>(std::move(work));
      store_error_.clear();
      holder_ = result.holder;
      holder_url_ = result.holder_url;
      if (epoch == 0 && epoch_ == 0 && result.acquired) {
        epoch_ = *result.acquired;
        renewed_at_ = sent;
        lost_.clear();
      } else if (epoch != 0 && epoch == epoch_) {
        if (result.renewed) {
          renewed_at_ = sent;
        } else if (lost_.empty()) {
          lost_ = holder_ && holder_->owner != cluster_.node ? "node " + holder_->owner + " holds it now"
                                                              : "it expired before it was renewed";
        }
      }
    } catch (const std::exception& error) {
      store_error_ = error.what();
    }
    changed_.notify();
    if (stopping_) break;
    beat_timer_.expires_after(beat);
    try {
      co_await beat_timer_.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error&) {
      // cancelled by run() to stop
    }
  }
  tending_ = false;
  tend_done_.notify();
}

asio::awaitable<void> ClusterNode::until_acquired() {
  while (epoch_ == 0) co_await changed_.wait();
}

asio::awaitable<std::string> ClusterNode::until_lost(int64_t epoch) {
  for (;;) {
    if (!lost_.empty()) co_return lost_;
    if (epoch_ != epoch) co_return "it moved on";
    const auto deadline = renewed_at_ + cluster_.lease_ttl;
    if (Clock::now() >= deadline) co_return "no renewal succeeded for a whole lease (" + store_error_ + ")";
    co_await changed_.wait_until(deadline);
  }
}

asio::awaitable<void> ClusterNode::release(int64_t epoch) {
  std::function<int(Database&)> work = [node = cluster_.node, epoch](Database& db) {
    cluster_store::release(db, kStoreScope, node, epoch);
    return 0;
  };
  try {
    co_await lease_.run<int>(std::move(work));
  } catch (const std::exception& error) {
    std::cerr << "solo: node " << cluster_.node << " could not release its lease (" << error.what()
              << "); it expires by itself\n";
  }
  if (epoch_ == epoch) epoch_ = 0;
  lost_.clear();
}

boost::json::value ClusterNode::active_json() const {
  if (!holder_ || holder_->expires_in_ms <= 0 || holder_->owner == cluster_.node) return nullptr;
  return boost::json::object{{"node", holder_->owner}, {"url", holder_url_}};
}

// What this node reports with its heartbeat (GET /cluster, the active
// node's /metrics): its role and what it forwarded.
std::string ClusterNode::stats_json() const {
  const auto forwarding = forwarder_.stats();
  boost::json::object stats{{"role", epoch_ != 0 ? "active" : "standby"},
                            {"forwarded", forwarding.forwarded},
                            {"forward_unreachable", forwarding.unreachable},
                            {"forward_failed", forwarding.failed},
                            {"forward_refused", forwarding.refused},
                            {"forward_connections", forwarding.open}};
  return boost::json::serialize(stats);
}

// Where a standby forwards `request`: the active node's URL, or "" when it
// answers itself (no active node known, an https:// one, or a request some
// node forwarded already: two nodes with stale views must not bounce it).
std::string ClusterNode::forward_target(const net::Request& request) const {
  if (net::Forwarder::forwarded(request) || active_json().is_null()) return "";
  return net::Forwarder::can_forward_to(holder_url_) ? holder_url_ : "";
}

// A standby serves its own /health and forwards everything else to the
// active node; when it cannot (see forward_target, and the Forwarder's
// failures), it answers 503 `standby` naming the active node.
asio::awaitable<net::Response> ClusterNode::serve_standby(net::Request& request) {
  if (request.path != "/health") {
    if (auto target = forward_target(request); !target.empty()) {
      if (net::Forwarder::is_upgrade(request)) {
        net::Response upgrade;  // the HttpServer hands the socket to on_upgrade: splice
        upgrade.status = 101;
        co_return upgrade;
      }
      auto forwarded = co_await forwarder_.forward(request, std::move(target));
      if (forwarded) co_return std::move(*forwarded);
    }
  }
  co_return answer_standby(request);
}

// A standby's answer: /health says so and names the active node; anything
// else is 503 `standby` with the active node's URL, so that a client can go there.
net::Response ClusterNode::answer_standby(const net::Request& request) const {
  boost::json::object body;
  auto active = active_json();
  if (request.path == "/health") {
    body = {{"status", "standby"}, {"node", cluster_.node}, {"active", active}};
    if (!store_error_.empty()) body["store_error"] = store_error_;
  } else {
    std::string message = "node " + cluster_.node + " is a standby; ";
    message += active.is_null() ? "no node is active yet (a takeover is under way)"
                                : "the active node is " + holder_->owner + " at " + holder_url_;
    body = {{"error", "standby"}, {"message", message}, {"active", active}};
  }
  body["timestamp"] = utc_now_iso8601();
  auto response = net::json_response(503, body);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

// The active part: a Kernel with the lease's fence until a signal, the tree
// giving up, or the lease lost. `stop` says whether the node should exit.
asio::awaitable<int> ClusterNode::serve_active(std::shared_ptr<asio::signal_set> signals, bool& stop) {
  using namespace asio::experimental::awaitable_operators;
  const int64_t epoch = epoch_;
  std::cout << "solo: node " << cluster_.node << " is active (lease epoch " << epoch << ")" << std::endl;
  KernelOptions options = options_;
  options.cluster_node = cluster_.node;
  options.cluster_lease_ttl = cluster_.lease_ttl;
  const auto idle = std::max(cluster_.lease_ttl / 2, std::chrono::milliseconds(100));
  options.store_fence = [node = cluster_.node, epoch, idle](Database& db) {
    cluster_store::fence(db, kStoreScope, node, epoch, idle);
  };
  options.on_listening = {};  // the node printed its URL when it first listened
  auto kernel = Kernel::create(executor_, std::move(options));
  std::weak_ptr<ClusterNode> weak = weak_from_this();
  kernel->status()->set_authority([weak, epoch] {
    auto self = weak.lock();
    return self && self->holds(epoch);
  });
  kernel->on_shutdown_requested([] { ::raise(SIGTERM); });
  std::string boot_error;
  try {
    co_await kernel->boot();
  } catch (const std::exception& error) {
    boot_error = error.what();
  }
  if (!boot_error.empty()) {
    std::cerr << "solo: node " << cluster_.node << " cannot start: " << boot_error << "; standing by\n";
    co_await kernel->shutdown();
    co_await release(epoch);
    // Let the other nodes take the lease first: this one may fail again.
    asio::steady_timer pause(executor_, cluster_.lease_ttl);
    co_await pause.async_wait(asio::use_awaitable);
    co_return exit_codes::failed;
  }
  auto outcome = co_await (signals->async_wait(asio::use_awaitable) || kernel->wait_failed() || until_lost(epoch));
  int code = exit_codes::failed;
  if (outcome.index() == 0) {
    std::cerr << "solo: signal " << std::get<0>(outcome) << ", shutting down\n";
    stop = true;
    asio::co_spawn(executor_, on_second_signal(signals, kernel), asio::detached);
    code = co_await kernel->shutdown();
  } else if (outcome.index() == 1) {
    std::cerr << "solo: " << std::get<1>(outcome) << "; shutting down\n";
    stop = true;
    co_await kernel->shutdown();
  } else {
    std::cerr << "solo: node " << cluster_.node << " lost the lease (" << std::get<2>(outcome)
              << "); shutting its engine down and standing by\n";
    std::cout << "solo: node " << cluster_.node << " lost the lease" << std::endl;
    co_await kernel->shutdown();
  }
  for (const auto& step : kernel->shutdown_results()) {
    if (step.outcome != "ok" && stop) std::cerr << "solo: shutdown step " << step.name << ": " << step.outcome << "\n";
  }
  co_await release(epoch);
  co_return code;
}

asio::awaitable<int> ClusterNode::run() {
  using namespace asio::experimental::awaitable_operators;
  auto signals = std::make_shared<asio::signal_set>(executor_, SIGINT, SIGTERM);
  auto self = shared_from_this();
  bool stop = false;
  bool tending = false;
  int code = exit_codes::clean;
  while (!stop) {
    net::HttpServer standby(executor_, options_.http, [this](net::Request& request) {
      return serve_standby(request);
    });
    standby.set_on_upgrade([this](net::Request&& request, asio::ip::tcp::socket&& socket, net::ConnectionSlot slot) {
      auto target = forward_target(request);
      auto unavailable = answer_standby(request);
      forwarder_.splice(std::move(request), std::move(socket), std::move(slot), std::move(target),
                        std::move(unavailable));
    });
    standby.listen();  // throws "cannot listen on ...": the node cannot run
    if (url_.empty()) {
      // From now on the port is this node's, whoever listens on it.
      options_.http.port = standby.local_endpoint().port();
      url_ = std::string(standby.tls() ? "https://" : "http://") + options_.http.host + ":" +
             std::to_string(options_.http.port);
      if (cluster_.advertise.empty()) cluster_.advertise = url_;
      std::cout << "solo: listening on " << url_ << std::endl;
      std::cout << "solo: node " << cluster_.node << " standing by" << std::endl;
    }
    if (!tending) {
      tending = tending_ = true;
      asio::co_spawn(executor_, tend(), asio::detached);
    }
    asio::co_spawn(executor_, standby.run(), asio::detached);
    auto outcome = co_await (signals->async_wait(asio::use_awaitable) || until_acquired());
    // Forwards still in flight get a moment to end (to the node that held
    // the lease before: they fail fast if it died); the port is free at once.
    co_await standby.drain(std::min(cluster_.lease_ttl / 8, std::chrono::milliseconds(250)));
    if (outcome.index() == 0) {
      std::cerr << "solo: signal " << std::get<0>(outcome) << ", node " << cluster_.node << " stops\n";
      code = exit_codes::clean;
      break;
    }
    code = co_await serve_active(signals, stop);
  }
  stopping_ = true;
  forwarder_.stop();  // spliced WebSocket sessions end
  beat_timer_.cancel();
  while (tending_) co_await tend_done_.wait();
  if (epoch_ != 0) co_await release(epoch_);  // taken at the last heartbeat, never used
  co_return code;
}

}  // namespace

int serve_cluster(KernelOptions options, ClusterOptions cluster) {
  prepare_process();
  asio::io_context io(1);
  auto node = std::make_shared<ClusterNode>(io.get_executor(), std::move(options), std::move(cluster));
  return run_process_main(io, node->run());
}

}  // namespace solo
