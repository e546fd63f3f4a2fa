// pattern_cost: the worst-case estimate that guards string.find and friends.
#include "engine/sandbox/lua_pattern_cost.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using solo::pattern_cost;
using solo::PatternUse;

BOOST_AUTO_TEST_SUITE(lua_pattern_cost)

BOOST_AUTO_TEST_CASE(a_plain_search_is_linear_in_the_subject_times_the_needle) {
  BOOST_TEST(pattern_cost("abc", 999, PatternUse::find, false) == 1000.0 * 3);
  BOOST_TEST(pattern_cost(".*", 999, PatternUse::find, true) == 1000.0 * 2);
}

BOOST_AUTO_TEST_CASE(each_backtracking_quantifier_multiplies_by_the_subject) {
  const double n = 1001;
  BOOST_TEST(pattern_cost("a*b", 1000, PatternUse::find, false) == n * (n + 3));
  BOOST_TEST(pattern_cost(".-.-.-.-.-b", 200000, PatternUse::find, false) > 1e25);
}

BOOST_AUTO_TEST_CASE(an_anchor_leaves_one_start) {
  BOOST_TEST(pattern_cost("^a*b", 1000, PatternUse::find, false) < pattern_cost("a*b", 1000, PatternUse::find, false) / 100);
  // gsub and gmatch try every position regardless.
  BOOST_TEST(pattern_cost("^a*b", 1000, PatternUse::every_position, false) > 1e6);
}

BOOST_AUTO_TEST_CASE(a_trailing_quantifier_only_adds_the_subject) {
  BOOST_TEST(pattern_cost("[^,]+", 10000, PatternUse::every_position, false) < 1e5);
  BOOST_TEST(pattern_cost("(%w+)", 10000, PatternUse::every_position, false) < 1e5);
  // Followed by an anchor it backtracks.
  BOOST_TEST(pattern_cost("%s*$", 10000, PatternUse::every_position, false) > 1e8);
}

BOOST_AUTO_TEST_CASE(a_long_set_costs_its_length_per_step) {
  // Each backtracking step of "a*" tries the set, which lstrlib walks end to end.
  const std::string set = "[" + std::string(60000, 'b') + "]";
  BOOST_TEST(pattern_cost("a*" + set, 600, PatternUse::find, false) > 1e10);
  BOOST_TEST(pattern_cost("a*[b]", 600, PatternUse::find, false) < 1e6);
  BOOST_TEST(pattern_cost("%f" + set, 600, PatternUse::every_position, false) > 601.0 * 60000);
}

BOOST_AUTO_TEST_CASE(question_marks_double_and_balances_scan) {
  BOOST_TEST(pattern_cost("^a?b", 10, PatternUse::find, false) == 2 + 4);
  BOOST_TEST(pattern_cost("%b()x", 1000, PatternUse::find, false) > 1e6);
  BOOST_TEST(pattern_cost("[%]]*x", 1000, PatternUse::find, false) > 1e6);
}

BOOST_AUTO_TEST_SUITE_END()
