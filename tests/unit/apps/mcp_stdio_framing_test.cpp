// Tests for apps/mcp_stdio_framing: how `solo mcp` cuts stdin into messages
// (lines, CRLF, a line split across reads, the size cap and what follows an
// oversized line), what it knows of a message (requests and their ids,
// initialize, batches, blanks), and what reaches stdout from an HTTP answer
// (JSON bodies, SSE bodies, 202, Solo's REST error bodies which are not
// JSON-RPC and must never reach stdout).
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "apps/mcp_stdio_framing.hpp"

using namespace solo::mcp_stdio;
namespace json = boost::json;

namespace {

std::vector<std::string> texts(const std::vector<LineSplitter::Line>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) out.push_back(line.oversized ? "<oversized>" : line.text);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_stdio_framing)

BOOST_AUTO_TEST_CASE(lines_are_cut_at_newlines_across_reads_and_lose_a_trailing_cr) {
  LineSplitter splitter;
  BOOST_TEST(splitter.feed("{\"a\":").empty());
  auto lines = texts(splitter.feed("1}\r\n{\"b\":2}\n{\"c\""));
  std::vector<std::string> expected = {"{\"a\":1}", "{\"b\":2}"};
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
  lines = texts(splitter.feed(":3}\n"));
  BOOST_TEST(lines == std::vector<std::string>{"{\"c\":3}"}, boost::test_tools::per_element());
  BOOST_TEST(!splitter.finish().has_value());
}

BOOST_AUTO_TEST_CASE(the_last_line_without_a_newline_is_kept_at_eof) {
  LineSplitter splitter;
  BOOST_TEST(splitter.feed("{\"id\":1}").empty());
  auto last = splitter.finish();
  BOOST_TEST_REQUIRE(last.has_value());
  BOOST_TEST(last->text == "{\"id\":1}");
  BOOST_TEST(!last->oversized);
}

BOOST_AUTO_TEST_CASE(a_line_over_the_cap_is_dropped_whole_and_the_next_line_is_intact) {
  LineSplitter splitter(8);
  auto lines = splitter.feed("12345");
  BOOST_TEST(lines.empty());
  lines = splitter.feed("6789abc");  // past 8 bytes: dropped from here on
  BOOST_TEST(lines.empty());
  lines = splitter.feed("def\nok\n");
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0].oversized);
  BOOST_TEST(lines[0].text.empty());
  BOOST_TEST(!lines[1].oversized);
  BOOST_TEST(lines[1].text == "ok");
  // Exactly at the cap, with or without a CR, is fine.
  lines = splitter.feed("12345678\n12345678\r\n123456789\n");
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0].text == "12345678");
  BOOST_TEST(lines[1].text == "12345678");
  BOOST_TEST(lines[2].oversized);
  // An oversized line cut off by EOF is reported too.
  splitter.feed("123456789abc");
  auto last = splitter.finish();
  BOOST_TEST_REQUIRE(last.has_value());
  BOOST_TEST(last->oversized);
}

BOOST_AUTO_TEST_CASE(the_default_cap_is_the_servers_request_body_limit) {
  BOOST_TEST(kMaxLineBytes == 1024u * 1024u);
  LineSplitter splitter;
  std::string big(kMaxLineBytes, 'x');
  auto lines = splitter.feed(big + "\n" + big + "x\n");
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(!lines[0].oversized);
  BOOST_TEST(lines[0].text.size() == kMaxLineBytes);
  BOOST_TEST(lines[1].oversized);
}

BOOST_AUTO_TEST_CASE(classify_finds_requests_their_ids_and_initialize) {
  auto request = classify(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})");
  BOOST_TEST(!request.blank);
  BOOST_TEST(!request.initialize);
  BOOST_TEST_REQUIRE(request.request_ids.size() == 1u);
  BOOST_TEST(request.request_ids[0] == json::value(7));

  auto init = classify(R"({"jsonrpc":"2.0","id":"a","method":"initialize","params":{}})");
  BOOST_TEST(init.initialize);
  BOOST_TEST_REQUIRE(init.request_ids.size() == 1u);
  BOOST_TEST(init.request_ids[0] == json::value("a"));

  auto notification = classify(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  BOOST_TEST(notification.request_ids.empty());
  BOOST_TEST(!notification.initialize);

  auto response = classify(R"({"jsonrpc":"2.0","id":3,"result":{}})");
  BOOST_TEST(response.request_ids.empty());

  auto batch = classify(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"n"},)"
                        R"({"jsonrpc":"2.0","id":"two","method":"tools/list"}])");
  BOOST_TEST_REQUIRE(batch.request_ids.size() == 2u);
  BOOST_TEST(batch.request_ids[0] == json::value(1));
  BOOST_TEST(batch.request_ids[1] == json::value("two"));
}

BOOST_AUTO_TEST_CASE(classify_leaves_what_is_not_json_rpc_to_the_server) {
  BOOST_TEST(classify("").blank);
  BOOST_TEST(classify("  \t\r").blank);
  for (const char* line : {"not json", "{\"id\":1", "[]", "42", R"({"id":{"x":1},"method":"ping"})",
                           R"({"id":1.5,"method":"ping"})", R"({"id":1,"method":7})"}) {
    auto kind = classify(line);
    BOOST_TEST(!kind.blank, line);
    BOOST_TEST(!kind.initialize, line);
    BOOST_TEST(kind.request_ids.empty(), line);
  }
}

BOOST_AUTO_TEST_CASE(a_json_answer_is_one_line_even_when_the_server_pretty_prints) {
  auto lines = answer_lines("application/json", "{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"result\": {}\n}\n");
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].find('\n') == std::string::npos);
  BOOST_TEST(json::parse(lines[0]) == json::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})"));

  auto batch = answer_lines("application/json; charset=utf-8",
                            R"([{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","id":2,"result":{}}])");
  BOOST_TEST_REQUIRE(batch.size() == 1u);  // a batch answer stays one array, as it came
  BOOST_TEST(json::parse(batch[0]).as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_sse_answer_gives_each_events_message_and_skips_priming_and_heartbeats) {
  std::string body =
      "id: 1\ndata:\n\n"  // a priming event (id only, empty data)
      ": heartbeat\n\n"
      "id: 2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\n"
      "data:  \"params\":{}}\n\n"
      "id: 3\ndata: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"ok\":true}}";  // no final blank line
  auto lines = answer_lines("text/event-stream", body);
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(json::parse(lines[0]).at("method") == json::value("notifications/progress"));
  BOOST_TEST(lines[0].find('\n') == std::string::npos);
  BOOST_TEST(json::parse(lines[1]).at("id") == json::value(5));
}

BOOST_AUTO_TEST_CASE(nothing_but_json_rpc_reaches_stdout) {
  BOOST_TEST(answer_lines("", "").empty());  // 202
  BOOST_TEST(answer_lines("application/json", "").empty());
  BOOST_TEST(answer_lines("application/json", "not json").empty());
  BOOST_TEST(answer_lines("application/json", R"({"error":"unauthorized","message":"no token"})").empty());
  BOOST_TEST(answer_lines("application/json", "[]").empty());
  BOOST_TEST(answer_lines("application/json", R"([{"jsonrpc":"2.0","id":1,"result":{}},{"x":1}])").empty());
  BOOST_TEST(answer_lines("application/json", R"({"jsonrpc":"1.0","id":1,"result":{}})").empty());
  BOOST_TEST(answer_lines("text/event-stream", "data: {\"error\":\"x\"}\n\ndata: nope\n\n").empty());
  solo::net::SseEvent event;
  event.data = R"({"error":"not_found","message":"x"})";
  BOOST_TEST(!event_line(event).has_value());
  event.data = R"({"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"solo://x"}})";
  BOOST_TEST(event_line(event).has_value());
}

BOOST_AUTO_TEST_CASE(error_lines_are_json_rpc_errors_with_the_requests_id) {
  auto line = error_line(json::value("abc"), -32603, "cannot reach the Solo server: refused");
  BOOST_TEST(line.find('\n') == std::string::npos);
  auto value = json::parse(line);
  BOOST_TEST(value.at("jsonrpc") == json::value("2.0"));
  BOOST_TEST(value.at("id") == json::value("abc"));
  BOOST_TEST(value.at("error").at("code") == json::value(-32603));
  BOOST_TEST(value.at("error").at("message") == json::value("cannot reach the Solo server: refused"));
  BOOST_TEST(json::parse(error_line(nullptr, -32600, "too long")).at("id").is_null());
}

BOOST_AUTO_TEST_CASE(status_messages_say_what_happened_and_what_to_do) {
  auto unauthorized = status_message(401, R"({"error":"unauthorized","message":"unknown token"})", false);
  BOOST_TEST(unauthorized.find("401 unauthorized: unknown token") != std::string::npos, unauthorized);
  BOOST_TEST(unauthorized.find("token given to solo mcp") != std::string::npos, unauthorized);
  auto gone = status_message(404, R"({"error":"not_found","message":"no such session"})", true);
  BOOST_TEST(gone.find("restart solo mcp") != std::string::npos, gone);
  auto missing = status_message(404, R"({"error":"not_found","message":"no route for /mcp"})", false);
  BOOST_TEST(missing.find("is --url a Solo server") != std::string::npos, missing);
  auto text = status_message(502, std::string(1000, 'x'), false);
  BOOST_TEST(text.size() < 400u, "a long body is cut: " << text.size());
}

BOOST_AUTO_TEST_SUITE_END()
