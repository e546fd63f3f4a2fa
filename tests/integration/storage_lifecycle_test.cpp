// solo.storage through a service's life on the real binary (issue 13,
// docs/services.md "Storage", docs/guarantees.md "Service storage"): a hot
// swap whose code_change migrates the data; a rollback, which does NOT roll
// storage back (like a volume: the migrated value stays); kill then redeploy
// of the same id continues with the data, ?purge=true deletes it; a clean
// restart and a crash restart keep it; the storage quotas and the key and
// value limits fail the call with a clear message and write nothing of that
// message; a service of another tenant with the same id sees none of it.
#include <signal.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/examples.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::eventually;
using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

// A service that exposes its storage to the test: put/get/delete/list by
// message, "inc" keeps a number under "count", "put_then" puts a marker and
// then the given key (to show a failing put takes the marker with it).
const char* kStore = R"(
function init(config) return {} end
local function value_or_null(v) if v == nil then return solo.null end return v end
function handle_call(msg, state)
  local op = msg.op
  if op == "put" then
    solo.storage.put(msg.key, msg.value)
    return { ok = true }, state
  elseif op == "get" then
    return { value = value_or_null(solo.storage.get(msg.key)) }, state
  elseif op == "delete" then
    return { existed = solo.storage.delete(msg.key) }, state
  elseif op == "keys" then
    local keys = {}
    for _, entry in ipairs(solo.storage.list{ prefix = msg.prefix or "" }) do keys[#keys + 1] = entry.key end
    return { keys = keys }, state
  elseif op == "inc" then
    local count = (solo.storage.get("count") or 0) + 1
    solo.storage.put("count", count)
    return { count = count }, state
  elseif op == "put_then" then
    solo.storage.put("marker", true)
    local value = msg.value
    if msg.value_bytes then value = string.rep("v", msg.value_bytes) end
    local key = msg.key
    if msg.key_bytes then key = string.rep("k", msg.key_bytes) end
    solo.storage.put(key, value)
    return { ok = true }, state
  elseif op == "fill" then
    for i = 1, msg.keys do solo.storage.put(string.format("f%05d", i), i) end
    return { ok = true }, state
  end
  error("unknown op " .. tostring(op))
end
)";

// Version 1 of a counter keeps "count" as a number; version 2 keeps {n = count}
// and migrates in code_change. kBrokenV2 migrates the same way, then crashes
// on every call (inside its rollback window).
const char* kCounterV1 = R"(
function init(config) return {} end
function handle_call(msg, state)
  if msg.op == "inc" then
    local count = (solo.storage.get("count") or 0) + 1
    solo.storage.put("count", count)
    return { count = count }, state
  end
  local raw = solo.storage.get("count")
  if raw == nil then raw = solo.null end
  return { raw = raw }, state
end
)";

const char* kCounterV2 = R"(
function init(config) return {} end
function code_change(old_state, old_version)
  local count = solo.storage.get("count")
  if type(count) == "number" then solo.storage.put("count", { n = count }) end
  return old_state
end
function handle_call(msg, state)
  if msg.op == "inc" then
    local count = solo.storage.get("count") or { n = 0 }
    count.n = count.n + 1
    solo.storage.put("count", count)
    return { count = count.n }, state
  end
  local raw = solo.storage.get("count")
  if raw == nil then raw = solo.null end
  return { raw = raw }, state
end
)";

const char* kBrokenV2 = R"(
function init(config) return {} end
function code_change(old_state, old_version)
  local count = solo.storage.get("count")
  if type(count) == "number" then solo.storage.put("count", { n = count }) end
  return old_state
end
function handle_call(msg, state) error("version 2 is broken") end
)";

using solo::test::example;

struct Api {
  explicit Api(const SoloProcess& solo, std::string tenant = "")
      : client(solo.client(std::chrono::seconds(30), tenant)) {}

  net::ClientResponse send(std::string_view method, const std::string& target, const std::string& body = {}) {
    return client.request(method, target, body);
  }
  net::ClientResponse deploy(const std::string& id, const std::string& code, json::object extra = {}) {
    extra["service_id"] = id;
    extra["code"] = code;
    // Generous restarts: the quota tests crash the service on purpose.
    if (!extra.contains("restart")) extra["restart"] = {{"max_restarts", 50}, {"max_seconds", 60}};
    return send("POST", "/services", json::serialize(extra));
  }
  void deployed(const std::string& id, const std::string& code, json::object extra = {}) {
    auto response = deploy(id, code, std::move(extra));
    BOOST_TEST_REQUIRE(response.status == 201, response.body);
  }
  net::ClientResponse call(const std::string& id, const json::value& msg) {
    return send("POST", "/services/" + id + "/call", json::serialize(msg));
  }
  json::value reply(const std::string& id, const json::value& msg) {
    auto response = call(id, msg);
    BOOST_TEST_REQUIRE(response.status == 200, id << " " << json::serialize(msg) << ": " << response.body);
    return json::parse(response.body).at("reply");
  }
  json::value get(const std::string& id, const std::string& key) {
    return reply(id, json::object{{"op", "get"}, {"key", key}}).at("value");
  }
  int64_t inc(const std::string& id) { return reply(id, json::object{{"op", "inc"}}).at("count").as_int64(); }
  std::string status(const std::string& id) {
    auto response = send("GET", "/services/" + id);
    if (response.status != 200) return "status " + std::to_string(response.status);
    return std::string(json::parse(response.body).at("status").as_string());
  }
  bool running(const std::string& id) {
    return eventually([&] { return status(id) == "running"; });
  }

  net::HttpClient client;
};

std::string message_of(const net::ClientResponse& response) {
  return std::string(json::parse(response.body).at("message").as_string());
}

// A call that must fail as the service's error (500 service_error) with a
// message containing `words`.
void expect_service_error(const net::ClientResponse& response, const std::string& words) {
  BOOST_TEST(response.status == 500, response.body);
  auto body = json::parse(response.body).as_object();
  BOOST_TEST(body.at("error").as_string() == "service_error", response.body);
  BOOST_TEST(message_of(response).find(words) != std::string::npos, "no '" << words << "' in " << response.body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_lifecycle)

BOOST_AUTO_TEST_CASE(a_hot_swap_code_change_migrates_storage_and_the_migration_survives_a_restart) {
  test::TempDir dir;
  std::optional<SoloProcess> solo(std::in_place, dir / "data");
  {
    Api api(*solo);
    api.deployed("counter", kCounterV1);
    for (int i = 1; i <= 3; ++i) BOOST_TEST(api.inc("counter") == i);
    BOOST_TEST(api.reply("counter", json::object{{"op", "raw"}}).at("raw") == json::value(3));
    auto swapped = api.send("PUT", "/services/counter/code",
                            json::serialize(json::object{{"code", kCounterV2}, {"rollback_window_ms", 0}}));
    BOOST_TEST_REQUIRE(swapped.status == 200, swapped.body);
    BOOST_TEST(api.reply("counter", json::object{{"op", "raw"}}).at("raw") == json::parse(R"({"n": 3})"));
    BOOST_TEST(api.inc("counter") == 4);
  }
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
  solo.emplace(dir / "data");
  Api api(*solo);
  BOOST_TEST(api.reply("counter", json::object{{"op", "raw"}}).at("raw") == json::parse(R"({"n": 4})"));
  BOOST_TEST(api.inc("counter") == 5);
}

// The README's tour: examples/kv.lua keeps its data in storage, kv_v2.lua's
// code_change moves it to version 2's layout, and a restart keeps it.
BOOST_AUTO_TEST_CASE(the_kv_example_keeps_its_data_through_a_swap_a_restart_and_a_crash) {
  test::TempDir dir;
  std::optional<SoloProcess> solo(std::in_place, dir / "data");
  {
    Api api(*solo);
    api.deployed("kv", example("kv.lua"));
    api.reply("kv", json::object{{"op", "put"}, {"key", "a"}, {"value", 1}});
    api.reply("kv", json::object{{"op", "put"}, {"key", "b"}, {"value", {{"nested", true}}}});
    api.reply("kv", json::object{{"op", "put"}, {"key", "gone"}, {"value", 0}});
    api.reply("kv", json::object{{"op", "delete"}, {"key", "gone"}});
  }
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
  solo.emplace(dir / "data");
  {
    Api api(*solo);
    BOOST_TEST(api.reply("kv", json::object{{"op", "keys"}}).at("keys") == json::parse(R"(["a", "b"])"));
    auto swapped = api.send("PUT", "/services/kv/code", json::serialize(json::object{{"code", example("kv_v2.lua")}}));
    BOOST_TEST_REQUIRE(swapped.status == 200, swapped.body);
    BOOST_TEST(api.reply("kv", json::object{{"op", "stats"}}) == json::parse(R"({"count": 2, "schema": 2})"));
    BOOST_TEST(api.reply("kv", json::object{{"op", "put"}, {"key", "c"}, {"value", 3}}).at("count").as_int64() == 3);
  }
  solo->kill9();
  solo.emplace(dir / "data");
  Api api(*solo);
  BOOST_TEST(api.reply("kv", json::object{{"op", "stats"}}) == json::parse(R"({"count": 3, "schema": 2})"));
  BOOST_TEST(api.reply("kv", json::object{{"op", "get"}, {"key", "b"}}) ==
             json::parse(R"({"key": "b", "value": {"nested": true}})"));
  BOOST_TEST(api.reply("kv", json::object{{"op", "keys"}}).at("keys") == json::parse(R"(["a", "b", "c"])"));
}

// Documented in docs/guarantees.md: a rollback restores the old code and its
// Lua state, not storage. The data a swap migrated stays migrated, so code
// that may be rolled back must read both shapes (as version 1 here reads
// whatever is there).
BOOST_AUTO_TEST_CASE(a_rollback_restores_the_old_code_but_not_storage_the_migrated_value_stays) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  api.deployed("counter", kCounterV1);
  for (int i = 1; i <= 3; ++i) api.inc("counter");
  auto swapped = api.send("PUT", "/services/counter/code",
                          json::serialize(json::object{{"code", kBrokenV2}, {"rollback_window_ms", 30000}}));
  BOOST_TEST_REQUIRE(swapped.status == 200, swapped.body);
  expect_service_error(api.call("counter", json::object{{"op", "raw"}}), "version 2 is broken");
  BOOST_TEST(eventually([&] {
    auto response = api.send("GET", "/events?service_id=counter&type=hot_swap_rolled_back");
    return response.status == 200 && !json::parse(response.body).at("events").as_array().empty();
  }));
  BOOST_TEST_REQUIRE(api.running("counter"));
  auto status = json::parse(api.send("GET", "/services/counter").body).as_object();
  BOOST_TEST(status.at("version").as_int64() == 1);
  BOOST_TEST(api.reply("counter", json::object{{"op", "raw"}}).at("raw") == json::parse(R"({"n": 3})"));
}

BOOST_AUTO_TEST_CASE(kill_then_redeploy_continues_with_the_data_and_purge_deletes_it) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  api.deployed("box", kStore);
  for (int i = 1; i <= 3; ++i) api.inc("box");

  auto killed = api.send("DELETE", "/services/box");
  BOOST_TEST_REQUIRE(killed.status == 202, killed.body);
  BOOST_TEST(eventually([&] { return api.deploy("box", kStore).status == 201; }));
  BOOST_TEST(api.inc("box") == 4);

  auto purged = api.send("DELETE", "/services/box?purge=true");
  BOOST_TEST_REQUIRE(purged.status == 202, purged.body);
  BOOST_TEST(eventually([&] { return api.deploy("box", kStore).status == 201; }));
  BOOST_TEST(api.get("box", "count").is_null());
  BOOST_TEST(api.inc("box") == 1);

  // The purge is durable: it holds after a crash restart too.
  api.send("DELETE", "/services/box?purge=true");
  solo.kill9();
  SoloProcess again(dir / "data");
  Api after(again);
  BOOST_TEST(eventually([&] { return after.deploy("box", kStore).status == 201; }));
  BOOST_TEST(after.get("box", "count").is_null());
}

BOOST_AUTO_TEST_CASE(a_clean_restart_and_a_crash_restart_keep_the_data) {
  test::TempDir dir;
  std::optional<SoloProcess> solo(std::in_place, dir / "data");
  {
    Api api(*solo);
    api.deployed("box", kStore);
    api.reply("box", json::object{{"op", "put"}, {"key", "doc"}, {"value", {{"nested", json::array{1, "two"}}}}});
    api.inc("box");
  }
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
  solo.emplace(dir / "data");
  {
    Api api(*solo);
    BOOST_TEST(api.get("box", "doc") == json::parse(R"({"nested": [1, "two"]})"));
    BOOST_TEST(api.inc("box") == 2);
    BOOST_TEST(api.reply("box", json::object{{"op", "delete"}, {"key", "doc"}}).at("existed").as_bool());
  }
  solo->kill9();
  solo.emplace(dir / "data");
  Api api(*solo);
  BOOST_TEST(api.get("box", "count") == json::value(2));
  BOOST_TEST(api.get("box", "doc").is_null());
  BOOST_TEST(api.reply("box", json::object{{"op", "keys"}}).at("keys") == json::parse(R"(["count"])"));
}

BOOST_AUTO_TEST_CASE(a_write_past_the_service_storage_quotas_fails_the_call_and_writes_nothing_of_it) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  api.deployed("few", kStore, json::object{{"limits", {{"storage_keys", 5}}}});
  api.reply("few", json::object{{"op", "fill"}, {"keys", 4}});
  // marker is the 5th key, the next one the 6th: the message fails whole.
  expect_service_error(api.call("few", json::object{{"op", "put_then"}, {"key", "sixth"}, {"value", 6}}),
                       "storage_keys");
  BOOST_TEST_REQUIRE(api.running("few"));
  BOOST_TEST(api.get("few", "marker").is_null());
  BOOST_TEST(api.get("few", "sixth").is_null());
  BOOST_TEST(api.reply("few", json::object{{"op", "keys"}, {"prefix", "f"}}).at("keys").as_array().size() == 4u);
  // The failed message left its keys' room: a fifth key fits.
  api.reply("few", json::object{{"op", "put"}, {"key", "fifth"}, {"value", 5}});

  api.deployed("small", kStore, json::object{{"limits", {{"storage_bytes", 1000}}}});
  expect_service_error(api.call("small", json::object{{"op", "put_then"}, {"key", "big"}, {"value_bytes", 2000}}),
                       "storage_bytes");
  BOOST_TEST_REQUIRE(api.running("small"));
  BOOST_TEST(api.get("small", "marker").is_null());
  BOOST_TEST(api.get("small", "big").is_null());
  // Under the quota, the same service writes.
  api.reply("small", json::object{{"op", "put_then"}, {"key", "ok"}, {"value_bytes", 500}});
  BOOST_TEST(api.get("small", "marker") == json::value(true));

  // The failed messages stayed out of the durable data too.
  solo.kill9();
  SoloProcess again(dir / "data");
  Api after(again);
  BOOST_TEST(after.get("few", "marker").is_null());
  BOOST_TEST(after.get("few", "fifth") == json::value(5));
  BOOST_TEST(after.get("small", "big").is_null());
}

BOOST_AUTO_TEST_CASE(an_oversized_key_or_value_fails_the_call_clearly_and_writes_nothing_of_it) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api api(solo);
  api.deployed("box", kStore);
  // 1024 bytes of key is the limit; 1025 is refused.
  api.reply("box", json::object{{"op", "put_then"}, {"key_bytes", 1024}, {"value", 1}});
  expect_service_error(api.call("box", json::object{{"op", "put_then"}, {"key_bytes", 1025}, {"value", 2}}), "key");
  BOOST_TEST_REQUIRE(api.running("box"));
  api.reply("box", json::object{{"op", "delete"}, {"key", "marker"}});
  // A value's JSON text of 128 KiB + 1 (a string of 131070 bytes and its quotes would be 131072).
  expect_service_error(api.call("box", json::object{{"op", "put_then"}, {"key", "v"}, {"value_bytes", 131071}}),
                       "value");
  BOOST_TEST_REQUIRE(api.running("box"));
  BOOST_TEST(api.get("box", "marker").is_null());
  BOOST_TEST(api.get("box", "v").is_null());
  api.reply("box", json::object{{"op", "put_then"}, {"key", "v"}, {"value_bytes", 131070}});
  BOOST_TEST(api.get("box", "v").as_string().size() == 131070u);
  // An empty key is no key.
  expect_service_error(api.call("box", json::object{{"op", "put"}, {"key", ""}, {"value", 1}}), "key");
}

BOOST_AUTO_TEST_CASE(a_service_of_another_tenant_with_the_same_id_sees_none_of_the_data) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api alpha(solo, "alpha");
  Api beta(solo, "beta");
  alpha.deployed("box", kStore);
  beta.deployed("box", kStore);
  alpha.reply("box", json::object{{"op", "put"}, {"key", "secret"}, {"value", "alpha's"}});
  BOOST_TEST(beta.get("box", "secret").is_null());
  // An empty Lua table leaves the sandbox as {} (no way to tell it from an empty array).
  auto keys = beta.reply("box", json::object{{"op", "keys"}}).at("keys");
  BOOST_TEST((keys == json::array{} || keys == json::object{}), keys);
  beta.reply("box", json::object{{"op", "put"}, {"key", "secret"}, {"value", "beta's"}});
  BOOST_TEST(alpha.get("box", "secret") == json::value("alpha's"));
  // A purge in one tenant leaves the other's data.
  BOOST_TEST_REQUIRE(beta.send("DELETE", "/services/box?purge=true").status == 202);
  BOOST_TEST(alpha.get("box", "secret") == json::value("alpha's"));
}

// The operator's view (GET/PUT /services/{id}/storage...) keeps to the
// token's tenant and permissions: storage:read reads, storage:write writes,
// and nothing reaches another tenant's service of the same id.
BOOST_AUTO_TEST_CASE(the_storage_routes_keep_to_the_tokens_tenant_and_permissions) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  Api alpha(solo, "alpha");
  Api beta(solo, "beta");
  alpha.deployed("box", kStore);
  beta.deployed("box", kStore);
  alpha.reply("box", json::object{{"op", "put"}, {"key", "secret"}, {"value", "alpha's"}});
  auto grant = [&](const std::string& tenant, const std::string& permission) {
    json::object body{{"tenant_id", tenant}, {"permissions", json::array{permission}}, {"resource", "*"}};
    auto response = test::send(solo, "POST", "/tokens", json::serialize(body), solo.admin_token());
    BOOST_TEST_REQUIRE(response.status == 201, response.body);
    return std::string(json::parse(response.body).at("token").as_string());
  };
  auto beta_reader = grant("beta", "storage:read");
  auto beta_writer = grant("beta", "storage:write");
  auto alpha_caller = grant("alpha", "call");

  auto read = test::send(solo, "GET", "/services/box/storage/secret", "", beta_reader);
  BOOST_TEST(read.status == 404, read.body);  // beta's box has no such key; alpha's is out of reach
  auto listed = test::send(solo, "GET", "/services/box/storage", "", beta_reader);
  BOOST_TEST_REQUIRE(listed.status == 200, listed.body);
  BOOST_TEST(json::parse(listed.body).at("entries").as_array().empty());
  // Naming the other tenant does not help a tenant's token.
  auto crossed = test::send(solo, "GET", "/services/box/storage/secret", "", beta_reader, "alpha");
  BOOST_TEST(crossed.status == 403, crossed.body);

  BOOST_TEST(test::send(solo, "PUT", "/services/box/storage/secret", R"({"value": "x"})", beta_reader).status == 403);
  auto written = test::send(solo, "PUT", "/services/box/storage/secret", R"({"value": "beta's"})", beta_writer);
  BOOST_TEST_REQUIRE(written.status == 200, written.body);
  BOOST_TEST(beta.get("box", "secret") == json::value("beta's"));  // the service sees the operator's write
  BOOST_TEST(alpha.get("box", "secret") == json::value("alpha's"));
  BOOST_TEST(test::send(solo, "GET", "/services/box/storage/secret", "", alpha_caller).status == 403);
  auto alpha_read = alpha.send("GET", "/services/box/storage/secret");
  BOOST_TEST_REQUIRE(alpha_read.status == 200, alpha_read.body);
  BOOST_TEST(json::parse(alpha_read.body).at("value") == json::value("alpha's"));
}

BOOST_AUTO_TEST_SUITE_END()
