// Tests for engine/discovery/service_registry: register (validation, renewal
// under the same handle), discover by name, version and metadata, alive from
// the given lookup, unregister, TTL expiry by sweep() with its event, and
// restore from the `registrations` rows (written in the event's transaction,
// read back through a second connection). Real SQLite in a temp dir; a
// settable clock.
#include "engine/discovery/service_registry.hpp"

#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "stores/registration_store.hpp"
#include "stores/sqlite.hpp"
#include "support/async_test.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
using solo::DiscoverQuery;
using solo::Registration;
using solo::RegistryError;
using solo::ServiceRegistry;

namespace {

struct Fixture {
  asio::io_context io;
  solo::test::TempDir dir;
  std::shared_ptr<solo::EventStore> events;
  int64_t now_ms = 1'700'000'000'000;
  std::set<std::string> running{"acme/api-1"};
  std::unique_ptr<ServiceRegistry> registry;

  Fixture() {
    open();
    make_registry();
  }
  ~Fixture() {
    try {
      close();
    } catch (const std::exception& error) {
      BOOST_ERROR(std::string("closing: ") + error.what());
    }
  }
  void open() {
    solo::test::run_awaitable(io, open_store(this));
  }
  static asio::awaitable<void> open_store(Fixture* f) {
    std::filesystem::path path = f->dir / "solo.db";
    asio::any_io_executor executor = f->io.get_executor();
    solo::OpenOptions options;
    f->events = co_await solo::EventStore::open(executor, path, options);
  }
  void close() {
    if (events) solo::test::run_awaitable(io, events->close());
    events.reset();
  }
  void make_registry() {
    ServiceRegistry::AliveFn alive = [this](const std::string& tenant, const std::string& service) {
      return running.count(tenant + "/" + service) > 0;
    };
    ServiceRegistry::Clock clock = [this] { return now_ms; };
    registry = std::make_unique<ServiceRegistry>(events, alive, solo::RegistryOptions{}, clock);
  }
  template <class T>
  T run(asio::awaitable<T> task) {
    return solo::test::run_awaitable(io, std::move(task));
  }
  void run(asio::awaitable<void> task) { solo::test::run_awaitable(io, std::move(task)); }

  Registration add(std::string tenant, std::string service, std::string name, std::string version,
                   json::object metadata = {}, std::optional<int64_t> ttl = 30) {
    return run(registry->register_service(std::move(tenant), std::move(service), std::move(name),
                                          std::move(version), std::move(metadata), ttl));
  }

  std::vector<solo::RegistrationRow> rows() {
    solo::SqliteDatabase db(dir / "solo.db", solo::OpenOptions{.read_only = true});
    return solo::RegistrationStore::load_all(db);
  }
  std::vector<std::string> event_types() {
    solo::SqliteDatabase db(dir / "solo.db", solo::OpenOptions{.read_only = true});
    solo::SqliteStatement statement(db.handle(), "SELECT event_type FROM events ORDER BY id");
    std::vector<std::string> out;
    while (statement.step()) out.push_back(statement.column_text(0));
    return out;
  }
};

json::object meta(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  json::object out;
  for (const auto& [k, v] : pairs) out[k] = v;
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(service_registry, Fixture)

BOOST_AUTO_TEST_CASE(register_writes_the_row_with_its_event_and_discover_filters) {
  auto a = add("acme", "api-1", "api", "1.0", meta({{"region", "eu"}, {"tier", "gold"}}));
  auto b = add("acme", "api-2", "api", "2.0", meta({{"region", "us"}}));
  add("acme", "db-1", "db", "1.0");
  add("other", "api-1", "api", "1.0");
  BOOST_TEST(a.handle.rfind("reg_", 0) == 0u);
  BOOST_TEST(a.handle != b.handle);

  auto rows = this->rows();
  BOOST_TEST(rows.size() == 4u);
  auto types = event_types();
  BOOST_TEST(std::count(types.begin(), types.end(), "service_registered") == 4);

  BOOST_TEST(registry->discover("acme", DiscoverQuery{"api", "", {}}).size() == 2u);
  BOOST_TEST(registry->discover("acme", DiscoverQuery{"", "", {}}).size() == 3u);
  auto v2 = registry->discover("acme", DiscoverQuery{"api", "2.0", {}});
  BOOST_TEST_REQUIRE(v2.size() == 1u);
  BOOST_TEST(v2[0].service_id == "api-2");
  auto eu = registry->discover("acme", DiscoverQuery{"api", "", {{"region", "eu"}}});
  BOOST_TEST_REQUIRE(eu.size() == 1u);
  BOOST_TEST(eu[0].handle == a.handle);
  BOOST_TEST(registry->discover("acme", DiscoverQuery{"api", "", {{"region", "eu"}, {"tier", "silver"}}}).empty());
  // Tenant-scoped.
  BOOST_TEST(registry->discover("other", DiscoverQuery{"", "", {}}).size() == 1u);
  BOOST_TEST(registry->find("other", a.handle) == nullptr);

  // alive from the running registry.
  BOOST_TEST(registry->to_json(a).at("alive").as_bool());
  BOOST_TEST(!registry->to_json(b).at("alive").as_bool());
  BOOST_TEST(registry->to_json(a).at("ttl_remaining_s").as_int64() == 30);
}

BOOST_AUTO_TEST_CASE(registering_again_renews_under_the_same_handle) {
  auto first = add("acme", "api-1", "api", "1.0", meta({{"region", "eu"}}), 10);
  now_ms += 5000;
  auto again = add("acme", "api-1", "api", "1.0", meta({{"region", "us"}}), 10);
  BOOST_TEST(again.handle == first.handle);
  BOOST_TEST(again.expires_at_ms == now_ms + 10000);
  BOOST_TEST(rows().size() == 1u);
  BOOST_TEST(rows()[0].metadata == R"({"region":"us"})");
}

BOOST_AUTO_TEST_CASE(invalid_requests_are_refused) {
  auto expect_invalid = [&](std::string service, std::string name, std::string version, json::object metadata,
                            std::optional<int64_t> ttl) {
    try {
      add("acme", std::move(service), std::move(name), std::move(version), std::move(metadata), ttl);
      BOOST_ERROR("expected RegistryError");
    } catch (const RegistryError& error) {
      BOOST_TEST((error.kind() == RegistryError::Kind::invalid));
    }
  };
  expect_invalid("bad id!", "api", "1", {}, 10);
  expect_invalid("api-1", ".hidden", "1", {}, 10);
  expect_invalid("api-1", "api", "", {}, 10);
  expect_invalid("api-1", "api", "1", {}, 0);
  expect_invalid("api-1", "api", "1", {}, 86401);
  json::object nested;
  nested["x"] = json::object();
  expect_invalid("api-1", "api", "1", nested, 10);
  BOOST_TEST(rows().empty());
}

BOOST_AUTO_TEST_CASE(unregister_removes_row_and_unknown_handles_are_not_found) {
  auto a = add("acme", "api-1", "api", "1.0");
  BOOST_CHECK_THROW(run(registry->unregister("other", a.handle)), RegistryError);
  run(registry->unregister("acme", a.handle));
  BOOST_TEST(rows().empty());
  BOOST_TEST(registry->discover("acme", DiscoverQuery{}).empty());
  auto types = event_types();
  BOOST_TEST(types.back() == "service_unregistered");
}

BOOST_AUTO_TEST_CASE(expired_registrations_are_hidden_then_swept_with_an_event) {
  auto short_lived = add("acme", "api-1", "api", "1.0", {}, 2);
  auto long_lived = add("acme", "api-2", "api", "1.0", {}, 60);
  now_ms += 2000;
  auto live = registry->discover("acme", DiscoverQuery{"api", "", {}});
  BOOST_TEST_REQUIRE(live.size() == 1u);
  BOOST_TEST(live[0].handle == long_lived.handle);
  BOOST_TEST(registry->find("acme", short_lived.handle) == nullptr);
  BOOST_TEST(run(registry->sweep()) == 1u);
  BOOST_TEST(run(registry->sweep()) == 0u);
  BOOST_TEST(rows().size() == 1u);
  BOOST_TEST(event_types().back() == "registration_expired");
  BOOST_TEST(registry->expired_total() == 1u);
}

BOOST_AUTO_TEST_CASE(restore_brings_back_live_registrations_and_skips_expired) {
  auto keep = add("acme", "api-1", "api", "1.0", meta({{"region", "eu"}}), 60);
  add("acme", "api-2", "api", "1.0", {}, 5);
  close();
  now_ms += 10000;
  open();
  make_registry();
  BOOST_TEST(run(registry->restore()) == 1u);
  auto live = registry->discover("acme", DiscoverQuery{"api", "", {}});
  BOOST_TEST_REQUIRE(live.size() == 1u);
  BOOST_TEST(live[0].handle == keep.handle);
  BOOST_TEST(live[0].metadata.at("region").as_string() == "eu");
  BOOST_TEST(run(registry->sweep()) == 1u);
  BOOST_TEST(rows().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
