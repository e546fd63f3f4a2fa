// A service's versions from the event log (stores/service_versions.hpp):
// deploys, swaps and rollbacks of one (tenant, service), newest first, paged
// by event id; a rollback carries the code of the version it restored; other
// services, other tenants and other event types never show.
#include "stores/service_versions.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

NewEvent lifecycle(std::string type, std::string tenant, std::string service, int64_t version, std::string code = "") {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = std::move(tenant);
  event.service_id = std::move(service);
  json::object payload{{"version", version}};
  if (!code.empty()) payload["code"] = std::move(code);
  event.payload = std::move(payload);
  return event;
}

// The log of the tests: acme/counter deployed (v1), swapped (v2), swapped
// again (v3), rolled back to v2, then swapped (v3 again); beside it a call,
// the same id in another tenant, and another service of acme.
struct Log {
  Log() {
    asio::io_context io;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
    std::vector<NewEvent> events;
    events.push_back(lifecycle("service_deployed", "acme", "counter", 1, "-- v1"));       // 1
    events.push_back(lifecycle("service_deployed", "other", "counter", 1, "-- theirs"));  // 2
    events.push_back(lifecycle("service_called", "acme", "counter", 1));                  // 3
    events.push_back(lifecycle("hot_swap_succeeded", "acme", "counter", 2, "-- v2"));     // 4
    events.push_back(lifecycle("service_deployed", "acme", "echo", 1, "-- echo"));        // 5
    events.push_back(lifecycle("hot_swap_succeeded", "acme", "counter", 3, "-- v3"));     // 6
    events.push_back(lifecycle("hot_swap_rolled_back", "acme", "counter", 2));            // 7
    events.push_back(lifecycle("hot_swap_succeeded", "acme", "counter", 3, "-- v3b"));    // 8
    test::run_awaitable(io, store->append_all_durable(std::move(events)));
    test::run_awaitable(io, store->close());
  }
  StoreLocation path() const { return test::store_at(dir); }
  test::TempDir dir;
};

std::vector<int64_t> ids(const std::vector<ServiceVersion>& list) {
  std::vector<int64_t> out;
  for (const auto& entry : list) out.push_back(entry.event_id);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(service_versions)

BOOST_AUTO_TEST_CASE(lists_deploys_swaps_and_rollbacks_of_one_service_newest_first) {
  Log log;
  auto reader = test::open_reader(log.path());
  Database& db = *reader;
  auto list = list_service_versions(db, "acme", "counter", 0, 50);
  BOOST_TEST((ids(list) == std::vector<int64_t>{8, 7, 6, 4, 1}));
  BOOST_TEST_REQUIRE(list.size() == 5u);
  BOOST_TEST(list[0].kind == "swap");
  BOOST_TEST(list[0].version == 3);
  BOOST_TEST(list[0].code == "-- v3b");
  BOOST_TEST(!list[0].at.empty());
  // The rollback restored v2: the code of v2's swap (event 4).
  BOOST_TEST(list[1].kind == "rollback");
  BOOST_TEST(list[1].version == 2);
  BOOST_TEST(list[1].code == "-- v2");
  BOOST_TEST(list[4].kind == "deploy");
  BOOST_TEST(list[4].code == "-- v1");
}

BOOST_AUTO_TEST_CASE(pages_by_event_id_and_an_empty_page_ends_the_list) {
  Log log;
  auto reader = test::open_reader(log.path());
  Database& db = *reader;
  auto first = list_service_versions(db, "acme", "counter", 0, 2);
  BOOST_TEST((ids(first) == std::vector<int64_t>{8, 7}));
  auto second = list_service_versions(db, "acme", "counter", first.back().event_id, 2);
  BOOST_TEST((ids(second) == std::vector<int64_t>{6, 4}));
  auto third = list_service_versions(db, "acme", "counter", second.back().event_id, 2);
  BOOST_TEST((ids(third) == std::vector<int64_t>{1}));
  BOOST_TEST(list_service_versions(db, "acme", "counter", 1, 2).empty());
  BOOST_TEST(list_service_versions(db, "acme", "counter", 0, 0).empty());
}

BOOST_AUTO_TEST_CASE(another_tenant_and_another_service_are_invisible) {
  Log log;
  auto reader = test::open_reader(log.path());
  Database& db = *reader;
  auto theirs = list_service_versions(db, "other", "counter", 0, 50);
  BOOST_TEST((ids(theirs) == std::vector<int64_t>{2}));
  BOOST_TEST(theirs[0].code == "-- theirs");
  BOOST_TEST(list_service_versions(db, "nobody", "counter", 0, 50).empty());
  BOOST_TEST((ids(list_service_versions(db, "acme", "echo", 0, 50)) == std::vector<int64_t>{5}));

  // One event by id: only as a version of this (tenant, service).
  auto rollback = find_service_version(db, "acme", "counter", 7);
  BOOST_TEST_REQUIRE(rollback.has_value());
  BOOST_TEST(rollback->code == "-- v2");
  BOOST_TEST(!find_service_version(db, "other", "counter", 7).has_value());  // acme's event
  BOOST_TEST(!find_service_version(db, "acme", "counter", 2).has_value());   // other's deploy
  BOOST_TEST(!find_service_version(db, "acme", "counter", 3).has_value());   // a call, not a version
  BOOST_TEST(!find_service_version(db, "acme", "counter", 5).has_value());   // echo's deploy
  BOOST_TEST(!find_service_version(db, "acme", "counter", 99).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
