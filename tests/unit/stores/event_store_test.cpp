// EventStore and Writer on a real store in a temp dir: a SQLite file, or a
// PostgreSQL schema (support/test_store.hpp).
#include "stores/sqlite.hpp"
#include "stores/event_store.hpp"

#include <sqlite3.h>

#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

NewEvent make_event(std::string type, std::string tenant = "t1", std::string service = "") {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = std::move(tenant);
  event.service_id = std::move(service);
  return event;
}

// Reads ids with a second, independent connection (as the sqlite3 tool would).
std::vector<int64_t> ids_seen_by_another_connection(const StoreLocation& location) {
  auto db = test::open_reader(location);
  auto statement = db->prepare("SELECT id FROM events ORDER BY id");
  std::vector<int64_t> ids;
  while (statement->step()) ids.push_back(statement->column_int(0));
  return ids;
}

asio::awaitable<void> append_many(std::shared_ptr<EventStore> store, int count, std::vector<int64_t>* ids) {
  for (int i = 0; i < count; ++i) {
    ids->push_back(co_await store->append_durable(make_event("tick")));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_store)

BOOST_AUTO_TEST_CASE(ids_are_gap_free_under_many_concurrent_appenders) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  std::vector<std::vector<int64_t>> ids(50);
  for (auto& list : ids) {
    asio::co_spawn(io, append_many(store, 40, &list), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  io.restart();
  io.run();
  std::set<int64_t> all;
  for (auto& list : ids) {
    BOOST_TEST(std::is_sorted(list.begin(), list.end()));
    all.insert(list.begin(), list.end());
  }
  BOOST_TEST(all.size() == 2000u);
  BOOST_TEST(*all.begin() == 1);
  BOOST_TEST(*all.rbegin() == 2000);
  BOOST_TEST(store->writer().stats().commits < 2000u);  // group commit batched them
  test::run_awaitable(io, store->close());
  auto on_disk = ids_seen_by_another_connection(test::store_at(dir));
  BOOST_TEST(on_disk.size() == 2000u);
  BOOST_TEST(on_disk.back() == 2000);
}

BOOST_AUTO_TEST_CASE(flush_returns_only_after_another_connection_can_read_the_rows) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  for (int i = 0; i < 100; ++i) store->append(make_event("e"));
  BOOST_TEST(store->last_id() == 100);
  test::run_awaitable(io, store->flush());
  auto ids = ids_seen_by_another_connection(test::store_at(dir));
  BOOST_TEST(ids.size() == 100u);
  BOOST_TEST(store->committed_id() == 100);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(ids_continue_after_reopening_the_file) {
  test::TempDir dir;
  {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
    for (int i = 0; i < 5; ++i) store->append(make_event("e"));
    test::run_awaitable(io, store->close());
  }
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  BOOST_TEST(store->last_id() == 5);
  BOOST_TEST(test::run_awaitable(io, store->append_durable(make_event("e"))) == 6);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(an_injected_commit_failure_fails_its_batch_keeps_ids_gap_free_and_recovers) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  int64_t acknowledged = test::run_awaitable(io, store->append_durable(make_event("kept")));
  BOOST_TEST(acknowledged == 1);

  store->writer().inject_commit_failures(1);
  store->append(make_event("lost"));
  store->append(make_event("lost"));
  BOOST_CHECK_THROW(test::run_awaitable(io, store->flush()), StoreError);
  BOOST_TEST(store->degraded());
  BOOST_TEST(store->writer().last_error().find("injected") != std::string::npos);
  BOOST_TEST(store->last_id() == 1);  // rewound: the failed ids will be reused

  int64_t next = test::run_awaitable(io, store->append_durable(make_event("after")));
  BOOST_TEST(next == 2);
  BOOST_TEST(!store->degraded());
  test::run_awaitable(io, store->close());
  auto ids = ids_seen_by_another_connection(test::store_at(dir));
  BOOST_TEST((ids == std::vector<int64_t>{1, 2}));
}

BOOST_AUTO_TEST_CASE(a_full_database_fails_commits_clearly_and_writing_resumes_when_space_returns,
                     *test::sqlite_only()) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  test::run_awaitable(io, store->append_durable(make_event("kept")));
  // A real SQLITE_FULL: cap the file at its current size.
  test::run_awaitable(io, store->writer().execute<int>([](Database& db) {
    db.exec("PRAGMA max_page_count = " + std::to_string(db.query_int("PRAGMA page_count")));
    return 0;
  }));
  NewEvent big = make_event("big");
  big.payload = boost::json::object{{"blob", std::string(200000, 'x')}};
  BOOST_CHECK_THROW(test::run_awaitable(io, store->append_durable(big)), StoreError);
  BOOST_TEST(store->degraded());
  BOOST_TEST(store->writer().last_error().find("full") != std::string::npos);
  test::run_awaitable(io, store->writer().execute<int>([](Database& db) {
    db.exec("PRAGMA max_page_count = 1073741823");
    return 0;
  }));
  BOOST_TEST(test::run_awaitable(io, store->append_durable(big)) == 2);
  BOOST_TEST(!store->degraded());
  test::run_awaitable(io, store->close());
  BOOST_TEST(ids_seen_by_another_connection(test::store_at(dir)).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_degraded_store_probes_the_disk_and_is_healthy_again_without_new_writes) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  test::run_awaitable(io, store->append_durable(make_event("kept")));
  store->writer().inject_commit_failures(2);  // the failed write and the first probe
  BOOST_CHECK_THROW(test::run_awaitable(io, store->append_durable(make_event("lost"))), StoreError);
  BOOST_TEST(store->degraded());
  // Nobody writes: the writer's own probes (one a second) find the disk
  // writable again after the second.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store->degraded() && std::chrono::steady_clock::now() < give_up) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST(!store->degraded());
  BOOST_TEST(store->writer().stats().failed_commits == 2u);
  BOOST_TEST(store->last_id() == 1);
  auto probed = test::run_awaitable(io, store->read<int64_t>([](Database& db) {
    return db.query_int("SELECT count(*) FROM meta WHERE key = 'store_probe'");
  }));
  BOOST_TEST(probed == 1);
  BOOST_TEST(test::run_awaitable(io, store->append_durable(make_event("after"))) == 2);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(queries_filter_by_range_tenant_service_and_type_with_a_limit) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  for (int i = 0; i < 30; ++i) {
    store->append(make_event(i % 3 == 0 ? "a" : "b", i % 2 ? "t1" : "t2", i % 5 == 0 ? "s" : ""));
  }
  test::run_awaitable(io, store->flush());
  auto page = test::run_awaitable(io, store->query(EventQuery{.after_id = 10, .limit = 5}));
  BOOST_TEST(page.size() == 5u);
  BOOST_TEST(page.front().id == 11);
  auto t1 = test::run_awaitable(io, store->query(EventQuery{.tenant_id = "t1", .limit = 100}));
  BOOST_TEST(t1.size() == 15u);
  for (auto& e : t1) BOOST_TEST(e.tenant_id == "t1");
  auto typed = test::run_awaitable(io, store->query(EventQuery{.event_type = "a", .limit = 100}));
  BOOST_TEST(typed.size() == 10u);
  auto service = test::run_awaitable(io, store->query(EventQuery{.service_id = "s", .limit = 100}));
  BOOST_TEST(service.size() == 6u);
  auto ranged = test::run_awaitable(io, store->query(EventQuery{.after_id = 2, .until_id = 4, .limit = 100}));
  BOOST_TEST(ranged.size() == 2u);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(queries_without_a_tenant_never_scan_the_log, *test::sqlite_only()) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  // Every filter without a tenant is answered through an index or the
  // primary key from the cursor, never a full scan (the tenant filters read
  // the index tables: event_index_test.cpp).
  auto plans = test::run_awaitable(io, store->read<std::vector<std::string>>([](Database& db) {
    std::vector<std::string> details;
    for (const char* where : {"service_id = 'y'", "event_type = 'z'", "1"}) {
      SqliteStatement plan(static_cast<SqliteDatabase&>(db).handle(),
                           std::string("EXPLAIN QUERY PLAN SELECT * FROM events WHERE id > 5 AND ") + where +
                               " ORDER BY id LIMIT 10");
      while (plan.step()) details.push_back(plan.column_text(3));
    }
    return details;
  }));
  BOOST_TEST(!plans.empty());
  for (auto& detail : plans) BOOST_TEST(detail.find("SCAN events") == std::string::npos, detail);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(subscribers_see_committed_events_in_order) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  std::vector<int64_t> seen;
  auto subscription = store->subscribe([&](const Event& e) {
    BOOST_TEST(e.id <= store->committed_id());
    seen.push_back(e.id);
  });
  for (int i = 0; i < 10; ++i) store->append(make_event("e"));
  BOOST_TEST(seen.empty());  // nothing is published before it is committed
  test::run_awaitable(io, store->flush());
  BOOST_TEST(seen.size() == 10u);
  subscription.reset();
  test::run_awaitable(io, store->append_durable(make_event("e")));
  BOOST_TEST(seen.size() == 10u);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(events_and_their_projection_commit_in_one_transaction) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  store->writer().inject_commit_failures(1);
  auto projection = [](Database& db, const Event& e) {
    db.exec("INSERT INTO meta(key, value) VALUES ('k" + std::to_string(e.id) + "', 'v')");
  };
  BOOST_CHECK_THROW(test::run_awaitable(io, store->append_durable(make_event("e"), projection)), StoreError);
  test::run_awaitable(io, store->append_durable(make_event("e"), projection));
  auto counts = test::run_awaitable(io, store->read<int64_t>([](Database& db) {
    return db.query_int("SELECT count(*) FROM meta WHERE key LIKE 'k%'") * 100 +
           db.query_int("SELECT count(*) FROM events");
  }));
  BOOST_TEST(counts == 101);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_SUITE_END()
