#include "apps/cluster_node.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
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
#include <openssl/crypto.h>

#include "apps/cluster_report.hpp"
#include "apps/cluster_shards.hpp"
#include "apps/data_dir.hpp"
#include "apps/exit_codes.hpp"
#include "apps/lease_session.hpp"
#include "apps/serve.hpp"
#include "base/async_call.hpp"
#include "base/iso8601.hpp"
#include "base/wakeup.hpp"
#include "engine/security/crypto.hpp"
#include "engine/system/system_status.hpp"
#include "net/error_reply.hpp"
#include "net/forwarder.hpp"
#include "net/http_message.hpp"
#include "net/http_server.hpp"
#include "stores/cluster_store.hpp"
#include "stores/database.hpp"

namespace solo {

std::vector<std::pair<std::string, std::string>> cluster_node_routes() {
  return {{"GET", "/cluster"}, {"GET", "/cluster/metrics"}};
}

namespace {

using Clock = std::chrono::steady_clock;

// The data directory's admin token, which every node and every shard of the
// cluster share: read, or created by the first node that finds none
// (O_EXCL, so two nodes starting at once on one directory agree).
std::string read_or_create_admin_token(const std::filesystem::path& dir) {
  const auto file = dir / "admin.token";
  auto read = [&] {
    std::ifstream in(file);
    std::stringstream content;
    content << in.rdbuf();
    std::string token = content.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
  };
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string token = crypto::base64url(crypto::random_bytes(32));
    std::string content = token + "\n";
    bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    written = ::fsync(fd) == 0 && written;
    ::close(fd);
    if (!written) throw std::runtime_error("cannot write " + file.string());
    return token;
  }
  for (int attempt = 0; attempt < 50; ++attempt) {  // another node is writing it
    if (auto token = read(); !token.empty()) return token;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error(file.string() + " is empty");
}

// What one heartbeat learned of one shard (read on the lease thread).
struct ShardBeat {
  std::optional<int64_t> acquired;  // the epoch just taken
  ShardSnapshot snapshot;
};

struct Beat {
  std::vector<ClusterMember> members;
  std::vector<ShardBeat> shards;
};

// A shard as this node sees it. Engine thread only.
struct Shard {
  int index = 0;
  std::string store;              // its store's URI
  int64_t epoch = 0;              // the epoch of the lease held; 0 while not held
  Clock::time_point renewed_at;   // when the last acquisition or renewal that succeeded was sent
  std::string lost;               // why the lease held was lost; "" while held
  bool handing_over = false;      // the node gives it up to the node it belongs to
  bool serving = false;           // its Kernel booted and runs
  std::string url;                // its Kernel's loopback URL while serving
  Clock::time_point retry_after;  // its Kernel failed: not taken again before this
  std::shared_ptr<Kernel> kernel;  // while its run_shard() runs
  // While serving: its Kernel's gateway, in this process (no loopback hop),
  // and the requests handed to it that have not returned yet.
  std::function<asio::awaitable<net::Response>(net::Request&)> dispatch;
  int in_process = 0;
  ShardSnapshot snapshot;         // its lease and tenants, as of the last heartbeat
  std::string holder_url;         // the URL of the snapshot's owner
};

class ClusterNode : public std::enable_shared_from_this<ClusterNode> {
 public:
  ClusterNode(asio::any_io_executor executor, KernelOptions options, ClusterOptions cluster)
      : executor_(executor),
        options_(std::move(options)),
        cluster_(std::move(cluster)),
        lease_(executor, cluster_.lease_ttl),
        changed_(executor),
        tend_done_(executor),
        beat_timer_(executor),
        remote_(executor, remote_options(options_, cluster_)),
        local_(executor, local_options(options_, cluster_)) {
    for (int k = 0; k < cluster_.shards; ++k) {
      Shard shard;
      shard.index = k;
      shard.store = cluster_shards::shard_store(options_.store, k, cluster_.shards);
      shard.snapshot.shard = k;
      shards_.push_back(std::move(shard));
    }
  }

  asio::awaitable<int> run();

 private:
  asio::awaitable<void> setup();
  asio::awaitable<void> on_second_signal(std::shared_ptr<asio::signal_set> signals);
  asio::awaitable<void> tend();
  // The heartbeat's renewals (sent at `sent`, for the epochs held then).
  void apply_renewals(const std::vector<bool>& renewed, const std::vector<int64_t>& epochs, Clock::time_point sent);
  // The view, and the shards just taken (asked for at `sent`).
  void apply(const Beat& beat, Clock::time_point sent);
  std::vector<std::string> shard_stores() const;
  std::vector<std::string> shard_schemas() const;
  void hand_over_one();
  asio::awaitable<void> run_shard(int k, int64_t epoch);
  asio::awaitable<std::string> until_shard_ends(int k, int64_t epoch);
  asio::awaitable<void> release(int k, int64_t epoch);
  asio::awaitable<net::Response> serve(net::Request& request);
  asio::awaitable<net::Response> in_process(int k, net::Request& request);
  static bool streams(const net::Request& request);
  void upgrade(net::Request&& request, asio::ip::tcp::socket&& socket, net::ConnectionSlot slot);
  // Where a request for shard k goes: this node's Kernel of it (local), the
  // node holding it (remote), or nowhere ("": answered 503 `standby`).
  struct Target {
    std::string url;
    bool local = false;
  };
  Target target_of(int k, const net::Request& request) const;
  net::Response answer_unavailable(int k, const net::Request& request) const;
  std::optional<net::Response> answer_cluster(const net::Request& request) const;
  bool is_admin(const net::Request& request) const;
  ClusterSnapshot snapshot() const;
  std::string stats_json() const;
  boost::json::value owner_json(int k) const;
  std::vector<std::string> live_nodes() const;
  bool holds(int k, int64_t epoch) const {
    const auto& shard = shards_[k];
    return shard.epoch == epoch && shard.lost.empty() && Clock::now() < shard.renewed_at + cluster_.lease_ttl;
  }
  static net::ForwarderOptions remote_options(const KernelOptions& options, const ClusterOptions& cluster) {
    net::ForwarderOptions forwarding;
    forwarding.node = cluster.node;
    // The other node counts this node's forwarded connections against its
    // address: take at most half of that address's share.
    forwarding.max_connections = std::max<std::size_t>(1, options.http.max_connections_per_address / 2);
    return forwarding;
  }
  // To this node's own Kernels: as many connections as the node's own
  // server takes (its per-address cap bounds each client).
  static net::ForwarderOptions local_options(const KernelOptions& options, const ClusterOptions& cluster) {
    net::ForwarderOptions forwarding;
    forwarding.node = cluster.node;
    forwarding.max_connections = std::max<std::size_t>(2, options.http.max_connections);
    return forwarding;
  }

  asio::any_io_executor executor_;
  KernelOptions options_;
  ClusterOptions cluster_;
  LeaseSession lease_;
  Wakeup changed_;    // notified after every heartbeat, and when a shard's Kernel starts or ends
  Wakeup tend_done_;  // notified when tend() has returned
  asio::steady_timer beat_timer_;
  net::Forwarder remote_;  // requests for shards other nodes hold
  net::Forwarder local_;   // requests for this node's own shards, to their Kernels on loopback
  std::vector<Shard> shards_;  // fixed at construction: references stay valid
  std::vector<ClusterMember> members_;
  std::string admin_token_;
  std::string url_;          // where this node listens
  std::string store_error_;  // the last heartbeat's failure, "" once one succeeds
  int running_shards_ = 0;   // run_shard coroutines under way
  int exit_code_ = exit_codes::clean;  // the worst of the Kernels' shutdowns as the node stops
  bool stopping_ = false;
  bool tending_ = false;
};

// Once, before the first heartbeat: the shard count agreed with the store,
// and each shard's schema created.
asio::awaitable<void> ClusterNode::setup() {
  std::function<int(const Connect&)> work = [base = options_.store, shards = cluster_.shards,
                                             stores = shard_stores()](const Connect& db) {
    int recorded = cluster_store::claim_shard_count(db(base), shards);
    if (recorded != shards) return recorded;
    for (int k = 0; shards > 1 && k < shards; ++k) {
      cluster_store::create_schema(db(base), cluster_shards::shard_schema(k));
    }
    for (const auto& store : stores) db(store);  // a shard's first session brings its tables (the beat reads them)
    return recorded;
  };
  int recorded = co_await lease_.run<int>(std::move(work));
  if (recorded != cluster_.shards) {
    throw std::runtime_error("this store was set up with --shards " + std::to_string(recorded) + ", not " +
                             std::to_string(cluster_.shards) + " (every node of a cluster uses the same count)");
  }
}

std::vector<std::string> ClusterNode::live_nodes() const {
  std::vector<std::string> live{cluster_.node};
  for (const auto& member : members_) {
    if (member.node != cluster_.node && member.heartbeat_age_ms < cluster_.lease_ttl.count()) live.push_back(member.node);
  }
  return live;
}

// Every quarter lease: a heartbeat; each shard's lease renewed (held), or
// taken when it is free and this node is where it belongs (or nobody took it
// for a whole lease); each shard's holder and tenants read. Runs for the
// node's life; run() waits for it to return.
asio::awaitable<void> ClusterNode::tend() {
  auto self = shared_from_this();
  const auto beat = cluster_.lease_ttl / 4;
  while (!stopping_) {
    // First the heartbeat and the renewals, applied as soon as they are back:
    // they are what must not be late (on a loaded machine each round trip to
    // the database waits for the CPU, and the view below takes several).
    std::vector<int64_t> epochs;
    for (const auto& shard : shards_) epochs.push_back(shard.epoch);
    const auto sent = Clock::now();
    std::function<std::vector<bool>(const Connect&)> renew =
        [node = cluster_.node, url = cluster_.advertise, base = options_.store, ttl = cluster_.lease_ttl,
         stats = stats_json(), epochs, schemas = shard_schemas()](const Connect& db) {
          return cluster_store::heartbeat_and_renew(db(base), {node, url, stats}, kStoreScope, schemas, epochs, ttl);
        };
    try {
      apply_renewals(co_await lease_.run<std::vector<bool>>(std::move(renew)), epochs, sent);
      // Then the view: the nodes, each shard's holder and tenants, and the
      // shards this node may take.
      std::vector<bool> may_take;
      const auto now = Clock::now();
      for (const auto& shard : shards_) {
        // Not while its last Kernel is still ending, nor soon after one failed.
        may_take.push_back(!stopping_ && shard.epoch == 0 && !shard.serving && now >= shard.retry_after);
      }
      const auto asked = Clock::now();
      std::function<Beat(const Connect&)> look = [node = cluster_.node, base = options_.store, ttl = cluster_.lease_ttl,
                                                  may_take, stores = shard_stores(),
                                                  schemas = shard_schemas()](const Connect& db) {
        Beat result;
        result.shards.resize(stores.size());
        result.members = cluster_store::view(db(base)).nodes;
        auto holders = cluster_store::holders(db(base), kStoreScope, schemas);
        auto tenants = cluster_store::tenant_services(db(base), schemas);
        std::vector<std::string> live{node};
        for (const auto& member : result.members) {
          if (member.node != node && member.heartbeat_age_ms < ttl.count()) live.push_back(member.node);
        }
        const auto placed = cluster_shards::place(static_cast<int>(stores.size()), live);
        for (size_t k = 0; k < stores.size(); ++k) {
          auto& shard = result.shards[k];
          shard.snapshot.shard = static_cast<int>(k);
          shard.snapshot.holder = std::move(holders[k]);
          const auto& holder = shard.snapshot.holder;
          const bool free = !holder || holder->expires_in_ms <= 0;
          const bool abandoned = holder && holder->expires_in_ms < -ttl.count();
          if (may_take[k] && free && (abandoned || placed[k] == node)) {
            shard.acquired = cluster_store::try_acquire(db(stores[k]), kStoreScope, node, ttl);
            if (shard.acquired) shard.snapshot.holder = cluster_store::holder(db(stores[k]), kStoreScope);
          }
          shard.snapshot.tenants = std::move(tenants[k]);
        }
        return result;
      };
      Beat result = co_await lease_.run<Beat>(std::move(look));
      store_error_.clear();
      apply(result, asked);
    } catch (const std::exception& error) {
      store_error_ = error.what();
    }
    changed_.notify();
    if (stopping_) break;
    beat_timer_.expires_at(sent + beat);  // a steady cadence: a slow beat is not followed by a full pause
    try {
      co_await beat_timer_.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error&) {
      // cancelled by run() to stop
    }
  }
  tending_ = false;
  tend_done_.notify();
}

std::vector<std::string> ClusterNode::shard_stores() const {
  std::vector<std::string> out;
  for (const auto& shard : shards_) out.push_back(shard.store);
  return out;
}

// Each shard's schema as the base store's connection names it: one shard is
// the base store itself.
std::vector<std::string> ClusterNode::shard_schemas() const {
  std::vector<std::string> out;
  for (const auto& shard : shards_) out.push_back(cluster_.shards > 1 ? cluster_shards::shard_schema(shard.index) : "");
  return out;
}

void ClusterNode::apply_renewals(const std::vector<bool>& renewed, const std::vector<int64_t>& epochs,
                                 Clock::time_point sent) {
  for (auto& shard : shards_) {
    const int64_t asked = epochs[shard.index];
    if (asked == 0 || asked != shard.epoch) continue;
    if (renewed[shard.index]) {
      shard.renewed_at = sent;
    } else if (shard.lost.empty()) {
      const auto owner = shard_owner(shard.snapshot);
      shard.lost = !owner.empty() && owner != cluster_.node ? "node " + owner + " holds it now"
                                                             : "it expired before it was renewed";
    }
  }
  changed_.notify();
}

void ClusterNode::apply(const Beat& beat, Clock::time_point sent) {
  members_ = beat.members;
  for (auto& shard : shards_) {
    const auto& learned = beat.shards[shard.index];
    shard.snapshot = learned.snapshot;
    const auto owner = shard_owner(shard.snapshot);
    shard.holder_url.clear();
    for (const auto& member : members_) {
      if (member.node == owner) shard.holder_url = member.url;
    }
    if (!learned.acquired || shard.epoch != 0) continue;
    shard.epoch = *learned.acquired;
    if (stopping_) continue;  // taken as the node stopped: run() releases it
    shard.renewed_at = sent;
    shard.lost.clear();
    shard.handing_over = false;
    ++running_shards_;
    asio::co_spawn(executor_, run_shard(shard.index, shard.epoch), asio::detached);
  }
  hand_over_one();
}

// Moves are gradual and only restore balance: while some node holds more
// than its share (ceil(shards / live nodes)), a node hands over a shard it
// holds to the node where the shard belongs among the live nodes, if that
// node heartbeats (within half a lease) and holds less than its share; at
// most one shard at a time per node. A node that joins (or comes back from
// a restart) thus gets its share one shard per heartbeat, shards that went
// astray during a failure go back where they belong (a node at its share
// may pass one on so that an overfull node can pass one to it), and when
// every node holds its share nothing moves: a single shard never moves to a
// node that joins. The shard's Kernel shuts down (its writes flushed, a
// clean stop in its log), its lease is released, and that node takes it at
// its next heartbeat.
void ClusterNode::hand_over_one() {
  for (const auto& shard : shards_) {
    if (shard.handing_over || (shard.epoch != 0 && !shard.serving)) return;  // a move or a start under way
  }
  const auto live = live_nodes();
  const int share = (cluster_.shards + static_cast<int>(live.size()) - 1) / static_cast<int>(live.size());
  std::map<std::string, int> held;
  for (const auto& shard : shards_) ++held[shard_owner(shard.snapshot)];
  held.erase("");  // shards no node holds
  if (std::none_of(held.begin(), held.end(), [&](const auto& node) { return node.second > share; })) return;
  const auto placed = cluster_shards::place(cluster_.shards, live);
  for (auto& shard : shards_) {
    if (!shard.serving) continue;
    const auto& belongs = placed[shard.index];
    if (belongs == cluster_.node || held[belongs] >= share) continue;
    for (const auto& member : members_) {
      if (member.node == belongs && member.heartbeat_age_ms < cluster_.lease_ttl.count() / 2) {
        shard.handing_over = true;
        std::cout << "solo: node " << cluster_.node << " hands shard " << shard.index << " over to " << belongs
                  << std::endl;
        changed_.notify();
        return;
      }
    }
  }
}

asio::awaitable<std::string> ClusterNode::until_shard_ends(int k, int64_t epoch) {
  for (;;) {
    const auto& shard = shards_[k];
    if (stopping_) co_return "the node stops";
    if (shard.handing_over) co_return "handed over";
    if (!shard.lost.empty()) co_return shard.lost;
    if (shard.epoch != epoch) co_return "it moved on";
    const auto deadline = shard.renewed_at + cluster_.lease_ttl;
    if (Clock::now() >= deadline) co_return "no renewal succeeded for a whole lease (" + store_error_ + ")";
    co_await changed_.wait_until(deadline);
  }
}

asio::awaitable<void> ClusterNode::release(int k, int64_t epoch) {
  std::function<int(const Connect&)> work = [node = cluster_.node, store = shards_[k].store, epoch](const Connect& db) {
    cluster_store::release(db(store), kStoreScope, node, epoch);
    return 0;
  };
  try {
    co_await lease_.run<int>(std::move(work));
  } catch (const std::exception& error) {
    std::cerr << "solo: node " << cluster_.node << " could not release shard " << k << " (" << error.what()
              << "); its lease expires by itself\n";
  }
  auto& shard = shards_[k];
  if (shard.epoch == epoch) shard.epoch = 0;
  shard.lost.clear();
  shard.handing_over = false;
}

// One shard held: a Kernel on its store, with the lease's fence in every
// write transaction, listening on loopback (the node forwards the shard's
// requests to it), until the node stops, the lease is lost, the shard is
// handed over, or the Kernel's tree gives up. Recovery is a restart's: the
// shard's last holder may have crashed.
asio::awaitable<void> ClusterNode::run_shard(int k, int64_t epoch) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  const std::string shard_label = cluster_.shards > 1 ? " for shard " + std::to_string(k) : "";
  std::cout << "solo: node " << cluster_.node << " is active" << shard_label << " (lease epoch " << epoch << ")"
            << std::endl;
  KernelOptions options = options_;
  options.store = shards_[k].store;
  options.cluster_node = cluster_.node;
  options.http.host = "127.0.0.1";
  options.http.port = 0;
  options.http.tls.reset();
  // Every request comes from this node's own server (127.0.0.1), which caps each client itself.
  options.http.max_connections_per_address = options.http.max_connections;
  const auto idle = std::max(cluster_.lease_ttl / 2, std::chrono::milliseconds(100));
  options.store_fence = [node = cluster_.node, epoch, idle](Database& db) {
    cluster_store::fence(db, kStoreScope, node, epoch, idle);
  };
  if (cluster_.shards > 1) {
    options.serves_tenant = [k, shards = cluster_.shards](std::string_view tenant) {
      return cluster_shards::shard_of_tenant(tenant, shards) == k;
    };
    options.token_prefix = cluster_shards::token_prefix(k, cluster_.shards);
  }
  options.on_listening = {};
  auto kernel = Kernel::create(executor_, std::move(options));
  shards_[k].kernel = kernel;
  std::weak_ptr<ClusterNode> weak = weak_from_this();
  kernel->status()->set_authority([weak, k, epoch] {
    auto node = weak.lock();
    return node && node->holds(k, epoch);
  });
  kernel->on_shutdown_requested([] { ::raise(SIGTERM); });
  std::string failure;
  try {
    co_await kernel->boot();
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (failure.empty()) {
    shards_[k].url = kernel->url();
    shards_[k].dispatch = kernel->dispatcher();
    shards_[k].serving = true;
    changed_.notify();
    auto outcome = co_await (kernel->wait_failed() || until_shard_ends(k, epoch));
    shards_[k].serving = false;
    shards_[k].url.clear();
    shards_[k].dispatch = {};
    // The requests already handed to the Kernel finish before it shuts down
    // (its own server drains those it took itself).
    const auto drained_by = Clock::now() + options_.shutdown_deadline;
    while (shards_[k].in_process > 0 && Clock::now() < drained_by) co_await changed_.wait_until(drained_by);
    if (outcome.index() == 0) {
      failure = std::get<0>(outcome);
    } else if (!stopping_ && !shards_[k].handing_over) {
      std::cout << "solo: node " << cluster_.node << " lost the lease" << shard_label << " ("
                << std::get<1>(outcome) << "); its Kernel shuts down" << std::endl;
    }
  }
  if (!failure.empty()) {
    std::cerr << "solo: node " << cluster_.node << shard_label << ": " << failure << "; it lets the shard go\n";
    // Let another node take it first: this one may fail again.
    shards_[k].retry_after = Clock::now() + cluster_.lease_ttl * 2;
  }
  const int code = co_await kernel->shutdown();
  if (stopping_) exit_code_ = std::max(exit_code_, failure.empty() ? code : exit_codes::failed);
  for (const auto& step : kernel->shutdown_results()) {
    if (step.outcome != "ok") std::cerr << "solo: shutdown step " << step.name << shard_label << ": " << step.outcome << "\n";
  }
  co_await release(k, epoch);
  shards_[k].kernel.reset();
  --running_shards_;
  changed_.notify();
}

boost::json::value ClusterNode::owner_json(int k) const {
  const auto& shard = shards_[k];
  const auto owner = shard_owner(shard.snapshot);
  if (owner.empty() || owner == cluster_.node) return nullptr;
  return boost::json::object{{"node", owner}, {"url", shard.holder_url}};
}

// What this node reports with its heartbeat (GET /cluster, /cluster/metrics):
// its role, its shards, and what it forwarded to other nodes.
std::string ClusterNode::stats_json() const {
  const auto forwarding = remote_.stats();
  boost::json::array serving;
  for (const auto& shard : shards_) {
    if (shard.serving) serving.push_back(shard.index);
  }
  boost::json::object stats{{"role", serving.empty() ? "standby" : "active"},
                            {"serving", std::move(serving)},
                            {"forwarded", forwarding.forwarded},
                            {"forward_unreachable", forwarding.unreachable},
                            {"forward_failed", forwarding.failed},
                            {"forward_refused", forwarding.refused},
                            {"forward_connections", forwarding.open}};
  return boost::json::serialize(stats);
}

ClusterNode::Target ClusterNode::target_of(int k, const net::Request& request) const {
  const auto& shard = shards_[k];
  if (shard.serving && holds(k, shard.epoch)) return {shard.url, true};
  // Two nodes with stale views of each other must not bounce a request.
  if (net::Forwarder::forwarded(request)) return {};
  const auto owner = shard_owner(shard.snapshot);
  if (owner.empty() || owner == cluster_.node || !net::Forwarder::can_forward_to(shard.holder_url)) return {};
  return {shard.holder_url, false};
}

// 503 `standby` with Retry-After, naming the node that holds the shard (null
// while none does: a move is under way), so that a client can go there.
net::Response ClusterNode::answer_unavailable(int k, const net::Request& request) const {
  auto owner = owner_json(k);
  std::string message = "node " + cluster_.node + " does not serve ";
  message += cluster_.shards > 1 ? "shard " + std::to_string(k) : std::string("the store");
  message += " now; ";
  if (!owner.is_null()) {
    message += "node " + std::string(owner.at("node").as_string()) + " at " + std::string(owner.at("url").as_string()) +
               " does";
  } else if (shard_owner(shards_[k].snapshot) == cluster_.node && !holds(k, shards_[k].epoch)) {
    message += cluster_.shards > 1 ? "its lease on the shard lapsed (the shard moves)" : "its lease lapsed";
  } else if (shard_owner(shards_[k].snapshot) == cluster_.node) {
    message += cluster_.shards > 1 ? "it holds the lease and is starting the shard (recovery)"
                                   : "it holds the lease and is starting (recovery)";
  } else {
    message += "no node holds it yet (a move is under way)";
  }
  boost::json::object body{{"error", "standby"}, {"message", message}, {"active", owner}, {"shard", k}};
  if (request.path == "/health") {
    body = {{"status", "standby"}, {"node", cluster_.node}, {"active", owner}};
    if (!store_error_.empty()) body["store_error"] = store_error_;
  }
  body["timestamp"] = utc_now_iso8601();
  auto response = net::json_response(503, body);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

bool ClusterNode::is_admin(const net::Request& request) const {
  auto header = request.header("authorization");
  if (!header || header->size() <= 7 || (header->substr(0, 7) != "Bearer " && header->substr(0, 7) != "bearer ")) {
    return false;
  }
  auto token = header->substr(7);
  return token.size() == admin_token_.size() && CRYPTO_memcmp(token.data(), admin_token_.data(), token.size()) == 0;
}

ClusterSnapshot ClusterNode::snapshot() const {
  ClusterSnapshot out;
  out.node = cluster_.node;
  out.shard_count = cluster_.shards;
  out.lease_ttl = cluster_.lease_ttl;
  out.members = members_;
  for (const auto& shard : shards_) out.shards.push_back(shard.snapshot);
  return out;
}

// GET /cluster and GET /cluster/metrics, answered by every node from its last
// heartbeat (the admin token only: they name every node's address).
std::optional<net::Response> ClusterNode::answer_cluster(const net::Request& request) const {
  if (request.path != "/cluster" && request.path != "/cluster/metrics") return std::nullopt;
  if (request.method != "GET") return net::error_reply(Error(ErrorKind::invalid, "only GET " + request.path));
  if (!request.header("authorization")) return net::error_reply(Error(ErrorKind::unauthorized, "missing bearer token"));
  if (!is_admin(request)) {
    return net::error_reply(Error(ErrorKind::forbidden, request.path + " needs the admin token"));
  }
  if (request.path == "/cluster") return net::json_response(200, cluster_json(snapshot()));
  net::Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = cluster_metrics(snapshot());
  return response;
}

// The node's server: /cluster itself; /health from one of its own Kernels
// (or "standby" when it serves no shard); everything else to the shard it is
// for (cluster_shards::shard_of_request), here or on the node that holds it.
// GCC 12 takes the release of this coroutine's frame (Asio's awaitable frame
// operator delete, matching its operator new over aligned_alloc) for a
// mismatched one once both are inlined here: a false -Wmismatched-new-delete.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<net::Response> ClusterNode::serve(net::Request& request) {
  if (auto answer = answer_cluster(request)) co_return std::move(*answer);
  int k = cluster_shards::shard_of_request(request, cluster_.shards);
  if (request.path == "/health") {
    // Health is the node's: any shard it serves answers for it.
    k = -1;
    for (const auto& shard : shards_) {
      if (shard.serving) k = shard.index;
    }
    if (k < 0) co_return answer_unavailable(0, request);
    co_return co_await in_process(k, request);
  }
  auto target = target_of(k, request);
  if (!target.url.empty()) {
    if (net::Forwarder::is_upgrade(request)) {
      net::Response upgrade;  // the HttpServer hands the socket to upgrade(): splice
      upgrade.status = 101;
      co_return upgrade;
    }
    if (target.local && !streams(request)) co_return co_await in_process(k, request);
    auto& forwarder = target.local ? local_ : remote_;
    auto forwarded = co_await forwarder.forward(request, std::move(target.url));
    if (forwarded) co_return std::move(*forwarded);
  }
  co_return answer_unavailable(k, request);
}
#pragma GCC diagnostic pop

// A stream (SSE, an MCP session) outlives the request: it goes through the
// Kernel's own server on loopback, which ends it when the Kernel shuts down.
bool ClusterNode::streams(const net::Request& request) {
  auto accept = request.header("accept");
  return (accept && accept->find("text/event-stream") != std::string_view::npos) || request.path.starts_with("/mcp");
}

// Hands the request to shard k's Kernel in this process; counted, so that
// the Kernel shuts down only once it has answered (run_shard).
asio::awaitable<net::Response> ClusterNode::in_process(int k, net::Request& request) {
  auto self = shared_from_this();
  auto dispatch = shards_[k].dispatch;  // a copy: the shard may stop serving meanwhile
  if (!dispatch) co_return answer_unavailable(k, request);
  struct Counted {
    ClusterNode& node;
    int k;
    explicit Counted(ClusterNode& node, int k) : node(node), k(k) { ++node.shards_[k].in_process; }
    ~Counted() {
      --node.shards_[k].in_process;
      node.changed_.notify();
    }
  } counted(*this, k);
  co_return co_await dispatch(request);
}

void ClusterNode::upgrade(net::Request&& request, asio::ip::tcp::socket&& socket, net::ConnectionSlot slot) {
  const int k = cluster_shards::shard_of_request(request, cluster_.shards);
  auto target = target_of(k, request);
  auto unavailable = answer_unavailable(k, request);
  auto& forwarder = target.local ? local_ : remote_;
  forwarder.splice(std::move(request), std::move(socket), std::move(slot), std::move(target.url),
                   std::move(unavailable));
}

asio::awaitable<int> ClusterNode::run() {
  auto signals = std::make_shared<asio::signal_set>(executor_, SIGINT, SIGTERM);
  auto self = shared_from_this();
  prepare_data_dir(options_.data_dir, /*sqlite_store=*/false);
  admin_token_ = read_or_create_admin_token(options_.data_dir);
  net::HttpServer server(executor_, options_.http, [this](net::Request& request) { return serve(request); });
  server.set_on_upgrade([this](net::Request&& request, asio::ip::tcp::socket&& socket, net::ConnectionSlot slot) {
    upgrade(std::move(request), std::move(socket), std::move(slot));
  });
  server.listen();  // throws "cannot listen on ...": the node cannot run
  url_ = std::string(server.tls() ? "https://" : "http://") + options_.http.host + ":" +
         std::to_string(server.local_endpoint().port());
  if (cluster_.advertise.empty()) cluster_.advertise = url_;
  std::cout << "solo: listening on " << url_ << std::endl;
  if (options_.on_listening) options_.on_listening(url_);
  co_await setup();
  std::cout << "solo: node " << cluster_.node << " standing by" << std::endl;
  tending_ = true;
  asio::co_spawn(executor_, tend(), asio::detached);
  asio::co_spawn(executor_, server.run(), asio::detached);
  int signal = co_await signals->async_wait(asio::use_awaitable);
  std::cerr << "solo: signal " << signal << ", node " << cluster_.node << " stops\n";
  // Each shard's Kernel runs its shutdown sequence and releases its lease,
  // so other nodes take the shards at their next heartbeat.
  stopping_ = true;
  changed_.notify();
  asio::co_spawn(executor_, on_second_signal(signals), asio::detached);
  while (running_shards_ > 0) co_await changed_.wait();
  server.stop_accepting();
  co_await server.drain(std::min(cluster_.lease_ttl / 8, std::chrono::milliseconds(250)));
  local_.stop();
  remote_.stop();  // spliced WebSocket sessions end
  beat_timer_.cancel();
  while (tending_) co_await tend_done_.wait();
  // Taken at the last heartbeat, never used.
  for (auto& shard : shards_) {
    if (shard.epoch != 0) co_await release(shard.index, shard.epoch);
  }
  co_return exit_code_;
}

// A second signal while the shards shut down: every Kernel still running
// flushes what it can, and the process exits at once (serve.hpp's rule).
asio::awaitable<void> ClusterNode::on_second_signal(std::shared_ptr<asio::signal_set> signals) {
  auto self = shared_from_this();
  co_await signals->async_wait(asio::use_awaitable);
  std::cerr << "solo: second signal, flushing and exiting now\n";
  bool flushed = true;
  for (const auto& shard : shards_) {
    if (auto kernel = shard.kernel) flushed = co_await kernel->emergency_flush() && flushed;
  }
  std::cout.flush();
  std::_Exit(flushed ? exit_codes::cut_short_flushed : exit_codes::cut_short_not_flushed);
}

}  // namespace

int serve_cluster(KernelOptions options, ClusterOptions cluster) {
  prepare_process();
  asio::io_context io(1);
  auto node = std::make_shared<ClusterNode>(io.get_executor(), std::move(options), std::move(cluster));
  return run_process_main(io, node->run());
}

}  // namespace solo
