// The EventStore: the durable, gap-free log of everything that happens.
//
// append() assigns the next id at once (engine thread) and queues the row on
// the Writer, together with an optional projection write that lands in the
// same transaction (services, tokens, secrets...). append_durable() returns
// once that transaction is committed. Subscribers see each event once it is
// committed, in id order, on the engine thread — never an event that could
// still be lost.
//
// Ids stay gap-free across failures: when a commit fails, its events and all
// events queued behind it are dropped (their appenders' flushes fail) and the
// id counter rewinds to the last committed id + 1.
//
// Queries run on the Reader thread. A query naming a tenant reads the tenant
// index tables (tenant_id[, service_id], id) and then the log's unindexed
// tail, which the Writer keeps under ~16k events (stores/event_index.hpp);
// every other query goes through the (event_type, id) index or the primary
// key. A query by service without a tenant (the admin's) has no index of its
// own since schema step 7: it walks the primary key from its cursor and
// filters, so it costs the events after the cursor up to `limit` matches
// (bound it with until_id, or name the tenant, for a rarely-written service).
//
// Thread safety: every member function is engine-thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "stores/event.hpp"
#include "stores/reader.hpp"
#include "stores/writer.hpp"

namespace solo {

class EventIndexer;

struct EventQuery {
  int64_t after_id = 0;                 // exclusive lower bound ("since")
  int64_t until_id = 0;                 // inclusive upper bound; 0 = none
  std::string tenant_id;                // "" = every tenant (admin)
  std::string service_id;               // "" = any
  std::string event_type;               // "" = any
  size_t limit = 100;
};

// The latest event of a service among some types (EventStore::latest_per_service).
struct LatestEvent {
  std::string tenant_id;
  std::string service_id;
  int64_t id = 0;
  std::string event_type;
};

// A write in the same transaction as the event it belongs to.
using ProjectionFn = std::function<void(Database&, const Event&)>;

class EventStore : public std::enable_shared_from_this<EventStore> {
 public:
  using Subscriber = std::function<void(const Event&)>;

  // Unsubscribes when destroyed.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(std::weak_ptr<EventStore> store, uint64_t id) : store_(std::move(store)), id_(id) {}
    Subscription(Subscription&& other) noexcept { *this = std::move(other); }
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription() { reset(); }
    void reset();

   private:
    std::weak_ptr<EventStore> store_;
    uint64_t id_ = 0;
  };

  static asio::awaitable<std::shared_ptr<EventStore>> open(asio::any_io_executor executor,
                                                           StoreLocation location, OpenOptions options = {});

  int64_t append(NewEvent event, ProjectionFn projection = {});
  asio::awaitable<int64_t> append_durable(NewEvent event, ProjectionFn projection = {});
  // Several events in one transaction (ids consecutive); projection runs once, after the last.
  asio::awaitable<std::vector<int64_t>> append_all_durable(std::vector<NewEvent> events,
                                                           ProjectionFn projection = {});
  asio::awaitable<void> flush();

  // Takes a reference (copied at once): GCC 12 mis-copies class temporaries
  // passed by value inside a co_await expression (seen as a bad free).
  asio::awaitable<std::vector<Event>> query(const EventQuery& query);
  // The latest event per (tenant, service) among `types`, after `after_id`
  // (the Verifier's view of the log: types are the lifecycle events). Reads
  // each type through the (event_type, id) index in pages, on the Reader
  // thread; ordered by tenant, then service.
  asio::awaitable<std::vector<LatestEvent>> latest_per_service(const std::vector<std::string>& types,
                                                               int64_t after_id);
  // The backend's integrity check of the whole store (SQLite's PRAGMA
  // quick_check): "ok", or what is wrong; nullopt when the backend runs none
  // (PostgreSQL). On a connection and thread of its own, so that queries do
  // not wait behind it (it reads every page).
  asio::awaitable<std::optional<std::string>> quick_check();

  // Reads on the Reader thread (for stores layered on this file: services, tokens...).
  template <class R>
  asio::awaitable<R> read(std::function<R(Database&)> fn) {
    return reader_->run<R>(std::move(fn));
  }

  Subscription subscribe(Subscriber subscriber);

  int64_t last_id() const { return next_id_ - 1; }
  int64_t committed_id() const { return committed_id_; }
  uint64_t appended_total() const { return appended_total_; }
  bool degraded() const { return writer_->degraded(); }
  Writer& writer() { return *writer_; }

  // Flushes, checkpoints and closes the database. Further appends throw.
  asio::awaitable<void> close();

 private:
  EventStore(asio::any_io_executor executor, StoreLocation location, std::shared_ptr<Writer> writer,
             std::shared_ptr<EventIndexer> indexer, std::unique_ptr<Reader> reader, int64_t last_id);
  Event stamp(NewEvent event);
  uint64_t submit(std::vector<Event> events, ProjectionFn projection);
  void on_batch(const BatchResult& result);
  void unsubscribe(uint64_t id) { subscribers_.erase(id); }

  asio::any_io_executor executor_;
  StoreLocation location_;
  std::shared_ptr<Writer> writer_;
  std::shared_ptr<EventIndexer> indexer_;  // writer thread only (the Writer holds it too)
  std::unique_ptr<Reader> reader_;
  int64_t next_id_;
  int64_t committed_id_;
  uint64_t rewind_epoch_ = 0;  // the next failed epoch that rewinds the id counter
  bool closed_ = false;
  uint64_t appended_total_ = 0;
  // (writer seq, its rows) awaiting commit; the rows are shared (read-only)
  // with the writer thread's insert, so an append copies no event.
  std::deque<std::pair<uint64_t, std::shared_ptr<const std::vector<Event>>>> pending_;
  // on_batch's list of the batches a result committed, kept between results
  // so that its buffer is not allocated afresh each time (a 4 KiB block per
  // result of 256 appends made glibc consolidate its fast bins: 7% of the
  // engine's time in `solo-bench append`).
  std::vector<std::shared_ptr<const std::vector<Event>>> committed_spare_;
  // Shared, so that on_batch holds a callback alive by a reference count
  // (a callback may unsubscribe itself) rather than by copying it per event.
  std::map<uint64_t, std::shared_ptr<const Subscriber>> subscribers_;
  uint64_t next_subscriber_ = 1;
};

}  // namespace solo
