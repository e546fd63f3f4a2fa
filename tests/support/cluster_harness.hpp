// The harness of the cluster tests (tests/integration/cluster_test.cpp,
// cluster_shards_test.cpp): a PostgreSQL server of the test's own
// (support/postgres_server.sh), one data directory and real `solo` nodes on
// them, and clients that speak to the nodes the way users do (the admin
// token, X-Tenant-ID, retries on 503 + Retry-After). A failed test prints
// every node's stdout and stderr (a restarted node's earlier runs too).
#pragma once

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
#include "net/http_client.hpp"
#include "net/sse.hpp"
#include "support/async_test.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/keeper_service.hpp"
#include "support/own_postgres.hpp"
#include "support/solo_process.hpp"
#include "support/test_store.hpp"
#include "support/websocket_client.hpp"
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

namespace solo::test::cluster_harness {

using namespace std::chrono_literals;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;


inline constexpr auto kLeaseTtl = 2000ms;
inline const std::vector<std::string> kTenants = {"acme", "globex", "initech"};

inline const char* const kKeeper = test::kKeeperService;

// The string at `path` in a JSON body ("" when absent, null or not a string).
inline std::string string_at(const std::string& body, std::initializer_list<std::string_view> path) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  const json::value* at = ec ? nullptr : &value;
  for (auto key : path) {
    const auto* object = at ? at->if_object() : nullptr;
    at = object ? object->if_contains(key) : nullptr;
  }
  return at && at->is_string() ? std::string(at->as_string()) : "";
}

// An answer of a node: status 0 when it did not answer (body: why).
struct Answer {
  int status = 0;
  std::string body;
  std::string retry_after;
};

// One request with the admin token, acting for `tenant` (X-Tenant-ID), on a fresh connection.
inline Answer send_to(const std::string& url, const std::string& token, const std::string& method, const std::string& target,
               const std::string& body = "", const std::string& tenant = "",
               std::chrono::milliseconds timeout = 5s, net::HeaderList headers = {}) {
  try {
    net::HttpClient client(url, timeout);
    if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
    if (!tenant.empty()) headers.emplace_back("x-tenant-id", tenant);
    auto response = client.request(method, target, body, headers);
    return {response.status, response.body, response.header("retry-after").value_or("")};
  } catch (const std::exception& e) {
    return {0, e.what(), ""};
  }
}

inline Answer health_of(const std::string& url) { return send_to(url, "", "GET", "/health", "", "", 2s); }
inline bool healthy(const Answer& health) { return health.status == 200 && string_at(health.body, {"status"}) == "healthy"; }

// The keeper's put of key = value `key`, and its get ("" when absent).
inline Answer put(const std::string& url, const std::string& token, const std::string& tenant, const std::string& key,
           std::chrono::milliseconds timeout = 5s, net::HeaderList headers = {}) {
  json::object msg{{"op", "put"}, {"k", key}, {"v", key}};
  return send_to(url, token, "POST", "/services/keeper/call", json::serialize(msg), tenant, timeout,
                 std::move(headers));
}
// What a node that forwarded a request adds to it: a standby does not
// forward such a request again, it answers 503 `standby` itself.
inline const net::HeaderList kForwardedAlready = {{"x-solo-forwarded-by", "another-node"}};
inline std::string get(const std::string& url, const std::string& token, const std::string& tenant, const std::string& key) {
  json::object msg{{"op", "get"}, {"k", key}};
  auto answer = send_to(url, token, "POST", "/services/keeper/call", json::serialize(msg), tenant);
  BOOST_TEST_REQUIRE(answer.status == 200, tenant << " get " << key << " on " << url << ": " << answer.body);
  return string_at(answer.body, {"reply", "v"});
}

// The URL of a node that says it is healthy ("" when none does): every node
// is asked, then any node a standby names as active.
inline std::string find_active(std::vector<std::string> urls) {
  for (size_t i = 0; i < urls.size() && i < 8; ++i) {
    auto health = health_of(urls[i]);
    if (healthy(health)) return urls[i];
    auto named = string_at(health.body, {"active", "url"});
    if (!named.empty() && std::find(urls.begin(), urls.end(), named) == urls.end()) urls.push_back(named);
  }
  return "";
}

// A 503 of a standby: Retry-After, "standby" as `field` ("status" of /health,
// "error" of any other route), and the active node named with its URL.
inline void expect_standby(const Answer& answer, const std::string& what, std::string_view field, const std::string& active,
                    const std::string& active_url) {
  BOOST_TEST(answer.status == 503, what << ": " << answer.status << " " << answer.body);
  BOOST_TEST(!answer.retry_after.empty(), what << ": no Retry-After");
  BOOST_TEST(string_at(answer.body, {field}) == "standby", what << ": " << answer.body);
  BOOST_TEST(string_at(answer.body, {"active", "node"}) == active, what << ": " << answer.body);
  BOOST_TEST(string_at(answer.body, {"active", "url"}) == active_url, what << ": " << answer.body);
}

// The test's PostgreSQL server, one data directory, and the nodes n1..nN on
// them. n1 starts first and takes the lease (it writes master.key and
// admin.token); the others then start as standbys. A failed test prints
// every node's stdout and stderr (a restarted node's earlier runs too).
struct Cluster {
  // `shards` > 1: --shards; the cluster is ready once every node holds its share.
  explicit Cluster(int count, int shards = 1) : shards(shards), nodes(count), urls_(count) {
    unsetenv("SOLO_TEST_POSTGRES");  // SoloProcess would add a second --store
    // Shards set their own search_path (apps/cluster_shards.hpp): the server's own database, as the test's alone.
    store = shards == 1 ? test::postgres_store_for(server.uri().c_str(), dir.path()) : server.uri();
    start(0);
    BOOST_TEST_REQUIRE(eventually([&] { return healthy(health_of(url(0))); }, 30s),
                       "n1 never turned active: " << health_of(url(0)).body << "\n" << logs());
    token = nodes[0]->admin_token();
    for (int i = 1; i < count; ++i) start(i);
    if (shards == 1) {
      await_settled();
    } else {
      await_balanced();
    }
  }
  ~Cluster() {
    auto id = boost::unit_test::framework::current_test_case().p_id;
    if (!boost::unit_test::results_collector.results(id).passed()) BOOST_TEST_MESSAGE("the nodes' output:\n" << logs());
  }

  static std::string name(int i) { return "n" + std::to_string(i + 1); }
  std::string url(int i) const { return urls()[i]; }
  std::vector<std::string> urls() const {
    std::lock_guard lock(mutex_);
    return urls_;
  }

  void start(int i) {
    std::vector<std::string> args = {"--store", store, "--node", name(i), "--lease-ttl-ms",
                                     std::to_string(kLeaseTtl.count())};
    if (shards > 1) args.insert(args.end(), {"--shards", std::to_string(shards)});
    auto node = std::make_unique<SoloProcess>(data, args, /*wait_healthy=*/false, net::TlsClientOptions{},
                                              /*own_session=*/true);
    std::lock_guard lock(mutex_);
    urls_[i] = node->url();
    nodes[i] = std::move(node);
  }
  // SIGTERM, wait for the exit, start again with the same arguments; returns the exit code.
  int restart(int i) {
    int code = nodes[i]->terminate().value_or(-1);
    start(i);
    return code;
  }

  // The index of the one healthy node when every other one is a standby
  // naming it; -1 otherwise.
  int settled() const {
    std::vector<Answer> all;
    for (const auto& url : urls()) all.push_back(health_of(url));
    auto active = std::find_if(all.begin(), all.end(), healthy);
    if (active == all.end() || std::count_if(all.begin(), all.end(), healthy) != 1) return -1;
    int index = static_cast<int>(active - all.begin());
    for (int i = 0; i < static_cast<int>(all.size()); ++i) {
      if (i == index) continue;
      const auto& body = all[i].body;
      if (all[i].status != 503 || string_at(body, {"status"}) != "standby" ||
          string_at(body, {"active", "url"}) != url(index))
        return -1;
    }
    return index;
  }
  int await_settled(std::chrono::milliseconds timeout = kLeaseTtl + 20s) const {
    int active = -1;
    bool ok = eventually([&] { return (active = settled()) >= 0; }, timeout);
    BOOST_TEST_REQUIRE(ok, "the cluster did not settle on one active node:\n" << healths());
    return active;
  }
  // The shards each live node holds (GET /cluster on node `via`), by node name.
  std::map<std::string, std::vector<int64_t>> shards_held(int via = 0) const {
    std::map<std::string, std::vector<int64_t>> held;
    auto answer = send_to(url(via), token, "GET", "/cluster");
    if (answer.status != 200) return held;
    const auto view = json::parse(answer.body);  // kept: the loop reads into it
    for (const auto& node : view.at("nodes").as_array()) {
      if (!node.at("alive").as_bool()) continue;
      auto& list = held[std::string(node.at("node").as_string())];
      for (const auto& shard : node.at("shards").as_array()) list.push_back(shard.to_number<int64_t>());
    }
    return held;
  }
  // Until every shard is held, each of the `live` nodes (every node when
  // empty) holds its share (ceil(shards / nodes)) and serves it (its Kernels
  // recovered, by its heartbeat's stats.serving), as every live node sees it
  // (each from its own last heartbeat: until then a node may still answer
  // 503 for a shard that moved).
  void await_balanced(std::vector<int> live = {}, std::chrono::milliseconds timeout = kLeaseTtl + 30s) const {
    if (live.empty()) {
      for (int i = 0; i < static_cast<int>(nodes.size()); ++i) live.push_back(i);
    }
    const size_t share = (shards + live.size() - 1) / live.size();
    auto balanced_as_seen_by = [&](int via) {
      auto answer = send_to(url(via), token, "GET", "/cluster");
      if (answer.status != 200) return false;
      const auto view = json::parse(answer.body);  // kept: the loop reads into it
      size_t total = 0;
      for (int i : live) {
        const json::value* node = nullptr;
        for (const auto& entry : view.at("nodes").as_array()) {
          if (entry.at("node").as_string() == name(i) && entry.at("alive").as_bool()) node = &entry;
        }
        if (!node) return false;
        const auto& held = node->at("shards").as_array();
        const auto* stats = node->at("stats").if_object();
        const auto* serving = stats ? stats->if_contains("serving") : nullptr;
        if (held.empty() || held.size() > share || !serving || *serving != json::value(held)) return false;
        total += held.size();
      }
      return total == static_cast<size_t>(shards);
    };
    auto balanced = [&] { return std::all_of(live.begin(), live.end(), balanced_as_seen_by); };
    BOOST_TEST_REQUIRE(eventually(balanced, timeout),
                       "the shards did not spread over the nodes:\n" << send_to(url(live.front()), token, "GET", "/cluster").body);
  }
  std::string healths() const {
    std::ostringstream out;
    for (const auto& url : urls()) {
      auto health = health_of(url);
      out << url << ": " << health.status << " " << health.body << "\n";
    }
    return out.str();
  }

  // The keeper, deployed for every tenant through `url`.
  void deploy(const std::string& url) const {
    json::object body{{"service_id", "keeper"}, {"code", kKeeper}};
    for (const auto& tenant : kTenants) {
      auto deployed = send_to(url, token, "POST", "/services", json::serialize(body), tenant, 30s);
      BOOST_TEST_REQUIRE(deployed.status == 201, "deploy for " << tenant << ": " << deployed.body);
    }
  }

  std::string logs() const {
    std::set<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      if (entry.path().extension() == ".stdout" || entry.path().extension() == ".stderr") files.insert(entry.path());
    std::string out;
    for (const auto& file : files) {
      std::ifstream in(file);
      out += "--- " + file.filename().string() + "\n" + std::string(std::istreambuf_iterator<char>(in), {}) + "\n";
    }
    return out;
  }

  int shards = 1;
  test::TempDir dir;
  test::OwnPostgres server{dir / "postgres"};
  std::filesystem::path data = dir / "data";
  std::string store;
  std::string token;
  std::vector<std::unique_ptr<SoloProcess>> nodes;

 private:
  mutable std::mutex mutex_;  // urls_: a client thread reads them while a node restarts
  std::vector<std::string> urls_;
};

// GET /cluster on `url`, which must answer 200.
inline json::object cluster_view(const std::string& url, const std::string& token) {
  auto answer = send_to(url, token, "GET", "/cluster");
  BOOST_TEST_REQUIRE(answer.status == 200, "GET /cluster on " << url << ": " << answer.body);
  return json::parse(answer.body).as_object();
}
inline json::object store_lease(const std::string& url, const std::string& token) {
  auto view = cluster_view(url, token);
  const auto& leases = view.at("leases").as_array();
  BOOST_TEST_REQUIRE(leases.size() == 1u, json::serialize(view));
  return leases[0].as_object();
}

// A token of `tenant` that may call its services, granted through POST /tokens.
inline std::string grant_call(const std::string& url, const std::string& admin, const std::string& tenant) {
  json::object body{{"tenant_id", tenant}, {"permissions", json::array{"call"}}, {"ttl_seconds", 600}};
  auto granted = send_to(url, admin, "POST", "/tokens", json::serialize(body));
  BOOST_TEST_REQUIRE(granted.status == 201, "grant for " << tenant << ": " << granted.body);
  return string_at(granted.body, {"token"});
}

// A client of one tenant that follows the active node: a put is retried
// until it is answered 200 or its deadline passes; after a 503 it goes to
// the node the answer names as active, else waits its Retry-After (at most
// 1 s) and, as after any other failure, to the node find_active() finds.
struct Follower {
  Follower(const Cluster& cluster, std::string tenant)
      : cluster(cluster), tenant(std::move(tenant)), url(find_active(cluster.urls())) {}

  bool put(const std::string& key, Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      auto answer = cluster_harness::put(url, cluster.token, tenant, key);
      if (answer.status == 200) return true;
      error = url + ": " + std::to_string(answer.status) + " " + answer.body;
      auto named = string_at(answer.body, {"active", "url"});
      if (answer.status == 503 && !named.empty() && named != url) {
        url = named;
        continue;
      }
      auto pause = answer.status == 503 ? std::chrono::milliseconds(1000 * atoi(answer.retry_after.c_str())) : 50ms;
      std::this_thread::sleep_for(std::clamp<std::chrono::milliseconds>(pause, 50ms, 1s));
      if (auto found = find_active(cluster.urls()); !found.empty()) url = found;
    }
    return false;
  }

  const Cluster& cluster;
  std::string tenant;
  std::string url;    // the node it believes active
  std::string error;  // the last failure
};

// What the clients were told: the keys acknowledged per tenant, and the
// failures the main thread reports (Boost.Test is not thread-safe).
struct Ledger {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> acked;
  std::vector<std::string> failures;
  std::atomic<size_t> count{0};  // of acked

  void ack(const std::string& tenant, const std::string& key) {
    std::lock_guard lock(mutex);
    acked[tenant].push_back(key);
    ++count;
  }
  void fail(const std::string& what) {
    std::lock_guard lock(mutex);
    failures.push_back(what);
  }
};

// Every key the keeper of `tenant` holds, page by page through GET /services/keeper/storage.
inline std::set<std::string> stored_keys(const std::string& url, const std::string& token, const std::string& tenant) {
  std::set<std::string> keys;
  std::string cursor;
  for (;;) {
    auto target = "/services/keeper/storage?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto answer = send_to(url, token, "GET", target, "", tenant, 30s);
    BOOST_TEST_REQUIRE(answer.status == 200, tenant << " storage on " << url << ": " << answer.body);
    auto page = json::parse(answer.body).as_object();
    for (const auto& entry : page.at("entries").as_array()) keys.insert(std::string(entry.at("key").as_string()));
    if (page.at("next_cursor").is_null()) return keys;
    cursor = std::string(page.at("next_cursor").as_string());  // "c1-23": nothing to escape
  }
}

// Every acknowledged key is there on `url`, and the service itself reads the last one.
inline void expect_read_back(const std::string& url, const std::string& token, Ledger& ledger) {
  for (const auto& failure : ledger.failures) BOOST_TEST(false, failure);
  for (const auto& [tenant, keys] : ledger.acked) {
    auto stored = stored_keys(url, token, tenant);
    std::vector<std::string> lost;
    for (const auto& key : keys)
      if (!stored.count(key)) lost.push_back(key);
    BOOST_TEST(lost.empty(), tenant << ": " << lost.size() << " of " << keys.size() << " acknowledged puts lost, e.g. "
                                    << (lost.empty() ? "" : lost.front()));
    BOOST_TEST(get(url, token, tenant, keys.back()) == keys.back(), tenant);
  }
}


}  // namespace solo::test::cluster_harness
