// TenantQuotas over a real SQLite file in a temp dir: defaults, partial
// updates (durable, one event with the row), validation, reservations and
// the rolling hour of event-log bytes rebuilt from the log.
#include "engine/tenancy/tenant_quotas.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/tenancy/quota_exceeded.hpp"
#include "security_test_support.hpp"
#include "stores/quota_store.hpp"

using namespace solo;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

struct Fixture {
  test::TempDir dir;
  asio::io_context io;
  std::shared_ptr<EventStore> store;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::unique_ptr<TenantQuotas> quotas;

  Fixture() { open(); }

  void open() {
    store = test::run_awaitable(io, EventStore::open(io.get_executor(), dir / "solo.db"));
    quotas = std::make_unique<TenantQuotas>(store, ServiceLimitsMax{}, [this] { return now; });
    test::run_awaitable(io, quotas->restore());
  }

  void reopen() {
    quotas.reset();
    test::run_awaitable(io, store->close());
    store.reset();
    open();
  }

  TenantQuota set(const std::string& tenant, const std::string& partial) {
    return test::run_awaitable(io, quotas->set(tenant, json::parse(partial).as_object(), "tok_admin"));
  }

  void append(const std::string& tenant, size_t payload_bytes) {
    NewEvent event;
    event.event_type = "service_event";
    event.tenant_id = tenant;
    event.payload = json::object{{"x", std::string(payload_bytes - 8, 'a')}};  // {"x":"..."} is 8 bytes + n
    test::run_awaitable(io, store->append_durable(std::move(event)));
    io.poll();  // delivers the commit to subscribers
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tenant_quotas)

BOOST_FIXTURE_TEST_CASE(every_tenant_starts_at_the_documented_defaults, Fixture) {
  auto quota = quotas->quota("acme");
  BOOST_TEST(quota.get("services") == 100u);
  BOOST_TEST(quota.get("memory_bytes_total") == 100 * LuaLimits{}.memory_bytes);
  BOOST_TEST(quota.get("memory_bytes") == LuaLimits{}.memory_bytes);
  BOOST_TEST(quota.get("mailbox") == LuaLimits{}.mailbox);
  BOOST_TEST(quota.get("code_bytes") == ServiceLimitsMax{}.code_bytes);
  BOOST_TEST(quota.get("tokens") == 1000u);
  BOOST_TEST(quota.get("secrets") == 1000u);
  BOOST_TEST(quota.get("registrations") == 10000u);
  BOOST_TEST(quota.get("event_log_bytes_per_hour") == (uint64_t{64} << 20));
  BOOST_TEST(quota.to_json().size() == quota_fields(ServiceLimitsMax{}).size());
}

BOOST_FIXTURE_TEST_CASE(a_partial_set_keeps_the_other_fields_and_survives_a_restart, Fixture) {
  set("acme", R"({"services": 2})");
  auto quota = set("acme", R"({"tokens": 5})");
  BOOST_TEST(quota.get("services") == 2u);  // kept from the first set
  BOOST_TEST(quota.get("tokens") == 5u);
  BOOST_TEST(quota.get("secrets") == 1000u);
  BOOST_TEST(quotas->quota("globex").get("services") == 100u);  // other tenants untouched
  reopen();
  BOOST_TEST(quotas->quota("acme").get("services") == 2u);
  BOOST_TEST(quotas->quota("acme").get("tokens") == 5u);
  // One event per change, with the full quota and who set it.
  auto events = test::all_events(io, *store, "tenant_quota_set");
  BOOST_TEST_REQUIRE(events.size() == 2u);
  auto payload = json::parse(events[1].payload).as_object();
  BOOST_TEST(payload.at("tenant_id").as_string() == "acme");
  BOOST_TEST(payload.at("set_by").as_string() == "tok_admin");
  BOOST_TEST(payload.at("quota").at("services").to_number<int64_t>() == 2);
  BOOST_TEST(payload.at("quota").at("tokens").to_number<int64_t>() == 5);
  BOOST_TEST(payload.at("set").as_object().size() == 1u);
  // The row holds only the fields set, so other fields follow the defaults.
  std::function<std::vector<QuotaRow>(Database&)> load = [](Database& db) { return QuotaStore::load_all(db); };
  auto rows = test::run_awaitable(io, store->read<std::vector<QuotaRow>>(std::move(load)));
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(json::parse(rows[0].overrides).as_object().size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_field_or_a_bad_value_is_refused_and_changes_nothing, Fixture) {
  BOOST_CHECK_THROW(set("acme", R"({"servicez": 1})"), QuotaError);
  BOOST_CHECK_THROW(set("acme", R"({"services": -1})"), QuotaError);
  BOOST_CHECK_THROW(set("acme", R"({"services": "3"})"), QuotaError);
  BOOST_CHECK_THROW(set("acme", R"({"services": 1.5})"), QuotaError);
  BOOST_CHECK_THROW(set("acme", R"({"memory_bytes": 0})"), QuotaError);           // per-service minimum 1
  BOOST_CHECK_THROW(set("acme", R"({"memory_bytes": 268435457})"), QuotaError);   // above the server's ceiling
  BOOST_CHECK_THROW(set("acme", R"({"tokens": 3, "secrets": -2})"), QuotaError);  // all or nothing
  BOOST_TEST(quotas->quota("acme").get("tokens") == 1000u);
  BOOST_TEST(test::all_events(io, *store, "tenant_quota_set").empty());
}

BOOST_FIXTURE_TEST_CASE(reservations_count_until_released_so_the_last_slot_is_taken_once, Fixture) {
  set("acme", R"({"services": 2})");
  auto first = quotas->reserve("acme", "services", 1);  // one deployed, this takes the second
  try {
    quotas->reserve("acme", "services", 1);  // a concurrent request: 1 deployed + 1 reserved
    BOOST_FAIL("the last slot was taken twice");
  } catch (const QuotaExceeded& error) {
    BOOST_TEST(error.quota() == "services");
    BOOST_TEST(error.limit() == 2u);
    BOOST_TEST(error.used() == 2u);
    BOOST_TEST(std::string(error.what()).find("quota 'services' of tenant acme exceeded: limit 2, in use 2") == 0);
  }
  first.release();
  BOOST_TEST(quotas->pending("acme", "services") == 0u);
  auto again = quotas->reserve("acme", "services", 1);
  BOOST_TEST(quotas->pending("acme", "services") == 1u);
  // Amounts: memory reserved by size.
  set("acme", R"({"memory_bytes_total": 100})");
  auto some = quotas->reserve("acme", "memory_bytes_total", 40, 50);
  BOOST_CHECK_THROW(quotas->reserve("acme", "memory_bytes_total", 40, 11), QuotaExceeded);
  quotas->reserve("acme", "memory_bytes_total", 40, 10);
  // The admin tenant has no quota.
  quotas->reserve("*", "services", 1'000'000'000);
}

BOOST_FIXTURE_TEST_CASE(event_log_bytes_count_the_last_hour_and_are_rebuilt_at_start, Fixture) {
  set("acme", R"({"event_log_bytes_per_hour": 1500})");
  uint64_t base = quotas->event_log_bytes("acme");  // the tenant_quota_set event counts too
  BOOST_TEST(base > 0u);
  quotas->check_event_log("acme");
  append("acme", 600);
  BOOST_TEST(quotas->event_log_bytes("acme") == base + 600);
  append("globex", 5000);
  BOOST_TEST(quotas->event_log_bytes("acme") == base + 600);  // per tenant
  quotas->check_event_log("acme");                           // still under
  append("acme", 600);                                        // crosses the quota: written
  BOOST_CHECK_EXCEPTION(quotas->check_event_log("acme"), QuotaExceeded, [&](const QuotaExceeded& e) {
    return e.quota() == "event_log_bytes_per_hour" && e.limit() == 1500u && e.used() == base + 1200;
  });
  reopen();  // rebuilt from the log
  BOOST_TEST(quotas->event_log_bytes("acme") == base + 1200);
  BOOST_CHECK_THROW(quotas->check_event_log("acme"), QuotaExceeded);
  now += std::chrono::minutes(61);  // an hour later the window is empty
  BOOST_TEST(quotas->event_log_bytes("acme") == 0u);
  quotas->check_event_log("acme");
  reopen();  // and the rebuild skips the old events too
  BOOST_TEST(quotas->event_log_bytes("acme") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
