// The tenant index tables (stores/event_index.hpp): every query naming a
// tenant answers exactly what a filter of the log answers, whether its events
// are in the index tables, in the unindexed tail, or on both sides of the
// boundary; after a rolled-back commit, a reopen without a clean close, a
// kill -9 mid-load, an idle spell, and the schema step 8 migration of a
// version 7 file.
#include "stores/sqlite.hpp"
#include "stores/event_index.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "stores/schema.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/old_schema.hpp"
#include "support/test_store.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

struct Row {
  int64_t id;
  std::string type;
  std::string tenant;
  std::string service;
};

// The log as another connection reads it.
std::vector<Row> read_log(const StoreLocation& path) {
  auto db = test::open_reader(path);
  auto statement = db->prepare("SELECT id, event_type, tenant_id, service_id FROM events ORDER BY id");
  std::vector<Row> rows;
  while (statement->step()) {
    rows.push_back({statement->column_int(0), statement->column_text(1), statement->column_text(2),
                    statement->column_text(3)});
  }
  return rows;
}

int64_t indexed_through(Database& db) {
  return db.query_int("SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'event_index_through'");
}

int64_t indexed_through(const StoreLocation& path) { return indexed_through(*test::open_reader(path)); }

int64_t count_rows(Database& db, const std::string& table) { return db.query_int("SELECT count(*) FROM " + table); }

int64_t count_rows(const StoreLocation& path, const std::string& table) {
  return count_rows(*test::open_reader(path), table);
}

std::vector<int64_t> brute_force(const std::vector<Row>& log, const EventQuery& query) {
  std::vector<int64_t> ids;
  for (const auto& row : log) {
    if (ids.size() >= query.limit) break;
    if (row.id <= query.after_id || (query.until_id > 0 && row.id > query.until_id)) continue;
    if (!query.tenant_id.empty() && row.tenant != query.tenant_id) continue;
    if (!query.service_id.empty() && row.service != query.service_id) continue;
    if (!query.event_type.empty() && row.type != query.event_type) continue;
    ids.push_back(row.id);
  }
  return ids;
}

// Hot keys (t0/s0 and t1/s1) reach EventIndexer::kRun many times; the others
// are rarely written, so only their age gets them indexed; some events have
// no service, some no tenant.
NewEvent event_at(std::mt19937& rng) {
  NewEvent event;
  int roll = static_cast<int>(rng() % 100);
  event.event_type = roll % 3 ? "a" : "b";
  if (roll < 40) {
    event.tenant_id = "t0", event.service_id = "s0";
  } else if (roll < 70) {
    event.tenant_id = "t1", event.service_id = roll % 2 ? "s1" : "";
  } else if (roll < 95) {
    event.tenant_id = "t" + std::to_string(rng() % 4);
    event.service_id = "s" + std::to_string(rng() % 40);
  } else {
    event.service_id = "s0";  // no tenant
  }
  return event;
}

void append_events(asio::io_context& io, EventStore& store, std::mt19937& rng, int count) {
  for (int i = 0; i < count; ++i) {
    store.append(event_at(rng));
    if (i % 300 == 299) test::run_awaitable(io, store.flush());  // ~300 events a commit, as under load
  }
  test::run_awaitable(io, store.flush());
}

std::vector<int64_t> ids_of(const std::vector<Event>& events) {
  std::vector<int64_t> ids;
  for (const auto& event : events) ids.push_back(event.id);
  return ids;
}

// Every tenant query shape, with cursors around the index boundary.
void check_queries(asio::io_context& io, EventStore& store, const StoreLocation& path) {
  auto log = read_log(path);
  BOOST_TEST_REQUIRE(!log.empty());
  int64_t through = indexed_through(path);
  int64_t last = log.back().id;
  std::vector<int64_t> cursors = {0, through - 1, through, through + 1, last - 5};
  int checked = 0;
  for (std::string tenant : {"t0", "t1", "t3", "nobody"}) {
    for (std::string service : {"", "s0", "s1", "s7"}) {
      for (std::string type : {"", "b"}) {
        for (int64_t after : cursors) {
          for (int64_t until : {int64_t{0}, through, after + 2000}) {
            for (size_t limit : {size_t{1}, size_t{37}, size_t{1'000'000}}) {
              EventQuery query{.after_id = std::max<int64_t>(after, 0), .until_id = until, .tenant_id = tenant,
                               .service_id = service, .event_type = type, .limit = limit};
              auto got = ids_of(test::run_awaitable(io, store.query(query)));
              auto want = brute_force(log, query);
              BOOST_TEST_REQUIRE(got == want, "tenant=" << tenant << " service=" << service << " type=" << type
                                                        << " after=" << query.after_id << " until=" << until
                                                        << " limit=" << limit);
              ++checked;
            }
          }
        }
      }
    }
  }
  BOOST_TEST(checked > 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_index)

BOOST_AUTO_TEST_CASE(tenant_queries_match_a_filter_of_the_log_across_the_index_and_its_tail) {
  test::TempDir dir;
  auto path = test::store_at(dir);
  std::mt19937 rng(12);
  {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
    // Connected before the load: the checks below must run within the idle
    // delay after the last commit (kIdleDelay; then the tail is indexed), and
    // a PostgreSQL connection takes milliseconds to set up.
    auto reader = test::open_reader(path);
    append_events(io, *store, rng, 3 * EventIndexer::kMaxLag / 2);
    // Both parts are there: rows in the tables, and a tail after the boundary.
    BOOST_TEST(indexed_through(*reader) < store->last_id());
    BOOST_TEST(indexed_through(*reader) > 0);
    BOOST_TEST(count_rows(*reader, "events_tenant_index") > 0);
    BOOST_TEST(count_rows(*reader, "events_service_index") > 0);
    check_queries(io, *store, path);
    // Not closed: the next open rebuilds the pending sets from the tail.
    store.reset();
  }
  {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
    auto reader = test::open_reader(path);  // as above: connected before the load
    append_events(io, *store, rng, 5000);
    BOOST_TEST(indexed_through(*reader) < store->last_id());
    check_queries(io, *store, path);
    // An idle writer indexes the rest.
    BOOST_TEST(test::eventually([&] { return indexed_through(path) == store->last_id(); }));
    check_queries(io, *store, path);
    test::run_awaitable(io, store->close());
  }
  // Every event with a tenant is in the tenant table once.
  int64_t with_tenant = 0;
  for (const auto& row : read_log(path)) with_tenant += row.tenant.empty() ? 0 : 1;
  BOOST_TEST(count_rows(path, "events_tenant_index") == with_tenant);
}

BOOST_AUTO_TEST_CASE(the_event_right_after_a_written_run_is_read_from_the_tail) {
  test::TempDir dir;
  auto path = test::store_at(dir);
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
  auto event = [](const char* tenant, const char* service) {
    NewEvent e;
    e.event_type = "a";
    e.tenant_id = tenant;
    e.service_id = service;
    return e;
  };
  // One commit of kRun events of one key: its run is written at once.
  for (size_t i = 0; i < EventIndexer::kRun; ++i) store->append(event("t", "s"));
  test::run_awaitable(io, store->flush());
  auto run = static_cast<int64_t>(EventIndexer::kRun);
  BOOST_TEST(count_rows(path, "events_service_index") == run);
  BOOST_TEST(indexed_through(path) == run);
  // The next events stay pending: the first right after the boundary.
  test::run_awaitable(io, store->append_durable(event("t", "s")));
  test::run_awaitable(io, store->append_durable(event("t", "other")));
  BOOST_TEST(count_rows(path, "events_service_index") == run);
  BOOST_TEST(indexed_through(path) == run);
  auto got = test::run_awaitable(io, store->query(EventQuery{.after_id = run - 1, .tenant_id = "t", .limit = 10}));
  BOOST_TEST(ids_of(got) == (std::vector<int64_t>{run, run + 1, run + 2}));
  got = test::run_awaitable(
      io, store->query(EventQuery{.after_id = run - 1, .tenant_id = "t", .service_id = "s", .limit = 10}));
  BOOST_TEST(ids_of(got) == (std::vector<int64_t>{run, run + 1}));
  check_queries(io, *store, path);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(a_rolled_back_commit_leaves_no_index_rows_and_later_commits_index_the_rest) {
  test::TempDir dir;
  auto path = test::store_at(dir);
  std::mt19937 rng(7);
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
  append_events(io, *store, rng, 2000);
  // A commit big enough to write runs of the hot keys fails: its events and
  // its runs are rolled back, and the indexer forgets what it had noted.
  store->writer().inject_commit_failures(1);
  for (int i = 0; i < 1000; ++i) store->append(event_at(rng));
  BOOST_CHECK_THROW(test::run_awaitable(io, store->flush()), StoreError);
  append_events(io, *store, rng, 3000);
  check_queries(io, *store, path);
  test::run_awaitable(io, store->close());
  BOOST_TEST(indexed_through(path) == store->last_id());
  auto db = test::open_reader(path);
  // No index row points past the log or at an event of another key.
  BOOST_TEST(db->query_int("SELECT count(*) FROM events_tenant_index x LEFT JOIN events e ON e.id = x.id "
                          "WHERE e.id IS NULL OR e.tenant_id <> x.tenant_id") == 0);
  BOOST_TEST(db->query_int("SELECT count(*) FROM events_service_index x LEFT JOIN events e ON e.id = x.id "
                          "WHERE e.id IS NULL OR e.tenant_id <> x.tenant_id OR e.service_id <> x.service_id") == 0);
}

BOOST_AUTO_TEST_CASE(after_a_kill_9_mid_load_tenant_queries_still_match_the_log) {
  test::TempDir dir;
  auto path = test::store_at(dir);
  {
    // Created here, so that the parent can watch the file while the child writes.
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
    test::run_awaitable(io, store->close());
  }
  pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    // The child appends until it is killed; nothing in it returns to Boost.Test.
    try {
      std::mt19937 rng(5);
      asio::io_context io;
      auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
      for (;;) append_events(io, *store, rng, 3000);
    } catch (...) {
    }
    _exit(1);
  }
  // Killed mid-load once runs, aged keys and a tail are all on disk.
  bool loaded = test::eventually(
      [&] {
        try {
          return test::open_reader(path)->query_int("SELECT count(*) FROM events") > EventIndexer::kMaxLag + 4000;
        } catch (const StoreError&) {
          return false;
        }
      },
      std::chrono::seconds(60));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_TEST_REQUIRE(loaded);
  BOOST_TEST(WIFSIGNALED(status));

  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
  BOOST_TEST(indexed_through(path) > 0);
  BOOST_TEST(indexed_through(path) < store->last_id());
  check_queries(io, *store, path);
  std::mt19937 rng(6);
  append_events(io, *store, rng, 2000);
  check_queries(io, *store, path);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(step_8_turns_the_tenant_indexes_of_a_version_7_file_into_tables, *test::sqlite_only()) {
  test::TempDir dir;
  auto path = test::store_at(dir);
  std::mt19937 rng(3);
  {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
    append_events(io, *store, rng, 1000);
    test::run_awaitable(io, store->close());
  }
  {
    // Make it the file a version 7 solo left: SQLite's tenant indexes, no tables.
    SqliteDatabase db(path.file(), OpenOptions{});
    test::undo_schema_step_8(db);
    db.exec("PRAGMA user_version=7");
  }
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
  {
    SqliteDatabase db(path.file(), OpenOptions{.read_only = true});
    BOOST_TEST(db.query_int("PRAGMA user_version") == kSchemaVersion);
    BOOST_TEST(db.query_int("SELECT count(*) FROM sqlite_master WHERE name LIKE 'events_by_tenant%'") == 0);
  }
  BOOST_TEST(indexed_through(path) == 1000);
  check_queries(io, *store, path);
  append_events(io, *store, rng, 500);
  check_queries(io, *store, path);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(tenant_queries_read_the_index_tables_without_a_scan_or_a_sort, *test::sqlite_only()) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  auto plans = test::run_awaitable(io, store->read<std::vector<std::string>>([](Database& db) {
    std::vector<std::string> details;
    for (const char* from : {"events_tenant_index AS x CROSS JOIN events AS e ON e.id = x.id WHERE x.tenant_id = 't'",
                             "events_service_index AS x CROSS JOIN events AS e ON e.id = x.id "
                             "WHERE x.tenant_id = 't' AND x.service_id = 's'"}) {
      SqliteStatement plan(static_cast<SqliteDatabase&>(db).handle(), std::string("EXPLAIN QUERY PLAN SELECT e.* FROM ") + from +
                                      " AND x.id > 5 AND e.event_type = 'z' ORDER BY x.id LIMIT 10");
      while (plan.step()) details.push_back(plan.column_text(3));
    }
    return details;
  }));
  BOOST_TEST(plans.size() >= 4u);
  for (auto& detail : plans) {
    BOOST_TEST(detail.find("SCAN") == std::string::npos, detail);
    BOOST_TEST(detail.find("TEMP B-TREE") == std::string::npos, detail);
  }
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_SUITE_END()
