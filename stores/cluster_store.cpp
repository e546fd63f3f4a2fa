#include "stores/cluster_store.hpp"

#include <string>

#include "stores/database.hpp"
#include "stores/postgres_schema.hpp"

namespace solo::cluster_store {
namespace {

int64_t millis(std::chrono::milliseconds value) { return static_cast<int64_t>(value.count()); }

// `name` in `schema` ("" for the connection's own search_path).
std::string table(const std::string& schema, std::string_view name) {
  if (schema.empty()) return std::string(name);
  return "\"" + schema + "\"." + std::string(name);
}

// "q0 UNION ALL q1 ..." of part(k) for every store, or a query of no rows.
template <class Part>
std::string union_all(size_t count, Part part, std::string_view none) {
  if (count == 0) return std::string(none);
  std::string sql;
  for (size_t k = 0; k < count; ++k) sql += (k ? " UNION ALL " : "") + part(k);
  return sql;
}

constexpr std::string_view kUpsertNode =
    "INSERT INTO cluster_nodes (node, url, started_at, heartbeat_at, stats) VALUES (?2, ?4, clock_timestamp(), "
    "clock_timestamp(), ?5) ON CONFLICT (node) DO UPDATE SET url = excluded.url, heartbeat_at = "
    "excluded.heartbeat_at, stats = excluded.stats";

}  // namespace

void prepare_session(Database& db, std::chrono::milliseconds bound) {
  migrate_postgres(db);
  const auto ms = std::to_string(millis(bound));
  db.exec("SET statement_timeout = " + ms + "; SET lock_timeout = " + ms + "; SET synchronous_commit = off");
}

void heartbeat(Database& db, std::string_view node, std::string_view url, std::string_view stats) {
  heartbeat_and_renew(db, NodeBeat{node, url, stats}, kStoreScope, {}, {}, std::chrono::milliseconds(0));
}

std::vector<bool> heartbeat_and_renew(Database& db, const NodeBeat& beat, std::string_view scope,
                                      const std::vector<std::string>& schemas, const std::vector<int64_t>& epochs,
                                      std::chrono::milliseconds ttl) {
  // ?1 scope, ?2 node, ?3 ttl, ?4 url, ?5 stats, ?6... each store's epoch (0: not held). Data-modifying
  // WITH queries all run, whether or not the SELECT reads them; the text is fixed per store count.
  std::string sql = "WITH beat AS (" + std::string(kUpsertNode) + " RETURNING 1)";
  for (size_t k = 0; k < schemas.size(); ++k) {
    const auto epoch = "CAST(?" + std::to_string(6 + k) + " AS BIGINT)";
    sql += ", r" + std::to_string(k) + " AS (UPDATE " + table(schemas[k], "leases") +
           " SET expires_at = clock_timestamp() + CAST(?3 AS BIGINT) * interval '1 millisecond' WHERE " + epoch +
           " <> 0 AND scope = ?1 AND owner = ?2 AND epoch = " + epoch +
           " AND expires_at > clock_timestamp() RETURNING " + std::to_string(k) + " AS k)";
  }
  sql += " " + union_all(schemas.size(), [](size_t k) { return "SELECT k FROM r" + std::to_string(k); },
                         "SELECT 0 AS k FROM beat WHERE false");
  auto& statement = db.cached(sql);
  statement.bind(1, scope).bind(2, beat.node).bind(3, millis(ttl)).bind(4, beat.url).bind(5, beat.stats);
  for (size_t k = 0; k < schemas.size(); ++k) statement.bind(static_cast<int>(6 + k), epochs[k]);
  std::vector<bool> renewed(schemas.size());
  while (statement.step()) renewed.at(static_cast<size_t>(statement.column_int(0))) = true;
  statement.reset();
  return renewed;
}

std::vector<std::optional<LeaseHolder>> holders(Database& db, std::string_view scope,
                                                const std::vector<std::string>& schemas) {
  auto& statement = db.cached(union_all(
      schemas.size(),
      [&](size_t k) {
        return "SELECT " + std::to_string(k) +
               " AS k, scope, owner, epoch, CAST(floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000) "
               "AS BIGINT) FROM " + table(schemas[k], "leases") + " WHERE scope = ?1";
      },
      "SELECT 0 WHERE false"));
  statement.bind(1, scope);
  std::vector<std::optional<LeaseHolder>> out(schemas.size());
  while (statement.step()) {
    out.at(static_cast<size_t>(statement.column_int(0))) =
        LeaseHolder{statement.column_text(1), statement.column_text(2), statement.column_int(3), statement.column_int(4)};
  }
  statement.reset();
  return out;
}

std::vector<std::vector<std::pair<std::string, int64_t>>> tenant_services(Database& db,
                                                                          const std::vector<std::string>& schemas) {
  auto& statement = db.cached(union_all(
      schemas.size(),
      [&](size_t k) {
        return "SELECT " + std::to_string(k) + " AS k, tenant_id, count(*) FROM " + table(schemas[k], "services") +
               " GROUP BY tenant_id";
      },
      "SELECT 0, '', 0 WHERE false") + " ORDER BY 1, 2");
  std::vector<std::vector<std::pair<std::string, int64_t>>> out(schemas.size());
  while (statement.step()) {
    out.at(static_cast<size_t>(statement.column_int(0))).emplace_back(statement.column_text(1), statement.column_int(2));
  }
  statement.reset();
  return out;
}

std::optional<int64_t> try_acquire(Database& db, std::string_view scope, std::string_view node,
                                   std::chrono::milliseconds ttl) {
  // An expired lease is locked FOR UPDATE before it changes hands: that waits
  // for every fenced transaction in flight (their fence holds the row FOR KEY
  // SHARE, which an UPDATE of other columns alone would not wait for), so a
  // transaction that passed the fence commits before the lease can move. A
  // lease that has not expired is neither locked nor waited for, so the
  // holder's renewals never queue behind a node that only asks.
  // The epoch grows with every acquisition, by this node or another: the
  // fence of an earlier holding fails even when the same node takes it again.
  db.begin_write();
  try {
    auto& expired = db.cached("SELECT 1 FROM leases WHERE scope = ?1 AND expires_at <= clock_timestamp() FOR UPDATE");
    expired.bind(1, scope);
    const bool locked = expired.step();
    expired.reset();
    auto& take = db.cached(
        locked ? "UPDATE leases SET owner = ?2, epoch = epoch + 1, acquired_at = clock_timestamp(), "
                 "expires_at = clock_timestamp() + CAST(?3 AS BIGINT) * interval '1 millisecond' "
                 "WHERE scope = ?1 RETURNING epoch"
               : "INSERT INTO leases (scope, owner, epoch, acquired_at, expires_at) VALUES (?1, ?2, 1, "
                 "clock_timestamp(), clock_timestamp() + CAST(?3 AS BIGINT) * interval '1 millisecond') "
                 "ON CONFLICT (scope) DO NOTHING RETURNING epoch");
    take.bind(1, scope).bind(2, node).bind(3, millis(ttl));
    std::optional<int64_t> epoch;
    if (take.step()) epoch = take.column_int(0);
    take.reset();
    db.commit();
    return epoch;
  } catch (...) {
    db.rollback();
    throw;
  }
}

bool renew(Database& db, std::string_view scope, std::string_view node, int64_t epoch,
           std::chrono::milliseconds ttl) {
  auto& statement = db.cached(
      "UPDATE leases SET expires_at = clock_timestamp() + CAST(?4 AS BIGINT) * interval '1 millisecond' "
      "WHERE scope = ?1 AND owner = ?2 AND epoch = CAST(?3 AS BIGINT) AND expires_at > clock_timestamp() "
      "RETURNING epoch");
  statement.bind(1, scope).bind(2, node).bind(3, epoch).bind(4, millis(ttl));
  bool held = statement.step();
  statement.reset();
  return held;
}

void release(Database& db, std::string_view scope, std::string_view node, int64_t epoch) {
  auto& statement = db.cached(
      "UPDATE leases SET expires_at = clock_timestamp() WHERE scope = ?1 AND owner = ?2 AND epoch = CAST(?3 AS "
      "BIGINT) AND expires_at > clock_timestamp()");
  statement.bind(1, scope).bind(2, node).bind(3, epoch);
  statement.run();
}

std::optional<LeaseHolder> holder(Database& db, std::string_view scope) { return holders(db, scope, {""}).front(); }

void fence(Database& db, std::string_view scope, std::string_view node, int64_t epoch,
           std::chrono::milliseconds idle) {
  auto& statement =
      db.cached("SELECT solo_check_lease(?1, ?2, CAST(?3 AS BIGINT), CAST(?4 AS BIGINT))");
  statement.bind(1, scope).bind(2, node).bind(3, epoch).bind(4, millis(idle));
  statement.run();  // pipelined: its error fails the commit
}

ClusterView view(Database& db) {
  ClusterView view;
  auto& nodes = db.cached(
      "SELECT node, url, CAST(floor(extract(epoch FROM clock_timestamp() - heartbeat_at) * 1000) AS BIGINT), stats "
      "FROM cluster_nodes ORDER BY node");
  while (nodes.step()) {
    view.nodes.push_back({nodes.column_text(0), nodes.column_text(1), nodes.column_int(2), nodes.column_text(3)});
  }
  nodes.reset();
  auto& leases = db.cached(
      "SELECT scope, owner, epoch, CAST(floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000) AS BIGINT) "
      "FROM leases ORDER BY scope");
  while (leases.step()) {
    view.leases.push_back({leases.column_text(0), leases.column_text(1), leases.column_int(2), leases.column_int(3)});
  }
  leases.reset();
  return view;
}

int claim_shard_count(Database& db, int shards) {
  constexpr std::string_view kKey = "cluster_shards";
  auto& read = db.cached("SELECT value FROM meta WHERE key = ?1");
  read.bind(1, kKey);
  std::optional<int> recorded;
  if (read.step()) recorded = std::stoi(read.column_text(0));
  read.reset();
  if (recorded) return *recorded;
  if (shards > 1 && db.query_int("SELECT count(*) FROM events") > 0) {
    throw StoreError("this store holds a cluster's data in one shard; it cannot be split into " +
                     std::to_string(shards) + " (start the nodes without --shards)");
  }
  auto& write = db.cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");
  write.bind(1, kKey).bind(2, std::to_string(shards));
  write.run();
  return claim_shard_count(db, shards);  // another node may have been first
}

void create_schema(Database& db, std::string_view schema) {
  try {
    db.exec("CREATE SCHEMA IF NOT EXISTS " + std::string(schema));
  } catch (const StoreError&) {
    // Two nodes creating it at once: IF NOT EXISTS does not stop the second
    // from failing on the catalog's unique index. Either way it exists now.
    auto& exists = db.cached("SELECT count(*) FROM pg_namespace WHERE nspname = ?1");
    exists.bind(1, schema);
    const bool created = exists.step() && exists.column_int(0) > 0;
    exists.reset();
    if (!created) throw;
  }
}

std::string url_of(Database& db, std::string_view node) {
  auto& statement = db.cached("SELECT url FROM cluster_nodes WHERE node = ?1");
  statement.bind(1, node);
  std::string url = statement.step() ? statement.column_text(0) : std::string();
  statement.reset();
  return url;
}

}  // namespace solo::cluster_store
