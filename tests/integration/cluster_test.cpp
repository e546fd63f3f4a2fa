// Cluster mode with one shard, active/standby (solo serve --node NAME
// --lease-ttl-ms MS), on the real binary: several nodes share one PostgreSQL store (a server of the
// test's own, support/postgres_server.sh) and one data directory. Exactly one
// node holds the store's lease and serves; the others answer /health with 503
// "standby" naming the active node and its URL, and forward every other
// request to it (HTTP, SSE, WebSocket), or answer 503 `standby` with
// Retry-After when they cannot (a request forwarded already, no node active
// during a move). GET /cluster lists the nodes, their figures and the lease;
// /cluster/metrics has every node's series (tests/support/cluster_harness.hpp). A SIGKILL of
// the active node moves the lease once it expires, and the new active node
// holds every acknowledged write and honours the tokens granted before; a
// node paused past its lease writes nothing once resumed (every write checks
// the lease epoch in its transaction) and turns standby; and a rolling
// restart of every node (SIGTERM releases the lease) fails no request of a
// client that retries on 503 and follows the active node.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/cluster_harness.hpp"

using namespace solo;
using namespace solo::test::cluster_harness;
using solo::test::eventually;

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(one_active_two_standbys) {
  Cluster cluster(3);
  const int active = cluster.await_settled();
  const auto active_name = Cluster::name(active), active_url = cluster.url(active);
  BOOST_TEST(cluster.nodes[active]->output().find("solo: node " + active_name + " is active (lease epoch ") !=
             std::string::npos);
  for (int i = 0; i < 3; ++i) {
    if (i == active) continue;
    auto health = health_of(cluster.url(i));
    expect_standby(health, Cluster::name(i) + " /health", "status", active_name, active_url);
    BOOST_TEST(string_at(health.body, {"node"}) == Cluster::name(i), health.body);
  }

  // GET /cluster: three nodes heartbeating at their URLs, the lease held by the active one.
  json::object view;
  auto all_alive = [&] {
    view = cluster_view(active_url, cluster.token);
    const auto& nodes = view.at("nodes").as_array();
    return nodes.size() == 3u &&
           std::all_of(nodes.begin(), nodes.end(), [](const json::value& n) { return n.at("alive").as_bool(); });
  };
  BOOST_TEST_REQUIRE(eventually(all_alive, 10s), json::serialize(view));
  BOOST_TEST(view.at("node").as_string() == active_name);
  std::map<std::string, std::string> urls;
  for (int i = 0; i < 3; ++i) urls[Cluster::name(i)] = cluster.url(i);
  for (const auto& node : view.at("nodes").as_array())
    BOOST_TEST(node.at("url").as_string() == urls[std::string(node.at("node").as_string())], json::serialize(node));
  auto lease = store_lease(active_url, cluster.token);
  BOOST_TEST(lease.at("scope").as_string() == "*");
  BOOST_TEST(lease.at("owner").as_string() == active_name);
  BOOST_TEST(lease.at("epoch").to_number<int64_t>() >= 1);
  BOOST_TEST(lease.at("expires_in_ms").to_number<int64_t>() > 0, json::serialize(lease));

  // Services, tokens and storage through the active node, tenant by tenant.
  cluster.deploy(active_url);
  for (const auto& tenant : kTenants) {
    auto done = put(active_url, cluster.token, tenant, "hello-" + tenant);
    BOOST_TEST_REQUIRE(done.status == 200, tenant << ": " << done.body);
  }
  for (const auto& tenant : kTenants)
    BOOST_TEST(get(active_url, cluster.token, tenant, "hello-" + tenant) == "hello-" + tenant);
  // Every tenant's services run on the active node, none on a standby (as
  // of the nodes' last heartbeats: a quarter lease).
  auto tenants_listed = [&] {
    view = cluster_view(active_url, cluster.token);
    for (const auto& node : view.at("nodes").as_array()) {
      const auto& tenants = node.at("tenants").as_array();
      if (node.at("node").as_string() != active_name) {
        if (!tenants.empty()) return false;
        continue;
      }
      if (tenants.size() != kTenants.size()) return false;
      for (size_t t = 0; t < kTenants.size(); ++t) {
        if (tenants[t].at("tenant").as_string() != kTenants[t] || tenants[t].at("services").to_number<int64_t>() != 1)
          return false;
      }
    }
    return true;
  };
  BOOST_TEST(eventually(tenants_listed, 5s), json::serialize(view));
  BOOST_TEST(get(active_url, cluster.token, "globex", "hello-acme") == "");  // tenants stay apart

  // A write sent to a standby is forwarded to the active node.
  for (int i = 0; i < 3; ++i) {
    if (i == active) continue;
    const auto key = "through-" + Cluster::name(i);
    auto forwarded = put(cluster.url(i), cluster.token, "acme", key);
    BOOST_TEST(forwarded.status == 200, Cluster::name(i) << ": " << forwarded.body);
    BOOST_TEST(get(active_url, cluster.token, "acme", key) == key);
  }
  // One that a node forwarded already is refused, naming the active node; nothing is written.
  for (int i = 0; i < 3; ++i) {
    if (i == active) continue;
    auto refused = put(cluster.url(i), cluster.token, "acme", "refused", 5s, kForwardedAlready);
    expect_standby(refused, Cluster::name(i) + " put", "error", active_name, active_url);
    BOOST_TEST(!string_at(refused.body, {"message"}).empty(), refused.body);
    BOOST_TEST(!string_at(refused.body, {"timestamp"}).empty(), refused.body);
  }
  BOOST_TEST(get(active_url, cluster.token, "acme", "refused") == "");
}

BOOST_AUTO_TEST_CASE(any_node_answers_http_sse_and_websocket) {
  Cluster cluster(3);
  const int active = cluster.await_settled();
  const int s1 = (active + 1) % 3, s2 = (active + 2) % 3;
  const auto active_name = Cluster::name(active), active_url = cluster.url(active);
  const auto via1 = cluster.url(s1), via2 = cluster.url(s2);
  const auto& token = cluster.token;

  // HTTP: deployed through one standby, written through the other, read through any node.
  cluster.deploy(via1);
  auto written = put(via2, token, "globex", "via-standby");
  BOOST_TEST_REQUIRE(written.status == 200, written.body);
  for (const auto& url : {via1, via2, active_url}) BOOST_TEST(get(url, token, "globex", "via-standby") == "via-standby");
  BOOST_TEST(get(via1, token, "acme", "via-standby") == "");  // tenants stay apart through a standby too
  // The active node's answers come back as it gave them, errors included.
  auto missing = send_to(via1, token, "GET", "/services/nope", "", "acme");
  BOOST_TEST(missing.status == 404, missing.body);
  BOOST_TEST(string_at(missing.body, {"error"}) == "not_found", missing.body);
  auto unknown = send_to(via2, "not-a-token", "GET", "/services");
  BOOST_TEST(unknown.status == 401, unknown.body);

  // SSE: the event log streamed through a standby.
  {
    net::HttpClient client(via2, 10s);
    net::SseParser parser;
    std::vector<net::SseEvent> events;
    client.stream("/events", {{"authorization", "Bearer " + token}, {"accept", "text/event-stream"}},
                  [&](std::string_view piece) {
                    for (auto& event : parser.feed(piece)) events.push_back(std::move(event));
                    return events.size() < 3;
                  });
    BOOST_TEST_REQUIRE(events.size() >= 3u);
    for (size_t i = 1; i < events.size(); ++i) {
      BOOST_TEST(std::stoll(events[i].id.value_or("0")) > std::stoll(events[i - 1].id.value_or("0")), events[i].data);
    }
  }

  // WebSocket: ops through a standby, acting for a tenant.
  {
    test::WsClient ws(*cluster.nodes[s1], token, "/ws?tenant=globex");
    BOOST_TEST_REQUIRE(!ws.error, ws.error.message());
    json::object message{{"op", "get"}, {"k", "via-standby"}};
    auto called = ws.op(1, "call", json::object{{"service_id", "keeper"}, {"message", message}});
    BOOST_TEST_REQUIRE(called.at("ok").as_bool(), json::serialize(called));
    BOOST_TEST(called.at("result").at("reply").at("v").as_string() == "via-standby", json::serialize(called));
  }

  // Every node's figures: GET /cluster and /cluster/metrics, through a standby.
  json::object view;
  auto counted = [&] {
    view = cluster_view(via1, token);
    std::map<std::string, json::object> stats;
    for (const auto& node : view.at("nodes").as_array())
      stats[std::string(node.at("node").as_string())] = node.at("stats").as_object();
    auto role = [&](const std::string& node) {
      auto found = stats[node].find("role");
      return found != stats[node].end() && found->value().is_string() ? std::string(found->value().get_string()) : "";
    };
    auto forwarded = [&](const std::string& node) {
      auto found = stats[node].find("forwarded");
      return found != stats[node].end() ? found->value().to_number<int64_t>() : 0;
    };
    return role(active_name) == "active" && role(Cluster::name(s1)) == "standby" &&
           forwarded(Cluster::name(s1)) >= 3 && forwarded(Cluster::name(s2)) >= 3;
  };
  BOOST_TEST(eventually(counted, 10s), json::serialize(view));
  // The CLI through a standby: every node, its role and what it forwarded.
  auto cli = test::run_child(cluster.dir.path(), "cluster-status",
                             {SOLO_BINARY, "cluster", "status", "--url", via2, "--token", token}, {}, {}, 15s);
  BOOST_TEST(cli.code == 0, cli.err);
  BOOST_TEST(cli.out.find("FORWARDED") != std::string::npos, cli.out);
  for (int i = 0; i < 3; ++i) {
    const auto line_start = cli.out.find(Cluster::name(i) + " ");
    BOOST_TEST_REQUIRE(line_start != std::string::npos, cli.out);
    const auto line = cli.out.substr(line_start, cli.out.find('\n', line_start) - line_start);
    BOOST_TEST(line.find(i == active ? "active" : "standby") != std::string::npos, line);
    BOOST_TEST(line.find(cluster.url(i)) != std::string::npos, line);
  }
  BOOST_TEST(cli.out.find("lease *: " + active_name + ", epoch ") != std::string::npos, cli.out);

  auto metrics = send_to(via2, token, "GET", "/cluster/metrics");
  BOOST_TEST_REQUIRE(metrics.status == 200, metrics.body);
  for (const auto& series : {"solo_cluster_node_active{node=\"" + active_name + "\"} 1",
                             "solo_cluster_node_up{node=\"" + Cluster::name(s2) + "\"} 1",
                             "solo_cluster_forwarded_total{node=\"" + Cluster::name(s1) + "\",outcome=\"answered\"} ",
                             "solo_cluster_lease_epoch{scope=\"*\",owner=\"" + active_name + "\"} "}) {
    BOOST_TEST(metrics.body.find(series) != std::string::npos, series);
  }

  // The last event before the move (the admin sees every tenant's).
  int64_t last_before = 0;
  for (std::string next = "0";;) {
    auto page = send_to(via2, token, "GET", "/events?limit=1000&since=" + next);
    BOOST_TEST_REQUIRE(page.status == 200, page.body);
    auto events = json::parse(page.body).at("events").as_array();
    if (events.empty()) break;
    last_before = events.back().at("id").to_number<int64_t>();
    next = std::to_string(last_before);
  }
  BOOST_TEST_REQUIRE(last_before > 0);

  // A move: the active node dies. Until a node has taken over, a standby
  // answers 503 with Retry-After, and never anything else.
  cluster.nodes[active]->kill9();
  const auto until = Clock::now() + kLeaseTtl + 30s;
  int unavailable = 0;
  Answer answer;
  while (Clock::now() < until) {
    answer = send_to(via1, token, "GET", "/services/keeper", "", "globex");
    if (answer.status == 200) break;
    BOOST_TEST(answer.status == 503, answer.body);
    BOOST_TEST(!answer.retry_after.empty(), answer.body);
    ++unavailable;
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST_MESSAGE("503 answers while the lease moved: " << unavailable);
  BOOST_TEST(answer.status == 200, "no node served after the move: " << answer.body << "\n" << cluster.healths());
  BOOST_TEST(unavailable > 0);

  // The event stream resumes across the move with Last-Event-ID, through a
  // standby or the new active node alike: the next event is the one after
  // the last seen, none missed, none repeated, up to a deploy made after the move.
  json::object later{{"service_id", "after-move"}, {"code", kKeeper}};
  auto deployed = send_to(via1, token, "POST", "/services", json::serialize(later), "globex", 30s);
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  for (const auto& url : {via1, via2}) {
    net::HttpClient client(url, 10s);
    net::SseParser parser;
    std::vector<int64_t> ids;
    bool reached = false;
    client.stream("/events",
                  {{"authorization", "Bearer " + token},
                   {"accept", "text/event-stream"},
                   {"last-event-id", std::to_string(last_before)}},
                  [&](std::string_view piece) {
                    for (auto& event : parser.feed(piece)) {
                      ids.push_back(std::stoll(event.id.value_or("0")));
                      reached = reached || event.data.find("after-move") != std::string::npos;
                    }
                    return !reached;
                  });
    BOOST_TEST_REQUIRE(!ids.empty(), url);
    BOOST_TEST(ids.front() == last_before + 1, url);
    for (size_t i = 1; i < ids.size(); ++i) BOOST_TEST(ids[i] == ids[i - 1] + 1, url << " event " << ids[i]);
  }
}

BOOST_AUTO_TEST_CASE(failover_after_sigkill_keeps_acknowledged_writes) {
  constexpr int kClients = 4;
  constexpr int kPutsAfterFailover = 30;
  Cluster cluster(3);
  const int active = cluster.await_settled();
  const auto killed_url = cluster.url(active);
  cluster.deploy(killed_url);
  const int64_t epoch_before = store_lease(killed_url, cluster.token).at("epoch").to_number<int64_t>();
  const auto acme_token = grant_call(killed_url, cluster.token, "acme");

  Ledger ledger;
  const auto load_deadline = Clock::now() + 1s + kLeaseTtl + 45s;
  std::atomic<Clock::rep> first_elsewhere{0};  // the first put acknowledged by another node
  std::vector<std::jthread> clients;  // joined however the test ends
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Follower client(cluster, kTenants[c % kTenants.size()]);
      for (int n = 0, after = 0; after < kPutsAfterFailover; ++n) {
        auto key = "c" + std::to_string(c) + "-" + std::to_string(n);
        if (!client.put(key, load_deadline)) return ledger.fail(key + ": " + client.error);
        ledger.ack(client.tenant, key);
        if (client.url == killed_url) continue;
        ++after;
        Clock::rep none = 0;
        first_elsewhere.compare_exchange_strong(none, Clock::now().time_since_epoch().count());
      }
    });
  }
  std::this_thread::sleep_for(1s);
  const size_t acked_before_kill = ledger.count;
  const auto killed_at = Clock::now();
  cluster.nodes[active]->kill9();
  for (auto& client : clients) client.join();

  BOOST_TEST_REQUIRE(first_elsewhere.load() != 0, "no put succeeded on another node after the kill");
  auto failover = Clock::time_point(Clock::duration(first_elsewhere.load())) - killed_at;
  auto failover_ms = std::chrono::duration_cast<std::chrono::milliseconds>(failover);
  BOOST_TEST_MESSAGE("failover after SIGKILL (lease-ttl " << kLeaseTtl.count() << " ms): " << failover_ms.count()
                                                        << " ms; puts acknowledged: " << acked_before_kill
                                                        << " before the kill, " << ledger.count << " in all");
  BOOST_TEST(failover < kLeaseTtl + 15s, failover_ms.count() << " ms");
  BOOST_TEST(acked_before_kill > 0u);

  const auto new_url = find_active(cluster.urls());
  BOOST_TEST_REQUIRE((!new_url.empty() && new_url != killed_url), "no new active node:\n" << cluster.healths());
  auto lease = store_lease(new_url, cluster.token);
  BOOST_TEST(lease.at("epoch").to_number<int64_t>() > epoch_before, json::serialize(lease));
  BOOST_TEST(lease.at("owner").as_string() != Cluster::name(active), json::serialize(lease));
  expect_read_back(new_url, cluster.token, ledger);
  // The token granted by the killed node works on the new one.
  const auto& acme_keys = ledger.acked["acme"];
  BOOST_TEST_REQUIRE(!acme_keys.empty());
  BOOST_TEST(get(new_url, acme_token, "acme", acme_keys.front()) == acme_keys.front());
}

BOOST_AUTO_TEST_CASE(paused_node_writes_nothing_after_its_lease_moved) {
  Cluster cluster(2);
  BOOST_TEST_REQUIRE(cluster.await_settled() == 0);
  const auto n1 = cluster.url(0), n2 = cluster.url(1);
  const auto& token = cluster.token;
  cluster.deploy(n1);
  auto k1 = put(n1, token, "acme", "k1");
  BOOST_TEST_REQUIRE(k1.status == 200, k1.body);

  cluster.nodes[0]->signal(SIGSTOP);
  BOOST_TEST_REQUIRE(eventually([&] { return healthy(health_of(n2)); }, kLeaseTtl + 20s),
                     "n2 did not take over from the paused n1: " << health_of(n2).body);
  auto k2 = put(n2, token, "acme", "k2");
  BOOST_TEST_REQUIRE(k2.status == 200, k2.body);

  cluster.nodes[0]->signal(SIGCONT);
  // n1 may still believe it is active; a standby would forward the put to n2.
  auto ghost = put(n1, token, "acme", "ghost", 15s, kForwardedAlready);
  BOOST_TEST_MESSAGE("the resumed n1 answered a put with: " << ghost.status << " " << ghost.body);
  BOOST_TEST(ghost.status != 200, "n1 acknowledged a write after its lease moved: " << ghost.body);

  BOOST_TEST(cluster.await_settled() == 1);
  expect_standby(health_of(n1), "n1 /health", "status", "n2", n2);
  auto said = cluster.nodes[0]->output() + cluster.nodes[0]->errors();
  BOOST_TEST(said.find("solo: node n1 lost the lease") != std::string::npos);
  BOOST_TEST(get(n2, token, "acme", "k1") == "k1");
  BOOST_TEST(get(n2, token, "acme", "k2") == "k2");
  BOOST_TEST(get(n2, token, "acme", "ghost") == "");
  auto stored = send_to(n2, token, "GET", "/services/keeper/storage/ghost", "", "acme");
  BOOST_TEST(stored.status == 404, stored.body);
}

BOOST_AUTO_TEST_CASE(rolling_restart_without_failed_requests) {
  constexpr auto kPutDeadline = 20s;
  Cluster cluster(3);
  cluster.deploy(cluster.url(cluster.await_settled()));

  Ledger ledger;
  std::jthread client([&](std::stop_token stop) {  // stopped and joined however the test ends
    Follower follower(cluster, "acme");
    for (int n = 0; !stop.stop_requested(); ++n) {
      auto key = "r-" + std::to_string(n);
      if (follower.put(key, Clock::now() + kPutDeadline)) {
        ledger.ack(follower.tenant, key);
      } else {
        ledger.fail(key + " failed for " + std::to_string(kPutDeadline.count()) + " s: " + follower.error);
      }
    }
  });
  for (int i = 0; i < 3; ++i) {
    size_t before = ledger.count;
    BOOST_TEST(cluster.restart(i) == 0, Cluster::name(i) << " did not stop cleanly on SIGTERM");
    int active = cluster.await_settled();
    BOOST_TEST_MESSAGE("restarted " << Cluster::name(i) << "; active: " << Cluster::name(active));
    BOOST_TEST(eventually([&] { return ledger.count > before + 5; }, kPutDeadline),
               "puts stalled after restarting " << Cluster::name(i));
  }
  client.request_stop();
  client.join();
  BOOST_TEST_MESSAGE(ledger.count << " puts acknowledged during the rolling restart");
  BOOST_TEST(ledger.count > 0u);
  expect_read_back(find_active(cluster.urls()), cluster.token, ledger);
}

BOOST_AUTO_TEST_SUITE_END()
