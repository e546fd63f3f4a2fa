// A store that cannot commit, with the real binary (docs/operations.md, "When
// the disk is full"): the test lowers the running server's file-size limit
// (prlimit(2) on its pid, RLIMIT_FSIZE) to the current size of its database
// files, so that the next commit cannot grow the write-ahead log and fails in
// the kernel (EFBIG; SQLite reports an I/O error), as it would on a full disk.
// Then: every write answers 503 store_unavailable with Retry-After and the
// reason (HTTP and WebSocket ops alike), /health says degraded; once the limit
// is lifted the server recovers by itself (no request needed: /health says
// healthy again), writes succeed, and after a restart every write that was
// acknowledged is there and none that was refused.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"

using namespace solo;
using solo::test::eventually;
using solo::test::SoloProcess;
using solo::test::WsClient;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Sets the soft RLIMIT_FSIZE of process `pid` (the hard limit stays).
void limit_file_size(pid_t pid, rlim_t bytes) {
  rlimit current{};
  BOOST_TEST_REQUIRE(::prlimit(pid, RLIMIT_FSIZE, nullptr, &current) == 0);
  rlimit next{bytes, current.rlim_max};
  BOOST_TEST_REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &next, nullptr) == 0);
}

// The largest of the database's files: no write may grow any of them.
rlim_t database_size(const fs::path& data) {
  std::uintmax_t largest = 0;
  for (const char* name : {"solo.db", "solo.db-wal", "solo.db-shm"}) {
    std::error_code ec;
    const auto size = fs::file_size(data / name, ec);
    if (!ec) largest = std::max(largest, size);
  }
  return static_cast<rlim_t>(largest);
}

net::ClientResponse put_secret(const SoloProcess& solo, const std::string& key) {
  return solo.client().request("POST", "/secrets", json::serialize(json::object{{"key", key}, {"value", "v-" + key}}));
}

std::set<std::string> secret_keys(const SoloProcess& solo) {
  const auto response = solo.client().request("GET", "/secrets?limit=1000");
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  std::set<std::string> keys;
  const auto body = json::parse(response.body);
  for (const auto& key : body.at("secrets").as_array()) keys.emplace(key.as_string());
  return keys;
}

json::object health(const SoloProcess& solo, int* status = nullptr) {
  const auto response = solo.client().request("GET", "/health");
  if (status) *status = response.status;
  return json::parse(response.body).as_object();
}

void expect_store_unavailable(const net::ClientResponse& response) {
  BOOST_TEST(response.status == 503, response.body);
  BOOST_TEST(response.header("retry-after").value_or("") == "5", response.body);
  const auto body = json::parse(response.body).as_object();
  BOOST_TEST(body.at("error").as_string() == "store_unavailable", response.body);
  const std::string message(body.at("message").as_string());
  BOOST_TEST(message.find("the store cannot commit (") == 0u, message);
  BOOST_TEST(message.find("I/O error") != std::string::npos, message);  // SQLite's reason for EFBIG
  BOOST_TEST(body.contains("timestamp"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(disk_full)

BOOST_AUTO_TEST_CASE(a_full_disk_answers_503_store_unavailable_and_the_server_recovers_by_itself) {
  test::TempDir dir;
  const auto data = dir / "data";
  std::set<std::string> acknowledged;
  {
    SoloProcess solo(data);
    for (const char* key : {"before-1", "before-2", "before-3"}) {
      BOOST_TEST_REQUIRE(put_secret(solo, key).status == 201);
      acknowledged.emplace(key);
    }

    limit_file_size(solo.pid(), database_size(data));
    const auto refused = put_secret(solo, "during-1");
    expect_store_unavailable(refused);
    // Every write route gives the same answer: a deploy, and a WebSocket op.
    expect_store_unavailable(solo.client().request(
        "POST", "/services", R"({"service_id":"svc","code":"function handle_call(m, s) return m, s end"})"));
    WsClient websocket(solo, solo.admin_token());
    BOOST_TEST_REQUIRE(!websocket.error);
    const auto op = websocket.op(1, "secret_put", json::object{{"key", "during-ws"}, {"value", "v"}});
    BOOST_TEST(op.at("ok").as_bool() == false, json::serialize(op));
    BOOST_TEST(op.at("error").at("error").as_string() == "store_unavailable", json::serialize(op));
    BOOST_TEST(op.at("error").at("status").as_int64() == 503);
    BOOST_TEST(op.at("error").at("retry_after").as_string() == "5");

    int status = 0;
    auto body = health(solo, &status);
    BOOST_TEST(status == 503, json::serialize(body));
    BOOST_TEST(body.at("status").as_string() == "degraded");
    BOOST_TEST(std::string(body.at("store_error").as_string()).find("I/O error") != std::string::npos,
               json::serialize(body));
    // Still full a while later: still degraded (the probes fail too).
    BOOST_TEST(!eventually([&] { return health(solo).at("status").as_string() == "healthy"; },
                           std::chrono::milliseconds(2500)));

    // Room again: no request needed, the store's probe finds out.
    limit_file_size(solo.pid(), RLIM_INFINITY);
    BOOST_TEST(eventually([&] { return health(solo).at("status").as_string() == "healthy"; }));
    BOOST_TEST(health(solo).contains("store_error") == false);
    const auto after = put_secret(solo, "after-1");
    BOOST_TEST(after.status == 201, after.body);
    acknowledged.emplace("after-1");
    const auto ws_after = websocket.op(2, "secret_put", json::object{{"key", "after-ws"}, {"value", "v"}});
    BOOST_TEST(ws_after.at("ok").as_bool() == true, json::serialize(ws_after));
    acknowledged.emplace("after-ws");
    BOOST_TEST(secret_keys(solo) == acknowledged);
    BOOST_TEST(solo.terminate().value_or(-1) == 0, solo.errors());
  }
  SoloProcess restarted(data);
  BOOST_TEST(secret_keys(restarted) == acknowledged);
  BOOST_TEST(restarted.client().request("GET", "/services/svc").status == 404);
}

// A hot swap answers like deploy and kill: while the store cannot commit it is
// 503 store_unavailable (HTTP and WebSocket), and nothing changed: the
// running version still answers, and after the disk takes writes again a swap
// goes through. (Before: the code was swapped in memory first, and the
// failed commit escaped as an answer that did not say the store was at fault.)
BOOST_AUTO_TEST_CASE(a_swap_while_the_store_cannot_commit_is_503_store_unavailable_and_changes_nothing) {
  test::TempDir dir;
  const auto data = dir / "data";
  SoloProcess solo(data);
  const auto deployed = solo.client().request(
      "POST", "/services", R"({"service_id":"svc","code":"function handle_call(m, s) return 'v1', s end"})");
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  WsClient websocket(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!websocket.error);

  limit_file_size(solo.pid(), database_size(data));
  const std::string v2 = "function handle_call(m, s) return 'v2', s end";
  expect_store_unavailable(
      solo.client().request("PUT", "/services/svc/code", json::serialize(json::object{{"code", v2}})));
  const auto op = websocket.op(1, "swap", json::object{{"service_id", "svc"}, {"code", v2}});
  BOOST_TEST(op.at("ok").as_bool() == false, json::serialize(op));
  BOOST_TEST(op.at("error").at("error").as_string() == "store_unavailable", json::serialize(op));
  BOOST_TEST(op.at("error").at("status").as_int64() == 503);
  BOOST_TEST(op.at("error").at("retry_after").as_string() == "5");
  // Nothing changed: the running code is still version 1.
  const auto status = solo.client().request("GET", "/services/svc");
  BOOST_TEST(json::parse(status.body).at("version").as_int64() == 1, status.body);
  const auto called = solo.client().request("POST", "/services/svc/call", "{}");
  BOOST_TEST(json::parse(called.body).at("reply").as_string() == "v1", called.body);

  limit_file_size(solo.pid(), RLIM_INFINITY);
  BOOST_TEST(eventually([&] { return health(solo).at("status").as_string() == "healthy"; }));
  const auto swapped = solo.client().request("PUT", "/services/svc/code", json::serialize(json::object{{"code", v2}}));
  BOOST_TEST(swapped.status == 200, swapped.body);
  const auto after = solo.client().request("POST", "/services/svc/call", "{}");
  BOOST_TEST(json::parse(after.body).at("reply").as_string() == "v2", after.body);
}

BOOST_AUTO_TEST_SUITE_END()
