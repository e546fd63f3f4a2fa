// The storage routes' argument checks (net/api/storage_args.hpp): keys,
// values, import batches and the list query, each refused with a
// BadRequest (400 invalid_request) before anything reaches the store.
#include "net/api/storage_args.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/sandbox/lua_host.hpp"
#include "net/api/request_args.hpp"

namespace solo::net {
namespace {

boost::json::object object(std::string_view text) { return boost::json::parse(text).as_object(); }

Request list_request(std::vector<std::pair<std::string, std::string>> query) {
  Request request;
  request.method = "GET";
  request.path = "/services/s/storage";
  request.query = std::move(query);
  return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_args)

BOOST_AUTO_TEST_CASE(a_key_is_1_to_1024_bytes_of_utf8_and_may_hold_any_character) {
  for (const std::string key : {"a", "a/b", "/", "import", "caf\xc3\xa9", "a b?c#d%"}) {
    BOOST_TEST(require_storage_key(key) == key);
  }
  BOOST_TEST(require_storage_key(std::string(kStorageKeyMax, 'k')).size() == kStorageKeyMax);
  BOOST_CHECK_THROW(require_storage_key(""), BadRequest);
  BOOST_CHECK_THROW(require_storage_key(std::string(kStorageKeyMax + 1, 'k')), BadRequest);
  BOOST_CHECK_THROW(require_storage_key("bad\xff"), BadRequest);
  BOOST_CHECK_THROW(require_storage_key("\xc3"), BadRequest);  // truncated sequence
}

// null too: a service stores it as solo.null, and an export must import back.
BOOST_AUTO_TEST_CASE(a_put_body_carries_any_json_value_up_to_128_kib) {
  BOOST_TEST(parse_put_body(object(R"({"value": {"a": [1, 2]}})")) == R"({"a":[1,2]})");
  BOOST_TEST(parse_put_body(object(R"({"value": "text"})")) == R"("text")");
  BOOST_TEST(parse_put_body(object(R"({"value": 0})")) == "0");
  BOOST_TEST(parse_put_body(object(R"({"value": false})")) == "false");
  BOOST_CHECK_THROW(parse_put_body(object(R"({"other": 1})")), BadRequest);
  BOOST_TEST(parse_put_body(object(R"({"value": null})")) == "null");
  // The JSON text of a string is its length plus the two quotes.
  boost::json::object fits{{"value", std::string(kStorageValueMax - 2, 'v')}};
  BOOST_TEST(parse_put_body(fits).size() == kStorageValueMax);
  boost::json::object over{{"value", std::string(kStorageValueMax - 1, 'v')}};
  BOOST_CHECK_THROW(parse_put_body(over), BadRequest);
}

BOOST_AUTO_TEST_CASE(an_import_is_1_to_1000_distinct_checked_entries) {
  auto entries = parse_import_body(object(R"({"entries": [{"key": "a", "value": 1}, {"key": "b/c", "value": {"x": "y"}}]})"));
  BOOST_REQUIRE(entries.size() == 2u);
  BOOST_TEST(entries[0].key == "a");
  BOOST_TEST(entries[0].value == "1");
  BOOST_TEST(entries[1].key == "b/c");
  BOOST_TEST(entries[1].value == R"({"x":"y"})");
  for (const auto* bad : {R"({})", R"({"entries": {}})", R"({"entries": []})", R"({"entries": [1]})",
                          R"({"entries": [{"key": "a"}]})", R"({"entries": [{"key": 5, "value": 1}]})",
                          R"({"entries": [{"key": "", "value": 1}]})", R"({"entries": [{"value": null}]})",
                          R"({"entries": [{"key": "a", "value": 1}, {"key": "a", "value": 2}]})"}) {
    BOOST_CHECK_THROW(parse_import_body(object(bad)), BadRequest);
  }
  boost::json::array many;
  for (size_t i = 0; i <= kStorageListMax; ++i) many.push_back({{"key", "k" + std::to_string(i)}, {"value", i}});
  BOOST_CHECK_THROW(parse_import_body({{"entries", many}}), BadRequest);
  many.pop_back();
  BOOST_TEST(parse_import_body({{"entries", many}}).size() == kStorageListMax);
}

BOOST_AUTO_TEST_CASE(the_list_query_defaults_to_100_from_the_first_key_and_bounds_its_limit) {
  auto plain = parse_list_query(list_request({}));
  BOOST_TEST(plain.limit == 100u);
  BOOST_TEST(plain.prefix.empty());
  BOOST_TEST(plain.cursor.empty());
  auto given = parse_list_query(list_request({{"prefix", "a/"}, {"limit", "1000"}, {"cursor", "a/5"}}));
  BOOST_TEST(given.limit == 1000u);
  BOOST_TEST(given.prefix == "a/");
  BOOST_TEST(given.cursor == "a/5");
  for (const auto* limit : {"0", "1001", "-1", "ten"}) {
    BOOST_CHECK_THROW(parse_list_query(list_request({{"limit", limit}})), BadRequest);
  }
  BOOST_CHECK_THROW(parse_list_query(list_request({{"cursor", std::string(kStorageKeyMax + 1, 'c')}})), BadRequest);
}

BOOST_AUTO_TEST_CASE(a_stored_value_comes_back_as_json_not_as_a_string) {
  BOOST_TEST(stored_value(R"({"a":1})").at("a").as_int64() == 1);
  BOOST_TEST(stored_value(R"("s")").as_string() == "s");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
