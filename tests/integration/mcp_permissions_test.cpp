// The MCP permission matrix against the real binary over POST /mcp
// (docs/mcp.md, "Tools"): for EVERY tool tools/list names, a token with
// exactly the permission the tool needs is served, a token with every other
// permission is refused with isError naming `forbidden`, and a token of
// another tenant reaches none of the first tenant's services, secrets or
// storage. The matrix is this file's own table, compared with tools/list: a
// tool added without a row fails the test.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/solo_process.hpp"

using solo::test::SoloProcess;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTenant = "acme";

// A service with state in memory and in solo.storage.
constexpr const char* kService = R"(
function init(config) return { n = 0 } end
function handle_call(msg, state)
  state.n = state.n + 1
  solo.log("info", "call " .. tostring(state.n))
  if msg.key then solo.storage.put(msg.key, msg.value or true) end
  return { n = state.n }, state
end
function handle_cast(msg, state) return state end
)";

// Every permission a tenant token can hold except tenant_admin (which is
// all of them): the "every other permission" tokens are built from it.
const std::vector<std::string> kPermissions = {"deploy", "kill",          "swap",         "status",        "call",
                                               "logs",   "events",        "secrets:write", "secrets:read", "storage:read",
                                               "storage:write", "registry", "grant",        "metrics"};

// One row of the matrix: the tool, the permissions that each let it through
// (usually one; list_secrets takes either secrets permission), and valid
// arguments against the fixture's services.
struct Row {
  std::string tool;
  std::vector<std::string> needs;
  std::string arguments;
};
const std::vector<Row> kMatrix = {
    {"deploy_service", {"deploy"}, R"({"service_id": "fresh", "code": "function handle_call(m, s) return m, s end"})"},
    {"swap_code", {"swap"}, R"({"service_id": "svc", "code": "function handle_call(m, s) return {swapped = true}, s end function handle_cast(m, s) return s end"})"},
    {"kill_service", {"kill"}, R"({"service_id": "victim"})"},
    {"call_service", {"call"}, R"({"service_id": "svc", "message": {"key": "from_call"}})"},
    {"cast_service", {"call"}, R"({"service_id": "svc", "message": {}})"},
    {"list_services", {"status"}, R"({})"},
    {"get_service_status", {"status"}, R"({"service_id": "svc"})"},
    {"get_logs", {"logs"}, R"({"service_id": "svc"})"},
    {"get_events", {"events"}, R"({"limit": 5})"},
    {"put_secret", {"secrets:write"}, R"({"key": "api", "value": "v4lue-of-api"})"},
    {"list_secrets", {"secrets:read", "secrets:write"}, R"({})"},
    {"get_storage_value", {"storage:read"}, R"({"service_id": "svc", "key": "k"})"},
    {"put_storage_value", {"storage:write"}, R"({"service_id": "svc", "key": "k2", "value": {"x": 1}})"},
    {"list_storage", {"storage:read"}, R"({"service_id": "svc"})"},
    {"register_service", {"registry"}, R"({"service_id": "svc", "name": "svc", "version": "1"})"},
    {"discover_services", {"registry"}, R"({"name": "svc"})"},
    {"grant_token", {"grant"}, R"({"permissions": ["grant"], "ttl_seconds": 60})"},
};

json::object parse_object(const std::string& text) {
  auto value = json::parse(text);
  BOOST_REQUIRE_MESSAGE(value.is_object(), text);
  return value.as_object();
}

// An MCP client over POST /mcp with one bearer token: initialize opens the
// session, then every request carries Mcp-Session-Id.
class McpClient {
 public:
  McpClient(const SoloProcess& solo, std::string token) : solo_(solo), token_(std::move(token)) {
    auto init = post(json::object{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", "initialize"},
                                  {"params", json::object{{"protocolVersion", "2025-11-25"},
                                                          {"capabilities", json::object{}},
                                                          {"clientInfo", json::object{{"name", "matrix"},
                                                                                      {"version", "1"}}}}}});
    BOOST_REQUIRE_MESSAGE(init.status == 200, init.body);
    auto session = init.header("mcp-session-id");
    BOOST_REQUIRE(session.has_value());
    session_ = *session;
    auto initialized = post(json::object{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    BOOST_REQUIRE_EQUAL(initialized.status, 202);
  }

  // The JSON-RPC response to `method` with `params`.
  json::object request(const std::string& method, json::object params) {
    auto reply = post(json::object{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}});
    BOOST_REQUIRE_MESSAGE(reply.status == 200, method << ": " << reply.status << " " << reply.body);
    return parse_object(reply.body);
  }

  // The CallToolResult of tools/call.
  json::object call(const std::string& tool, const std::string& arguments) {
    auto response = request("tools/call", json::object{{"name", tool}, {"arguments", json::parse(arguments)}});
    BOOST_REQUIRE_MESSAGE(response.contains("result"), tool << ": " << json::serialize(response));
    return response.at("result").as_object();
  }

 private:
  solo::net::ClientResponse post(const json::object& message) {
    solo::net::HttpClient client(solo_.url(), std::chrono::seconds(30));
    solo::net::HeaderList headers{{"authorization", "Bearer " + token_},
                                  {"content-type", "application/json"},
                                  {"accept", "application/json, text/event-stream"}};
    if (!session_.empty()) {
      headers.emplace_back("mcp-session-id", session_);
      headers.emplace_back("mcp-protocol-version", "2025-11-25");
    }
    return client.request("POST", "/mcp", json::serialize(message), headers);
  }

  const SoloProcess& solo_;
  std::string token_;
  std::string session_;
  int64_t next_id_ = 1;
};

std::string text_of(const json::object& result) {
  return std::string(result.at("content").as_array().at(0).as_object().at("text").as_string());
}
bool is_error(const json::object& result) {
  auto* flag = result.if_contains("isError");
  return flag && flag->as_bool();
}

struct Fixture {
  Fixture() : dir(fs::temp_directory_path() / ("solo-mcp-matrix-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    solo.emplace(dir / "data");
    admin = solo->admin_token();
    for (const char* id : {"svc", "victim"}) {
      json::object spec{{"service_id", id}, {"code", kService}};
      auto deployed = solo::test::send(*solo, "POST", "/services", json::serialize(spec), admin, kTenant);
      BOOST_REQUIRE_MESSAGE(deployed.status == 201, deployed.body);
    }
    auto secret = solo::test::send(*solo, "POST", "/secrets", R"({"key": "db", "value": "hunter2-db"})", admin,
                                   kTenant);
    BOOST_REQUIRE_EQUAL(secret.status, 201);
    auto stored = solo::test::send(*solo, "PUT", "/services/svc/storage/k", R"({"value": "acme-data"})", admin,
                                   kTenant);
    BOOST_REQUIRE_MESSAGE(stored.status == 200, stored.body);
  }
  ~Fixture() {
    solo.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // A token of `tenant` with exactly `permissions`.
  std::string token(const std::vector<std::string>& permissions, const std::string& tenant = kTenant) {
    json::array list;
    for (const auto& p : permissions) list.emplace_back(p);
    json::object body{{"tenant_id", tenant}, {"permissions", list}};
    auto minted = solo::test::send(*solo, "POST", "/tokens", json::serialize(body), admin);
    BOOST_REQUIRE_MESSAGE(minted.status == 201, minted.body);
    return std::string(parse_object(minted.body).at("token").as_string());
  }

  fs::path dir;
  std::optional<SoloProcess> solo;
  std::string admin;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(mcp_permissions, Fixture)

BOOST_AUTO_TEST_CASE(the_matrix_covers_every_tool_and_each_needs_exactly_its_permission) {
  McpClient lister(*solo, token({"status"}));
  std::set<std::string> listed;
  auto tools = lister.request("tools/list", {});
  for (const auto& tool : tools.at("result").as_object().at("tools").as_array()) {
    listed.insert(std::string(tool.as_object().at("name").as_string()));
  }
  std::set<std::string> rows;
  for (const auto& row : kMatrix) rows.insert(row.tool);
  // A tool without a row (or a row for a tool that is gone) fails here.
  BOOST_TEST(listed == rows, "tools/list and the matrix differ: every tool needs a row");
  BOOST_TEST(listed.size() == kMatrix.size());

  for (const auto& row : kMatrix) {
    BOOST_TEST_CONTEXT("tool " << row.tool) {
      // Every other permission: refused, and the refusal names forbidden.
      std::vector<std::string> others;
      for (const auto& p : kPermissions) {
        if (std::find(row.needs.begin(), row.needs.end(), p) == row.needs.end()) others.push_back(p);
      }
      McpClient without(*solo, token(others));
      auto refused = without.call(row.tool, row.arguments);
      BOOST_TEST(is_error(refused));
      BOOST_TEST(text_of(refused).rfind("forbidden", 0) == 0u, text_of(refused));
      BOOST_TEST(!refused.contains("structuredContent"));

      // Exactly the permission (each alternative): served.
      for (const auto& needed : row.needs) {
        McpClient with(*solo, token({needed}));
        auto served = with.call(row.tool, row.arguments);
        BOOST_TEST(!is_error(served), needed << ": " << text_of(served));
        BOOST_TEST(served.at("structuredContent").is_object());
      }
    }
  }
  // What the served calls did is real: the kill, the deploy and the swap.
  auto victim = solo::test::send(*solo, "GET", "/services/victim", "", admin, kTenant);
  BOOST_TEST(victim.status == 404);
  auto fresh = solo::test::send(*solo, "GET", "/services/fresh", "", admin, kTenant);
  BOOST_TEST(fresh.status == 200);
  auto code = solo::test::send(*solo, "GET", "/services/svc/code", "", admin, kTenant);
  BOOST_TEST(code.body.find("swapped = true") != std::string::npos, code.body);
}

BOOST_AUTO_TEST_CASE(list_secrets_gives_names_never_values) {
  McpClient reader(*solo, token({"secrets:read"}));
  auto listed = reader.call("list_secrets", "{}");
  BOOST_TEST(!is_error(listed));
  BOOST_TEST(json::serialize(listed).find("db") != std::string::npos);
  BOOST_TEST(json::serialize(listed).find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(resources_need_the_permission_of_their_rest_twin) {
  McpClient status(*solo, token({"status"}));
  auto code = status.request("resources/read", json::object{{"uri", "solo://services/svc/code"}});
  BOOST_REQUIRE_MESSAGE(code.contains("result"), json::serialize(code));
  std::string text(code.at("result").as_object().at("contents").as_array()[0].as_object().at("text").as_string());
  BOOST_TEST(text.find("function handle_call") != std::string::npos);

  McpClient caller(*solo, token({"call"}));
  auto refused = caller.request("resources/read", json::object{{"uri", "solo://services/svc/code"}});
  BOOST_REQUIRE(refused.contains("error"));
  BOOST_TEST(json::serialize(refused).find("forbidden") != std::string::npos);
  auto logs = caller.request("resources/read", json::object{{"uri", "solo://services/svc/logs"}});
  BOOST_TEST(logs.contains("error"));
  auto events = caller.request("resources/read", json::object{{"uri", "solo://events"}});
  BOOST_TEST(events.contains("error"));
  auto guide = caller.request("resources/read", json::object{{"uri", "solo://guide/service-contract"}});
  BOOST_TEST(guide.contains("result"));
}

BOOST_AUTO_TEST_CASE(another_tenant_reaches_no_service_secret_or_storage_of_the_first) {
  McpClient other(*solo, token({"tenant_admin"}, "globex"));
  for (const auto& [tool, arguments] : std::vector<std::pair<std::string, std::string>>{
           {"get_service_status", R"({"service_id": "svc"})"},
           {"call_service", R"({"service_id": "svc", "message": {"key": "stolen"}})"},
           {"cast_service", R"({"service_id": "svc"})"},
           {"swap_code", R"({"service_id": "svc", "code": "function handle_call(m, s) return 'pwned', s end"})"},
           {"kill_service", R"({"service_id": "svc", "purge": true})"},
           {"get_storage_value", R"({"service_id": "svc", "key": "k"})"},
           {"put_storage_value", R"({"service_id": "svc", "key": "k", "value": "overwritten"})"},
           {"list_storage", R"({"service_id": "svc"})"},
       }) {
    BOOST_TEST_CONTEXT("tool " << tool) {
      auto result = other.call(tool, arguments);
      BOOST_TEST(is_error(result));
      BOOST_TEST(text_of(result).rfind("not_found", 0) == 0u, text_of(result));
    }
  }
  // A registration lives in the registering tenant: globex's names no service
  // of its own, so it is not alive; acme's registry does not see it.
  auto registered = other.call("register_service", R"({"service_id": "svc", "name": "svc", "version": "1"})");
  BOOST_TEST(!is_error(registered));
  BOOST_TEST(registered.at("structuredContent").as_object().at("alive").as_bool() == false);
  auto acme_registry = solo::test::send(*solo, "GET", "/registry", "", admin, kTenant);
  BOOST_TEST(acme_registry.body.find("\"total\":0") != std::string::npos, acme_registry.body);
  auto secrets = other.call("list_secrets", "{}");
  BOOST_TEST(!is_error(secrets));
  BOOST_TEST(json::serialize(secrets.at("structuredContent")).find("db") == std::string::npos);
  auto services = other.call("list_services", "{}");
  BOOST_TEST(services.at("structuredContent").as_object().at("total").as_int64() == 0);
  auto code = other.request("resources/read", json::object{{"uri", "solo://services/svc/code"}});
  BOOST_TEST(code.contains("error"));
  // globex's own secret of the same name is its own; acme's is untouched.
  BOOST_TEST(!is_error(other.call("put_secret", R"({"key": "db", "value": "globex-value"})")));

  // Nothing of acme's changed.
  auto svc = solo::test::send(*solo, "GET", "/services/svc", "", admin, kTenant);
  BOOST_TEST(svc.status == 200);
  auto data = solo::test::send(*solo, "GET", "/services/svc/storage/k", "", admin, kTenant);
  BOOST_TEST(data.body.find("acme-data") != std::string::npos);
  auto revealed = solo::test::send(*solo, "GET", "/secrets/db?reveal=true", "", admin, kTenant);
  BOOST_TEST(revealed.body.find("hunter2-db") != std::string::npos);
  auto stolen = solo::test::send(*solo, "GET", "/services/svc/storage/stolen", "", admin, kTenant);
  BOOST_TEST(stolen.status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
