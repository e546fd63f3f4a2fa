// Pattern cost estimate; see lua_pattern_cost.hpp for the model.
#include "engine/sandbox/lua_pattern_cost.hpp"

#include <algorithm>
#include <cstring>

namespace solo {

namespace {

constexpr double saturated = 1e300;

// lstrlib's SPECIALS: without any of these the pattern is a plain search.
bool has_specials(std::string_view p) {
  return p.find_first_of("^$*+?.([%-") != std::string_view::npos;
}

// Index just past the single-character class starting at i (".", "%a", "[...]", "x").
std::size_t class_end(std::string_view p, std::size_t i) {
  if (p[i] == '%') return std::min(p.size(), i + 2);
  if (p[i] == '[') {
    std::size_t j = i + 1;
    if (j < p.size() && p[j] == '^') ++j;
    do {  // the first ']' of a set is literal, as in lstrlib
      if (j >= p.size()) return p.size();  // malformed: Lua itself will raise
      if (p[j] == '%') ++j;
      ++j;
    } while (j < p.size() && p[j] != ']');
    return std::min(p.size(), j + 1);
  }
  return i + 1;
}

}  // namespace

double pattern_cost(std::string_view p, std::size_t subject_length, PatternUse use, bool plain) {
  const double n = static_cast<double>(subject_length) + 1;
  if (plain || !has_specials(p)) {
    return n * static_cast<double>(std::max<std::size_t>(p.size(), 1));
  }
  std::size_t i = 0;
  bool anchored = false;
  if (use != PatternUse::every_position && !p.empty() && p[0] == '^') {
    anchored = true;
    i = 1;
  }
  double per_start = 1;
  double additive = 0;
  // Matching a set against one character walks the set: every step of the
  // matcher may cost as much as the widest set of the pattern.
  double widest = 1;
  auto note_width = [&](std::size_t from, std::size_t to) {
    if (p[from] != '[') return;
    double inside = static_cast<double>(to - from) - 2;  // without the brackets
    if (from + 1 < p.size() && p[from + 1] == '^') inside -= 1;
    widest = std::max(widest, inside);
  };
  auto only_closers_after = [&](std::size_t j) {
    for (; j < p.size(); ++j) {
      if (p[j] != ')') return false;
    }
    return true;
  };
  while (i < p.size()) {
    const char c = p[i];
    if (c == '(' || c == ')') { ++i; continue; }
    if (c == '$' && i + 1 == p.size()) break;
    if (c == '%' && i + 1 < p.size()) {
      const char k = p[i + 1];
      if (k == 'b') {  // %bxy scans up to the whole subject
        i += 4;
        per_start = std::min(saturated, per_start * n);
        continue;
      }
      if (k == 'f') {  // frontier: a set, no repetition
        const std::size_t set = std::min(p.size() - 1, i + 2);
        i = class_end(p, set);
        note_width(set, i);
        continue;
      }
      if (k >= '0' && k <= '9') {  // back reference compares up to n bytes
        i += 2;
        per_start = std::min(saturated, per_start * n);
        continue;
      }
    }
    std::size_t next = class_end(p, i);
    note_width(i, next);
    if (next < p.size()) {
      const char q = p[next];
      if (q == '*' || q == '+' || q == '-') {
        if (only_closers_after(next + 1)) {
          additive += n;
        } else {
          per_start = std::min(saturated, per_start * n);
        }
        i = next + 1;
        continue;
      }
      if (q == '?') {
        per_start = std::min(saturated, per_start * 2);
        i = next + 1;
        continue;
      }
    }
    i = next;
  }
  const double starts = anchored ? 1 : n;
  const double length = static_cast<double>(std::max<std::size_t>(p.size(), 1));
  // Walking the pattern items once per start, plus the backtracking product,
  // each step as dear as the widest set.
  return std::min(saturated, starts * (per_start * widest + length) + additive * widest);
}

}  // namespace solo
