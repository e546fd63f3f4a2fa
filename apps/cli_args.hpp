// CliArgs: the command line after the verb — positional words and
// `--name value` / `--flag` options. Which options take a value is declared by
// the verb, so `solo logs -f svc` and `solo deploy f.lua --id x` both parse.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace solo {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CliArgs {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> options;  // "--id" -> "x"; flags map to ""

  // valued: option names that take a value ("--id"); anything else starting
  // with '-' is a flag. Throws UsageError when a valued option lacks its value.
  static CliArgs parse(int argc, char** argv, int first, const std::set<std::string>& valued);

  bool flag(const std::string& name) const { return options.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
};

// UsageError unless the verb got min..max positional words.
void expect_positionals(const CliArgs& args, size_t min, size_t max);

// A file's bytes; UsageError when it cannot be read.
std::string read_source(const std::string& path);

// A JSON argument; "-" reads it from stdin. UsageError when it does not parse.
boost::json::value json_argument(const std::string& text, const std::string& what);

}  // namespace solo
