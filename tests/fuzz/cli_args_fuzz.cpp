// Fuzz target: the CLI's argument parser (apps/cli_args.hpp) with the option
// sets the real verbs declare (apps/cli_verbs.hpp).
//
// Input: one byte choosing the verb, then the words of the command line
// separated by NUL bytes. Invariants:
//   - the only refusal is a UsageError, and only for a valued option that
//     ends the line without its value;
//   - every word is accounted for: a positional never looks like an option,
//     and positionals + options + consumed values = the words;
//   - value(name) is the last of values(name);
//   - printing the parse back as a command line parses to the same thing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apps/cli_args.hpp"
#include "apps/cli_verbs.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

const std::vector<solo::Verb>& verbs() {
  static const std::vector<solo::Verb> all = [] {
    std::vector<solo::Verb> out;
    for (auto group : {solo::service_verbs(), solo::observe_verbs(), solo::token_verbs(), solo::mcp_verbs()}) {
      for (auto& verb : group) out.push_back(std::move(verb));
    }
    return out;
  }();
  return all;
}

solo::CliArgs parse(std::vector<std::string> words, const std::set<std::string>& valued) {
  std::vector<char*> argv{const_cast<char*>("solo"), const_cast<char*>("verb")};
  for (auto& word : words) argv.push_back(word.data());
  return solo::CliArgs::parse(static_cast<int>(argv.size()), argv.data(), 2, valued);
}

bool looks_like_option(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& verb = verbs()[data[0] % verbs().size()];
  std::vector<std::string> words;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  while (!rest.empty() && words.size() < 64) {
    auto end = rest.find('\0');
    words.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }

  solo::CliArgs args;
  try {
    args = parse(words, verb.valued);
  } catch (const solo::UsageError& error) {
    FUZZ_CHECK(!words.empty() && verb.valued.count(words.back()), error.what());
    return 0;
  }

  size_t consumed_values = 0;
  for (const auto& [name, value] : args.options) {
    FUZZ_CHECK(looks_like_option(name), name);
    // "--name=value" splits at the first '=': such a name has none left.
    FUZZ_CHECK(name.rfind("--", 0) != 0 || name.find('=') == std::string::npos, name);
  }
  for (const auto& word : args.positional) FUZZ_CHECK(!looks_like_option(word), word);
  // Each valued option given as two words consumed its value word.
  for (size_t i = 0; i < words.size(); ++i) {
    const auto& word = words[i];
    bool assigned = word.rfind("--", 0) == 0 && word.find('=') != std::string::npos;
    if (looks_like_option(word) && !assigned && verb.valued.count(word)) {
      ++consumed_values;
      ++i;
    }
  }
  FUZZ_CHECK(args.positional.size() + args.options.size() + consumed_values == words.size(),
             "words lost or invented");
  for (const auto& [name, value] : args.options) {
    auto all = args.values(name);
    FUZZ_CHECK(!all.empty() && args.value(name) == all.back(), name);
  }

  // Printed back (positionals first, each option as two words when valued,
  // --name=value otherwise), the line parses to the same thing.
  std::vector<std::string> printed = args.positional;
  for (const auto& [name, value] : args.options) {
    if (verb.valued.count(name)) {
      printed.push_back(name);
      printed.push_back(value);
    } else if (value.empty()) {
      printed.push_back(name);
    } else {
      printed.push_back(name + "=" + value);
    }
  }
  auto again = parse(printed, verb.valued);
  FUZZ_CHECK(again.positional == args.positional && again.options == args.options, "print/parse differs");
  return 0;
}
