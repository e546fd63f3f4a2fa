#include "engine/telemetry/tenant_series.hpp"

#include <optional>
#include <vector>

namespace solo {

namespace {

// The unescaped value of label `name` in a sample line
// `metric{a="x",b="y\"z"} 1`, if it has one.
std::optional<std::string> label_value(std::string_view line, std::string_view name) {
  auto open = line.find_first_of("{ ");
  if (open == std::string_view::npos || line[open] != '{') return std::nullopt;
  size_t i = open + 1;
  while (i < line.size() && line[i] != '}') {
    auto equals = line.find('=', i);
    if (equals == std::string_view::npos || equals + 1 >= line.size() || line[equals + 1] != '"') return std::nullopt;
    std::string_view label = line.substr(i, equals - i);
    std::string value;
    size_t j = equals + 2;
    for (; j < line.size() && line[j] != '"'; ++j) {
      if (line[j] == '\\' && j + 1 < line.size()) {
        ++j;
        value += line[j] == 'n' ? '\n' : line[j];
      } else {
        value += line[j];
      }
    }
    if (j >= line.size()) return std::nullopt;  // unterminated: treat as unlabelled
    if (label == name) return value;
    i = j + 1;
    if (i < line.size() && line[i] == ',') ++i;
  }
  return std::nullopt;
}

// "# HELP name ..." / "# TYPE name ..." -> name.
std::string_view comment_family(std::string_view line) {
  std::string_view rest = line.substr(7);  // after "# HELP " or "# TYPE "
  return rest.substr(0, rest.find(' '));
}

}  // namespace

std::string tenant_series(std::string_view exposition, std::string_view tenant) {
  std::string out;
  // HELP/TYPE lines wait until a kept sample of their family shows they are needed.
  std::vector<std::string_view> pending;
  std::string_view pending_family;
  size_t start = 0;
  while (start < exposition.size()) {
    auto end = exposition.find('\n', start);
    if (end == std::string_view::npos) end = exposition.size();
    std::string_view line = exposition.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      auto family = comment_family(line);
      if (family != pending_family) pending.clear();
      pending_family = family;
      pending.push_back(line);
      continue;
    }
    if (line.empty() || line.starts_with('#')) continue;
    auto value = label_value(line, "tenant");
    if (!value || *value != tenant) continue;
    // A sample's name may extend its family's (histogram _bucket, _sum, _count).
    if (!pending.empty() && line.starts_with(pending_family)) {
      for (auto comment : pending) {
        out += comment;
        out += '\n';
      }
      pending.clear();
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace solo
