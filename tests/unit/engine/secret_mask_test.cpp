// SecretMask: what a service leaves behind never carries a value it read.
#include "engine/services/secret_mask.hpp"

#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using solo::SecretMask;

BOOST_AUTO_TEST_SUITE(secret_mask)

BOOST_AUTO_TEST_CASE(every_occurrence_of_a_learned_value_becomes_stars) {
  SecretMask mask;
  BOOST_TEST(mask.apply("pw=hunter22 and again hunter22!") == "pw=hunter22 and again hunter22!");
  mask.learn("hunter22");
  BOOST_TEST(mask.apply("pw=hunter22 and again hunter22!") == "pw=*** and again ***!");
  BOOST_TEST(mask.apply("hunter22hunter22") == "******");
  BOOST_TEST(mask.apply("nothing here") == "nothing here");
}

BOOST_AUTO_TEST_CASE(a_value_containing_another_is_masked_whole) {
  SecretMask mask;
  mask.learn("abcd");
  mask.learn("xxabcdyy");  // learned later, longer: masked first
  BOOST_TEST(mask.apply("[xxabcdyy] [abcd]") == "[***] [***]");
}

BOOST_AUTO_TEST_CASE(values_shorter_than_the_minimum_are_not_masked) {
  SecretMask mask;
  mask.learn("abc");
  mask.learn("");
  BOOST_TEST(mask.empty());
  BOOST_TEST(mask.apply("abc") == "abc");
}

BOOST_AUTO_TEST_CASE(strings_and_keys_inside_json_are_masked) {
  SecretMask mask;
  mask.learn("s3cr3t-value");
  auto value = boost::json::parse(R"({"a": "x s3cr3t-value y", "s3cr3t-value": [1, "s3cr3t-value", {"k": "s3cr3t-value"}]})");
  mask.apply_in_place(value);
  auto text = boost::json::serialize(value);
  BOOST_TEST(text.find("s3cr3t") == std::string::npos, text);
  BOOST_TEST(value.at("a").as_string() == "x *** y");
  BOOST_TEST(value.at("***").as_array().at(1).as_string() == "***");
}

BOOST_AUTO_TEST_CASE(past_the_cap_the_first_learned_value_is_forgotten_not_the_newest) {
  SecretMask mask;
  for (size_t i = 0; i < SecretMask::kMaxValues + 1; ++i) mask.learn("value-" + std::to_string(1000 + i));
  BOOST_TEST(mask.apply("value-1000") == "value-1000");  // the first one learned
  BOOST_TEST(mask.apply("value-1001") == "***");
  BOOST_TEST(mask.apply("value-" + std::to_string(1000 + SecretMask::kMaxValues)) == "***");
}

BOOST_AUTO_TEST_SUITE_END()
