// The "done when" for MCP, through the official TypeScript SDK
// (@modelcontextprotocol/sdk 1.32.2, tests/mcp/): the real server, two tokens
// of one tenant minted over REST (every service permission; the same without
// `deploy`), and tests/mcp/sdk_test.mjs run by `node`, which drives the server
// over Streamable HTTP and over `solo mcp` (stdio): initialize, list tools,
// deploy, call, read the logs resource, a tool error for code that does not
// compile, a refusal for the token without deploy. Each step prints an `ok`
// line; every one must be there, so a step the script skipped fails here.
//
// The build copies the script into SOLO_MCP_SDK_DIR and runs `npm ci` there
// (tests/CMakeLists.txt); `make deps` installs Node.js when it is missing.
#include <filesystem>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/child_process.hpp"
#include "support/solo_process.hpp"

using solo::test::SoloProcess;

namespace {

constexpr const char* kTenant = "sdk";

// A token of kTenant with `permissions`, minted with the admin token.
std::string mint(const SoloProcess& solo, const std::vector<std::string>& permissions) {
  boost::json::object body;
  body["tenant_id"] = kTenant;
  boost::json::array list;
  for (const auto& permission : permissions) list.emplace_back(permission);
  body["permissions"] = std::move(list);
  body["ttl_seconds"] = 3600;
  auto response = solo::test::send(solo, "POST", "/tokens", boost::json::serialize(body), solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 201, "POST /tokens: " << response.status << " " << response.body);
  return std::string(boost::json::parse(response.body).at("token").as_string());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_sdk)

BOOST_AUTO_TEST_CASE(the_official_sdk_deploys_calls_reads_logs_and_is_refused_over_http_and_stdio) {
  const std::filesystem::path sdk_dir = SOLO_MCP_SDK_DIR;
  BOOST_TEST_REQUIRE(std::filesystem::exists(sdk_dir / "sdk_test.mjs"), "the build did not copy tests/mcp to " << sdk_dir);
  BOOST_TEST_REQUIRE(std::filesystem::exists(sdk_dir / "node_modules/@modelcontextprotocol/sdk/package.json"),
                     "the MCP SDK is not installed in " << sdk_dir
                                                        << " (the build runs npm ci there; make deps installs npm)");

  solo::test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "500"});
  auto full = mint(solo, {"deploy", "kill", "swap", "status", "call", "logs", "events"});
  auto no_deploy = mint(solo, {"kill", "swap", "status", "call", "logs", "events"});

  // In SOLO_MCP_SDK_DIR, so that the script's imports find node_modules there.
  auto run = solo::test::run_child(dir.path(), "node", {"node", "sdk_test.mjs"},
                                   {{"SOLO_URL", solo.url()},
                                    {"SOLO_TOKEN", full},
                                    {"SOLO_NO_DEPLOY_TOKEN", no_deploy},
                                    {"SOLO_BINARY", SOLO_BINARY}},
                                   sdk_dir, std::chrono::seconds(240));
  BOOST_TEST_MESSAGE("sdk_test.mjs:\n" << run.out);
  BOOST_TEST(run.code != 127, "node could not be started (make deps installs nodejs)");
  BOOST_TEST(run.code == 0, "sdk_test.mjs exited " << run.code << "\nstdout:\n"
                                                   << run.out << "\nstderr:\n"
                                                   << run.err << "\nserver stderr:\n"
                                                   << solo.errors());
  for (const char* transport : {"http", "stdio"}) {
    for (const char* step : {"initialize", "list_tools", "deploy", "call", "read_logs", "compile_error", "refused",
                             "close"}) {
      auto line = std::string("ok ") + transport + " " + step;
      BOOST_TEST(run.out.find(line) != std::string::npos, "missing step: " << line);
    }
  }
  BOOST_TEST(run.out.find("ok all") != std::string::npos);
  BOOST_TEST(run.out.find("FAIL") == std::string::npos, run.out);
}

BOOST_AUTO_TEST_SUITE_END()
