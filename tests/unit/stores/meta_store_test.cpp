// The stores functions recovery and verification use: MetaStore's
// verified_through mark (written with its event, read on the Reader thread)
// and EventStore::latest_per_service (the latest event per service among some
// types, after an id, across pages). Real SQLite in a temp dir.
#include "stores/meta_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

NewEvent service_event(std::string type, std::string tenant, std::string service) {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = std::move(tenant);
  event.service_id = std::move(service);
  return event;
}

asio::awaitable<int64_t> read_mark(std::shared_ptr<EventStore> store) {
  std::function<int64_t(Database&)> read = [](Database& db) { return MetaStore::verified_through(db); };
  co_return co_await store->read<int64_t>(std::move(read));
}

asio::awaitable<int64_t> append_marked(std::shared_ptr<EventStore> store) {
  NewEvent event = service_event("system_shutdown_complete", "", "");
  co_return co_await store->append_durable(std::move(event), MetaStore::mark_verified_through());
}

asio::awaitable<std::vector<LatestEvent>> latest(std::shared_ptr<EventStore> store, std::vector<std::string> types,
                                                 int64_t after_id) {
  co_return co_await store->latest_per_service(types, after_id);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_store)

BOOST_AUTO_TEST_CASE(verified_through_is_zero_until_marked_then_the_id_of_the_marking_event_across_a_reopen) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  BOOST_TEST(test::run_awaitable(io, read_mark(store)) == 0);
  store->append(service_event("tick", "t", ""));
  int64_t first = test::run_awaitable(io, append_marked(store));
  BOOST_TEST(first == 2);
  BOOST_TEST(test::run_awaitable(io, read_mark(store)) == first);
  store->append(service_event("tick", "t", ""));
  int64_t second = test::run_awaitable(io, append_marked(store));
  BOOST_TEST(test::run_awaitable(io, read_mark(store)) == second);  // replaced, not added
  test::run_awaitable(io, store->close());

  auto reopened = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  BOOST_TEST(test::run_awaitable(io, read_mark(reopened)) == second);
  test::run_awaitable(io, reopened->close());
}

BOOST_AUTO_TEST_CASE(latest_per_service_takes_the_newest_of_the_types_per_tenant_and_service_after_the_id) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  store->append(service_event("deployed", "acme", "a"));  // 1
  store->append(service_event("deployed", "acme", "b"));  // 2
  store->append(service_event("other", "acme", "a"));     // 3: not one of the types
  store->append(service_event("killed", "acme", "a"));    // 4
  store->append(service_event("deployed", "zeta", "a"));  // 5: another tenant, same service id
  test::run_awaitable(io, store->flush());

  // Read type by type in this order: for acme/a the first found (1) is not the newest (4).
  std::vector<std::string> types = {"deployed", "killed"};
  auto all = test::run_awaitable(io, latest(store, types, 0));
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].tenant_id == "acme");
  BOOST_TEST(all[0].service_id == "a");
  BOOST_TEST(all[0].id == 4);
  BOOST_TEST(all[0].event_type == "killed");
  BOOST_TEST(all[1].service_id == "b");
  BOOST_TEST(all[1].event_type == "deployed");
  BOOST_TEST(all[2].tenant_id == "zeta");
  BOOST_TEST(all[2].id == 5);

  auto after = test::run_awaitable(io, latest(store, types, 4));
  BOOST_TEST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].tenant_id == "zeta");
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(latest_per_service_reads_past_one_page) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  // More than one page (5000) of one type; the newest word for "s" is the last.
  for (int i = 0; i < 6000; ++i) store->append(service_event("deployed", "acme", "s" + std::to_string(i % 7)));
  store->append(service_event("killed", "acme", "s0"));
  store->append(service_event("deployed", "acme", "late"));
  test::run_awaitable(io, store->flush());
  std::vector<std::string> types = {"deployed", "killed"};
  auto all = test::run_awaitable(io, latest(store, types, 0));
  BOOST_TEST_REQUIRE(all.size() == 8u);  // late, s0..s6
  BOOST_TEST(all[0].service_id == "late");
  BOOST_TEST(all[0].id == 6002);
  BOOST_TEST(all[1].service_id == "s0");
  BOOST_TEST(all[1].event_type == "killed");
  BOOST_TEST(all[1].id == 6001);
  BOOST_TEST(all[7].service_id == "s6");
  BOOST_TEST(all[7].id == 5999);  // i = 5998 has id 5999 and 5998 % 7 == 6
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_SUITE_END()
