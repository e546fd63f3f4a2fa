// The write_service prompt and the guide resource through the real binary
// (docs/mcp.md, "Resources and prompts"): the complete examples the prompt
// gives an agent deploy as they are and answer, with a token that may only
// deploy and call: an agent that copies them succeeds on its first try.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "support/mcp_client.hpp"
#include "support/solo_process.hpp"

using solo::test::McpClient;
using solo::test::SoloProcess;
using solo::test::is_error;
using solo::test::parse_object;
using solo::test::text_of;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// The bodies of the ```lua blocks of a Markdown text, in order.
std::vector<std::string> lua_blocks(const std::string& text) {
  std::vector<std::string> blocks;
  size_t at = 0;
  while ((at = text.find("```lua\n", at)) != std::string::npos) {
    auto start = at + 7;
    auto end = text.find("```", start);
    if (end == std::string::npos) break;
    blocks.push_back(text.substr(start, end - start));
    at = end + 3;
  }
  return blocks;
}

struct Fixture {
  Fixture() : dir(fs::temp_directory_path() / ("solo-mcp-guide-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    solo.emplace(dir / "data");
  }
  ~Fixture() {
    solo.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path dir;
  std::optional<SoloProcess> solo;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(mcp_guide, Fixture)

BOOST_AUTO_TEST_CASE(the_prompts_examples_deploy_and_answer_as_given) {
  auto minted = solo::test::send(*solo, "POST", "/tokens", R"({"tenant_id": "acme", "permissions": ["deploy", "call"]})",
                                 solo->admin_token());
  BOOST_REQUIRE_MESSAGE(minted.status == 201, minted.body);
  McpClient agent(*solo, std::string(parse_object(minted.body).at("token").as_string()));

  auto prompt = agent.request("prompts/get", json::object{{"name", "write_service"},
                                                          {"arguments", json::object{{"purpose", "count things"}}}});
  BOOST_REQUIRE_MESSAGE(prompt.contains("result"), json::serialize(prompt));
  const auto& message = prompt.at("result").as_object().at("messages").as_array().at(0).as_object();
  std::string text(message.at("content").as_object().at("text").as_string());
  BOOST_TEST(text.find("count things") != std::string::npos);

  // The guide resource is the same text (without the request).
  auto guide = agent.request("resources/read", json::object{{"uri", "solo://guide/service-contract"}});
  BOOST_REQUIRE(guide.contains("result"));
  std::string guide_text(
      guide.at("result").as_object().at("contents").as_array().at(0).as_object().at("text").as_string());
  BOOST_TEST(text.rfind(guide_text, 0) == 0u);

  // The contract's sketch, then the two complete examples: counter and kv.
  auto blocks = lua_blocks(text);
  BOOST_REQUIRE_EQUAL(blocks.size(), 3u);
  json::object counter{{"service_id", "counter"}, {"code", blocks[1]}, {"config", json::object{{"start", 40}}}};
  auto deployed = agent.call("deploy_service", json::serialize(counter));
  BOOST_TEST(!is_error(deployed), text_of(deployed));
  auto counted = agent.call("call_service", R"({"service_id": "counter", "message": {"op": "inc", "by": 2}})");
  BOOST_TEST(!is_error(counted), text_of(counted));
  BOOST_TEST(counted.at("structuredContent") == json::parse(R"({"reply": {"count": 42}})"));

  json::object kv{{"service_id", "kv"}, {"code", blocks[2]}};
  deployed = agent.call("deploy_service", json::serialize(kv));
  BOOST_TEST(!is_error(deployed), text_of(deployed));
  auto put = agent.call("call_service", R"({"service_id": "kv", "message": {"op": "put", "key": "a", "value": [1]}})");
  BOOST_TEST(!is_error(put), text_of(put));
  auto got = agent.call("call_service", R"({"service_id": "kv", "message": {"op": "get", "key": "a"}})");
  BOOST_TEST(got.at("structuredContent") == json::parse(R"({"reply": {"key": "a", "value": [1]}})"));

  // And code that does not compile is a tool error naming the line, with what to do.
  auto broken = agent.call("deploy_service", R"({"service_id": "broken", "code": "function handle_call(m, s)\n  return m s\nend"})");
  BOOST_TEST(is_error(broken));
  BOOST_TEST(text_of(broken).rfind("invalid_request (HTTP 400): [string \"service\"]:2:", 0) == 0u, text_of(broken));
  BOOST_TEST(text_of(broken).find("What to do:") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
