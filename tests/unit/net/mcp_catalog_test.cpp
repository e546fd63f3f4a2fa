// The MCP catalog (net/mcp/mcp_tools.hpp, mcp_resources.hpp): every tool is
// described for a model and maps onto one REST request, bad arguments are a
// clear BadRequest, REST answers become tool results, and resource URIs are
// Solo's own and nothing else (no traversal to another route).
#include <set>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/api/request_args.hpp"
#include "net/mcp/json_schema_check.hpp"
#include "net/mcp/mcp_resources.hpp"
#include "net/mcp/mcp_tools.hpp"
#include "net/mcp/service_contract_guide.hpp"

namespace solo::net::mcp {
namespace {

namespace json = boost::json;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

const json::object& tool(std::string_view name) {
  for (const auto& t : tool_list()) {
    if (t.as_object().at("name").as_string() == name) return t.as_object();
  }
  throw std::runtime_error("no tool " + std::string(name));
}

Response answer(int status, std::string body, HeaderList headers = {}) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The message of the BadRequest `f` throws ("" when it throws none).
template <class F>
std::string bad_request_message(F f) {
  try {
    f();
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "";
}

std::string query_text(const OpRequest& r) {
  std::string out;
  for (const auto& [k, v] : r.query) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

// One valid call of every tool and the REST request it must become, plus a
// 2xx body that route answers (checked against the tool's outputSchema).
struct Case {
  std::string_view tool;
  std::string_view arguments;
  std::string_view method;
  std::string_view path;
  std::string_view query;
  std::string_view answer;
};
const Case kCases[] = {
    {"deploy_service", R"({"service_id": "c", "code": "function handle_call(m, s) return m, s end", "limits": {"mailbox": 5}})",
     "POST", "/services", "",
     R"({"service_id": "c", "status": "deployed", "version": 1, "code_sha256": "ab", "event_id": 7})"},
    {"swap_code", R"({"service_id": "c", "code": "x = 1"})", "PUT", "/services/c/code", "",
     R"({"service_id": "c", "version": 2})"},
    {"kill_service", R"({"service_id": "c", "purge": true})", "DELETE", "/services/c", "purge=true",
     R"({"service_id": "c", "status": "killed", "purged": true, "event_id": 9})"},
    {"call_service", R"({"service_id": "c", "message": {"op": "inc"}})", "POST", "/services/c/call", "",
     R"({"reply": {"count": 1}})"},
    {"cast_service", R"({"service_id": "c"})", "POST", "/services/c/cast", "",
     R"({"service_id": "c", "status": "queued"})"},
    {"list_services", R"({"limit": 5, "status": "running"})", "GET", "/services", "limit=5&status=running",
     R"({"services": [{"service_id": "c"}], "total": 1, "limit": 5, "offset": 0})"},
    {"get_service_status", R"({"service_id": "c"})", "GET", "/services/c", "",
     R"({"service_id": "c", "status": "running", "alive": true, "version": 1, "restarts": 0, "circuit": {}})"},
    {"get_logs", R"({"service_id": "c", "level": "warn", "limit": 10})", "GET", "/logs",
     "limit=10&service_id=c&level=warn", R"({"logs": [{"id": 1, "line": "x"}], "next": 1})"},
    {"get_events", R"({"since": 3, "type": "service_crashed"})", "GET", "/events", "since=3&type=service_crashed",
     R"({"events": [], "next": 3})"},
    {"put_secret", R"({"key": "db", "value": "s3cret"})", "POST", "/secrets", "",
     R"({"key": "db", "stored": true})"},
    {"list_secrets", R"({})", "GET", "/secrets", "", R"({"secrets": ["db"], "total": 1})"},
    {"get_storage_value", R"({"service_id": "kv", "key": "a/b"})", "GET", "/services/kv/storage/a/b", "",
     R"({"key": "a/b", "value": [1, 2]})"},
    {"put_storage_value", R"({"service_id": "kv", "key": "k", "value": null})", "PUT", "/services/kv/storage/k", "",
     R"({"key": "k", "bytes": 5, "storage": {"bytes": 5, "keys": 1}})"},
    {"list_storage", R"({"service_id": "kv", "prefix": "a/"})", "GET", "/services/kv/storage", "prefix=a/",
     R"({"entries": [{"key": "a/1", "value": 1}], "next_cursor": null})"},
    {"register_service", R"({"service_id": "c", "name": "counter", "version": "1.0", "metadata": {"zone": "eu"}})",
     "POST", "/registry", "",
     R"({"handle": "h1", "service_id": "c", "name": "counter", "version": "1.0", "metadata": {}, "alive": true})"},
    {"discover_services", R"({"name": "counter", "metadata": {"zone": "eu", "gpu": true}})", "GET", "/registry",
     "zone=eu&gpu=true&name=counter", R"({"registrations": [], "total": 0})"},
    {"grant_token", R"({"permissions": ["call"], "resource": "services/c", "ttl_seconds": 60})", "POST", "/tokens",
     "", R"({"token": "t", "token_id": "i", "tenant_id": "acme", "expires_at": "2026-01-01T00:00:00Z"})"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_catalog)

BOOST_AUTO_TEST_CASE(every_tool_is_described_for_a_model) {
  std::set<std::string> names;
  for (const auto& value : tool_list()) {
    const auto& t = value.as_object();
    std::string name(t.at("name").as_string());
    BOOST_TEST_CONTEXT("tool " << name) {
      BOOST_TEST(names.insert(name).second);
      BOOST_TEST(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
      BOOST_TEST(!t.at("title").as_string().empty());
      BOOST_TEST(t.at("description").as_string().size() > 100u);
      BOOST_TEST(tool_permission(name).has_value());
      const auto& input = t.at("inputSchema").as_object();
      BOOST_TEST(input.at("type").as_string() == "object");
      BOOST_TEST(input.at("additionalProperties").as_bool() == false);
      const auto& properties = input.at("properties").as_object();
      if (auto* required = input.if_contains("required")) {
        for (const auto& field : required->as_array()) BOOST_TEST(properties.contains(field.as_string()));
      }
      const auto& output = t.at("outputSchema").as_object();
      BOOST_TEST(output.at("type").as_string() == "object");
      // Permissive: the SDK client validates structuredContent against it.
      BOOST_TEST(!output.contains("additionalProperties"));
      for (const auto& field : output.at("required").as_array()) {
        BOOST_TEST(output.at("properties").as_object().contains(field.as_string()));
      }
      const auto& hints = t.at("annotations").as_object();
      BOOST_TEST(hints.at("readOnlyHint").is_bool());
      BOOST_TEST(hints.at("destructiveHint").is_bool());
      BOOST_TEST(hints.at("idempotentHint").is_bool());
      BOOST_TEST(hints.at("openWorldHint").as_bool() == false);
      if (hints.at("readOnlyHint").as_bool()) BOOST_TEST(!hints.at("destructiveHint").as_bool());
    }
  }
  BOOST_TEST(names.size() == std::size(kCases));
  BOOST_TEST(tool("list_secrets").at("description").as_string().find("never their values") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_tool_maps_to_its_rest_request_and_its_answer_fits_the_output_schema) {
  std::set<std::string> covered;
  for (const auto& c : kCases) {
    BOOST_TEST_CONTEXT("tool " << c.tool) {
      covered.insert(std::string(c.tool));
      auto request = tool_request(c.tool, obj(c.arguments));
      BOOST_REQUIRE(request.has_value());
      BOOST_TEST(request->method == c.method);
      BOOST_TEST(request->path == c.path);
      BOOST_TEST(query_text(*request) == c.query);
      auto result = tool_result(c.tool, answer(200, std::string(c.answer)));
      BOOST_TEST(result.at("isError").as_bool() == false);
      BOOST_TEST(result.at("structuredContent") == json::parse(c.answer));
      BOOST_TEST(result.at("content").as_array()[0].as_object().at("type").as_string() == "text");
      BOOST_CHECK_NO_THROW(check_against_schema(tool(c.tool).at("outputSchema").as_object(), json::parse(c.answer)));
    }
  }
  for (const auto& t : tool_list()) BOOST_TEST(covered.count(std::string(t.as_object().at("name").as_string())) == 1u);
  // A call without a message sends {} (REST: an empty body is {}).
  BOOST_TEST(*tool_request("call_service", obj(R"({"service_id": "c"})"))->body == "{}");
  BOOST_TEST(*tool_request("call_service", obj(R"({"service_id": "c", "message": [1]})"))->body == "[1]");
  BOOST_TEST(!tool_request("no_such_tool", {}).has_value());
  // The output schema is checked for real: a body without a required field fails it.
  BOOST_CHECK_THROW(check_against_schema(tool("call_service").at("outputSchema").as_object(), obj("{}")), BadRequest);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_a_bad_request_naming_the_field) {
  auto message = [](std::string_view tool, std::string_view args) {
    return bad_request_message([&] { tool_request(tool, obj(args)); });
  };
  BOOST_TEST(message("deploy_service", R"({"service_id": "c"})") == "'code' is required");
  BOOST_TEST(message("deploy_service", R"({"service_id": "c", "code": 5})") == "'code' must be of type string");
  BOOST_TEST(message("deploy_service", R"({"service_id": "c", "code": "x", "limits": {"mailbox": 0}})") ==
             "'limits.mailbox' must be from 1 to inf");
  BOOST_TEST(message("deploy_service", R"({"service_id": "c", "code": "x", "limts": {}})").find(
                 "unknown argument 'limts'") == 0u);
  BOOST_TEST(message("list_services", R"({"limit": 5000})") == "'limit' must be from 1 to 1000");
  BOOST_TEST(message("list_services", R"({"limit": 1.5})") == "'limit' must be of type integer");
  BOOST_TEST(message("get_logs", R"({"level": "loud"})").find("'level' must be one of") == 0u);
  BOOST_TEST(message("grant_token", R"({"permissions": ["admin"]})").find("'permissions[0]' must be one of") == 0u);
  BOOST_TEST(message("grant_token", R"({"permissions": []})") == "'permissions' must hold 1 to any number of items");
  BOOST_TEST(message("get_service_status", R"({"service_id": ""})") == "'service_id' must be 1 to 128 bytes long");
  // Path tricks: a service id cannot reach another route.
  BOOST_TEST(message("get_service_status", R"({"service_id": "a/b"})").find("must not contain '/'") != std::string::npos);
  BOOST_TEST(message("kill_service", R"({"service_id": ".."})").find("must not contain") != std::string::npos);
  BOOST_TEST(message("discover_services", R"({"metadata": {"name": "x"}})").find("may not be named 'name'") != std::string::npos);
  BOOST_TEST(message("discover_services", R"({"metadata": {"k": [1]}})") ==
             "'metadata.k' must be of type string or number or boolean");
}

BOOST_AUTO_TEST_CASE(an_error_answer_is_a_tool_error_a_model_can_act_on) {
  auto text_of = [](const json::object& result) {
    return std::string(result.at("content").as_array()[0].as_object().at("text").as_string());
  };
  auto forbidden = tool_result(
      "put_storage_value", answer(403, R"({"error": "forbidden", "message": "missing permission", "timestamp": "t"})"));
  BOOST_TEST(forbidden.at("isError").as_bool());
  BOOST_TEST(!forbidden.contains("structuredContent"));
  BOOST_TEST(text_of(forbidden).find("forbidden (HTTP 403): missing permission.") == 0u);
  BOOST_TEST(text_of(forbidden).find("lacks the permission 'storage:write'") != std::string::npos);

  auto compile = tool_result("deploy_service", answer(400, R"({"error": "invalid_request", "message": "[string \"service\"]:3: syntax error"})"));
  BOOST_TEST(text_of(compile).find("invalid_request (HTTP 400): [string \"service\"]:3: syntax error") == 0u);
  BOOST_TEST(text_of(compile).find("Fix what the message names") != std::string::npos);

  auto busy = tool_result("call_service", answer(503, R"({"error": "overloaded", "message": "circuit open"})",
                                                 {{"Retry-After", "3"}}));
  BOOST_TEST(text_of(busy).find("retry after 3 s") != std::string::npos);
  auto throttled = tool_result("call_service", answer(429, R"({"error": "overloaded", "message": "m"})",
                                                      {{"Retry-After", "1"}}));
  BOOST_TEST(text_of(throttled).find("throttled") != std::string::npos);
  auto quota = tool_result("deploy_service",
                           answer(429, R"({"error": "quota_exceeded", "message": "m", "quota": "services"})"));
  BOOST_TEST(text_of(quota).find("quota_exceeded") == 0u);
  auto not_json = tool_result("get_logs", answer(502, "bad gateway"));
  BOOST_TEST(text_of(not_json).find("http_502 (HTTP 502): bad gateway") == 0u);
}

BOOST_AUTO_TEST_CASE(resource_uris_are_solos_own_and_nothing_else) {
  auto code = resource_request("solo://services/counter/code");
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST(code->method == "GET");
  BOOST_TEST(code->path == "/services/counter/code");
  auto logs = resource_request("solo://services/counter/logs?since=42");
  BOOST_REQUIRE(logs.has_value());
  BOOST_TEST(logs->path == "/logs");
  BOOST_TEST(query_text(*logs) == "since=42&limit=1000&service_id=counter");
  auto events = resource_request("solo://events");
  BOOST_REQUIRE(events.has_value());
  BOOST_TEST(events->path == "/events");
  auto guide = resource_request("solo://guide/service-contract");
  BOOST_REQUIRE(guide.has_value());
  BOOST_TEST(guide->method.empty());
  for (std::string_view bad :
       {"http://services/counter/code", "solo://services/../x", "solo://services/../code", "solo://services/%2e%2e/code",
        "solo://services/a/b/code", "solo://services/.hidden/code", "solo://services/counter/secrets",
        "solo://services/counter/code?since=1", "solo://events?since=-1", "solo://events?x=1", "solo://events/",
        "solo://guide/other", "solo://services//code", "SOLO://events", "solo://services/counter/logs?since="}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(!resource_request(bad).has_value());
      BOOST_TEST(!subscription_for(bad).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(resource_results_and_the_list) {
  auto code = resource_result("solo://services/c/code",
                              answer(200, R"({"service_id": "c", "version": 2, "code": "function handle_call() end"})"));
  const auto& content = code.at("contents").as_array()[0].as_object();
  BOOST_TEST(content.at("uri").as_string() == "solo://services/c/code");
  BOOST_TEST(content.at("text").as_string() == "function handle_call() end");
  BOOST_TEST(content.at("mimeType").as_string() == "text/x-lua");
  try {
    resource_result("solo://services/c/code", answer(404, R"({"error": "not_found", "message": "no service c"})"));
    BOOST_FAIL("a 404 must throw");
  } catch (const Error& e) {
    BOOST_TEST((e.kind() == ErrorKind::not_found));
    BOOST_TEST(std::string(e.what()) == "no service c");
  }
  auto guide = resource_result("solo://guide/service-contract", Response{});
  BOOST_TEST(guide.at("contents").as_array()[0].as_object().at("text").as_string() == service_contract_guide());

  auto list = resource_list(answer(200, R"({"services": [{"service_id": "a"}, {"service_id": "b"}], "total": 2})"));
  std::set<std::string> uris;
  for (const auto& r : list) uris.insert(std::string(r.as_object().at("uri").as_string()));
  BOOST_TEST(uris == (std::set<std::string>{"solo://guide/service-contract", "solo://events", "solo://services/a/code",
                                            "solo://services/a/logs", "solo://services/b/code", "solo://services/b/logs"}));
  BOOST_CHECK_THROW(resource_list(answer(403, R"({"error": "forbidden", "message": "m"})")), Error);
  BOOST_TEST(services_request().path == "/services");
  BOOST_TEST(resource_templates().size() == 2u);
}

BOOST_AUTO_TEST_CASE(subscriptions_are_the_event_log_and_a_services_logs) {
  auto events = subscription_for("solo://events");
  BOOST_REQUIRE(events.has_value());
  BOOST_TEST((events->kind == Subscription::Kind::events));
  auto logs = subscription_for("solo://services/c/logs");
  BOOST_REQUIRE(logs.has_value());
  BOOST_TEST((logs->kind == Subscription::Kind::logs));
  BOOST_TEST(logs->service_id == "c");
  BOOST_TEST(!subscription_for("solo://services/c/code").has_value());
  BOOST_TEST(!subscription_for("solo://guide/service-contract").has_value());
}

BOOST_AUTO_TEST_CASE(the_write_service_prompt_gives_contract_limits_and_examples) {
  BOOST_REQUIRE(prompt_list().size() == 1u);
  BOOST_TEST(prompt_list()[0].as_object().at("name").as_string() == "write_service");
  BOOST_TEST(!prompt_get("other", {}).has_value());
  auto prompt = prompt_get("write_service", obj(R"({"purpose": "count page views"})"));
  BOOST_REQUIRE(prompt.has_value());
  const auto& message = prompt->at("messages").as_array()[0].as_object();
  BOOST_TEST(message.at("role").as_string() == "user");
  std::string text(message.at("content").as_object().at("text").as_string());
  for (std::string_view needle :
       {"handle_call(msg, state)", "handle_cast", "code_change", "solo.storage.put", "| memory_bytes | 16777216 |",
        "| cpu_ms_per_message | 50 |", "| instructions_per_message | 100000000 |", "count page views"}) {
    BOOST_TEST_CONTEXT(needle) { BOOST_TEST(text.find(needle) != std::string::npos); }
  }
  // The examples are the files in examples/, embedded at build time.
  BOOST_TEST(text.find(std::string(example_counter_lua())) != std::string::npos);
  BOOST_TEST(text.find(std::string(example_kv_lua())) != std::string::npos);
  BOOST_TEST(example_counter_lua().find("function handle_call") != std::string_view::npos);
  BOOST_TEST(prompt_get("write_service", {}).has_value());
  BOOST_TEST(bad_request_message([] { prompt_get("write_service", obj(R"({"purpose": 5})")); }) ==
             "'purpose' must be a string");
  BOOST_TEST(bad_request_message([] { prompt_get("write_service", obj(R"({"topic": "x"})")); }).find("unknown") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net::mcp
