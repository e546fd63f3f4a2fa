// The cluster tables of a PostgreSQL store (schema step 2): the nodes that
// share it and the leases that say which node may write (docs/cluster.md).
//
// A lease is one row per scope: its owner, an epoch that grows with every
// change of owner, and an expiry by the database server's clock (never a
// node's). A node takes a lease only once it has expired (or was released),
// renews it well before it expires, and releases it when it stops cleanly.
// There is one scope, kStoreScope: the whole store (a shard's store, when
// the cluster has several shards: apps/cluster_shards.hpp), so one node at a
// time writes it.
//
// fence() is what makes a lease safe rather than advisory: the Writer of the
// active node runs it first in every transaction it commits (OpenOptions::
// fence). It fails the transaction unless the node still holds the lease at
// that epoch, and it holds the lease row FOR KEY SHARE until the transaction
// ends, so a takeover (try_acquire locks the row FOR UPDATE first) waits for
// the transaction, and every transaction that starts after a takeover fails;
// the owner's renewal (an UPDATE of the expiry alone) does not wait for it, so
// a long transaction does not cost the owner its lease. A node that was paused or
// cut off therefore cannot write once its lease has moved, whatever it
// believes. The fence also bounds how long the transaction may sit idle
// (idle_in_transaction_session_timeout): a node paused between two
// statements of a transaction is cut off by the server, which frees the row.
//
// Every function runs on the calling thread's connection (PostgreSQL only;
// SQLite has no cluster tables) and throws StoreError.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solo {

class Database;

inline constexpr std::string_view kStoreScope = "*";

struct LeaseHolder {
  std::string scope;
  std::string owner;
  int64_t epoch = 0;
  int64_t expires_in_ms = 0;  // negative once expired
};

struct ClusterMember {
  std::string node;
  std::string url;
  int64_t heartbeat_age_ms = 0;
  std::string stats = "{}";  // the node's figures as of that heartbeat (JSON text)
};

struct ClusterView {
  std::vector<ClusterMember> nodes;     // by name
  std::vector<LeaseHolder> leases;    // by scope
};

namespace cluster_store {

// Makes a fresh connection the lease's own: the schema brought up to date (a
// node's first heartbeat may come before any Writer opened the store) and
// every statement bounded by `bound` (statement and lock timeouts), so that
// a silent server or a lock held by a paused node cannot hold the heartbeat
// longer than that. Its commits do not wait for the disk
// (synchronous_commit off): a commit waits for the WAL's fsync, which the
// Writers' batches can hold for hundreds of ms (0.4 s seen on this VM), and
// a renewal must not.
// The fence does not need the lease's changes durable: it checks owner,
// epoch and expiry, so a takeover a server crash forgot leaves both nodes
// fenced until one takes the lease again, and the new owner's first durable
// write flushes the WAL, and the takeover before it, to disk.
void prepare_session(Database& db, std::chrono::milliseconds bound);
// Records that `node` is alive and reachable at `url` (now, by the server's
// clock), with its figures `stats` (a JSON object's text).
void heartbeat(Database& db, std::string_view node, std::string_view url, std::string_view stats = "{}");

// Several stores (shards) read and renewed in one round trip each, through
// one connection: `schemas[k]` names store k's schema ("" for the
// connection's own). On a machine whose cores are saturated every round trip
// waits for the CPU, so a heartbeat that renewed each shard's lease on its
// own connection took a round trip per shard before it was done.
struct NodeBeat {
  std::string_view node, url, stats;
};
// The heartbeat and, in the same statement, the renewal of the lease on
// `scope` in every store k with epochs[k] != 0 (as renew()); returns which
// were renewed.
std::vector<bool> heartbeat_and_renew(Database& db, const NodeBeat& beat, std::string_view scope,
                                      const std::vector<std::string>& schemas, const std::vector<int64_t>& epochs,
                                      std::chrono::milliseconds ttl);
// Each store's lease holder on `scope` (as holder()).
std::vector<std::optional<LeaseHolder>> holders(Database& db, std::string_view scope,
                                                const std::vector<std::string>& schemas);
// Each store's tenants with services, and how many, by tenant.
std::vector<std::vector<std::pair<std::string, int64_t>>> tenant_services(Database& db,
                                                                          const std::vector<std::string>& schemas);
// Takes the lease on `scope` for `ttl` if it is free or expired; returns the
// new epoch, or nullopt when another node holds it.
std::optional<int64_t> try_acquire(Database& db, std::string_view scope, std::string_view node,
                                   std::chrono::milliseconds ttl);
// Extends the lease `node` holds at `epoch` to now + ttl; false when it no
// longer holds it (it expired, or another node took it).
bool renew(Database& db, std::string_view scope, std::string_view node, int64_t epoch,
           std::chrono::milliseconds ttl);
// Ends the lease at once (a clean stop), so a standby need not wait for expiry.
void release(Database& db, std::string_view scope, std::string_view node, int64_t epoch);
// The lease's holder, if any lease row exists (it may have expired).
std::optional<LeaseHolder> holder(Database& db, std::string_view scope);
// The Writer's fence (above): inside a write transaction, before its writes.
// `idle` bounds the transaction's idle time between statements.
void fence(Database& db, std::string_view scope, std::string_view node, int64_t epoch,
           std::chrono::milliseconds idle);
ClusterView view(Database& db);
// The store's shard count (apps/cluster_shards.hpp), fixed at the first
// node's start: returns the count recorded, recording `shards` when none is.
// Throws StoreError when `shards` > 1 would hide data the store already holds
// unsharded.
int claim_shard_count(Database& db, int shards);
// Creates a shard's schema (its tables come with the shard's first session).
void create_schema(Database& db, std::string_view schema);
// The URL a node registered (its heartbeat); "" when unknown.
std::string url_of(Database& db, std::string_view node);

}  // namespace cluster_store
}  // namespace solo
