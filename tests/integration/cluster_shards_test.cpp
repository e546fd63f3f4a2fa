// Cluster mode with shards (solo serve --node NAME --shards 6), on the real
// binary: three nodes on one PostgreSQL server. The shards spread evenly over
// the nodes, so every node serves tenants; a request reaches its tenant's
// shard through any node (a tenant token by its prefix, the admin token by
// X-Tenant-ID); a shard's Kernel refuses to write another shard's tenant. A
// SIGKILL of a node moves its shards to the others once their leases expire,
// with every acknowledged write kept, the tokens still valid and a tenant's
// event stream resumed without a gap or a repeat; the node, restarted, gets
// its share back one shard at a time while a client that retries on 503 +
// Retry-After sees no failed request. A node paused with SIGSTOP past its
// leases writes nothing to the shards it lost once resumed (it drops them and
// gets its share back); a rolling restart of every node fails no request of a
// client that retries on 503 + Retry-After.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "apps/cluster_shards.hpp"
#include "support/cluster_harness.hpp"

using namespace solo;
using namespace solo::test::cluster_harness;
using solo::test::eventually;
namespace shards = solo::cluster_shards;

namespace {

constexpr int kShards = 6;

std::vector<std::string> tenants(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back("tenant-" + std::to_string(i));
  return out;
}

// A put through node `start`, retried (on 503 after its Retry-After, at most
// 1 s; on no answer through the next node) until it is acknowledged or the
// deadline passes. Returns "" when acknowledged, else the failure: any other
// status at once (a client that retries on 503 never sees one), but for a 502
// when `retry_unknown` (a node killed with a forwarded request in flight: its
// outcome is unknown, and a put may be sent again).
std::string put_retrying(const Cluster& cluster, int start, const std::string& token, const std::string& tenant,
                         const std::string& key, Clock::time_point deadline, bool retry_unknown = false) {
  std::string error;
  for (int node = start; Clock::now() < deadline;) {
    auto answer = put(cluster.url(node), token, tenant, key);
    if (answer.status == 200) return "";
    error = cluster.url(node) + ": " + std::to_string(answer.status) + " " + answer.body;
    if (answer.status != 503 && answer.status != 0 && !(retry_unknown && answer.status == 502)) return error;
    if (answer.status == 0) node = (node + 1) % static_cast<int>(cluster.nodes.size());
    auto pause = answer.status == 503 ? std::chrono::milliseconds(1000 * atoi(answer.retry_after.c_str())) : 50ms;
    std::this_thread::sleep_for(std::clamp<std::chrono::milliseconds>(pause, 50ms, 1s));
  }
  return error.empty() ? "deadline passed" : error;
}

// The ids of `tenant`'s events after `after`, read page by page through GET /events.
std::vector<int64_t> event_ids(const std::string& url, const std::string& token, const std::string& tenant,
                               int64_t after) {
  std::vector<int64_t> ids;
  for (;;) {
    auto page = send_to(url, token, "GET", "/events?limit=1000&since=" + std::to_string(after), "", tenant);
    BOOST_TEST_REQUIRE(page.status == 200, page.body);
    auto events = json::parse(page.body).at("events").as_array();
    if (events.empty()) return ids;
    for (const auto& event : events) ids.push_back(event.at("id").to_number<int64_t>());
    after = ids.back();
  }
}

// The first tenant id "tenant-<i>" whose shard is `shard`.
std::string tenant_in(int64_t shard, int shard_count) {
  for (int i = 0;; ++i) {
    auto id = "tenant-" + std::to_string(i);
    if (shards::shard_of_tenant(id, shard_count) == shard) return id;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_sharded)

BOOST_AUTO_TEST_CASE(tenants_spread_over_every_node_and_move_when_one_dies) {
  Cluster cluster(3, kShards);
  const auto& admin = cluster.token;
  const auto all = tenants(12);

  // Deployed through every node; each tenant's services live in its shard.
  json::object body{{"service_id", "keeper"}, {"code", kKeeper}};
  for (size_t t = 0; t < all.size(); ++t) {
    auto deployed = send_to(cluster.url(t % 3), admin, "POST", "/services", json::serialize(body), all[t], 30s);
    BOOST_TEST_REQUIRE(deployed.status == 201, all[t] << ": " << deployed.body);
  }
  json::object view;
  std::map<std::string, std::string> node_of;  // tenant -> node, from GET /cluster
  auto listed = [&] {
    view = cluster_view(cluster.url(1), admin);
    node_of.clear();
    for (const auto& shard : view.at("shards").as_array()) {
      for (const auto& entry : shard.at("tenants").as_array()) {
        const std::string tenant(entry.at("tenant").as_string());
        if (shards::shard_of_tenant(tenant, kShards) != shard.at("shard").to_number<int64_t>()) return false;
        node_of[tenant] = std::string(shard.at("owner").as_string());
      }
    }
    return node_of.size() == all.size();
  };
  BOOST_TEST_REQUIRE(eventually(listed, 5s), json::serialize(view));
  std::set<std::string> serving;
  for (const auto& [tenant, node] : node_of) serving.insert(node);
  BOOST_TEST(serving.size() == 3u, "every node serves tenants: " << json::serialize(view));
  BOOST_TEST(view.at("shard_count").to_number<int64_t>() == kShards);

  // Tenant tokens name their shard; any node routes them there.
  std::map<std::string, std::string> tokens;
  for (size_t t = 0; t < all.size(); ++t) {
    json::object grant{{"tenant_id", all[t]}, {"permissions", json::array{"call", "events"}}, {"ttl_seconds", 600}};
    auto granted = send_to(cluster.url((t + 1) % 3), admin, "POST", "/tokens", json::serialize(grant), all[t]);
    BOOST_TEST_REQUIRE(granted.status == 201, all[t] << ": " << granted.body);
    tokens[all[t]] = string_at(granted.body, {"token"});
    BOOST_TEST(tokens[all[t]].rfind(shards::token_prefix(shards::shard_of_tenant(all[t], kShards), kShards), 0) == 0u,
               tokens[all[t]]);
  }
  for (size_t t = 0; t < all.size(); ++t) {
    const auto key = "first-" + all[t];
    auto written = put(cluster.url(t % 3), tokens[all[t]], "", key);
    BOOST_TEST_REQUIRE(written.status == 200, all[t] << ": " << written.body);
    for (int i = 0; i < 3; ++i) BOOST_TEST(get(cluster.url(i), tokens[all[t]], "", key) == key, all[t]);
  }
  BOOST_TEST(get(cluster.url(0), admin, all[1], "first-" + all[0]) == "");  // tenants stay apart
  // A shard refuses a token for a tenant of another shard (the data would split).
  std::string elsewhere;
  for (const auto& tenant : all) {
    if (shards::shard_of_tenant(tenant, kShards) != shards::shard_of_tenant(all[0], kShards)) elsewhere = tenant;
  }
  json::object foreign{{"tenant_id", elsewhere}, {"permissions", json::array{"call"}}};
  auto refused = send_to(cluster.url(0), admin, "POST", "/tokens", json::serialize(foreign), all[0]);
  BOOST_TEST(refused.status == 400, refused.body);
  BOOST_TEST(refused.body.find("another shard") != std::string::npos, refused.body);

  // Load on every tenant, through every node, while the node serving the
  // most tenants dies.
  std::map<std::string, int> served;
  for (const auto& [tenant, node] : node_of) ++served[node];
  const auto victim_name = std::max_element(served.begin(), served.end(), [](auto& a, auto& b) {
                             return a.second < b.second;
                           })->first;
  const int victim = victim_name.back() - '1';
  std::string watched;  // a tenant of the victim, whose event stream resumes elsewhere
  for (const auto& [tenant, node] : node_of) {
    if (node == victim_name) watched = tenant;
  }
  const int survivor = (victim + 1) % 3;
  const auto before_ids = event_ids(cluster.url(survivor), tokens[watched], "", 0);
  BOOST_TEST_REQUIRE(!before_ids.empty());

  Ledger ledger;
  std::atomic<bool> stop{false};
  std::vector<std::jthread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int n = 0; !stop; ++n) {
        const auto& tenant = all[(c + 4 * n) % all.size()];
        const auto key = "c" + std::to_string(c) + "-" + std::to_string(n);
        // Never through the victim: a client of a dead node reconnects elsewhere.
        const int via = (victim + 1 + (n % 2)) % 3;
        auto failure = put_retrying(cluster, via, tokens[tenant], tenant, key, Clock::now() + kLeaseTtl + 30s,
                                    /*retry_unknown=*/true);
        if (!failure.empty()) return ledger.fail(tenant + " " + key + ": " + failure);
        ledger.ack(tenant, key);
      }
    });
  }
  std::this_thread::sleep_for(1s);
  const size_t acked_before = ledger.count;
  cluster.nodes[victim]->kill9();
  std::vector<int> survivors;
  for (int i = 0; i < 3; ++i) {
    if (i != victim) survivors.push_back(i);
  }
  cluster.await_balanced(survivors);
  const size_t acked_at_takeover = ledger.count;
  BOOST_TEST(eventually([&] { return ledger.count > acked_at_takeover + 20; }, 20s), "puts stalled after the takeover");
  BOOST_TEST_MESSAGE("puts acknowledged: " << acked_before << " before the kill, " << ledger.count << " by now");

  // The victim comes back: it gets its share back while the clients go on.
  cluster.start(victim);
  cluster.await_balanced();
  const size_t acked_at_rebalance = ledger.count;
  BOOST_TEST(eventually([&] { return ledger.count > acked_at_rebalance + 20; }, 20s), "puts stalled after the rebalance");
  stop = true;
  for (auto& client : clients) client.join();
  BOOST_TEST(acked_before > 0u);

  // Nothing acknowledged was lost, read through every node.
  for (int i = 0; i < 3; ++i) {
    for (const auto& failure : ledger.failures) BOOST_TEST(false, failure);
    for (const auto& [tenant, keys] : ledger.acked) {
      auto stored = stored_keys(cluster.url(i), admin, tenant);
      size_t lost = 0;
      for (const auto& key : keys) lost += stored.count(key) ? 0 : 1;
      BOOST_TEST(lost == 0u, tenant << " on " << Cluster::name(i) << ": " << lost << " of " << keys.size() << " lost");
    }
    ledger.failures.clear();
  }
  // The watched tenant's events: the ones read before the move are still
  // there, in order, and the stream resumed after the last of them through
  // any node gives exactly the events listed after it: none missed, none twice.
  const auto after_ids = event_ids(cluster.url(victim), tokens[watched], "", 0);
  BOOST_TEST_REQUIRE(after_ids.size() > before_ids.size());
  BOOST_TEST(std::equal(before_ids.begin(), before_ids.end(), after_ids.begin()));
  BOOST_TEST(std::is_sorted(after_ids.begin(), after_ids.end()));
  BOOST_TEST((std::adjacent_find(after_ids.begin(), after_ids.end()) == after_ids.end()));
  for (int i = 0; i < 3; ++i) {
    net::HttpClient client(cluster.url(i), 10s);
    net::SseParser parser;
    std::vector<int64_t> streamed;
    const size_t expected = after_ids.size() - before_ids.size();
    client.stream("/events",
                  {{"authorization", "Bearer " + tokens[watched]},
                   {"accept", "text/event-stream"},
                   {"last-event-id", std::to_string(before_ids.back())}},
                  [&](std::string_view piece) {
                    for (auto& event : parser.feed(piece)) streamed.push_back(std::stoll(event.id.value_or("0")));
                    return streamed.size() < expected;
                  });
    BOOST_TEST(std::equal(streamed.begin(), streamed.end(), after_ids.begin() + static_cast<long>(before_ids.size())),
               Cluster::name(i));
  }
}

BOOST_AUTO_TEST_CASE(a_paused_node_writes_nothing_to_the_shards_it_lost) {
  Cluster cluster(2, 2);  // one shard each
  const auto& admin = cluster.token;
  const auto n1 = cluster.url(0), n2 = cluster.url(1);
  auto held = cluster.shards_held(1);
  BOOST_TEST_REQUIRE(held["n1"].size() == 1u);
  const auto tenant = tenant_in(held["n1"].front(), 2);  // kept by n1
  json::object body{{"service_id", "keeper"}, {"code", kKeeper}};
  auto deployed = send_to(n2, admin, "POST", "/services", json::serialize(body), tenant, 30s);
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  auto k1 = put(n2, admin, tenant, "k1");  // forwarded to n1
  BOOST_TEST_REQUIRE(k1.status == 200, k1.body);

  cluster.nodes[0]->signal(SIGSTOP);
  cluster.await_balanced({1});  // n2 took n1's shard once its lease expired
  // (503 + Retry-After while n2 recovers the shard)
  const auto k2 = put_retrying(cluster, 1, admin, tenant, "k2", Clock::now() + 30s);
  BOOST_TEST_REQUIRE(k2.empty(), k2);

  cluster.nodes[0]->signal(SIGCONT);
  // n1 may still believe it keeps the shard; not forwarded, the put meets its own Kernel.
  auto ghost = put(n1, admin, tenant, "ghost", 15s, kForwardedAlready);
  BOOST_TEST_MESSAGE("the resumed n1 answered a put with: " << ghost.status << " " << ghost.body);
  BOOST_TEST(ghost.status != 200, "n1 acknowledged a write after its lease moved: " << ghost.body);

  cluster.await_balanced();  // n1 is back with a shard of its own
  auto said = cluster.nodes[0]->output() + cluster.nodes[0]->errors();
  BOOST_TEST(said.find("solo: node n1 lost the lease for shard " + std::to_string(held["n1"].front())) !=
                 std::string::npos,
             said);
  // Through both nodes, once the shard's node has recovered it (503 + Retry-After until then).
  auto stored = [&](const std::string& url, const std::string& key) {
    Answer answer;
    eventually([&] {
      answer = send_to(url, admin, "GET", "/services/keeper/storage/" + key, "", tenant);
      return answer.status != 503;
    }, 30s);
    return answer;
  };
  for (const auto& url : {n1, n2}) {
    for (const std::string key : {"k1", "k2"}) {
      auto answer = stored(url, key);
      BOOST_TEST(answer.status == 200, url << " " << key << ": " << answer.body);
    }
    auto ghost_stored = stored(url, "ghost");
    BOOST_TEST(ghost_stored.status == 404, url << ": " << ghost_stored.body);
    BOOST_TEST(get(url, admin, tenant, "ghost") == "");
  }
}

BOOST_AUTO_TEST_CASE(rolling_restart_of_every_node_fails_no_request) {
  constexpr auto kPutDeadline = 30s;
  Cluster cluster(3, kShards);
  const auto& admin = cluster.token;
  std::vector<std::string> all;  // a tenant in every shard
  for (int k = 0; k < kShards; ++k) all.push_back(tenant_in(k, kShards));
  json::object body{{"service_id", "keeper"}, {"code", kKeeper}};
  for (size_t t = 0; t < all.size(); ++t) {
    auto deployed = send_to(cluster.url(t % 3), admin, "POST", "/services", json::serialize(body), all[t], 30s);
    BOOST_TEST_REQUIRE(deployed.status == 201, all[t] << ": " << deployed.body);
  }

  // Two clients, each writing every tenant in turn through every node in
  // turn, retrying on 503 + Retry-After and on a node that went away.
  Ledger ledger;
  std::atomic<bool> stop{false};
  std::vector<std::jthread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      for (int n = 0; !stop; ++n) {
        const auto& tenant = all[static_cast<size_t>(n + c) % all.size()];
        const auto key = "r" + std::to_string(c) + "-" + std::to_string(n);
        auto failure = put_retrying(cluster, (n + c) % 3, admin, tenant, key, Clock::now() + kPutDeadline);
        if (!failure.empty()) return ledger.fail(tenant + " " + key + ": " + failure);
        ledger.ack(tenant, key);
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    const size_t before = ledger.count;
    BOOST_TEST(cluster.restart(i) == 0, Cluster::name(i) << " did not stop cleanly on SIGTERM");
    cluster.await_balanced();
    BOOST_TEST(eventually([&] { return ledger.count > before + 10; }, kPutDeadline),
               "puts stalled after restarting " << Cluster::name(i));
    BOOST_TEST_MESSAGE("restarted " << Cluster::name(i) << "; " << ledger.count << " puts acknowledged");
  }
  stop = true;
  for (auto& client : clients) client.join();
  for (const auto& failure : ledger.failures) BOOST_TEST(false, failure);
  BOOST_TEST(ledger.count > 30u);
  for (const auto& [tenant, keys] : ledger.acked) {
    auto stored = stored_keys(cluster.url(0), admin, tenant);
    size_t lost = 0;
    for (const auto& key : keys) lost += stored.count(key) ? 0 : 1;
    BOOST_TEST(lost == 0u, tenant << ": " << lost << " of " << keys.size() << " lost");
  }
}

BOOST_AUTO_TEST_SUITE_END()
