// Pattern cost: a worst-case estimate of the work Lua's pattern matcher may do.
//
// string.find/match/gmatch/gsub run in C, where the instruction hook cannot
// interrupt them, and a backtracking pattern such as ".-.-.-.-b" is
// polynomial in the subject length with the number of quantifiers as the
// exponent. So the sandbox estimates the worst case before matching and
// refuses what could run past the budget.
//
// The model: every start position (one if anchored with '^', n otherwise;
// gmatch and gsub always try n) times (n + 1) for each variable-length
// quantifier ('*', '+', '-') or %b item that something after it can make
// backtrack, times 2 for each '?'. A quantifier that is the last item only
// extends a match that already succeeded, so it adds n instead of
// multiplying. A plain search (no special characters, or find's `plain`)
// costs n * m, the worst case of the substring search Lua uses. The estimate
// is conservative on purpose (it would refuse a trim "^%s*(.-)%s*$" of a
// string past ~400 bytes with the default budget): a refusal names the
// limit, and the service can split its input. The time a permitted call
// actually takes is charged to the budget by the wrapper.
#pragma once

#include <cstddef>
#include <string_view>

namespace solo {

enum class PatternUse { find, match, every_position /* gmatch, gsub */ };

// Estimated matcher steps, saturating at a large value instead of overflowing.
double pattern_cost(std::string_view pattern, std::size_t subject_length, PatternUse use, bool plain);

}  // namespace solo
