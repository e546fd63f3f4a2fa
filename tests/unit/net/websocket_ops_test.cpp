// WebSocket ops as the REST requests they stand for (net/websocket_ops.hpp):
// the storage ops map onto the storage routes, a key with '/' or '?' kept
// whole in the path (the op path is not decoded; the route takes the rest).
#include "net/websocket_ops.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/api/request_args.hpp"

namespace solo::net {
namespace {

boost::json::object args(std::string_view text) { return boost::json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_ops)

// docs/websocket.md: kill takes force and purge, as DELETE /services/{id} does.
BOOST_AUTO_TEST_CASE(kill_passes_force_and_purge) {
  auto kill = op_request("kill", args(R"({"service_id": "kv", "force": true, "purge": true})"));
  BOOST_REQUIRE(kill.has_value());
  BOOST_TEST(kill->path == "/services/kv");
  BOOST_REQUIRE(kill->query.size() == 2u);
  BOOST_TEST(kill->query[0].first == "force");
  BOOST_TEST(kill->query[1].first == "purge");
  BOOST_TEST(kill->query[1].second == "true");
}

BOOST_AUTO_TEST_CASE(storage_ops_are_the_storage_routes) {
  auto list = op_request("storage_list", args(R"({"service_id": "kv", "prefix": "a/", "limit": 5, "cursor": "a/1"})"));
  BOOST_REQUIRE(list.has_value());
  BOOST_TEST(list->method == "GET");
  BOOST_TEST(list->path == "/services/kv/storage");
  BOOST_REQUIRE(list->query.size() == 3u);
  BOOST_TEST(list->query[1].second == "5");

  auto get = op_request("storage_get", args(R"({"service_id": "kv", "key": "a/b?c"})"));
  BOOST_TEST(get->method == "GET");
  BOOST_TEST(get->path == "/services/kv/storage/a/b?c");

  auto put = op_request("storage_put", args(R"({"service_id": "kv", "key": "k", "value": {"n": 1}})"));
  BOOST_TEST(put->method == "PUT");
  BOOST_TEST(put->path == "/services/kv/storage/k");
  BOOST_TEST(*put->body == R"({"value":{"n":1}})");
  BOOST_TEST(*op_request("storage_put", args(R"({"service_id": "kv", "key": "k"})"))->body == "{}");

  auto erase = op_request("storage_delete", args(R"({"service_id": "kv", "key": "k"})"));
  BOOST_TEST(erase->method == "DELETE");
  BOOST_TEST(erase->path == "/services/kv/storage/k");

  auto import = op_request("storage_import", args(R"({"service_id": "kv", "entries": [{"key": "k", "value": 1}]})"));
  BOOST_TEST(import->method == "POST");
  BOOST_TEST(import->path == "/services/kv/storage:import");
  BOOST_TEST(*import->body == R"({"entries":[{"key":"k","value":1}]})");
}

BOOST_AUTO_TEST_CASE(a_storage_op_needs_a_service_id_without_slash_and_a_non_empty_key) {
  BOOST_CHECK_THROW(op_request("storage_get", args(R"({"service_id": "kv"})")), BadRequest);
  BOOST_CHECK_THROW(op_request("storage_get", args(R"({"service_id": "kv", "key": ""})")), BadRequest);
  BOOST_CHECK_THROW(op_request("storage_get", args(R"({"service_id": "kv", "key": 5})")), BadRequest);
  BOOST_CHECK_THROW(op_request("storage_put", args(R"({"service_id": "a/b", "key": "k"})")), BadRequest);
  BOOST_CHECK_THROW(op_request("storage_list", args(R"({})")), BadRequest);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
