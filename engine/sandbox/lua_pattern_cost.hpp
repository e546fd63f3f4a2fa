// Pattern cost: a worst-case estimate of the work Lua's pattern matcher may do.
//
// lstrlib's string.find/match/gmatch/gsub run in C, where the instruction
// hook cannot interrupt them, and a backtracking pattern such as ".-.-.-.-b"
// is polynomial in the subject length with the number of quantifiers as the
// exponent. So the sandbox estimates the worst case before matching: within
// what one C call may take (lua_costs.hpp), the C matcher runs; past it, the
// same matcher written in Lua (lua_pattern_match.hpp), which the count hook
// slices and stops like any Lua code. Nothing is refused.
//
// The model: every start position (one if anchored with '^', n otherwise;
// gmatch and gsub always try n) times (n + 1) for each variable-length
// quantifier ('*', '+', '-') or %b item that something after it can make
// backtrack, times 2 for each '?'. A quantifier that is the last item only
// extends a match that already succeeded, so it adds n instead of
// multiplying. A plain search (no special characters, or find's `plain`)
// costs n * m, the worst case of the substring search Lua uses. The estimate
// is conservative on purpose ("(%w+)=(%w+)" over 2 KB estimates ~4M
// steps): an overestimate only sends the call to the slower Lua matcher. The
// time a C call actually takes is charged to the budget by the wrapper.
#pragma once

#include <cstddef>
#include <string_view>

namespace solo {

enum class PatternUse { find, match, every_position /* gmatch, gsub */ };

// Estimated matcher steps, saturating at a large value instead of overflowing.
double pattern_cost(std::string_view pattern, std::size_t subject_length, PatternUse use, bool plain);

}  // namespace solo
