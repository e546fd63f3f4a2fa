// The JSON-RPC layer of the MCP server (net/mcp/json_rpc.hpp): malformed
// JSON, invalid messages, the three kinds of message, batches as allowed,
// and the bounds (size, depth, batch length).
#include "net/mcp/json_rpc.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace solo::net::mcp {
namespace {

namespace json = boost::json;

int code_of(const json::object& error) { return static_cast<int>(error.at("error").at("code").as_int64()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_json_rpc)

BOOST_AUTO_TEST_CASE(malformed_json_is_one_parse_error_with_a_null_id) {
  for (std::string_view body : {"", "{", "{\"jsonrpc\": \"2.0\", \"id\": 1,", "not json", "\xff\xfe"}) {
    auto parsed = parse_body(body, true);
    BOOST_TEST(parsed.messages.empty());
    BOOST_REQUIRE_EQUAL(parsed.errors.size(), 1u);
    BOOST_TEST(code_of(parsed.errors[0]) == rpc_code::parse_error);
    BOOST_TEST(parsed.errors[0].at("id").is_null());
  }
}

BOOST_AUTO_TEST_CASE(invalid_messages_are_invalid_requests_answering_their_id_when_readable) {
  struct Case {
    std::string_view body;
    bool id_kept;
  };
  for (auto [body, id_kept] : {Case{R"(42)", false}, Case{R"("text")", false},
                               Case{R"({"id": 7, "method": "ping"})", true},
                               Case{R"({"jsonrpc": "1.0", "id": 7, "method": "ping"})", true},
                               Case{R"({"jsonrpc": "2.0", "id": 7, "method": 3})", true},
                               Case{R"({"jsonrpc": "2.0", "id": 7, "method": ""})", true},
                               Case{R"({"jsonrpc": "2.0", "id": 7, "method": "ping", "params": "x"})", true},
                               Case{R"({"jsonrpc": "2.0", "id": 1.5, "method": "ping"})", false},
                               Case{R"({"jsonrpc": "2.0", "id": null, "method": "ping"})", false},
                               Case{R"({"jsonrpc": "2.0", "id": 7})", true},
                               Case{R"({"jsonrpc": "2.0", "id": 7, "result": 1, "error": {}})", true}}) {
    auto parsed = parse_body(body, false);
    BOOST_TEST(parsed.messages.empty(), body);
    BOOST_REQUIRE_EQUAL(parsed.errors.size(), 1u);
    BOOST_TEST(code_of(parsed.errors[0]) == rpc_code::invalid_request, body);
    BOOST_TEST((parsed.errors[0].at("id") == json::value(7)) == id_kept, body);
  }
}

BOOST_AUTO_TEST_CASE(requests_notifications_and_responses_are_told_apart) {
  auto request = parse_body(R"({"jsonrpc": "2.0", "id": "a", "method": "tools/list", "params": {"cursor": "x"}})", false);
  BOOST_REQUIRE_EQUAL(request.messages.size(), 1u);
  BOOST_TEST(request.errors.empty());
  BOOST_TEST(!request.batch);
  BOOST_TEST((request.messages[0].kind == RpcMessage::Kind::request));
  BOOST_TEST(request.messages[0].id == json::value("a"));
  BOOST_TEST(request.messages[0].method == "tools/list");
  BOOST_TEST(request.messages[0].params.as_object().at("cursor") == "x");

  auto notification = parse_body(R"({"jsonrpc": "2.0", "method": "notifications/initialized"})", false);
  BOOST_REQUIRE_EQUAL(notification.messages.size(), 1u);
  BOOST_TEST((notification.messages[0].kind == RpcMessage::Kind::notification));
  BOOST_TEST(notification.messages[0].params.is_null());

  auto response = parse_body(R"({"jsonrpc": "2.0", "id": 3, "result": {}})", false);
  BOOST_REQUIRE_EQUAL(response.messages.size(), 1u);
  BOOST_TEST((response.messages[0].kind == RpcMessage::Kind::response));
  auto error = parse_body(R"({"jsonrpc": "2.0", "id": 3, "error": {"code": 1, "message": "no"}})", false);
  BOOST_REQUIRE_EQUAL(error.messages.size(), 1u);
  BOOST_TEST(error.messages[0].error.has_value());
}

BOOST_AUTO_TEST_CASE(batches_only_where_allowed) {
  std::string_view batch = R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "method": "n"}, 5])";
  auto refused = parse_body(batch, false);
  BOOST_TEST(refused.messages.empty());
  BOOST_REQUIRE_EQUAL(refused.errors.size(), 1u);
  BOOST_TEST(code_of(refused.errors[0]) == rpc_code::invalid_request);

  auto allowed = parse_body(batch, true);
  BOOST_TEST(allowed.batch);
  BOOST_TEST(allowed.messages.size() == 2u);
  BOOST_REQUIRE_EQUAL(allowed.errors.size(), 1u);  // the 5
  BOOST_TEST(code_of(allowed.errors[0]) == rpc_code::invalid_request);

  auto empty = parse_body("[]", true);
  BOOST_TEST(empty.messages.empty());
  BOOST_TEST(code_of(empty.errors.at(0)) == rpc_code::invalid_request);

  std::string large = "[";
  for (size_t i = 0; i <= max_batch_messages; ++i) large += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"n"})";
  large += "]";
  auto too_many = parse_body(large, true);
  BOOST_TEST(too_many.messages.empty());
  BOOST_TEST(code_of(too_many.errors.at(0)) == rpc_code::invalid_request);
}

BOOST_AUTO_TEST_CASE(size_and_depth_are_bounded) {
  std::string deep(100000, '[');
  auto nested = parse_body(deep, true);
  BOOST_TEST(nested.messages.empty());
  BOOST_TEST(code_of(nested.errors.at(0)) == rpc_code::parse_error);

  std::string just_deep_enough = std::string(max_depth + 1, '[') + std::string(max_depth + 1, ']');
  BOOST_TEST(code_of(parse_body(just_deep_enough, true).errors.at(0)) == rpc_code::parse_error);

  std::string big = R"({"jsonrpc": "2.0", "method": "n", "params": {"x": ")" + std::string(max_body_bytes, 'a') + "\"}}";
  auto oversize = parse_body(big, false);
  BOOST_TEST(oversize.messages.empty());
  BOOST_TEST(code_of(oversize.errors.at(0)) == rpc_code::invalid_request);
}

BOOST_AUTO_TEST_CASE(builders_make_json_rpc_2_messages) {
  auto result = rpc_result(json::value(4), json::object{{"ok", true}});
  BOOST_TEST(json::serialize(result) == R"({"jsonrpc":"2.0","id":4,"result":{"ok":true}})");
  auto error = rpc_error(nullptr, rpc_code::method_not_found, "no", json::value("why"));
  BOOST_TEST(json::serialize(error) == R"({"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"no","data":"why"}})");
  BOOST_TEST(json::serialize(rpc_notification("n", nullptr)) == R"({"jsonrpc":"2.0","method":"n"})");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net::mcp
