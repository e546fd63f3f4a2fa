// Shards: how a cluster spreads its tenants over its nodes (docs/cluster.md,
// "Shards"). A cluster started with `--shards N` splits the store into N
// shards, fixed for the database's life; a tenant lives in exactly one of
// them, chosen by a hash of its id, and each shard is a whole store of its own
// (PostgreSQL schema solo_shard_<k>: its event log, services, tokens, secrets,
// quotas, storage) with its own lease. A node runs one Kernel per shard it
// holds; a shard moves between nodes whole, the way a restart recovers.
// N = 1 is the shard the store itself is (no extra schema).
//
// Which node should hold a shard: rendezvous hashing over the live nodes
// with bounded loads. Every (shard, node) pair has a score; taking the pairs
// strongest first, a shard goes to the node of its strongest pair whose node
// holds fewer than ceil(shards / nodes) shards so far. The scores keep moves
// few when a node joins or leaves (a shard stays where it is unless its node
// left, or a stronger claim filled that node); the bound keeps every node's
// share even, which plain rendezvous hashing does not over a handful of
// shards.
//
// Everything here is a pure function of its arguments: every node computes
// the same answers. The hashes are fixed forever (FNV-1a 64, then a
// SplitMix64 finish): changing them would move every tenant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.hpp"

namespace solo::cluster_shards {

inline constexpr int kMaxShards = 64;
// The header with which an admin names a shard for a read across tenants
// (GET and HEAD only): X-Solo-Shard: 3.
inline constexpr std::string_view kShardHeader = "x-solo-shard";

int shard_of_tenant(std::string_view tenant, int shards);
// The shard a token names by its prefix ("s3." for shard 3 of more than one);
// nullopt for a token without one (the admin token, a single shard's tokens).
std::optional<int> shard_of_token(std::string_view token, int shards);
// The prefix of the tokens shard `shard` mints: "" when there is one shard.
std::string token_prefix(int shard, int shards);
std::string shard_schema(int shard);  // "solo_shard_<k>"
// Shard k's store: `base` itself when there is one shard, else the same
// database with its search_path on schema shard_schema(k). Throws
// std::invalid_argument when `base` sets options= of its own (the shard's
// schema is set that way).
std::string shard_store(const std::string& base, int shard, int shards);

// The shard a request is for, by the first rule that applies:
//  1. its bearer token's prefix (Authorization, or ?token= on /ws);
//  2. the tenant of a /tenants/{id} path;
//  3. X-Solo-Shard on a GET or HEAD;
//  4. the tenant named by X-Tenant-ID (?tenant= on /ws), else `default`.
// Always 0 with one shard.
int shard_of_request(const net::Request& request, int shards);

// The node that should hold each of `shards` shards among `nodes` (names, in
// any order, duplicates ignored); every entry "" when `nodes` is empty.
std::vector<std::string> place(int shards, std::vector<std::string> nodes);

}  // namespace solo::cluster_shards
