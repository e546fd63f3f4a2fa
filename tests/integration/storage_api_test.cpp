// The operator surface of solo.storage on the real binary (docs/http-api.md
// "Storage", docs/websocket.md, docs/cli.md "solo storage"): put, get, list
// with paging and delete over REST with keys that hold '/', '?', '%' and
// dots; the errors of bad keys, values and bodies; tenant isolation (404 for
// another tenant's service, the admin acting for another tenant included) and
// the storage:read / storage:write permissions; the data outliving a kill
// (and a redeploy seeing it, in Lua too) until ?purge=true; the WebSocket
// ops; and export/import through the CLI.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::WsClient;
namespace json = boost::json;

namespace {

// A service that reads and writes its storage when asked: the Lua side of
// the data the operator routes see.
constexpr const char* kBox = R"(
function init(config) return {} end
function handle_call(msg, state)
  if msg.op == "put" then
    solo.storage.put(msg.key, msg.value)
    return { ok = true }, state
  end
  return { value = solo.storage.get(msg.key) }, state
end
)";

std::string deploy_body(const std::string& id) {
  return json::serialize(json::object{{"service_id", id}, {"code", kBox}});
}

void deploy(const SoloProcess& solo, const std::string& id, const std::string& tenant = "") {
  auto response = test::send(solo, "POST", "/services", deploy_body(id), solo.admin_token(), tenant);
  BOOST_TEST_REQUIRE(response.status == 201, "deploy " << id << ": " << response.body);
}

json::value parse(const net::ClientResponse& response) {
  boost::system::error_code ec;
  auto value = json::parse(response.body, ec);
  return ec ? json::value(response.body) : value;
}

std::string error_code(const net::ClientResponse& response) {
  auto body = parse(response);
  if (!body.is_object() || !body.as_object().contains("error")) return "<no error code>";
  return std::string(body.at("error").as_string());
}

std::string put_body(const json::value& value) { return json::serialize(json::object{{"value", value}}); }

// A REST client acting with `token` (the admin's unless given) for `tenant`.
struct Api {
  const SoloProcess& solo;
  std::string token;
  std::string tenant;
  net::ClientResponse send(const std::string& method, const std::string& target, const std::string& body = "") const {
    return test::send(solo, method, target, body, token.empty() ? solo.admin_token() : token, tenant);
  }
};

std::string grant(const SoloProcess& solo, const std::string& tenant, const std::vector<std::string>& permissions,
                  const std::string& resource = "*") {
  json::array names;
  for (const auto& permission : permissions) names.emplace_back(permission);
  auto body = json::object{{"tenant_id", tenant}, {"permissions", names}, {"resource", resource}};
  auto response = test::send(solo, "POST", "/tokens", json::serialize(body), solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
  return std::string(parse(response).at("token").as_string());
}

// Every key of a service's storage, page by page with `limit`; checks the
// pages come in key order and only the last has a null next_cursor.
std::vector<std::string> all_keys(const Api& api, const std::string& service, int limit,
                                  const std::string& prefix = "") {
  std::vector<std::string> keys;
  std::string cursor;
  for (int pages = 0; pages < 1000; ++pages) {
    std::string target = "/services/" + service + "/storage?limit=" + std::to_string(limit);
    if (!prefix.empty()) target += "&prefix=" + prefix;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto response = api.send("GET", target);
    BOOST_TEST_REQUIRE(response.status == 200, target << ": " << response.body);
    auto page = parse(response).as_object();
    const auto& entries = page.at("entries").as_array();
    BOOST_TEST(entries.size() <= static_cast<size_t>(limit));
    for (const auto& entry : entries) keys.emplace_back(entry.at("key").as_string());
    if (page.at("next_cursor").is_null()) return keys;
    cursor = std::string(page.at("next_cursor").as_string());
    BOOST_TEST(cursor == keys.back());
  }
  BOOST_FAIL("paging did not end");
  return keys;
}

// The real CLI with stdout to a file and stdin from one (or /dev/null).
struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};
std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}
CliRun run_cli(const std::filesystem::path& dir, std::vector<std::string> args,
               const std::filesystem::path& stdin_path = "/dev/null") {
  static int counter = 0;
  auto out_path = dir / ("storage-cli-" + std::to_string(++counter) + ".out");
  auto err_path = dir / ("storage-cli-" + std::to_string(counter) + ".err");
  args.insert(args.begin(), SOLO_BINARY);
  pid_t pid = fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open(stdin_path.c_str(), O_RDONLY);
    dup2(out, 1);
    dup2(err, 2);
    dup2(in, 0);
    for (const char* name : {"SOLO_URL", "SOLO_TENANT", "SOLO_TOKEN"}) unsetenv(name);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  CliRun run;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      BOOST_FAIL("the CLI did not exit in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  return run;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_api)

BOOST_AUTO_TEST_CASE(put_get_list_and_delete_over_rest_with_keys_that_hold_any_character) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "kv");
  Api api{solo, "", ""};

  auto put = api.send("PUT", "/services/kv/storage/user%2F1", put_body(json::object{{"name", "ada"}, {"n", 1}}));
  BOOST_TEST_REQUIRE(put.status == 200, put.body);
  BOOST_TEST(parse(put).at("key").as_string() == "user/1");
  BOOST_TEST(parse(put).at("bytes").as_int64() == static_cast<int64_t>(std::string("user/1").size() +
                                                                        std::string(R"({"name":"ada","n":1})").size()));
  // The same key sent with a raw '/': the route takes the rest of the path.
  auto got = api.send("GET", "/services/kv/storage/user/1");
  BOOST_TEST_REQUIRE(got.status == 200, got.body);
  BOOST_TEST(parse(got).at("key").as_string() == "user/1");
  BOOST_TEST(parse(got).at("value").at("name").as_string() == "ada");  // a JSON value, not a string
  // Keys the path could confuse: '?', '%', a space, UTF-8, a dot-only key, "import".
  const std::vector<std::pair<std::string, std::string>> odd = {
      {"a?b", "a%3Fb"}, {"50%", "50%25"}, {"x y", "x%20y"}, {"caf\xc3\xa9", "caf%C3%A9"}, {"..", "%2E%2E"},
      {"import", "import"}, {"/lead", "%2Flead"}};
  for (const auto& [key, encoded] : odd) {
    auto response = api.send("PUT", "/services/kv/storage/" + encoded, put_body(json::value(key)));
    BOOST_TEST(response.status == 200, key << ": " << response.body);
    auto back = api.send("GET", "/services/kv/storage/" + encoded);
    BOOST_TEST_REQUIRE(back.status == 200, key << ": " << back.body);
    BOOST_TEST(parse(back).at("key").as_string() == key);
    BOOST_TEST(parse(back).at("value").as_string() == key);
  }
  // Overwrite, scalar values.
  BOOST_TEST(api.send("PUT", "/services/kv/storage/user%2F1", put_body(json::value(42))).status == 200);
  BOOST_TEST(parse(api.send("GET", "/services/kv/storage/user%2F1")).at("value").as_int64() == 42);

  // Paging: 250 more keys, pages of 7, in byte order, each key once.
  json::array entries;
  for (int i = 0; i < 250; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "p/%03d", i);
    entries.push_back(json::object{{"key", key}, {"value", i}});
  }
  auto imported = api.send("POST", "/services/kv/storage:import", json::serialize(json::object{{"entries", entries}}));
  BOOST_TEST_REQUIRE(imported.status == 200, imported.body);
  BOOST_TEST(parse(imported).at("imported").as_int64() == 250);
  auto paged = all_keys(api, "kv", 7, "p%2F");
  BOOST_TEST_REQUIRE(paged.size() == 250u);
  for (int i = 0; i < 250; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "p/%03d", i);
    BOOST_TEST(paged[i] == key);
  }
  auto every = all_keys(api, "kv", 1000);
  BOOST_TEST(every.size() == 250u + 1 + odd.size());
  BOOST_TEST(std::is_sorted(every.begin(), every.end()));
  BOOST_TEST(std::set<std::string>(every.begin(), every.end()).size() == every.size());
  // One page of the default size.
  auto first = parse(api.send("GET", "/services/kv/storage"));
  BOOST_TEST(first.at("entries").as_array().size() == 100u);
  BOOST_TEST(first.at("next_cursor").is_string());

  // GET /services/{id} shows the use.
  auto status = parse(api.send("GET", "/services/kv"));
  BOOST_TEST(status.at("storage").at("keys").as_int64() == static_cast<int64_t>(every.size()));
  BOOST_TEST(status.at("storage").at("bytes").as_int64() > 0);

  // Delete: true, then false; the key is gone.
  auto removed = api.send("DELETE", "/services/kv/storage/user/1");
  BOOST_TEST_REQUIRE(removed.status == 200, removed.body);
  BOOST_TEST(parse(removed).at("deleted").as_bool());
  BOOST_TEST(parse(api.send("DELETE", "/services/kv/storage/user/1")).at("deleted").as_bool() == false);
  auto missing = api.send("GET", "/services/kv/storage/user/1");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(error_code(missing) == "not_found");

  // The service sees the operator's writes, and the operator the service's.
  auto call = api.send("POST", "/services/kv/call", R"({"op": "get", "key": "p/007"})");
  BOOST_TEST_REQUIRE(call.status == 200, call.body);
  BOOST_TEST(parse(call).at("reply").at("value").as_int64() == 7);
  BOOST_TEST(api.send("POST", "/services/kv/call", R"({"op": "put", "key": "from-lua", "value": [1, 2]})").status ==
             200);
  auto from_lua = api.send("GET", "/services/kv/storage/from-lua");
  BOOST_TEST_REQUIRE(from_lua.status == 200, from_lua.body);
  BOOST_TEST(parse(from_lua).at("value").as_array().size() == 2u);

  // Durable when answered: a SIGKILL right after keeps every acknowledged write.
  solo.kill9();
  SoloProcess again(dir / "data");
  Api after{again, "", ""};
  BOOST_TEST(parse(after.send("GET", "/services/kv/storage/p/249")).at("value").as_int64() == 249);
  BOOST_TEST(parse(after.send("GET", "/services/kv/storage/%2E%2E")).at("value").as_string() == "..");
  BOOST_TEST(after.send("GET", "/services/kv/storage/user/1").status == 404);
  BOOST_TEST(all_keys(after, "kv", 1000).size() == every.size());  // from-lua added, user/1 removed
}

BOOST_AUTO_TEST_CASE(bad_keys_values_and_bodies_are_400_and_write_nothing) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "kv");
  Api api{solo, "", ""};
  const std::string long_key(1025, 'k');
  const std::string big_value(128 * 1024, 'v');  // its JSON text is 2 bytes longer than the limit
  struct Case {
    std::string method, target, body;
  };
  const std::vector<Case> cases = {
      {"PUT", "/services/kv/storage/" + long_key, put_body(json::value(1))},
      {"GET", "/services/kv/storage/" + long_key, ""},
      {"PUT", "/services/kv/storage/big", put_body(json::value(big_value))},
      {"PUT", "/services/kv/storage/k", "{not json"},
      {"PUT", "/services/kv/storage/k", "[1, 2]"},
      {"PUT", "/services/kv/storage/k", R"({"val": 1})"},
      {"PUT", "/services/kv/storage/k", R"({"value": 1e400})"},
      {"PUT", "/services/kv/storage/bad%FF", put_body(json::value(1))},
      {"GET", "/services/kv/storage?limit=0", ""},
      {"GET", "/services/kv/storage?limit=1001", ""},
      {"POST", "/services/kv/storage:import", R"({"entries": []})"},
      {"POST", "/services/kv/storage:import", R"({"entries": [{"key": "a", "value": 1}, {"key": "a", "value": 2}]})"},
      {"POST", "/services/kv/storage:import", R"({"entries": [{"key": "ok", "value": 1}, {"key": "", "value": 2}]})"},
      {"POST", "/services/kv/storage:import", "nope"},
  };
  for (const auto& c : cases) {
    auto response = api.send(c.method, c.target, c.body);
    BOOST_TEST(response.status == 400, c.method << " " << c.target.substr(0, 60) << ": " << response.body);
    BOOST_TEST(error_code(response) == "invalid_request", response.body);
    BOOST_TEST(parse(response).at("timestamp").is_string());
  }
  // The largest value that fits is stored.
  auto fits = api.send("PUT", "/services/kv/storage/big", put_body(json::value(big_value.substr(2))));
  BOOST_TEST(fits.status == 200, fits.body.substr(0, 200));
  auto keys = all_keys(api, "kv", 1000);
  BOOST_TEST(keys == std::vector<std::string>{"big"});  // nothing of the refused requests
  // Quotas: a service limited to 2 keys takes 2 through PUT; a third PUT and
  // an import that would pass the limit are 429 and write nothing.
  auto small = test::send(solo, "POST", "/services",
                          json::serialize(json::object{{"service_id", "small"}, {"code", kBox},
                                                       {"limits", {{"storage_keys", 2}}}}),
                          solo.admin_token());
  BOOST_TEST_REQUIRE(small.status == 201, small.body);
  BOOST_TEST(api.send("PUT", "/services/small/storage/one", put_body(json::value(1))).status == 200);
  BOOST_TEST(api.send("PUT", "/services/small/storage/two", put_body(json::value(2))).status == 200);
  BOOST_TEST(api.send("PUT", "/services/small/storage/two", put_body(json::value(22))).status == 200);  // a replace
  auto third = api.send("PUT", "/services/small/storage/three", put_body(json::value(3)));
  BOOST_TEST(third.status == 429, third.body);
  BOOST_TEST(error_code(third) == "quota_exceeded", third.body);
  auto over = api.send("POST", "/services/small/storage:import",
                       R"({"entries": [{"key": "one", "value": 11}, {"key": "four", "value": 4}]})");
  BOOST_TEST(over.status == 429, over.body);
  BOOST_TEST(parse(api.send("GET", "/services/small/storage/one")).at("value").as_int64() == 1);  // all or nothing
  BOOST_TEST(all_keys(api, "small", 10) == (std::vector<std::string>{"one", "two"}));
  // An id that is neither deployed nor holding data, and a malformed one.
  BOOST_TEST(api.send("GET", "/services/nobody/storage").status == 404);
  BOOST_TEST(api.send("PUT", "/services/nobody/storage/k", put_body(json::value(1))).status == 404);
  BOOST_TEST(api.send("GET", "/services/bad%20id/storage").status == 400);
}

BOOST_AUTO_TEST_CASE(tenants_see_only_their_own_data_and_the_permissions_hold) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "box", "alpha");
  Api alpha_admin{solo, "", "alpha"};
  BOOST_TEST_REQUIRE(alpha_admin.send("PUT", "/services/box/storage/secret", put_body(json::value("alpha"))).status ==
                     200);

  // Another tenant, by its own token and by the admin acting for it: 404, as
  // if nothing were there; its writes land nowhere.
  const auto beta = grant(solo, "beta", {"tenant_admin"});
  for (const Api& other : {Api{solo, beta, ""}, Api{solo, "", "beta"}}) {
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/services/box/storage"},
             {"GET", "/services/box/storage/secret"},
             {"PUT", "/services/box/storage/secret"},
             {"DELETE", "/services/box/storage/secret"},
             {"POST", "/services/box/storage:import"}}) {
      std::string body = method == "PUT"    ? put_body(json::value("beta"))
                         : method == "POST" ? R"({"entries": [{"key": "secret", "value": "beta"}]})"
                                            : "";
      auto response = other.send(method, target, body);
      BOOST_TEST(response.status == 404, method << " " << target << ": " << response.body);
      BOOST_TEST(error_code(response) == "not_found");
    }
  }
  // A beta service of the same id has its own, empty storage.
  deploy(solo, "box", "beta");
  Api beta_api{solo, beta, ""};
  BOOST_TEST(all_keys(beta_api, "box", 100).empty());
  BOOST_TEST(beta_api.send("PUT", "/services/box/storage/secret", put_body(json::value("beta"))).status == 200);
  BOOST_TEST(parse(alpha_admin.send("GET", "/services/box/storage/secret")).at("value").as_string() == "alpha");
  BOOST_TEST(parse(beta_api.send("GET", "/services/box/storage/secret")).at("value").as_string() == "beta");

  // Permissions: `call` alone reaches no storage route; storage:read reads
  // but cannot write; storage:write on another service cannot touch box.
  const auto caller = grant(solo, "alpha", {"call", "status"});
  const auto reader = grant(solo, "alpha", {"storage:read"}, "services/box");
  const auto writer_elsewhere = grant(solo, "alpha", {"storage:read", "storage:write"}, "services/other");
  const auto writer = grant(solo, "alpha", {"storage:write"}, "services/box");
  const std::vector<std::pair<std::string, std::string>> reads = {{"GET", "/services/box/storage"},
                                                                  {"GET", "/services/box/storage/secret"}};
  const std::vector<std::pair<std::string, std::string>> writes = {{"PUT", "/services/box/storage/k"},
                                                                   {"DELETE", "/services/box/storage/k"},
                                                                   {"POST", "/services/box/storage:import"}};
  auto body_for = [](const std::string& method) -> std::string {
    if (method == "PUT") return put_body(json::value(1));
    if (method == "POST") return R"({"entries": [{"key": "k", "value": 1}]})";
    return "";
  };
  const Api as_caller{solo, caller, ""};
  const Api as_reader{solo, reader, ""};
  const Api as_writer_elsewhere{solo, writer_elsewhere, ""};
  for (const auto& [method, target] : reads) {
    BOOST_TEST(as_caller.send(method, target).status == 403, method << " " << target);
    BOOST_TEST(as_writer_elsewhere.send(method, target).status == 403, method << " " << target);
    BOOST_TEST(as_reader.send(method, target).status == 200, method << " " << target);
  }
  for (const auto& [method, target] : writes) {
    for (const auto& token : {caller, reader, writer_elsewhere}) {
      auto response = Api{solo, token, ""}.send(method, target, body_for(method));
      BOOST_TEST(response.status == 403, method << " " << target << ": " << response.body);
      BOOST_TEST(error_code(response) == "forbidden");
    }
  }
  for (const auto& [method, target] : writes) {
    auto response = Api{solo, writer, ""}.send(method, target, body_for(method));
    BOOST_TEST(response.status == 200, method << " " << target << ": " << response.body);
  }
  // A tenant_admin of alpha holds both.
  const auto alpha_tenant_admin = grant(solo, "alpha", {"tenant_admin"});
  const Api as_tenant_admin{solo, alpha_tenant_admin, ""};
  BOOST_TEST(as_tenant_admin.send("PUT", "/services/box/storage/t", put_body(json::value(1))).status == 200);
  BOOST_TEST(as_tenant_admin.send("GET", "/services/box/storage/t").status == 200);
}

BOOST_AUTO_TEST_CASE(the_data_outlives_a_kill_a_redeploy_sees_it_and_purge_deletes_it) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "box");
  Api api{solo, "", ""};
  BOOST_TEST_REQUIRE(api.send("POST", "/services/box/call", R"({"op": "put", "key": "kept", "value": {"v": 1}})")
                         .status == 200);
  auto killed = api.send("DELETE", "/services/box");
  BOOST_TEST_REQUIRE(killed.status == 202, killed.body);
  BOOST_TEST(parse(killed).at("purged").as_bool() == false);
  // Still addressable through its data: read and written while not deployed.
  auto kept = api.send("GET", "/services/box/storage/kept");
  BOOST_TEST_REQUIRE(kept.status == 200, kept.body);
  BOOST_TEST(parse(kept).at("value").at("v").as_int64() == 1);
  BOOST_TEST(api.send("PUT", "/services/box/storage/added", put_body(json::value("while down"))).status == 200);
  // A redeploy of the id continues with the data, in Lua too.
  deploy(solo, "box");
  auto seen = api.send("POST", "/services/box/call", R"({"op": "get", "key": "added"})");
  BOOST_TEST_REQUIRE(seen.status == 200, seen.body);
  BOOST_TEST(parse(seen).at("reply").at("value").as_string() == "while down");
  BOOST_TEST(parse(api.send("GET", "/services/box")).at("storage").at("keys").as_int64() == 2);
  // The tenant's use against its quota counts it.
  auto tenant_use = [&api](const char* quota) {
    return parse(api.send("GET", "/tenants/default")).at("quota").at(quota).at("used").as_int64();
  };
  BOOST_TEST(tenant_use("storage_keys_total") == 2);
  BOOST_TEST(tenant_use("storage_bytes_total") > 0);

  // Purge: the data goes with the kill; the id is then unknown to storage.
  auto purged = api.send("DELETE", "/services/box?purge=true");
  BOOST_TEST_REQUIRE(purged.status == 202, purged.body);
  BOOST_TEST(parse(purged).at("purged").as_bool());
  BOOST_TEST(tenant_use("storage_keys_total") == 0);
  BOOST_TEST(tenant_use("storage_bytes_total") == 0);
  auto gone = api.send("GET", "/services/box/storage");
  BOOST_TEST(gone.status == 404, gone.body);
  BOOST_TEST(api.send("PUT", "/services/box/storage/k", put_body(json::value(1))).status == 404);
  deploy(solo, "box");
  BOOST_TEST(all_keys(api, "box", 100).empty());
  auto fresh = api.send("POST", "/services/box/call", R"({"op": "get", "key": "kept"})");
  BOOST_TEST_REQUIRE(fresh.status == 200, fresh.body);
  BOOST_TEST(!parse(fresh).at("reply").as_object().contains("value"));
}

// The service's read cache (lua_storage_library.hpp) never answers with a
// value an operator has since replaced or deleted.
BOOST_AUTO_TEST_CASE(a_running_service_reads_an_operators_write_at_its_next_message) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "box");
  Api api{solo, "", ""};
  auto get_in_lua = [&api]() {
    auto seen = api.send("POST", "/services/box/call", R"({"op": "get", "key": "n"})");
    BOOST_TEST_REQUIRE(seen.status == 200, seen.body);
    return parse(seen).at("reply");
  };
  BOOST_TEST_REQUIRE(api.send("POST", "/services/box/call", R"({"op": "put", "key": "n", "value": 1})").status == 200);
  BOOST_TEST(get_in_lua().at("value").as_int64() == 1);
  BOOST_TEST(get_in_lua().at("value").as_int64() == 1);
  BOOST_TEST_REQUIRE(api.send("PUT", "/services/box/storage/n", put_body(json::value(2))).status == 200);
  BOOST_TEST(get_in_lua().at("value").as_int64() == 2);
  BOOST_TEST_REQUIRE(api.send("DELETE", "/services/box/storage/n").status == 200);
  BOOST_TEST(!get_in_lua().as_object().contains("value"));
}

BOOST_AUTO_TEST_CASE(websocket_ops_read_and_write_storage_like_rest) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "kv");
  WsClient ws(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!ws.error, ws.error.message());
  auto args = [](std::initializer_list<std::pair<std::string, json::value>> fields) {
    json::object out;
    for (const auto& [key, value] : fields) out[key] = value;
    return out;
  };
  auto put = ws.op(1, "storage_put", args({{"service_id", "kv"}, {"key", "a/b?c"}, {"value", {{"n", 1}}}}));
  BOOST_TEST_REQUIRE(put.at("ok").as_bool(), json::serialize(put));
  BOOST_TEST(put.at("result").at("key").as_string() == "a/b?c");
  auto get = ws.op(2, "storage_get", args({{"service_id", "kv"}, {"key", "a/b?c"}}));
  BOOST_TEST_REQUIRE(get.at("ok").as_bool(), json::serialize(get));
  BOOST_TEST(get.at("result").at("value").at("n").as_int64() == 1);
  auto imported = ws.op(3, "storage_import",
                        args({{"service_id", "kv"},
                              {"entries", json::array{json::object{{"key", "b"}, {"value", 2}},
                                                      json::object{{"key", "c"}, {"value", 3}}}}}));
  BOOST_TEST_REQUIRE(imported.at("ok").as_bool(), json::serialize(imported));
  BOOST_TEST(imported.at("result").at("imported").as_int64() == 2);
  auto page = ws.op(4, "storage_list", args({{"service_id", "kv"}, {"limit", 2}}));
  BOOST_TEST_REQUIRE(page.at("ok").as_bool(), json::serialize(page));
  BOOST_TEST(page.at("result").at("entries").as_array().size() == 2u);
  BOOST_TEST(page.at("result").at("next_cursor").as_string() == "b");
  auto rest = ws.op(5, "storage_list", args({{"service_id", "kv"}, {"cursor", "b"}}));
  BOOST_TEST(rest.at("result").at("entries").as_array().size() == 1u);
  BOOST_TEST(rest.at("result").at("next_cursor").is_null());
  auto removed = ws.op(6, "storage_delete", args({{"service_id", "kv"}, {"key", "a/b?c"}}));
  BOOST_TEST(removed.at("result").at("deleted").as_bool());
  auto missing = ws.op(7, "storage_get", args({{"service_id", "kv"}, {"key", "a/b?c"}}));
  BOOST_TEST(missing.at("ok").as_bool() == false);
  BOOST_TEST(missing.at("error").at("status").as_int64() == 404);
  auto bad = ws.op(8, "storage_put", args({{"service_id", "kv"}, {"key", "k"}}));
  BOOST_TEST(bad.at("error").at("status").as_int64() == 400);
  // The op is authorized like REST: a reader cannot write over the socket either.
  WsClient reader(solo, grant(solo, "default", {"storage:read"}));
  auto refused = reader.op(9, "storage_put", args({{"service_id", "kv"}, {"key", "k"}, {"value", 1}}));
  BOOST_TEST(refused.at("error").at("status").as_int64() == 403);
  BOOST_TEST(reader.op(10, "storage_get", args({{"service_id", "kv"}, {"key", "b"}})).at("ok").as_bool());
}

BOOST_AUTO_TEST_CASE(the_cli_exports_json_lines_and_imports_them_in_atomic_chunks) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  deploy(solo, "src");
  deploy(solo, "dst");
  const std::vector<std::string> client = {"--url", solo.url(), "--data", (dir / "data").string()};
  auto cli = [&](std::vector<std::string> args, const std::filesystem::path& in = "/dev/null") {
    args.insert(args.end(), client.begin(), client.end());
    return run_cli(dir.path(), std::move(args), in);
  };
  auto put = cli({"storage", "put", "src", "greeting/en", R"({"text": "hello"})"});
  BOOST_TEST_REQUIRE(put.code == 0, put.err);
  BOOST_TEST(put.out.find("put greeting/en") != std::string::npos, put.out);
  auto got = cli({"storage", "get", "src", "greeting/en"});
  BOOST_TEST_REQUIRE(got.code == 0, got.err);
  BOOST_TEST(json::parse(got.out).at("text").as_string() == "hello");
  {
    std::ofstream value(dir / "value.json");
    value << "[1, 2, 3]";
  }
  BOOST_TEST(cli({"storage", "put", "src", "..", "--file", (dir / "value.json").string()}).code == 0);
  BOOST_TEST(cli({"storage", "put", "src", "nothing", "null"}).code == 0);  // JSON null is a value (solo.null)
  // 2500 entries: the import needs three chunks.
  {
    std::ofstream lines(dir / "bulk.jsonl");
    for (int i = 0; i < 2500; ++i) {
      lines << json::serialize(json::object{{"key", "bulk/" + std::to_string(i)}, {"value", {{"i", i}}}}) << "\n";
    }
  }
  auto bulk = cli({"storage", "import", "src", (dir / "bulk.jsonl").string()});
  BOOST_TEST_REQUIRE(bulk.code == 0, bulk.err);
  BOOST_TEST(bulk.out.find("imported 2500 entries into src (3 chunks)") != std::string::npos, bulk.out);

  auto exported = cli({"storage", "export", "src"});
  BOOST_TEST_REQUIRE(exported.code == 0, exported.err);
  std::istringstream lines(exported.out);
  std::string line;
  std::vector<std::string> keys;
  while (std::getline(lines, line)) keys.emplace_back(json::parse(line).at("key").as_string());
  BOOST_TEST(keys.size() == 2503u);
  BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));
  {
    std::ofstream file(dir / "export.jsonl", std::ios::binary);
    file << exported.out;
  }
  // Round trip through stdin into another service: the same lines come out.
  auto imported = cli({"storage", "import", "dst"}, dir / "export.jsonl");
  BOOST_TEST_REQUIRE(imported.code == 0, imported.err);
  auto again = cli({"storage", "export", "dst"});
  BOOST_TEST(again.out == exported.out);

  auto listed = cli({"storage", "ls", "dst", "--prefix", "greeting/"});
  BOOST_TEST(listed.code == 0);
  BOOST_TEST(listed.out.find("greeting/en") != std::string::npos, listed.out);
  BOOST_TEST(listed.out.find("bulk/") == std::string::npos, listed.out);
  auto one_page = cli({"storage", "ls", "dst", "--limit", "2", "--json"});
  BOOST_TEST(json::parse(one_page.out).at("entries").as_array().size() == 2u);
  auto removed = cli({"storage", "rm", "dst", "greeting/en"});
  BOOST_TEST(removed.out == "deleted greeting/en\n");
  BOOST_TEST(cli({"storage", "rm", "dst", "greeting/en"}).out == "no key greeting/en\n");
  BOOST_TEST(cli({"storage", "get", "dst", "greeting/en"}).code == 1);

  // A malformed line: exit 2 and nothing imported; a chunk the server refuses: exit 1.
  {
    std::ofstream broken(dir / "broken.jsonl");
    broken << R"({"key": "fine", "value": 1})" << "\n" << "not json\n";
  }
  auto broken = cli({"storage", "import", "dst", (dir / "broken.jsonl").string()});
  BOOST_TEST(broken.code == 2, broken.err);
  BOOST_TEST(broken.err.find("line 2") != std::string::npos, broken.err);
  BOOST_TEST(cli({"storage", "get", "dst", "fine"}).code == 1);
  {
    std::ofstream refused(dir / "refused.jsonl");
    refused << R"({"key": "fine", "value": 1})" << "\n" << R"({"key": "", "value": 2})" << "\n";
  }
  auto refused = cli({"storage", "import", "dst", (dir / "refused.jsonl").string()});
  BOOST_TEST(refused.code == 1, refused.err);
  BOOST_TEST(refused.err.find("0 entries in 0 earlier chunks") != std::string::npos, refused.err);
  BOOST_TEST(cli({"storage", "get", "dst", "fine"}).code == 1);  // the chunk was all or nothing

  // kill --purge through the CLI.
  BOOST_TEST(cli({"kill", "dst", "--purge"}).code == 0);
  BOOST_TEST(cli({"storage", "ls", "dst"}).code == 1);
  BOOST_TEST(cli({"storage", "bogus", "src"}).code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
