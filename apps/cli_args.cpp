#include "apps/cli_args.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <boost/json.hpp>

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

std::string read_source(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

boost::json::value json_argument(const std::string& text, const std::string& what) {
  std::string source = text;
  if (text == "-") source.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  auto value = boost::json::parse(source, ec);
  if (ec) throw UsageError(what + " is not valid JSON (" + ec.message() + "): " + source);
  return value;
}

void expect_positionals(const CliArgs& args, size_t min, size_t max) {
  if (args.positional.size() > max) throw UsageError("unexpected argument '" + args.positional[max] + "'");
  if (args.positional.size() < min) throw UsageError("missing argument (see solo help)");
}

}  // namespace solo
