// The projection stores' upserts (INSERT ... ON CONFLICT DO UPDATE): a second
// write of the same key replaces the row, every column of it, and leaves one
// row, as read back after a reopen. Real SQLite in a temp dir.
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "stores/quota_store.hpp"
#include "stores/registration_store.hpp"
#include "stores/secret_store.hpp"
#include "stores/storage_store.hpp"
#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

NewEvent tenant_event(std::string type) {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = "acme";
  return event;
}

// Each projection is built before its co_await: GCC 12 destroys a temporary
// made inside a co_await's arguments twice.
asio::awaitable<void> append(std::shared_ptr<EventStore> store, std::string type, ProjectionFn projection) {
  NewEvent event = tenant_event(std::move(type));
  co_await store->append_durable(std::move(event), std::move(projection));
}

void write_twice(asio::io_context& io, const std::shared_ptr<EventStore>& store) {
  QuotaRow quota_1{"acme", R"({"a":1})"}, quota_2{"acme", R"({"a":2})"};
  test::run_awaitable(io, append(store, "tenant_quota_set", QuotaStore::upsert(quota_1)));
  test::run_awaitable(io, append(store, "tenant_quota_set", QuotaStore::upsert(quota_2)));

  RegistrationRow registration_1{"h1", "acme", "s1", "kv", "1", "{}", 100, "t1"};
  RegistrationRow registration_2{"h1", "acme", "s2", "kv2", "2", R"({"m":1})", 200, "t2"};
  test::run_awaitable(io, append(store, "service_registered", RegistrationStore::upsert(registration_1)));
  test::run_awaitable(io, append(store, "service_registered", RegistrationStore::upsert(registration_2)));

  SecretRow secret_1{"acme", "db", 1, "n1", std::string("c\0" "1", 3), "g1", "t1"};
  SecretRow secret_2{"acme", "db", 2, "n2", "c2", "g2", "t2"};
  test::run_awaitable(io, append(store, "secret_set", SecretStore::upsert(secret_1)));
  test::run_awaitable(io, append(store, "secret_set", SecretStore::upsert(secret_2)));

  std::vector<StorageChange> first{{"k", "1"}}, second{{"k", "2"}};
  store->writer().submit(storage_write("acme", "s1", std::move(first)));
  store->writer().submit(storage_write("acme", "s1", std::move(second)));
  test::run_awaitable(io, store->flush());
}

struct Read {
  std::vector<QuotaRow> quotas;
  std::vector<RegistrationRow> registrations;
  std::vector<SecretRow> secrets;
  std::vector<std::string> storage;  // "tenant/service/key=value"
};

asio::awaitable<Read> read_all(std::shared_ptr<EventStore> store) {
  std::function<Read(Database&)> read = [](Database& db) {
    Read out;
    out.quotas = QuotaStore::load_all(db);
    out.registrations = RegistrationStore::load_all(db);
    out.secrets = SecretStore::load_all(db);
    load_storage_rows(db, [&out](std::string_view t, std::string_view s, std::string_view k, std::string_view v) {
      out.storage.push_back(std::string(t) + "/" + std::string(s) + "/" + std::string(k) + "=" + std::string(v));
    });
    return out;
  };
  co_return co_await store->read<Read>(std::move(read));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_upserts)

BOOST_AUTO_TEST_CASE(a_second_write_of_a_key_replaces_every_column_and_leaves_one_row_across_a_reopen) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  write_twice(io, store);
  test::run_awaitable(io, store->close());

  auto reopened = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  Read read = test::run_awaitable(io, read_all(reopened));
  test::run_awaitable(io, reopened->close());

  BOOST_TEST_REQUIRE(read.quotas.size() == 1u);
  BOOST_TEST(read.quotas[0].overrides == R"({"a":2})");

  BOOST_TEST_REQUIRE(read.registrations.size() == 1u);
  const auto& registration = read.registrations[0];
  BOOST_TEST(registration.handle == "h1");
  BOOST_TEST(registration.service_id == "s2");
  BOOST_TEST(registration.name == "kv2");
  BOOST_TEST(registration.version == "2");
  BOOST_TEST(registration.metadata == R"({"m":1})");
  BOOST_TEST(registration.expires_at == 200);
  BOOST_TEST(registration.created_at == "t2");

  BOOST_TEST_REQUIRE(read.secrets.size() == 1u);
  const auto& secret = read.secrets[0];
  BOOST_TEST(secret.key_version == 2);
  BOOST_TEST(secret.nonce == "n2");
  BOOST_TEST(secret.ciphertext == "c2");
  BOOST_TEST(secret.tag == "g2");
  BOOST_TEST(secret.updated_at == "t2");

  BOOST_TEST(read.storage == std::vector<std::string>{"acme/s1/k=2"});
}

BOOST_AUTO_TEST_SUITE_END()
