// The OpenAPI document (docs/openapi.json, embedded and served at
// GET /openapi.json) names every route the kernel's gateway serves, with the
// same method, and nothing else. (That every path answers is checked against
// the real binary in tests/integration/gateway_test.cpp.)
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "apps/kernel.hpp"
#include "apps/cluster_node.hpp"
#include "net/api/openapi_routes.hpp"
#include "support/async_test.hpp"

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(every_live_route_is_in_the_document_and_every_operation_is_live) {
  boost::asio::io_context io;
  solo::test::TempDir dir;
  solo::KernelOptions options;
  options.data_dir = dir / "data";
  auto kernel = solo::Kernel::create(io.get_executor(), options);  // builds the tree and routes; no boot
  std::set<std::pair<std::string, std::string>> live;
  for (const auto& [method, pattern] : kernel->routes()) live.emplace(method, pattern);
  // A cluster node's own routes (apps/cluster_node.hpp) are in the document too.
  for (const auto& [method, pattern] : solo::cluster_node_routes()) live.emplace(method, pattern);
  BOOST_TEST_REQUIRE(live.size() > 20u);

  auto document = boost::json::parse(solo::net::openapi_document()).as_object();
  BOOST_TEST(std::string(document.at("openapi").as_string()).rfind("3.", 0) == 0u);
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method == "parameters") continue;
      std::string upper(method);
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(upper, std::string(path));
    }
  }
  for (const auto& route : live) {
    BOOST_TEST(documented.count(route) == 1u, route.first << " " << route.second << " is not in docs/openapi.json");
  }
  for (const auto& operation : documented) {
    BOOST_TEST(live.count(operation) == 1u,
               operation.first << " " << operation.second << " is documented but not routed");
  }
}

BOOST_AUTO_TEST_SUITE_END()
