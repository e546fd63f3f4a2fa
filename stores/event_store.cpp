#include "stores/event_store.hpp"

#include <boost/json/serialize.hpp>

#include "stores/event_index.hpp"

namespace solo {

namespace {

// Inserts the rows of one append. The text is bound without a copy: the rows
// are shared with the engine thread, read-only, and outlive the insert.
void insert_events(Database& db, const std::vector<Event>& rows, EventIndexer& indexer) {
  // A std::string once, not per row: Database::cached() looks statements up by
  // std::string, and a temporary built from a char* would allocate per insert.
  static const std::string kInsertEvent =
      "INSERT INTO events (id, event_type, tenant_id, service_id, subject, payload, causation_id, wall_clock, "
      "mono_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  auto& statement = db.cached(kInsertEvent);
  for (const auto& event : rows) {
    statement.bind(1, event.id)
        .bind_static(2, event.event_type)
        .bind_static(3, event.tenant_id)
        .bind_static(4, event.service_id)
        .bind_static(5, event.subject)
        .bind_static(6, event.payload)
        .bind(7, event.causation_id)
        .bind_static(8, event.wall_clock)
        .bind(9, event.mono_ns);
    statement.run();
    indexer.add(event);
  }
}

Event read_event(const Statement& row) {
  Event event;
  event.id = row.column_int(0);
  event.event_type = row.column_text(1);
  event.tenant_id = row.column_text(2);
  event.service_id = row.column_text(3);
  event.subject = row.column_text(4);
  event.payload = row.column_text(5);
  if (!row.column_is_null(6)) event.causation_id = row.column_int(6);
  event.wall_clock = row.column_text(7);
  event.mono_ns = row.column_int(8);
  return event;
}

constexpr const char* kColumns =
    "SELECT e.id, e.event_type, e.tenant_id, e.service_id, e.subject, e.payload, e.causation_id, e.wall_clock, "
    "e.mono_ns ";

// Appends up to `limit` rows in all of `statement` (which selects kColumns,
// ending in "LIMIT ?7").
void read_rows(Statement& statement, size_t limit, std::vector<Event>& events) {
  statement.bind(7, static_cast<int64_t>(limit - events.size()));
  while (statement.step()) events.push_back(read_event(statement));
  statement.reset();
}

// The filters every query path applies to the events it reads (?5 type, ?6
// until; ?3 tenant and ?4 service where the path has not applied them).
std::string filters(const EventQuery& query, bool tenant_and_service) {
  std::string sql;
  if (query.until_id > 0) sql += " AND e.id <= ?6";
  if (tenant_and_service && !query.tenant_id.empty()) sql += " AND e.tenant_id = ?3";
  if (tenant_and_service && !query.service_id.empty()) sql += " AND e.service_id = ?4";
  if (!query.event_type.empty()) sql += " AND e.event_type = ?5";
  return sql;
}

Statement& prepare(Database& db, const std::string& sql, const EventQuery& query, int64_t after_id) {
  auto& statement = db.cached(sql);
  statement.bind(1, after_id);
  if (!query.tenant_id.empty()) statement.bind(3, query.tenant_id);
  if (!query.service_id.empty()) statement.bind(4, query.service_id);
  if (!query.event_type.empty()) statement.bind(5, query.event_type);
  if (query.until_id > 0) statement.bind(6, query.until_id);
  return statement;
}

// A tenant's events (and a service's): the index table's rows, then the
// unindexed tail of the log (see the invariants in stores/event_index.hpp),
// all in one read transaction so that both parts are of the same snapshot.
void query_tenant(Database& db, const EventQuery& query, std::vector<Event>& events) {
  bool by_service = !query.service_id.empty();
  std::string table = by_service ? "events_service_index" : "events_tenant_index";
  std::string key = by_service ? "x.tenant_id = ?3 AND x.service_id = ?4" : "x.tenant_id = ?3";
  // CROSS JOIN: the index table drives (SQLite could otherwise pick the type
  // index and sort). PostgreSQL plans joins itself and takes no ON after a
  // CROSS JOIN.
  std::string join = db.dialect() == Dialect::sqlite ? " AS x CROSS JOIN events AS e" : " AS x JOIN events AS e";
  std::string indexed = kColumns + ("FROM " + table + join + " ON e.id = x.id WHERE " + key +
                                    " AND x.id > ?1" + filters(query, false) + " ORDER BY x.id LIMIT ?7");
  read_rows(prepare(db, indexed, query, query.after_id), query.limit, events);
  if (events.size() >= query.limit) return;

  int64_t boundary = EventIndexer::read_through(db);
  auto& last = db.cached("SELECT coalesce(max(id), 0) FROM " + table + " AS x WHERE " + key);
  if (!query.tenant_id.empty()) last.bind(3, query.tenant_id);
  if (by_service) last.bind(4, query.service_id);
  last.step();
  boundary = std::max(boundary, last.column_int(0));
  last.reset();
  if (query.until_id > 0 && query.until_id <= boundary) return;
  std::string tail = kColumns + ("FROM events AS e WHERE e.id > ?1" + filters(query, true) + " ORDER BY e.id LIMIT ?7");
  read_rows(prepare(db, tail, query, std::max(query.after_id, boundary)), query.limit, events);
}

std::vector<Event> run_query(Database& db, const EventQuery& query) {
  std::vector<Event> events;
  if (query.limit == 0) return events;
  if (!query.tenant_id.empty()) {
    db.begin_read();
    try {
      query_tenant(db, query, events);
    } catch (...) {
      db.rollback();
      throw;
    }
    db.commit();
    return events;
  }
  // Every tenant: the primary key, or the type index.
  std::string sql = kColumns + ("FROM events AS e WHERE e.id > ?1" + filters(query, true) + " ORDER BY e.id LIMIT ?7");
  read_rows(prepare(db, sql, query, query.after_id), query.limit, events);
  return events;
}

std::vector<LatestEvent> run_latest_per_service(Database& db, const std::vector<std::string>& types,
                                                int64_t after_id) {
  constexpr int64_t kPage = 5000;
  static const std::string kPageOfType =
      "SELECT id, tenant_id, service_id FROM events WHERE event_type = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
  std::map<std::pair<std::string, std::string>, LatestEvent> latest;
  auto& statement = db.cached(kPageOfType);
  for (const auto& type : types) {
    int64_t cursor = after_id;
    for (;;) {
      statement.bind(1, type).bind(2, cursor).bind(3, kPage);
      int64_t rows = 0;
      while (statement.step()) {
        ++rows;
        cursor = statement.column_int(0);
        auto tenant = statement.column_text(1);
        auto service = statement.column_text(2);
        auto& entry = latest[{tenant, service}];
        if (cursor > entry.id) entry = LatestEvent{std::move(tenant), std::move(service), cursor, type};
      }
      statement.reset();
      if (rows < kPage) break;
    }
  }
  std::vector<LatestEvent> result;
  result.reserve(latest.size());
  for (auto& [key, entry] : latest) result.push_back(std::move(entry));
  return result;
}

}  // namespace

EventStore::Subscription& EventStore::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    store_ = std::move(other.store_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void EventStore::Subscription::reset() {
  if (auto store = store_.lock(); store && id_) store->unsubscribe(id_);
  store_.reset();
  id_ = 0;
}

EventStore::EventStore(asio::any_io_executor executor, StoreLocation location, std::shared_ptr<Writer> writer,
                       std::shared_ptr<EventIndexer> indexer, std::unique_ptr<Reader> reader, int64_t last_id)
    : executor_(std::move(executor)),
      location_(std::move(location)),
      writer_(std::move(writer)),
      indexer_(std::move(indexer)),
      reader_(std::move(reader)),
      next_id_(last_id + 1),
      committed_id_(last_id) {}

asio::awaitable<std::optional<std::string>> EventStore::quick_check() {
  auto checker = std::make_unique<Reader>(executor_, location_);
  std::function<std::optional<std::string>(Database&)> check = [](Database& db) { return db.integrity_check(); };
  co_return co_await checker->run<std::optional<std::string>>(std::move(check));
}

asio::awaitable<std::shared_ptr<EventStore>> EventStore::open(asio::any_io_executor executor,
                                                              StoreLocation location, OpenOptions options) {
  auto writer = co_await Writer::open(executor, location, options);
  // Named first: GCC 12 double-destroys converted temporaries in co_await.
  auto indexer = std::make_shared<EventIndexer>();
  // The Writer by raw pointer: this function is destroyed on the writer
  // thread, and were it to hold the last reference there, ~Writer would join
  // its own thread (the store may be opened and closed before that happens).
  std::function<int64_t(Database&)> read_last_id = [w = writer.get(), indexer](Database& db) {
    indexer->rebuild(db);
    w->set_hook(indexer);
    return db.query_int("SELECT coalesce(max(id), 0) FROM events");
  };
  int64_t last_id = co_await writer->execute<int64_t>(std::move(read_last_id));
  auto reader = std::make_unique<Reader>(executor, location);
  std::shared_ptr<EventStore> store(
      new EventStore(executor, location, writer, std::move(indexer), std::move(reader), last_id));
  writer->on_batch([weak = std::weak_ptr<EventStore>(store)](const BatchResult& result) {
    if (auto self = weak.lock()) self->on_batch(result);
  });
  co_return store;
}

Event EventStore::stamp(NewEvent event) {
  Event stamped;
  stamped.id = next_id_++;
  stamped.event_type = std::move(event.event_type);
  stamped.tenant_id = std::move(event.tenant_id);
  stamped.service_id = std::move(event.service_id);
  stamped.subject = std::move(event.subject);
  stamped.payload = boost::json::serialize(event.payload);
  stamped.causation_id = event.causation_id;
  stamped.wall_clock = utc_now_iso8601();
  stamped.mono_ns = steady_now_ns();
  return stamped;
}

uint64_t EventStore::submit(std::vector<Event> events, ProjectionFn projection) {
  if (closed_) throw StoreError("event store is closed");
  auto rows = std::make_shared<const std::vector<Event>>(std::move(events));
  // A raw indexer: the Writer that runs this holds it (as its hook).
  uint64_t seq = writer_->submit([rows, projection = std::move(projection), indexer = indexer_.get()](Database& db) {
    insert_events(db, *rows, *indexer);
    if (projection) projection(db, rows->back());
  });
  pending_.emplace_back(seq, std::move(rows));  // shared with the write, not copied
  return seq;
}

int64_t EventStore::append(NewEvent event, ProjectionFn projection) {
  std::vector<Event> rows;
  rows.push_back(stamp(std::move(event)));
  int64_t id = rows.back().id;
  submit(std::move(rows), std::move(projection));
  return id;
}

asio::awaitable<int64_t> EventStore::append_durable(NewEvent event, ProjectionFn projection) {
  std::vector<Event> rows;
  rows.push_back(stamp(std::move(event)));
  int64_t id = rows.back().id;
  uint64_t seq = submit(std::move(rows), std::move(projection));
  co_await writer_->wait_for(seq);
  co_return id;
}

asio::awaitable<std::vector<int64_t>> EventStore::append_all_durable(std::vector<NewEvent> events,
                                                                     ProjectionFn projection) {
  if (events.empty()) co_return std::vector<int64_t>{};
  std::vector<Event> rows;
  std::vector<int64_t> ids;
  for (auto& event : events) {
    rows.push_back(stamp(std::move(event)));
    ids.push_back(rows.back().id);
  }
  uint64_t seq = submit(std::move(rows), std::move(projection));
  co_await writer_->wait_for(seq);
  co_return ids;
}

asio::awaitable<void> EventStore::flush() { co_await writer_->flush(); }

asio::awaitable<std::vector<Event>> EventStore::query(const EventQuery& query) {
  return reader_->run<std::vector<Event>>([query](Database& db) { return run_query(db, query); });
}

asio::awaitable<std::vector<LatestEvent>> EventStore::latest_per_service(const std::vector<std::string>& types,
                                                                          int64_t after_id) {
  return reader_->run<std::vector<LatestEvent>>(
      [types, after_id](Database& db) { return run_latest_per_service(db, types, after_id); });
}

EventStore::Subscription EventStore::subscribe(Subscriber subscriber) {
  uint64_t id = next_subscriber_++;
  subscribers_.emplace(id, std::make_shared<const Subscriber>(std::move(subscriber)));
  return Subscription(weak_from_this(), id);
}

void EventStore::on_batch(const BatchResult& result) {
  if (result.ok) {
    // Taken off pending_ before any callback runs: a callback may append.
    // (The spare list is taken, not borrowed: were a callback to lead here
    // again, that call would find none and make its own.)
    auto committed = std::move(committed_spare_);
    committed.clear();
    while (!pending_.empty() && pending_.front().first <= result.last_seq) {
      committed.push_back(std::move(pending_.front().second));
      pending_.pop_front();
    }
    for (const auto& rows : committed) {
      for (const auto& event : *rows) {
        committed_id_ = event.id;
        ++appended_total_;
        // Look each subscriber up again: a callback may unsubscribe others.
        for (auto it = subscribers_.begin(); it != subscribers_.end();) {
          uint64_t key = it->first;
          auto callback = it->second;  // alive while it runs, even if it unsubscribes itself
          (*callback)(event);
          it = subscribers_.upper_bound(key);
        }
      }
    }
    committed.clear();  // the events go now, not with the next result
    committed_spare_ = std::move(committed);
    return;
  }
  while (!pending_.empty() && pending_.front().first <= result.last_seq) pending_.pop_front();
  if (result.epoch >= rewind_epoch_) {
    // The first failure of an epoch: everything after the last commit is void.
    next_id_ = committed_id_ + 1;
    rewind_epoch_ = result.epoch + 1;
  }
}

asio::awaitable<void> EventStore::close() {
  if (closed_) co_return;
  closed_ = true;
  co_await writer_->close();
}

}  // namespace solo
