#include "apps/cli_args.hpp"

namespace solo {

CliArgs CliArgs::parse(int argc, char** argv, int first, const std::set<std::string>& valued) {
  CliArgs args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.size() > 1 && word[0] == '-') {
      auto eq = word.find('=');
      if (word.rfind("--", 0) == 0 && eq != std::string::npos) {
        args.options.emplace(word.substr(0, eq), word.substr(eq + 1));
      } else if (valued.count(word)) {
        if (i + 1 >= argc) throw UsageError(word + " needs a value");
        args.options.emplace(word, argv[++i]);
      } else {
        args.options.emplace(word, "");
      }
    } else {
      args.positional.push_back(std::move(word));
    }
  }
  return args;
}

// The last occurrence wins, as in most command lines.
std::optional<std::string> CliArgs::value(const std::string& name) const {
  auto [begin, end] = options.equal_range(name);
  if (begin == end) return std::nullopt;
  return std::prev(end)->second;
}

std::vector<std::string> CliArgs::values(const std::string& name) const {
  std::vector<std::string> out;
  auto [begin, end] = options.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

}  // namespace solo
