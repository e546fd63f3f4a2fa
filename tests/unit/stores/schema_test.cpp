// Schema step 7: an older file loses events_by_service and keeps its events;
// the admin's query by service across tenants still answers from the log.
#include "stores/sqlite.hpp"
#include "stores/schema.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "stores/storage_store.hpp"
#include "support/async_test.hpp"
#include "support/test_store.hpp"
#include "support/old_schema.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

NewEvent event_of(std::string tenant, std::string service) {
  NewEvent event;
  event.event_type = "e";
  event.tenant_id = std::move(tenant);
  event.service_id = std::move(service);
  return event;
}

int64_t count_indexes(const std::filesystem::path& path, const std::string& name) {
  SqliteDatabase db(path, OpenOptions{.read_only = true});
  SqliteStatement statement(db.handle(), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1");
  statement.bind(1, name);
  statement.step();
  return statement.column_int(0);
}

std::vector<int64_t> ids_of(const std::vector<Event>& events) {
  std::vector<int64_t> ids;
  for (const auto& event : events) ids.push_back(event.id);
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schema, *test::sqlite_only())

BOOST_AUTO_TEST_CASE(step_7_drops_the_service_index_of_a_version_6_file_and_keeps_its_events_readable) {
  test::TempDir dir;
  auto path = dir / "solo.db";
  {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
    for (int i = 0; i < 12; ++i) store->append(event_of(i % 2 ? "t1" : "t2", i % 3 ? "other" : "s"));
    test::run_awaitable(io, store->close());
  }
  {
    // Make it the file a version 6 solo left: the indexes back (step 8's
    // tables gone), user_version 6.
    SqliteDatabase db(path, OpenOptions{});
    test::undo_schema_step_8(db);
    db.exec("CREATE INDEX events_by_service ON events(service_id, id); PRAGMA user_version=6");
  }
  BOOST_TEST(count_indexes(path, "events_by_service") == 1);

  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
  BOOST_TEST(count_indexes(path, "events_by_service") == 0);
  auto version = test::run_awaitable(io, store->read<int64_t>([](Database& db) {
    return db.query_int("PRAGMA user_version");
  }));
  BOOST_TEST(version == kSchemaVersion);
  BOOST_TEST(store->last_id() == 12);
  BOOST_TEST(test::run_awaitable(io, store->query(EventQuery{.limit = 100})).size() == 12u);
  // By service without a tenant (the admin's query): both tenants, in id
  // order, from the cursor, up to the limit.
  auto all_s = test::run_awaitable(io, store->query(EventQuery{.service_id = "s", .limit = 100}));
  BOOST_TEST(ids_of(all_s) == (std::vector<int64_t>{1, 4, 7, 10}));
  auto page = test::run_awaitable(io, store->query(EventQuery{.after_id = 1, .service_id = "s", .limit = 2}));
  BOOST_TEST(ids_of(page) == (std::vector<int64_t>{4, 7}));
  auto tenant_s =
      test::run_awaitable(io, store->query(EventQuery{.tenant_id = "t1", .service_id = "s", .limit = 100}));
  BOOST_TEST(ids_of(tenant_s) == (std::vector<int64_t>{4, 10}));
  BOOST_TEST(test::run_awaitable(io, store->append_durable(event_of("t1", "s"))) == 13);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(step_9_adds_service_storage_to_a_version_8_file_and_its_rows_round_trip) {
  test::TempDir dir;
  auto path = dir / "solo.db";
  {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
    store->append(event_of("t1", "s"));
    test::run_awaitable(io, store->close());
  }
  {
    SqliteDatabase db(path, OpenOptions{});
    test::undo_schema_step_9(db);
    db.exec("PRAGMA user_version=8");
  }
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), path));
  std::vector<StorageChange> changes{{"b", "2"}, {"a", "{\"x\":1}"}, {"gone", std::nullopt}};
  auto seq = store->writer().submit(storage_write("t1", "s", std::move(changes)));
  test::run_awaitable(io, store->writer().wait_for(seq));
  auto rows = test::run_awaitable(io, store->read<std::vector<std::string>>([](Database& db) {
    std::vector<std::string> out;
    load_storage_rows(db, [&](std::string_view t, std::string_view s, std::string_view k, std::string_view v) {
      out.push_back(std::string(t) + "/" + std::string(s) + "/" + std::string(k) + "=" + std::string(v));
    });
    return out;
  }));
  BOOST_TEST(rows == (std::vector<std::string>{"t1/s/a={\"x\":1}", "t1/s/b=2"}), boost::test_tools::per_element());
  BOOST_TEST(store->last_id() == 1);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_SUITE_END()
