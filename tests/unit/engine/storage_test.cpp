// Tests for engine/storage: the StorageDirectory (operator reads and writes,
// quotas, what a failed commit undoes, reloading from the file) and the
// output gate of the ServiceActor (a reply is released only once the
// message's writes are committed, a failed message writes nothing, a failed
// commit fails the call and restarts the service from the durable data,
// purge on kill, data kept across a kill without purge).
// Real SQLite in a temp dir, a real EventStore, Deployer and Supervisor; the
// durable state is read through a second connection.
#include "engine/storage/storage_directory.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/services/deployer.hpp"
#include "engine/services/log_book.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/storage/service_storage.hpp"
#include "engine/supervision/supervisor.hpp"
#include "engine/tenancy/quota_exceeded.hpp"
#include "stores/event_store.hpp"
#include "stores/sqlite.hpp"
#include "stores/storage_store.hpp"
#include "support/async_test.hpp"
#include "support/engine_coro.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Puts msg.key = msg.value and bumps "count"; casts to msg.notify if set;
// "fail" writes and then raises; "get"/"list" read back.
const char* kStore = R"lua(
function handle_call(msg, state)
  if msg.op == "put" then
    solo.storage.put(msg.key, msg.value)
    solo.storage.put("count", (solo.storage.get("count") or 0) + 1)
    if msg.emit then solo.emit("stored", {key = msg.key}) end
    return {count = solo.storage.get("count")}, state
  elseif msg.op == "fail" then
    solo.storage.put("half", true)
    error("fails after a write")
  elseif msg.op == "get" then
    return {value = solo.storage.get(msg.key)}, state
  end
  return solo.storage.list{}, state
end
)lua";

// Counts the casts it receives.
const char* kListener = R"lua(
function init() return {heard = 0} end
function handle_cast(msg, state) state.heard = state.heard + 1 return state end
function handle_call(msg, state) return {heard = state.heard}, state end
)lua";

// Writes, then casts to "listener": the cast is one of the message's effects.
const char* kWriterThatCasts = R"lua(
function handle_call(msg, state)
  solo.storage.put("k", msg.n)
  solo.cast("listener", {n = msg.n})
  return {ok = true}, state
end
)lua";

struct Fixture {
  asio::io_context io;
  solo::test::TempDir dir;
  std::shared_ptr<solo::EventStore> events;
  std::shared_ptr<solo::Supervisor> tenants;
  std::shared_ptr<solo::ServiceDirectory> services = std::make_shared<solo::ServiceDirectory>();
  std::shared_ptr<solo::StorageDirectory> storage;
  std::shared_ptr<solo::Deployer> deployer;
  solo::StorageLimits limits{1 << 20, 100, 4 << 20, 1000};

  Fixture() { run(open()); }
  ~Fixture() {
    try {
      run(close());
    } catch (const std::exception& error) {
      BOOST_ERROR(std::string("closing: ") + error.what());
    }
  }
  std::filesystem::path db_path() const { return dir / "solo.db"; }

  asio::awaitable<void> open() {
    std::filesystem::path path = db_path();
    asio::any_io_executor executor = io.get_executor();
    solo::OpenOptions options;
    events = co_await solo::EventStore::open(executor, path, options);
    solo::StorageLimitsFn fn = [this](const std::string&, const std::string&) { return limits; };
    storage = co_await solo::StorageDirectory::load(executor, events, std::move(fn));
    solo::Intensity intensity{10, 10s};
    tenants = solo::Supervisor::create(executor, "tenants", solo::Strategy::one_for_one, intensity);
    co_await tenants->start();
    auto logs = std::make_shared<solo::LogBook>();
    auto types = std::make_shared<solo::NativeServiceTypes>();
    deployer = std::make_shared<solo::Deployer>(executor, events, tenants, services, logs, types,
                                                solo::ServiceLimitsMax{});
    deployer->world()->storage = storage;
  }
  asio::awaitable<void> close() {
    co_await tenants->stop();
    co_await events->close();
  }
  template <class T>
  T run(asio::awaitable<T> task) {
    return solo::test::run_awaitable(io, std::move(task));
  }
  void run(asio::awaitable<void> task) { solo::test::run_awaitable(io, std::move(task)); }

  void deploy(const std::string& id, const std::string& code = kStore) {
    json::object body{{"service_id", id}, {"code", code}};
    auto spec = solo::parse_service_spec(body, "acme", solo::ServiceLimitsMax{});
    run(deployer->deploy(std::move(spec)));
  }
  solo::CallResult<json::value> call(const std::string& id, const std::string& message) {
    return run(call_async(id, message));
  }
  asio::awaitable<solo::CallResult<json::value>> call_async(std::string id, std::string message) {
    auto actor = services->find("acme", id);
    if (!actor) throw std::runtime_error("no actor " + id);
    json::value msg = json::parse(message);
    co_return co_await actor->call(std::move(msg), 2s);
  }
};

// (tenant, service, key) -> value as a second connection sees the file.
std::map<std::string, std::string> durable(const std::filesystem::path& path, const std::string& service) {
  solo::SqliteDatabase db(path, solo::OpenOptions{.read_only = true});
  std::map<std::string, std::string> rows;
  solo::load_storage_rows(db, [&](std::string_view tenant, std::string_view id, std::string_view key,
                                  std::string_view value) {
    if (tenant == "acme" && id == service) rows.emplace(key, value);
  });
  return rows;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(storage, Fixture)

BOOST_AUTO_TEST_CASE(operator_writes_are_durable_when_they_return_and_read_back_in_key_order) {
  run(storage->put("acme", "kv", "b", "2"));
  run(storage->put("acme", "kv", "a", R"({"x":1})"));
  run(storage->put("acme", "kv", "c/1", "null"));
  BOOST_TEST(durable(db_path(), "kv").size() == 3u);
  auto all = storage->list("acme", "kv", "", "", 10);
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].key == "a");
  BOOST_TEST(all[2].key == "c/1");
  auto page = storage->list("acme", "kv", "", "a", 1);
  BOOST_TEST_REQUIRE(page.size() == 1u);
  BOOST_TEST(page[0].key == "b");
  BOOST_TEST(storage->list("acme", "kv", "c/", "", 10).size() == 1u);
  BOOST_TEST(*storage->get("acme", "kv", "a") == R"({"x":1})");
  BOOST_TEST(storage->use("acme", "kv").keys == 3u);
  BOOST_TEST(storage->use("acme", "kv").bytes == 1u + 1 + 1 + 7 + 3 + 4);
  BOOST_TEST(run(storage->erase("acme", "kv", "b")));
  BOOST_TEST(!run(storage->erase("acme", "kv", "b")));
  BOOST_TEST(durable(db_path(), "kv").count("b") == 0u);
  // Another tenant's service of the same id sees none of it.
  BOOST_TEST(storage->list("other", "kv", "", "", 10).empty());
  BOOST_TEST(!storage->get("other", "kv", "a"));
}

BOOST_AUTO_TEST_CASE(keys_values_and_quotas_are_checked_and_a_refused_import_writes_nothing) {
  auto kind_of = [&](std::string key, std::string value) {
    try {
      run(storage->put("acme", "kv", std::move(key), std::move(value)));
    } catch (const solo::Error& error) {
      return error.kind();
    }
    return solo::ErrorKind::internal;
  };
  BOOST_TEST((kind_of("", "1") == solo::ErrorKind::invalid));
  BOOST_TEST((kind_of(std::string(1025, 'k'), "1") == solo::ErrorKind::invalid));
  BOOST_TEST((kind_of("\xff", "1") == solo::ErrorKind::invalid));
  BOOST_TEST((kind_of("big", std::string(solo::kStorageValueMax + 1, '1')) == solo::ErrorKind::invalid));
  limits.service_keys = 2;
  run(storage->put("acme", "kv", "one", "1"));
  run(storage->put("acme", "kv", "two", "2"));
  BOOST_TEST((kind_of("three", "3") == solo::ErrorKind::quota_exceeded));
  run(storage->put("acme", "kv", "two", "22"));  // replacing a key is no new key
  limits.service_keys = 100;
  limits.tenant_bytes = 20;
  BOOST_TEST((kind_of("long", std::string(30, '1')) == solo::ErrorKind::quota_exceeded));
  std::vector<solo::StorageEntry> entries{{"x", "1"}, {"y", std::string(30, '1')}};
  BOOST_CHECK_THROW(run(storage->import("acme", "kv", std::move(entries))), solo::QuotaExceeded);
  BOOST_TEST(!storage->get("acme", "kv", "x"));
  BOOST_TEST(durable(db_path(), "kv").size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_undoes_the_write_in_memory_and_the_next_one_commits) {
  run(storage->put("acme", "kv", "k", "1"));
  events->writer().inject_commit_failures(1);
  BOOST_CHECK_THROW(run(storage->put("acme", "kv", "k", "2")), solo::StoreError);
  BOOST_TEST(*storage->get("acme", "kv", "k") == "1");
  BOOST_TEST(storage->find("acme", "kv")->rollbacks() == 1u);
  BOOST_TEST(storage->metrics().failed_commits == 1u);
  run(storage->put("acme", "kv", "k", "3"));
  BOOST_TEST(durable(db_path(), "kv").at("k") == "3");
}

BOOST_AUTO_TEST_CASE(a_new_directory_loads_what_the_file_holds) {
  run(storage->put("acme", "kv", "a", "1"));
  run(storage->put("acme", "other", "b", "[1,2]"));
  solo::StorageLimitsFn fn = [this](const std::string&, const std::string&) { return limits; };
  auto executor = io.get_executor();
  auto reloaded = run(solo::StorageDirectory::load(executor, events, std::move(fn)));
  BOOST_TEST(*reloaded->get("acme", "kv", "a") == "1");
  BOOST_TEST(*reloaded->get("acme", "other", "b") == "[1,2]");
  BOOST_TEST(reloaded->tenant_use("acme").keys == 2u);
  BOOST_TEST(reloaded->owners().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_reply_is_released_only_once_the_messages_writes_are_committed) {
  deploy("kv");
  auto result = call("kv", R"({"op":"put","key":"a","value":{"n":1},"emit":true})");
  BOOST_TEST_REQUIRE(result.ok());
  BOOST_TEST(result.value().at("count").as_int64() == 1);
  // Released means committed: a second connection sees both writes.
  auto rows = durable(db_path(), "kv");
  BOOST_TEST(rows.at("a") == R"({"n":1})");
  BOOST_TEST(rows.at("count") == "1");
  BOOST_TEST(storage->metrics().gate_wait_seconds.count() >= 1u);
}

BOOST_AUTO_TEST_CASE(a_message_that_fails_keeps_none_of_its_writes) {
  deploy("kv");
  BOOST_TEST(!call("kv", R"({"op":"fail"})").ok());
  BOOST_TEST(!storage->get("acme", "kv", "half"));
  run(events->flush());
  BOOST_TEST(durable(db_path(), "kv").count("half") == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_fails_the_call_and_the_service_restarts_from_the_durable_data) {
  deploy("kv");
  BOOST_TEST_REQUIRE(call("kv", R"({"op":"put","key":"a","value":1})").ok());
  events->writer().inject_commit_failures(1);
  auto failed = call("kv", R"({"op":"put","key":"b","value":2})");
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST((failed.error() == solo::ErrorKind::overloaded));
  BOOST_TEST(failed.message().find("could not make its storage writes durable") != std::string::npos);
  BOOST_TEST(!storage->get("acme", "kv", "b"));
  BOOST_TEST(*storage->get("acme", "kv", "count") == "1");
  // The next message runs in a new incarnation that sees only what is durable.
  auto next = call("kv", R"({"op":"get","key":"b"})");
  BOOST_TEST_REQUIRE(next.ok());
  BOOST_TEST(!next.value().as_object().contains("value"));
  BOOST_TEST(services->find("acme", "kv")->status_json().at("restarts").as_int64() == 1);
  BOOST_TEST_REQUIRE(call("kv", R"({"op":"put","key":"c","value":3})").ok());
  BOOST_TEST(durable(db_path(), "kv").at("count") == "2");
}

BOOST_AUTO_TEST_CASE(a_cast_is_sent_only_once_the_writes_before_it_committed_and_never_when_they_failed) {
  deploy("listener", kListener);
  deploy("writer", kWriterThatCasts);
  BOOST_TEST_REQUIRE(call("writer", R"({"n":1})").ok());
  run(solo::test::sleep_for(50ms));  // the cast's turn in the listener's mailbox
  BOOST_TEST(call("listener", "{}").value().at("heard").as_int64() == 1);
  events->writer().inject_commit_failures(1);
  BOOST_TEST(!call("writer", R"({"n":2})").ok());
  run(solo::test::sleep_for(50ms));
  BOOST_TEST(call("listener", "{}").value().at("heard").as_int64() == 1);
  BOOST_TEST(services->find("acme", "writer")->memory_bytes() < (1u << 20));
}

BOOST_AUTO_TEST_CASE(kill_keeps_the_data_for_a_redeploy_and_purge_deletes_it_with_the_kill_event) {
  deploy("kv");
  BOOST_TEST_REQUIRE(call("kv", R"({"op":"put","key":"a","value":1})").ok());
  run(deployer->kill("acme", "kv", false));
  BOOST_TEST(storage->find("acme", "kv") != nullptr);
  deploy("kv");
  auto kept = call("kv", R"({"op":"get","key":"a"})");
  BOOST_TEST_REQUIRE(kept.ok());
  BOOST_TEST(kept.value().at("value").as_int64() == 1);
  run(deployer->kill("acme", "kv", false, true));
  BOOST_TEST(durable(db_path(), "kv").empty());
  BOOST_TEST(storage->find("acme", "kv") == nullptr);
  deploy("kv");
  auto fresh = call("kv", R"({"op":"get","key":"a"})");
  BOOST_TEST_REQUIRE(fresh.ok());
  BOOST_TEST(!fresh.value().as_object().contains("value"));
}

BOOST_AUTO_TEST_CASE(purge_of_an_id_that_runs_no_service_deletes_its_kept_data) {
  run(storage->put("acme", "gone", "a", "1"));
  run(deployer->kill("acme", "gone", false, true));
  BOOST_TEST(durable(db_path(), "gone").empty());
  BOOST_TEST(storage->tenant_use("acme").keys == 0u);
  BOOST_CHECK_THROW(run(deployer->kill("acme", "gone", false, true)), solo::DeployError);
}

BOOST_AUTO_TEST_SUITE_END()
