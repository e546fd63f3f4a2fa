#include "apps/cluster_shards.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace solo::cluster_shards {

namespace {

uint64_t fnv1a(std::string_view text, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// FNV-1a spreads short, similar names poorly in its low bits; finish it.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::optional<int> small_number(std::string_view text, int below) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value >= below) return std::nullopt;
  return value;
}

std::optional<std::string> bearer_token(const net::Request& request) {
  if (auto header = request.header("authorization")) {
    if (header->size() > 7 && (header->substr(0, 7) == "Bearer " || header->substr(0, 7) == "bearer ")) {
      return std::string(header->substr(7));
    }
    return std::nullopt;
  }
  if (request.path == "/ws") return request.query_param("token");
  return std::nullopt;
}

}  // namespace

int shard_of_tenant(std::string_view tenant, int shards) {
  if (shards <= 1) return 0;
  return static_cast<int>(mix(fnv1a(tenant)) % static_cast<uint64_t>(shards));
}

std::optional<int> shard_of_token(std::string_view token, int shards) {
  if (shards <= 1 || token.size() < 3 || token[0] != 's') return std::nullopt;
  auto dot = token.find('.');
  if (dot == std::string_view::npos || dot < 2) return std::nullopt;
  return small_number(token.substr(1, dot - 1), shards);
}

std::string token_prefix(int shard, int shards) { return shards <= 1 ? "" : "s" + std::to_string(shard) + "."; }

std::string shard_schema(int shard) { return "solo_shard_" + std::to_string(shard); }

std::string shard_store(const std::string& base, int shard, int shards) {
  if (shards <= 1) return base;
  auto query = base.find('?');
  if (query != std::string::npos && (base.find("?options=", query) != std::string::npos ||
                                     base.find("&options=", query) != std::string::npos)) {
    throw std::invalid_argument("--shards needs a --store URI without options= (each shard sets its own search_path)");
  }
  return base + (query == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + shard_schema(shard);
}

int shard_of_request(const net::Request& request, int shards) {
  if (shards <= 1) return 0;
  if (auto token = bearer_token(request)) {
    if (auto shard = shard_of_token(*token, shards)) return *shard;
  }
  constexpr std::string_view tenants = "/tenants/";
  if (request.path.starts_with(tenants)) {
    std::string_view rest = std::string_view(request.path).substr(tenants.size());
    return shard_of_tenant(rest.substr(0, rest.find('/')), shards);
  }
  if (request.method == "GET" || request.method == "HEAD") {
    if (auto named = request.header(kShardHeader)) {
      if (auto shard = small_number(*named, shards)) return *shard;
    }
  }
  if (auto tenant = request.header("x-tenant-id")) return shard_of_tenant(*tenant, shards);
  if (request.path == "/ws") {
    if (auto tenant = request.query_param("tenant")) return shard_of_tenant(*tenant, shards);
  }
  return shard_of_tenant("default", shards);
}

std::vector<std::string> place(int shards, std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  std::vector<std::string> owners(static_cast<size_t>(std::max(shards, 0)));
  if (nodes.empty()) return owners;
  const size_t cap = (owners.size() + nodes.size() - 1) / nodes.size();
  // Every (score, shard, node) pair, strongest first: each shard goes to the
  // strongest pair whose node still has room.
  struct Pair {
    uint64_t score;
    size_t shard;
    size_t node;
  };
  std::vector<Pair> pairs;
  pairs.reserve(owners.size() * nodes.size());
  for (size_t k = 0; k < owners.size(); ++k) {
    const std::string key = "/" + std::to_string(k);
    for (size_t i = 0; i < nodes.size(); ++i) pairs.push_back({mix(fnv1a(key, fnv1a(nodes[i]))), k, i});
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.shard != y.shard ? x.shard < y.shard : x.node < y.node;  // ties: the smaller shard, the smaller name
  });
  std::vector<size_t> load(nodes.size(), 0);
  size_t placed = 0;
  for (const auto& pair : pairs) {
    if (placed == owners.size()) break;
    if (!owners[pair.shard].empty() || load[pair.node] >= cap) continue;
    owners[pair.shard] = nodes[pair.node];
    ++load[pair.node];
    ++placed;
  }
  return owners;
}

}  // namespace solo::cluster_shards
