// Server-Sent Events: formatting and incremental parsing.
#include "net/sse.hpp"

#include <boost/test/unit_test.hpp>

namespace solo::net {

BOOST_AUTO_TEST_SUITE(sse)

BOOST_AUTO_TEST_CASE(an_event_has_id_type_and_data_lines) {
  BOOST_TEST(format_sse_event(7, "service.deployed", R"({"a":1})") ==
             "id: 7\nevent: service.deployed\ndata: {\"a\":1}\n\n");
  BOOST_TEST(format_sse_event(std::nullopt, "", "x") == "data: x\n\n");
  BOOST_TEST(format_sse_event(1, "t", "a\nb") == "id: 1\nevent: t\ndata: a\ndata: b\n\n");
  BOOST_TEST(sse_heartbeat() == ": heartbeat\n\n");
}

BOOST_AUTO_TEST_CASE(the_parser_reassembles_events_split_anywhere) {
  const auto text = sse_heartbeat() + format_sse_event(1, "a", "{\"x\":1}") +
                    format_sse_event(2, "b", "line1\nline2") + sse_heartbeat();
  for (std::size_t step : {1u, 2u, 5u, 1000u}) {
    SseParser parser;
    std::vector<SseEvent> events;
    for (std::size_t at = 0; at < text.size(); at += step) {
      for (auto& event : parser.feed(std::string_view(text).substr(at, step))) {
        events.push_back(std::move(event));
      }
    }
    BOOST_REQUIRE(events.size() == 2u);
    BOOST_TEST(events[0].id.value() == "1");
    BOOST_TEST(events[0].event == "a");
    BOOST_TEST(events[0].data == "{\"x\":1}");
    BOOST_TEST(events[1].id.value() == "2");
    BOOST_TEST(events[1].data == "line1\nline2");
    BOOST_TEST(parser.last_event_id().value() == "2");
  }
}

BOOST_AUTO_TEST_CASE(the_parser_accepts_crlf_and_defaults_the_type_to_message) {
  SseParser parser;
  const auto events = parser.feed("data:no-space\r\n\r\nid: 9\r\ndata: y\r\n\r\n");
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].event == "message");
  BOOST_TEST(events[0].data == "no-space");
  BOOST_TEST(!events[0].id.has_value());
  BOOST_TEST(events[1].id.value() == "9");
}

BOOST_AUTO_TEST_CASE(a_heartbeat_alone_yields_no_event) {
  SseParser parser;
  BOOST_TEST(parser.feed(sse_heartbeat() + sse_heartbeat()).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
