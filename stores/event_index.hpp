// The tenant indexes of the event log, kept by the Writer off the ack path.
//
// events_tenant_index (tenant_id, id) and events_service_index (tenant_id,
// service_id, id) are tables (schema step 8), not SQLite indexes: a SQLite
// index takes every row in the transaction that writes it, so a commit of
// 255 rows from 16 tenants and 64 services dirtied ~80 index leaves for a
// handful of entries each. The EventIndexer instead keeps each key's
// unindexed ids in memory and writes a key's entries as one sorted run once
// it has kRun of them (one leaf touched per run), in the same transaction as
// some commit; a key whose oldest unindexed event is kMaxLag events old is
// written whatever its count, and an idle writer writes everything.
//
// What queries rely on (EventStore::query reads it in one read transaction):
//   1. Per key, the table holds a prefix of the key's events: every event of
//      the key up to the key's largest id in the table.
//   2. Every event with id <= meta's `event_index_through` is in the tables.
// So a key's events are its table rows, then the events of the key after
// max(event_index_through, its largest indexed id): the unindexed tail,
// fewer than about kMaxLag events, read from the log itself.
// Events without a tenant are in neither table, events without a service
// not in events_service_index: no query asks for tenant "" or service "" (an
// empty filter means "any").
//
// Everything the tables hold is derivable from the log, and they are written
// in the commits of the events: a crash loses nothing, and at open (or after
// a rolled-back transaction) the indexer rebuilds its pending sets from the
// events after event_index_through.
//
// Thread safety: writer thread only (the Writer's TransactionHook, and the
// EventStore's insert closures, which run there).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stores/event.hpp"
#include "stores/writer.hpp"

namespace solo {

class EventIndexer : public TransactionHook {
 public:
  // A key's entries are written once this many are pending, at most about
  // kBudgetPerEvent entries per event of the commit (keys written in lockstep,
  // e.g. round-robin appenders, would otherwise all fall due in one commit);
  // that is more than an event adds (two), so the backlog drains.
  static constexpr size_t kRun = 64;
  static constexpr size_t kBudgetPerEvent = 3;
  // ...or once its oldest pending event is this many events old.
  static constexpr int64_t kMaxLag = 16384;
  static constexpr const char* kThroughKey = "event_index_through";

  // meta's event_index_through (any thread's connection; 0 when absent).
  static int64_t read_through(Database& db);

  // Outside a transaction or in one: reads the tables and the log's tail.
  void rebuild(Database& db);
  // In a transaction: an event of this transaction, in id order.
  void add(const Event& event);

  void begun(Database& db) override;
  void committing(Database& db) override;
  void rolled_back() override { stale_ = true; }
  bool idle_work() const override { return !stale_ && through_ < head_; }
  void idle(Database& db) override;

 private:
  struct Pending {
    std::string tenant_id;
    std::string service_id;      // "" for a tenant key
    std::vector<int64_t> ids;    // ascending, not yet in the table
    int64_t rebuild_floor = -1;  // rebuild only: the key's largest indexed id
    bool ready = false;          // in ready_ (stale entries there are skipped)
  };
  struct Tenant {
    Pending all;
    std::unordered_map<std::string, Pending> services;
  };

  void note(Pending& key, int64_t id);
  void flush(Database& db, Pending& key);
  void advance_through();
  void write_through(Database& db);

  bool stale_ = true;            // rebuild before the next transaction uses the state
  int64_t head_ = 0;             // the last event id seen
  int64_t through_ = 0;          // every event up to it is indexed
  int64_t written_through_ = -1; // event_index_through as stored
  std::unordered_map<std::string, Tenant> tenants_;  // element addresses are stable
  // (first pending id, key) as keys became non-empty, in id order; an entry
  // whose key was flushed since is stale and skipped.
  std::deque<std::pair<int64_t, Pending*>> oldest_;
  std::deque<Pending*> ready_;  // keys with kRun pending, in the order they got there
  size_t added_ = 0;            // events of the current transaction
};

}  // namespace solo
