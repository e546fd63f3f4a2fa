// The real binary on the PostgreSQL backend (solo serve --store): one
// process per store (a second is refused at start, clearly), and what happens
// when its database server goes away and comes back (docs/operations.md, "The store
// in PostgreSQL"): a write made while it is down fails with a clear error and
// is not kept, /health says degraded with the reason, the Writer reconnects
// on its own once the server is back (no request needed), writes are
// acknowledged again, and after a SIGKILL of solo exactly the acknowledged
// writes are there. The test runs a server of its own
// (support/postgres_server.sh), which it halts as a crash would (pg_ctl -m
// immediate) and resumes on the same data.
#include <cstdlib>
#include <fstream>
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/keeper_service.hpp"
#include "support/own_postgres.hpp"
#include "support/solo_process.hpp"
#include "support/test_store.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

const char* const kKeeper = test::kKeeperService;

net::ClientResponse put(const SoloProcess& solo, const std::string& key, int value) {
  json::object body{{"op", "put"}, {"k", key}, {"v", value}};
  return solo.client(std::chrono::seconds(40)).request("POST", "/services/keeper/call", json::serialize(body));
}

json::object health(const SoloProcess& solo) {
  return json::parse(solo.client().request("GET", "/health").body).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(postgres_store)

BOOST_AUTO_TEST_CASE(a_database_outage_fails_writes_clearly_and_solo_reconnects_by_itself_losing_nothing_acknowledged) {
  test::TempDir dir;
  test::OwnPostgres server(dir / "postgres");
  const std::string store = test::postgres_store_for(server.uri().c_str(), dir.path());
  auto data = dir / "data";
  {
    SoloProcess solo(data, {"--store", store});
    json::object deploy{{"service_id", "keeper"}, {"code", kKeeper}};
    auto deployed = solo.client().request("POST", "/services", json::serialize(deploy));
    BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
    BOOST_TEST_REQUIRE(put(solo, "before", 1).status == 200);

    BOOST_TEST_REQUIRE(server.script("halt") == 0);
    auto during = put(solo, "during", 2);
    BOOST_TEST(during.status >= 500, during.body);
    BOOST_TEST(during.body.find("nothing of this message was kept") != std::string::npos, during.body);
    auto down = health(solo);
    BOOST_TEST(down.at("status").as_string() == "degraded");
    std::string reason(down.at("store_error").as_string());
    BOOST_TEST(reason.find('\n') == std::string::npos, reason);  // one line for the operator

    BOOST_TEST_REQUIRE(server.script("resume") == 0);
    // No request needed: the Writer's own probe reconnects within seconds.
    BOOST_TEST(test::eventually([&] { return health(solo).at("status").as_string() == "healthy"; },
                                std::chrono::seconds(20)));
    auto after = put(solo, "after", 3);
    BOOST_TEST(after.status == 200, after.body);
    solo.kill9();
  }
  SoloProcess restarted(data, {"--store", store});
  auto client = restarted.client();
  auto listed = json::parse(client.request("GET", "/services/keeper/storage").body).as_object();
  std::string keys;
  for (const auto& entry : listed.at("entries").as_array()) keys += std::string(entry.at("key").as_string()) + " ";
  BOOST_TEST(keys == "after before ");  // sorted by key; "during" was never acknowledged, nor kept
  restarted.terminate();
  // The store was never a file: the data directory holds the keys only.
  BOOST_TEST(!std::filesystem::exists(data / "solo.db"));
  BOOST_TEST(std::filesystem::exists(data / "master.key"));
}

BOOST_AUTO_TEST_CASE(a_second_solo_on_the_same_store_fails_to_start_and_a_bad_store_is_a_usage_error) {
  test::TempDir dir;
  test::OwnPostgres server(dir / "postgres");
  const std::string store = test::postgres_store_for(server.uri().c_str(), dir.path());
  SoloProcess first(dir / "one", {"--store", store});
  BOOST_CHECK_EXCEPTION(SoloProcess(dir / "two", {"--store", store}), std::runtime_error,
                        [](const std::runtime_error& e) {
                          return std::string(e.what()).find("another solo process is writing to this PostgreSQL "
                                                            "store") != std::string::npos;
                        });
  BOOST_CHECK_EXCEPTION(SoloProcess(dir / "three", {"--store", "mysql://nope"}), std::runtime_error,
                        [](const std::runtime_error& e) {
                          return std::string(e.what()).find("--store must be a postgresql:// URI") !=
                                 std::string::npos;
                        });
  // The first is untouched by both attempts.
  BOOST_TEST(health(first).at("status").as_string() == "healthy");
  BOOST_TEST(first.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
