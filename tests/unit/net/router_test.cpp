// Router: pattern matching, parameters, 404 and 405.
#include "net/router.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace solo::net {
namespace {

asio::awaitable<Response> echo_route(std::string name, Request& request) {
  boost::json::object params;
  for (const auto& [key, value] : request.params) params[key] = value;
  co_return json_response(200, {{"route", name}, {"params", params}});
}

Handler named(std::string name) {
  return [name](Request& request) { return echo_route(name, request); };
}

Response route(const Router& router, std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = path;
  request.target = std::move(path);
  asio::io_context io;
  auto result = asio::co_spawn(io, router.route(request), asio::use_future);
  io.run();
  return result.get();
}

boost::json::object body(const Response& response) {
  return boost::json::parse(response.body).as_object();
}

Router sample_router() {
  Router router;
  router.add("GET", "/health", named("health"));
  router.add("GET", "/services", named("list"));
  router.add("POST", "/services", named("deploy"));
  router.add("GET", "/services/{id}", named("status"));
  router.add("DELETE", "/services/{id}", named("kill"));
  router.add("POST", "/services/{id}/call", named("call"));
  router.add("GET", "/services/stats", named("stats"));
  return router;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(a_placeholder_segment_lands_in_params) {
  const auto router = sample_router();
  const auto response = route(router, "POST", "/services/counter-1/call");
  BOOST_TEST(response.status == 200);
  const auto json = body(response);
  BOOST_TEST(json.at("route").as_string() == "call");
  BOOST_TEST(json.at("params").at("id").as_string() == "counter-1");
}

BOOST_AUTO_TEST_CASE(the_method_selects_among_routes_of_one_path) {
  const auto router = sample_router();
  BOOST_TEST(body(route(router, "GET", "/services")).at("route").as_string() == "list");
  BOOST_TEST(body(route(router, "POST", "/services")).at("route").as_string() == "deploy");
  BOOST_TEST(body(route(router, "DELETE", "/services/a")).at("route").as_string() == "kill");
}

BOOST_AUTO_TEST_CASE(a_literal_segment_beats_a_placeholder) {
  const auto router = sample_router();
  BOOST_TEST(body(route(router, "GET", "/services/stats")).at("route").as_string() == "stats");
  BOOST_TEST(body(route(router, "GET", "/services/other")).at("route").as_string() == "status");
}

// Literal routes are looked up before the pattern scan: the rules must not
// change with it (the first added wins among equal routes; a literal route
// names the metrics label; a path that only looks like one is not it).
BOOST_AUTO_TEST_CASE(a_literal_route_is_the_first_added_and_labels_the_request) {
  Router router;
  router.add("GET", "/{what}", named("placeholder"));
  router.add("GET", "/health", named("first"));
  router.add("GET", "/health", named("second"));
  BOOST_TEST(body(route(router, "GET", "/health")).at("route").as_string() == "first");
  BOOST_TEST(route(router, "GET", "/health/").status == 404);
  BOOST_TEST(body(route(router, "GET", "/healthz")).at("route").as_string() == "placeholder");
  Request request;
  request.method = "GET";
  request.path = "/health";
  asio::io_context io;
  auto result = asio::co_spawn(io, router.route(request), asio::use_future);
  io.run();
  BOOST_TEST(result.get().status == 200);
  BOOST_TEST(request.route == "/health");
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_404_not_found_with_the_error_shape) {
  const auto router = sample_router();
  for (const auto* path : {"/nope", "/services/a/b/c", "/services/", "/"}) {
    const auto response = route(router, "GET", path);
    BOOST_TEST(response.status == 404);
    BOOST_TEST(response.content_type == "application/json");
    const auto json = body(response);
    BOOST_TEST(json.at("error").as_string() == "not_found");
    BOOST_TEST(json.at("message").is_string());
    const std::string timestamp(json.at("timestamp").as_string());
    BOOST_TEST(timestamp.size() == 24u);  // 2026-01-02T03:04:05.678Z
    BOOST_TEST(timestamp.back() == 'Z');
  }
}

BOOST_AUTO_TEST_CASE(a_known_path_with_another_method_is_405_with_allow) {
  const auto router = sample_router();
  const auto response = route(router, "PUT", "/services/x");
  BOOST_TEST(response.status == 405);
  BOOST_TEST(body(response).at("error").as_string() == "method_not_allowed");
  BOOST_REQUIRE(response.headers.size() == 1u);
  BOOST_TEST(response.headers[0].first == "Allow");
  BOOST_TEST(response.headers[0].second == "GET, DELETE");
}

// Found by fuzz_http (tests/fuzz/corpus/http/regression_405_invalid_utf8):
// "POST /services/fuzz%echhealth" decodes to a path with the byte 0xEC, which
// the 405 message quoted as is, so the body was not valid JSON.
BOOST_AUTO_TEST_CASE(an_error_quoting_a_path_that_is_not_utf8_is_still_valid_json) {
  const auto router = sample_router();
  const auto response = route(router, "PUT", "/services/fuzz\xec" "hhealth");
  BOOST_TEST(response.status == 405);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(response.body, ec);  // parse() rejects invalid UTF-8
  BOOST_TEST_REQUIRE(!ec, ec.message());
  BOOST_TEST(parsed.at("message").as_string() ==
             "PUT is not allowed on /services/fuzz\xEF\xBF\xBDhhealth");
  const auto missing = route(router, "GET", "/nowhere/\xff\xfe");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(!boost::json::parse(missing.body, ec).is_null());
  BOOST_TEST(!ec, ec.message());
}

BOOST_AUTO_TEST_CASE(routes_lists_every_method_and_pattern_in_order) {
  const auto routes = sample_router().routes();
  BOOST_REQUIRE(routes.size() == 7u);
  BOOST_TEST(routes[0].first == "GET");
  BOOST_TEST(routes[0].second == "/health");
  BOOST_TEST(routes[5].first == "POST");
  BOOST_TEST(routes[5].second == "/services/{id}/call");
}

// A storage key may hold '/': `{key+}` takes the rest of the path, as sent
// (empty segments included), and is reported under its OpenAPI spelling.
BOOST_AUTO_TEST_CASE(a_greedy_placeholder_takes_the_rest_of_the_path) {
  Router router;
  router.add("GET", "/services/{id}", named("status"));
  router.add("GET", "/services/{id}/storage", named("list"));
  router.add("GET", "/services/{id}/storage/{key+}", named("key"));
  router.add("POST", "/services/{id}/storage:import", named("import"));
  for (const std::string key : {"a", "a/b", "a//b/", "/x", "import", "storage:import", "a b?c#d"}) {
    const auto json = body(route(router, "GET", "/services/s1/storage/" + key));
    BOOST_TEST(json.at("route").as_string() == "key", key);
    BOOST_TEST(json.at("params").at("key").as_string() == key);
    BOOST_TEST(json.at("params").at("id").as_string() == "s1");
  }
  BOOST_TEST(body(route(router, "GET", "/services/s1/storage")).at("route").as_string() == "list");
  BOOST_TEST(route(router, "GET", "/services/s1/storage/").status == 404);  // an empty key is no key
  BOOST_TEST(body(route(router, "POST", "/services/s1/storage:import")).at("route").as_string() == "import");
  BOOST_TEST(route(router, "PUT", "/services/s1/storage/a/b").status == 405);
  Request request;
  request.method = "GET";
  request.path = "/services/s1/storage/a/b";
  asio::io_context io;
  auto result = asio::co_spawn(io, router.route(request), asio::use_future);
  io.run();
  BOOST_TEST(result.get().status == 200);
  BOOST_TEST(request.route == "/services/{id}/storage/{key}");
  BOOST_TEST(router.routes()[2].second == "/services/{id}/storage/{key}");
}

BOOST_AUTO_TEST_CASE(malformed_patterns_are_rejected_at_setup) {
  Router router;
  BOOST_CHECK_THROW(router.add("GET", "services", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(router.add("GET", "/services/{}", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(router.add("GET", "/services/{id", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(router.add("GET", "/services/{rest+}/call", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(router.add("GET", "/services/{+}", named("x")), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
