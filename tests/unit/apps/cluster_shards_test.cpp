// Shards (apps/cluster_shards.hpp): which shard a tenant, a token and a
// request belong to, and which node a shard belongs to. Every node computes
// these alone, so they must be pure, and the hashes must never change (a
// change would move every tenant to another shard, away from its data).
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/cluster_shards.hpp"

namespace shards = solo::cluster_shards;

namespace {

solo::net::Request request(std::string method, std::string path, solo::net::HeaderList headers = {},
                           std::vector<std::pair<std::string, std::string>> query = {}) {
  solo::net::Request out;
  out.method = std::move(method);
  out.path = std::move(path);
  out.headers = std::move(headers);
  out.query = std::move(query);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_shards)

BOOST_AUTO_TEST_CASE(a_tenant_hashes_to_one_shard_the_same_forever_and_tenants_spread_over_every_shard) {
  // Pinned: the data of a running cluster is where these say.
  BOOST_TEST(shards::shard_of_tenant("default", 6) == 0);
  BOOST_TEST(shards::shard_of_tenant("acme", 6) == 1);
  BOOST_TEST(shards::shard_of_tenant("anything", 1) == 0);
  std::map<int, int> count;
  for (int i = 0; i < 600; ++i) {
    const int shard = shards::shard_of_tenant("tenant-" + std::to_string(i), 6);
    BOOST_TEST_REQUIRE((shard >= 0 && shard < 6));
    ++count[shard];
  }
  BOOST_TEST(count.size() == 6u);
  for (const auto& [shard, n] : count) BOOST_TEST(n > 60, "shard " << shard << " got " << n << " of 600");
}

BOOST_AUTO_TEST_CASE(a_token_names_its_shard_by_its_prefix_and_nothing_else_does) {
  BOOST_TEST(shards::token_prefix(3, 6) == "s3.");
  BOOST_TEST(shards::token_prefix(0, 1) == "");
  BOOST_TEST(shards::shard_of_token("s3.AbCd", 6).value_or(-1) == 3);
  BOOST_TEST(shards::shard_of_token("s0.x", 2).value_or(-1) == 0);
  BOOST_TEST(!shards::shard_of_token("s6.AbCd", 6));  // no such shard
  BOOST_TEST(!shards::shard_of_token("s3.AbCd", 1));  // one shard: no prefixes
  BOOST_TEST(!shards::shard_of_token("s-1.x", 6));
  BOOST_TEST(!shards::shard_of_token("s.x", 6));
  BOOST_TEST(!shards::shard_of_token("sx.y", 6));
  BOOST_TEST(!shards::shard_of_token("AbCdEf", 6));  // the admin token, or a single shard's
  BOOST_TEST(!shards::shard_of_token("", 6));
}

BOOST_AUTO_TEST_CASE(a_shard_store_is_the_base_store_with_its_own_schema) {
  BOOST_TEST(shards::shard_store("postgresql://solo@db/solo", 0, 1) == "postgresql://solo@db/solo");
  BOOST_TEST(shards::shard_store("postgresql://solo@db/solo", 2, 4) ==
             "postgresql://solo@db/solo?options=-csearch_path%3Dsolo_shard_2");
  BOOST_TEST(shards::shard_store("postgresql://db/solo?sslmode=disable", 1, 4) ==
             "postgresql://db/solo?sslmode=disable&options=-csearch_path%3Dsolo_shard_1");
  BOOST_CHECK_THROW(shards::shard_store("postgresql://db/solo?options=-cwork_mem%3D1MB", 1, 4), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_request_goes_to_its_token_s_shard_then_its_tenant_s) {
  const int n = 6;
  const int acme = shards::shard_of_tenant("acme", n);
  const int other = (acme + 1) % n;
  const auto other_token = "Bearer " + shards::token_prefix(other, n) + "secret";
  // 1. the token's prefix wins over anything the request names.
  BOOST_TEST(shards::shard_of_request(request("POST", "/services", {{"authorization", other_token},
                                                                    {"x-tenant-id", "acme"}}), n) == other);
  BOOST_TEST(shards::shard_of_request(request("GET", "/ws", {}, {{"token", shards::token_prefix(other, n) + "x"}}), n) ==
             other);
  // 2. /tenants/{id}: the tenant in the path (the admin token has no prefix).
  BOOST_TEST(shards::shard_of_request(request("PUT", "/tenants/acme/quota", {{"authorization", "Bearer admin"}}), n) ==
             acme);
  // 3. X-Solo-Shard names a shard for reads only.
  BOOST_TEST(shards::shard_of_request(request("GET", "/tokens", {{"x-solo-shard", std::to_string(other)}}), n) == other);
  BOOST_TEST(shards::shard_of_request(
                 request("POST", "/services", {{"x-solo-shard", std::to_string(other)}, {"x-tenant-id", "acme"}}), n) ==
             acme);
  BOOST_TEST(shards::shard_of_request(request("GET", "/tokens", {{"x-solo-shard", "99"}}), n) ==
             shards::shard_of_tenant("default", n));
  // 4. the tenant named, else `default`.
  BOOST_TEST(shards::shard_of_request(request("GET", "/services", {{"x-tenant-id", "acme"}}), n) == acme);
  BOOST_TEST(shards::shard_of_request(request("GET", "/ws", {}, {{"tenant", "acme"}}), n) == acme);
  BOOST_TEST(shards::shard_of_request(request("GET", "/services"), n) == shards::shard_of_tenant("default", n));
  // One shard: everything is shard 0.
  BOOST_TEST(shards::shard_of_request(request("GET", "/services", {{"authorization", other_token}}), 1) == 0);
}

BOOST_AUTO_TEST_CASE(placement_is_even_and_a_node_that_joins_or_leaves_moves_few_shards) {
  BOOST_TEST(shards::place(2, {}) == std::vector<std::string>({"", ""}));
  for (int n : {1, 2, 6, 7, 12, 64}) {
    const auto three = shards::place(n, {"a", "b", "c"});
    BOOST_TEST(shards::place(n, {"c", "a", "b", "a"}) == three);  // order and duplicates do not matter
    std::map<std::string, int> held;
    for (const auto& owner : three) ++held[owner];
    const int cap = (n + 2) / 3;
    for (const auto& [node, count] : held) {
      BOOST_TEST(count <= cap, n << " shards: " << node << " holds " << count);
      BOOST_TEST(!node.empty());
    }
    if (n >= 3) BOOST_TEST(held.size() == 3u, n << " shards over 3 nodes");
    // c leaves: its shards move; of the others, only a few (those that a full node pushed on).
    const auto two = shards::place(n, {"a", "b"});
    int moved = 0, c_held = held["c"];
    for (int k = 0; k < n; ++k) moved += two[k] != three[k] ? 1 : 0;
    BOOST_TEST(moved >= c_held);
    BOOST_TEST(moved <= c_held + n / 3 + 1, n << " shards: " << moved << " moved when c, holding " << c_held << " left");
    // d joins: the shards that move go to d, save a few pushed on by the bound.
    const auto four = shards::place(n, {"a", "b", "c", "d"});
    int to_d = 0, elsewhere = 0;
    for (int k = 0; k < n; ++k) {
      if (four[k] == three[k]) continue;
      (four[k] == "d" ? to_d : elsewhere) += 1;
    }
    BOOST_TEST(to_d <= (n + 3) / 4);
    BOOST_TEST(elsewhere <= n / 4 + 1, n << " shards: " << elsewhere << " moved between old nodes when d joined");
  }
}

BOOST_AUTO_TEST_SUITE_END()
