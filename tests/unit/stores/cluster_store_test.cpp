// The leases of cluster mode (stores/cluster_store.hpp), on a real
// PostgreSQL server (unit_stores_postgresql): one holder at a time, expiry
// by the server's clock, epochs that grow with every change of holder, and
// the fence: a Writer whose node lost the lease commits nothing more; a
// takeover waits for a fenced transaction in flight; a transaction left idle
// by a paused node is cut off by the server, so it cannot block a takeover.
#include "stores/cluster_store.hpp"

#include <chrono>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/database.hpp"
#include "stores/event_store.hpp"
#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;
using namespace std::chrono_literals;

namespace {

// A connection to a fresh store with its schema applied (opening it once migrates it).
std::unique_ptr<Database> fresh_store(const test::TempDir& dir) {
  auto location = test::store_at(dir.path());
  boost::asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), location));
  test::run_awaitable(io, store->close());
  return open_database(location, OpenOptions{});
}

int64_t count_events(Database& db, const std::string& type) {
  auto& statement = db.cached("SELECT count(*) FROM events WHERE event_type = ?1");
  statement.bind(1, type);
  int64_t n = statement.step() ? statement.column_int(0) : -1;
  statement.reset();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_leases, *test::postgres_only())

BOOST_AUTO_TEST_CASE(one_holder_at_a_time_until_it_expires_by_the_server_clock) {
  test::TempDir dir;
  auto db = fresh_store(dir);
  auto first = cluster_store::try_acquire(*db, kStoreScope, "a", 400ms);
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST(!cluster_store::try_acquire(*db, kStoreScope, "b", 400ms).has_value());
  BOOST_TEST(cluster_store::renew(*db, kStoreScope, "a", *first, 400ms));
  BOOST_TEST(!cluster_store::renew(*db, kStoreScope, "a", *first + 1, 400ms));  // not that epoch
  BOOST_TEST(!cluster_store::renew(*db, kStoreScope, "b", *first, 400ms));      // not that node
  auto holder = cluster_store::holder(*db, kStoreScope);
  BOOST_TEST_REQUIRE(holder.has_value());
  BOOST_TEST(holder->owner == "a");
  BOOST_TEST(holder->expires_in_ms > 0);

  std::this_thread::sleep_for(600ms);
  BOOST_TEST(!cluster_store::renew(*db, kStoreScope, "a", *first, 400ms));  // expired: too late to renew
  auto second = cluster_store::try_acquire(*db, kStoreScope, "b", 400ms);
  BOOST_TEST_REQUIRE(second.has_value());
  BOOST_TEST(*second == *first + 1);
  BOOST_TEST(cluster_store::holder(*db, kStoreScope)->owner == "b");
}

BOOST_AUTO_TEST_CASE(a_released_lease_is_free_at_once_and_the_same_node_gets_a_new_epoch) {
  test::TempDir dir;
  auto db = fresh_store(dir);
  auto first = cluster_store::try_acquire(*db, kStoreScope, "a", 60s);
  BOOST_TEST_REQUIRE(first.has_value());
  cluster_store::release(*db, kStoreScope, "b", *first);  // not b's to release
  BOOST_TEST(!cluster_store::try_acquire(*db, kStoreScope, "b", 60s).has_value());
  cluster_store::release(*db, kStoreScope, "a", *first);
  auto again = cluster_store::try_acquire(*db, kStoreScope, "a", 60s);
  BOOST_TEST_REQUIRE(again.has_value());
  BOOST_TEST(*again == *first + 1);  // the old epoch's fence fails even on the same node
}

BOOST_AUTO_TEST_CASE(heartbeats_and_leases_show_in_the_view) {
  test::TempDir dir;
  auto db = fresh_store(dir);
  cluster_store::heartbeat(*db, "b", "http://127.0.0.1:2");
  cluster_store::heartbeat(*db, "a", "http://127.0.0.1:1");
  cluster_store::heartbeat(*db, "a", "http://127.0.0.1:3");  // a new address replaces the old
  auto epoch = cluster_store::try_acquire(*db, kStoreScope, "a", 60s);
  auto view = cluster_store::view(*db);
  BOOST_TEST_REQUIRE(view.nodes.size() == 2u);
  BOOST_TEST(view.nodes[0].node == "a");
  BOOST_TEST(view.nodes[0].url == "http://127.0.0.1:3");
  BOOST_TEST(view.nodes[0].heartbeat_age_ms < 5000);
  BOOST_TEST_REQUIRE(view.leases.size() == 1u);
  BOOST_TEST(view.leases[0].owner == "a");
  BOOST_TEST(view.leases[0].epoch == *epoch);
  BOOST_TEST(cluster_store::url_of(*db, "b") == "http://127.0.0.1:2");
  BOOST_TEST(cluster_store::url_of(*db, "c") == "");
}

BOOST_AUTO_TEST_CASE(one_statement_beats_and_reads_every_shard) {
  // Two stores (shards): the connection's own and another schema, as a node's base connection sees them.
  test::TempDir dir0, dir1;
  auto db0 = fresh_store(dir0);
  auto db1 = fresh_store(dir1);
  const std::vector<std::string> schemas{"", test::postgres_schema_for(dir1.path())};
  auto e0 = cluster_store::try_acquire(*db0, kStoreScope, "a", 60s);
  auto e1 = cluster_store::try_acquire(*db1, kStoreScope, "b", 60s);
  BOOST_TEST_REQUIRE((e0 && e1));
  db1->exec("INSERT INTO services (tenant_id, service_id, version, format, code, code_sha256, spec, created_at, "
            "updated_at, last_event_id) VALUES ('acme', 's1', 1, 'lua', '', '', '{}', '', '', 0), "
            "('acme', 's2', 1, 'lua', '', '', '{}', '', '', 0), ('zeta', 's1', 1, 'lua', '', '', '{}', '', '', 0)");

  auto renewed = cluster_store::heartbeat_and_renew(*db0, {"a", "http://127.0.0.1:1", "{}"}, kStoreScope, schemas,
                                                    {*e0, *e1}, 60s);
  BOOST_TEST(renewed == (std::vector<bool>{true, false}));  // store 1's lease is b's
  renewed = cluster_store::heartbeat_and_renew(*db0, {"b", "http://127.0.0.1:2", "{}"}, kStoreScope, schemas,
                                               {0, *e1}, 60s);
  BOOST_TEST(renewed == (std::vector<bool>{false, true}));  // 0: not held, not renewed
  auto view = cluster_store::view(*db0);
  BOOST_TEST_REQUIRE(view.nodes.size() == 2u);  // both heartbeats
  BOOST_TEST(view.nodes[1].url == "http://127.0.0.1:2");

  auto held = cluster_store::holders(*db0, kStoreScope, schemas);
  BOOST_TEST_REQUIRE(held.size() == 2u);
  BOOST_TEST_REQUIRE((held[0] && held[1]));
  BOOST_TEST(held[0]->owner == "a");
  BOOST_TEST(held[1]->owner == "b");
  BOOST_TEST(held[1]->epoch == *e1);
  BOOST_TEST(held[1]->expires_in_ms > 50'000);

  auto tenants = cluster_store::tenant_services(*db0, schemas);
  BOOST_TEST_REQUIRE(tenants.size() == 2u);
  BOOST_TEST(tenants[0].empty());
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  BOOST_TEST((tenants[1] == Counts{{"acme", 2}, {"zeta", 1}}));
}

BOOST_AUTO_TEST_CASE(a_writer_whose_lease_moved_commits_nothing_more) {
  test::TempDir dir;
  auto admin = fresh_store(dir);
  auto epoch = cluster_store::try_acquire(*admin, kStoreScope, "a", 60s);
  BOOST_TEST_REQUIRE(epoch.has_value());
  boost::asio::io_context io;
  OpenOptions options;
  options.fence = [epoch = *epoch](Database& db) { cluster_store::fence(db, kStoreScope, "a", epoch, 5s); };
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir.path()), options));
  test::run_awaitable(io, store->append_durable(NewEvent{.event_type = "while_held"}));

  // Node b takes over (a's lease released for it, as after an expiry).
  cluster_store::release(*admin, kStoreScope, "a", *epoch);
  BOOST_TEST_REQUIRE(cluster_store::try_acquire(*admin, kStoreScope, "b", 60s).has_value());
  try {
    test::run_awaitable(io, store->append_durable(NewEvent{.event_type = "after_the_move"}));
    BOOST_TEST(false, "a fenced writer committed");
  } catch (const StoreError& error) {
    BOOST_TEST(std::string(error.what()).find("no longer holds the lease") != std::string::npos, error.what());
  }
  test::run_awaitable(io, store->close());
  BOOST_TEST(count_events(*admin, "while_held") == 1);
  BOOST_TEST(count_events(*admin, "after_the_move") == 0);
}

BOOST_AUTO_TEST_CASE(a_takeover_waits_for_the_fenced_transaction_in_flight) {
  test::TempDir dir;
  auto admin = fresh_store(dir);
  auto epoch = cluster_store::try_acquire(*admin, kStoreScope, "a", 300ms);
  BOOST_TEST_REQUIRE(epoch.has_value());
  auto writer = open_database(test::store_at(dir.path()), OpenOptions{});
  writer->begin_write();
  cluster_store::fence(*writer, kStoreScope, "a", *epoch, 10s);
  writer->exec("INSERT INTO meta (key, value) VALUES ('in_flight', 'x')");  // the fence's answer is read here
  std::this_thread::sleep_for(500ms);  // the lease expires while the transaction is open

  auto taker = open_database(test::store_at(dir.path()), OpenOptions{});
  taker->exec("SET lock_timeout = 300");
  try {
    cluster_store::try_acquire(*taker, kStoreScope, "b", 60s);
    BOOST_TEST(false, "the lease was taken while a fenced transaction held it");
  } catch (const StoreError& error) {
    BOOST_TEST(std::string(error.what()).find("lock") != std::string::npos, error.what());
  }
  writer->commit();  // it checked the lease while it was valid: it commits
  auto taken = cluster_store::try_acquire(*taker, kStoreScope, "b", 60s);
  BOOST_TEST(taken.has_value());
  BOOST_TEST(admin->query_int("SELECT count(*) FROM meta WHERE key = 'in_flight'") == 1);
}

BOOST_AUTO_TEST_CASE(the_owner_renews_while_its_own_fenced_transaction_is_in_flight) {
  // A transaction longer than what is left of the lease must not cost the
  // owner its lease: the renewal does not wait for it (a takeover does).
  test::TempDir dir;
  auto admin = fresh_store(dir);
  auto epoch = cluster_store::try_acquire(*admin, kStoreScope, "a", 400ms);
  BOOST_TEST_REQUIRE(epoch.has_value());
  auto writer = open_database(test::store_at(dir.path()), OpenOptions{});
  writer->begin_write();
  cluster_store::fence(*writer, kStoreScope, "a", *epoch, 10s);
  writer->exec("INSERT INTO meta (key, value) VALUES ('long', 'x')");  // the fence's answer is read here

  auto renewer = open_database(test::store_at(dir.path()), OpenOptions{});
  renewer->exec("SET lock_timeout = 300");
  auto asker = open_database(test::store_at(dir.path()), OpenOptions{});  // a standby, every heartbeat
  asker->exec("SET lock_timeout = 300");
  for (int i = 0; i < 4; ++i) {  // 800 ms: twice the lease, the transaction open all along
    std::this_thread::sleep_for(200ms);
    // Asking for a lease that has not expired neither waits nor makes the renewal wait.
    BOOST_TEST_REQUIRE(!cluster_store::try_acquire(*asker, kStoreScope, "b", 400ms).has_value(), "ask " << i);
    BOOST_TEST_REQUIRE(cluster_store::renew(*renewer, kStoreScope, "a", *epoch, 400ms), "renewal " << i);
  }
  writer->commit();
  BOOST_TEST(admin->query_int("SELECT count(*) FROM meta WHERE key = 'long'") == 1);
  BOOST_TEST(!cluster_store::try_acquire(*admin, kStoreScope, "b", 60s).has_value());  // still a's
}

BOOST_AUTO_TEST_CASE(a_transaction_left_idle_by_a_paused_node_is_cut_off_and_frees_the_lease) {
  test::TempDir dir;
  auto admin = fresh_store(dir);
  auto epoch = cluster_store::try_acquire(*admin, kStoreScope, "a", 300ms);
  BOOST_TEST_REQUIRE(epoch.has_value());
  auto writer = open_database(test::store_at(dir.path()), OpenOptions{});
  writer->begin_write();
  cluster_store::fence(*writer, kStoreScope, "a", *epoch, 300ms);
  writer->exec("INSERT INTO meta (key, value) VALUES ('paused', 'x')");
  std::this_thread::sleep_for(1000ms);  // "paused": idle in the transaction past its bound and the lease

  auto taker = open_database(test::store_at(dir.path()), OpenOptions{});
  taker->exec("SET lock_timeout = 300");
  BOOST_TEST(cluster_store::try_acquire(*taker, kStoreScope, "b", 60s).has_value());
  BOOST_CHECK_THROW(writer->commit(), StoreError);
  BOOST_TEST(admin->query_int("SELECT count(*) FROM meta WHERE key = 'paused'") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
