// The store interface (stores/database.hpp) behaves the same on both
// backends: this suite runs on a SQLite file and, in unit_stores_postgresql,
// on a PostgreSQL schema (support/test_store.hpp). What the stores above rely
// on: numbered placeholders used sparsely and out of order, a "?" inside a
// quoted literal left alone, bytes through a blob unchanged (NUL included),
// NULL apart from the empty string, the 64-bit integer range, rows changed,
// statements stepped interleaved on one connection, and bindings cleared by
// reset.
#include "stores/database.hpp"

#include <limits>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;

namespace {

// A table of the test's own in a fresh store (the schema is applied by
// opening the store once).
std::unique_ptr<Database> scratch(const test::TempDir& dir) {
  auto location = test::store_at(dir.path());
  {
    boost::asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), location));
    test::run_awaitable(io, store->close());
  }
  auto db = open_database(location, OpenOptions{});
  db->exec("CREATE TABLE scratch (k TEXT PRIMARY KEY, n BIGINT, t TEXT, b " +
           std::string(db->dialect() == Dialect::sqlite ? "BLOB" : "BYTEA") + ")");
  return db;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(database)

BOOST_AUTO_TEST_CASE(placeholders_may_skip_numbers_come_out_of_order_and_hide_in_no_literal) {
  test::TempDir dir;
  auto db = scratch(dir);
  // ?2 is never used; ?4 comes before ?1; the '?3' in the literal is text.
  db->cached("INSERT INTO scratch (k, n, t) VALUES (?4, ?1, '?3')").bind(1, int64_t{7}).bind(2, "unused").bind(4, "a").run();
  auto& read = db->cached("SELECT n, t FROM scratch WHERE k = ?3 AND n > ?1");
  read.bind(1, int64_t{6}).bind(3, "a");
  BOOST_TEST_REQUIRE(read.step());
  BOOST_TEST(read.column_int(0) == 7);
  BOOST_TEST(read.column_text(1) == "?3");
  BOOST_TEST(!read.step());
  read.reset();
}

BOOST_AUTO_TEST_CASE(blobs_text_nulls_and_integers_round_trip_unchanged) {
  test::TempDir dir;
  auto db = scratch(dir);
  const std::string bytes("\0\x01\xff\\x00'\"", 8);
  auto& insert = db->cached("INSERT INTO scratch (k, n, t, b) VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, "bytes").bind(2, std::numeric_limits<int64_t>::min()).bind(3, "it's \"quoted\" ünïcode").bind_blob(4, bytes).run();
  insert.bind(1, "empty").bind(2, std::numeric_limits<int64_t>::max()).bind(3, "").bind_blob(4, "").run();
  insert.bind(1, "nulls").bind_null(2).bind_null(3).bind_null(4).run();
  auto& read = db->cached("SELECT n, t, b FROM scratch WHERE k = ?1");
  read.bind(1, "bytes");
  BOOST_TEST_REQUIRE(read.step());
  BOOST_TEST(read.column_int(0) == std::numeric_limits<int64_t>::min());
  BOOST_TEST(read.column_text(1) == "it's \"quoted\" ünïcode");
  BOOST_TEST(read.column_blob(2) == bytes);
  read.reset();
  read.bind(1, "empty");
  BOOST_TEST_REQUIRE(read.step());
  BOOST_TEST(read.column_int(0) == std::numeric_limits<int64_t>::max());
  BOOST_TEST(!read.column_is_null(1));
  BOOST_TEST(read.column_view(1).empty());
  BOOST_TEST(!read.column_is_null(2));
  BOOST_TEST(read.column_blob(2).empty());
  read.reset();
  read.bind(1, "nulls");
  BOOST_TEST_REQUIRE(read.step());
  BOOST_TEST(read.column_is_null(0));
  BOOST_TEST(read.column_is_null(1));
  BOOST_TEST(read.column_is_null(2));
  read.reset();
}

BOOST_AUTO_TEST_CASE(changes_interleaved_statements_and_reset_clearing_bindings) {
  test::TempDir dir;
  auto db = scratch(dir);
  for (int i = 0; i < 5; ++i) {
    db->cached("INSERT INTO scratch (k, n) VALUES (?1, ?2)").bind(1, "k" + std::to_string(i)).bind(2, int64_t{i}).run();
  }
  db->cached("UPDATE scratch SET t = 'x' WHERE n >= ?1").bind(1, int64_t{2}).run();
  BOOST_TEST(db->changes() == 3);
  // Two statements stepped in turn on one connection, as EventIndexer::rebuild does.
  auto& outer = db->cached("SELECT k FROM scratch ORDER BY k");
  auto& inner = db->cached("SELECT n FROM scratch WHERE k = ?1");
  std::vector<int64_t> seen;
  while (outer.step()) {
    inner.bind(1, outer.column_text(0));
    BOOST_TEST_REQUIRE(inner.step());
    seen.push_back(inner.column_int(0));
    inner.reset();
  }
  outer.reset();
  BOOST_TEST((seen == std::vector<int64_t>{0, 1, 2, 3, 4}));
  // reset() clears the bindings: an unbound parameter is NULL, which matches nothing.
  auto& by_key = db->cached("SELECT count(*) FROM scratch WHERE k = ?1");
  by_key.bind(1, "k1");
  by_key.reset();
  BOOST_TEST_REQUIRE(by_key.step());
  BOOST_TEST(by_key.column_int(0) == 0);
  by_key.reset();
}

BOOST_AUTO_TEST_CASE(an_error_is_a_store_error_and_the_connection_goes_on) {
  test::TempDir dir;
  auto db = scratch(dir);
  db->cached("INSERT INTO scratch (k) VALUES (?1)").bind(1, "dup").run();
  // In a write transaction the error may come from the run() or, pipelined,
  // from the commit(); either way the transaction does not commit.
  db->begin_write();
  BOOST_CHECK_THROW(
      {
        db->cached("INSERT INTO scratch (k) VALUES (?1)").bind(1, "dup").run();
        db->cached("INSERT INTO scratch (k, n) VALUES (?1, ?2)").bind(1, "lost with it").bind(2, int64_t{1}).run();
        db->commit();
      },
      StoreError);
  db->rollback();
  BOOST_TEST(db->query_int("SELECT count(*) FROM scratch") == 1);
  // A statement first sent in the failed transaction (its preparation
  // aborted with it) works in the next one.
  db->begin_write();
  db->cached("INSERT INTO scratch (k, n) VALUES (?1, ?2)").bind(1, "next").bind(2, int64_t{5}).run();
  db->commit();
  BOOST_TEST(db->query_int("SELECT n FROM scratch WHERE k = 'next'") == 5);
  BOOST_CHECK_THROW(db->exec("SELECT * FROM no_such_table"), StoreError);
  BOOST_TEST(db->query_int("SELECT count(*) FROM scratch") == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// PostgreSQL only: what SQLite's file locking does in its own way.
BOOST_AUTO_TEST_SUITE(postgres_backend, *test::postgres_only())

BOOST_AUTO_TEST_CASE(a_second_writer_on_the_same_store_is_refused_while_the_first_holds_it) {
  test::TempDir dir;
  boost::asio::io_context io;
  auto location = test::store_at(dir.path());
  auto first = test::run_awaitable(io, EventStore::open(io.get_executor(), location));
  try {
    auto second = test::run_awaitable(io, EventStore::open(io.get_executor(), location));
    test::run_awaitable(io, second->close());
    BOOST_TEST(false, "a second writer opened the store");
  } catch (const StoreError& error) {
    BOOST_TEST(std::string(error.what()).find("another solo process") != std::string::npos, error.what());
  }
  test::run_awaitable(io, first->append_durable(NewEvent{.event_type = "still_mine"}));
  test::run_awaitable(io, first->close());
  // Once the first has closed, a writer opens it again and goes on from its ids.
  auto reopened = test::run_awaitable(io, EventStore::open(io.get_executor(), location));
  BOOST_TEST(reopened->last_id() == 1);
  test::run_awaitable(io, reopened->close());
}

BOOST_AUTO_TEST_CASE(a_server_that_cannot_be_reached_fails_the_open_clearly_without_the_password) {
  auto location = StoreLocation::parse("postgresql://solo:s3cret@127.0.0.1:1/none?connect_timeout=2");
  BOOST_TEST(location.describe() == "postgresql://solo@127.0.0.1:1/none?connect_timeout=2");
  try {
    open_database(location, OpenOptions{});
    BOOST_TEST(false, "connected to port 1");
  } catch (const StoreError& error) {
    std::string message = error.what();
    BOOST_TEST(message.find("connect to postgresql://solo@127.0.0.1:1/none") != std::string::npos, message);
    BOOST_TEST(message.find("s3cret") == std::string::npos, message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
