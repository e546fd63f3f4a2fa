#include "stores/event_index.hpp"

#include <algorithm>
#include <string>

namespace solo {

namespace {

// A run goes in by statements of kChunk rows, then one row at a time: the key
// is bound once per statement (?1 tenant, ?2 service), each id is a parameter
// after it. Half the CPU of a statement per row.
constexpr size_t kChunk = 32;

std::string insert_sql(bool service, size_t rows) {
  std::string sql = service ? "INSERT INTO events_service_index (tenant_id, service_id, id) VALUES "
                            : "INSERT INTO events_tenant_index (tenant_id, id) VALUES ";
  int first_id = service ? 3 : 2;
  for (size_t i = 0; i < rows; ++i) {
    sql += i ? ", (?1, " : "(?1, ";
    if (service) sql += "?2, ";
    sql += "?" + std::to_string(first_id + static_cast<int>(i)) + ")";
  }
  return sql;
}

const std::string kTenantChunk = insert_sql(false, kChunk);
const std::string kTenantRow = insert_sql(false, 1);
const std::string kServiceChunk = insert_sql(true, kChunk);
const std::string kServiceRow = insert_sql(true, 1);

}  // namespace

void EventIndexer::note(Pending& key, int64_t id) {
  if (key.ids.empty()) oldest_.emplace_back(id, &key);
  key.ids.push_back(id);
  if (key.ids.size() >= kRun && !key.ready) {
    key.ready = true;
    ready_.push_back(&key);
  }
}

void EventIndexer::add(const Event& event) {
  head_ = event.id;
  ++added_;
  if (event.tenant_id.empty()) return;
  auto [it, inserted] = tenants_.try_emplace(event.tenant_id);
  Tenant& tenant = it->second;
  if (inserted) tenant.all.tenant_id = event.tenant_id;
  note(tenant.all, event.id);
  if (event.service_id.empty()) return;
  auto [service, fresh] = tenant.services.try_emplace(event.service_id);
  if (fresh) {
    service->second.tenant_id = event.tenant_id;
    service->second.service_id = event.service_id;
  }
  note(service->second, event.id);
}

void EventIndexer::flush(Database& db, Pending& key) {
  bool service = !key.service_id.empty();
  int first_id = service ? 3 : 2;
  size_t done = 0;
  while (done < key.ids.size()) {
    size_t rows = key.ids.size() - done >= kChunk ? kChunk : 1;
    auto& insert = db.cached(service ? (rows == kChunk ? kServiceChunk : kServiceRow)
                                     : (rows == kChunk ? kTenantChunk : kTenantRow));
    // The key's strings outlive the statement's run.
    insert.bind_static(1, key.tenant_id);
    if (service) insert.bind_static(2, key.service_id);
    for (size_t i = 0; i < rows; ++i) insert.bind(first_id + static_cast<int>(i), key.ids[done + i]);
    insert.run();
    done += rows;
  }
  key.ids.clear();
  key.ready = false;
}

void EventIndexer::advance_through() {
  // The oldest key still pending bounds what is indexed (stale entries first
  // leave the front).
  while (!oldest_.empty() &&
         (oldest_.front().second->ids.empty() || oldest_.front().second->ids.front() != oldest_.front().first)) {
    oldest_.pop_front();
  }
  through_ = oldest_.empty() ? head_ : oldest_.front().first - 1;
}

void EventIndexer::write_through(Database& db) {
  advance_through();
  if (through_ == written_through_) return;
  static constexpr std::string_view kWrite =
      "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  db.cached(kWrite).bind(1, std::string_view(kThroughKey)).bind(2, std::to_string(through_)).run();
  written_through_ = through_;
}

void EventIndexer::begun(Database& db) {
  if (stale_) rebuild(db);
  added_ = 0;
}

void EventIndexer::committing(Database& db) {
  size_t budget = std::max(kRun, kBudgetPerEvent * added_);
  size_t written = 0;
  while (!ready_.empty() && written < budget) {
    Pending* key = ready_.front();
    ready_.pop_front();
    if (!key->ready) continue;
    written += key->ids.size();
    flush(db, *key);
  }
  while (!oldest_.empty()) {
    auto [first, key] = oldest_.front();
    if (!key->ids.empty() && key->ids.front() == first) {
      if (first > head_ - kMaxLag) break;
      flush(db, *key);
    }
    oldest_.pop_front();
  }
  write_through(db);
}

void EventIndexer::idle(Database& db) {
  for (auto& [name, tenant] : tenants_) {
    if (!tenant.all.ids.empty()) flush(db, tenant.all);
    for (auto& [service, key] : tenant.services) {
      if (!key.ids.empty()) flush(db, key);
    }
  }
  ready_.clear();
  oldest_.clear();
  write_through(db);
}

int64_t EventIndexer::read_through(Database& db) {
  static constexpr std::string_view kThrough = "SELECT CAST(value AS BIGINT) FROM meta WHERE key = ?1";
  auto& through = db.cached(kThrough).bind(1, std::string_view(kThroughKey));
  int64_t value = through.step() ? through.column_int(0) : 0;
  through.reset();
  return value;
}

void EventIndexer::rebuild(Database& db) {
  tenants_.clear();
  oldest_.clear();
  ready_.clear();
  written_through_ = read_through(db);
  head_ = std::max(written_through_, db.query_int("SELECT coalesce(max(id), 0) FROM events"));

  static constexpr std::string_view kTenantMax = "SELECT coalesce(max(id), 0) FROM events_tenant_index WHERE tenant_id = ?1";
  static constexpr std::string_view kServiceMax =
      "SELECT coalesce(max(id), 0) FROM events_service_index WHERE tenant_id = ?1 AND service_id = ?2";
  auto floor_of = [&db](Pending& key) {
    if (key.rebuild_floor >= 0) return key.rebuild_floor;
    auto& statement = key.service_id.empty() ? db.cached(kTenantMax).bind(1, key.tenant_id)
                                             : db.cached(kServiceMax).bind(1, key.tenant_id).bind(2, key.service_id);
    statement.step();
    key.rebuild_floor = statement.column_int(0);
    statement.reset();
    return key.rebuild_floor;
  };
  static constexpr std::string_view kTail = "SELECT id, tenant_id, service_id FROM events WHERE id > ?1 ORDER BY id";
  auto& tail = db.cached(kTail);
  tail.bind(1, written_through_);
  try {
    while (tail.step()) {
      int64_t id = tail.column_int(0);
      std::string tenant_id = tail.column_text(1);
      if (tenant_id.empty()) continue;
      auto [it, inserted] = tenants_.try_emplace(tenant_id);
      Tenant& tenant = it->second;
      if (inserted) tenant.all.tenant_id = tenant_id;
      if (id > floor_of(tenant.all)) note(tenant.all, id);
      std::string service_id = tail.column_text(2);
      if (service_id.empty()) continue;
      auto [service, fresh] = tenant.services.try_emplace(service_id);
      if (fresh) {
        service->second.tenant_id = tenant_id;
        service->second.service_id = std::move(service_id);
      }
      if (id > floor_of(service->second)) note(service->second, id);
    }
  } catch (...) {
    tail.reset();
    throw;
  }
  tail.reset();
  advance_through();  // stored by the next commit
  stale_ = false;
}

}  // namespace solo
