// solo-bench: benchmark scenarios, each beside its baseline in the same run.
// Scenarios register themselves (see scenario.hpp); this only dispatches.
#include <iostream>
#include <string>
#include <vector>

#include "bench/scenario.hpp"

namespace {

void usage(std::ostream& out) {
  out << "usage: solo-bench <scenario> [options]   (solo-bench <scenario> --help for its options)\n\nscenarios:\n";
  for (const auto& scenario : solo::bench::scenarios()) {
    out << "  " << scenario.name << std::string(scenario.name.size() < 12 ? 12 - scenario.name.size() : 1, ' ')
        << scenario.description << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& scenario : solo::bench::scenarios()) {
    if (scenario.name != args.front()) continue;
    try {
      return scenario.run(std::span<std::string>(args).subspan(1));
    } catch (const solo::bench::UsageError& error) {
      std::cerr << "solo-bench " << scenario.name << ": " << error.what() << "\n";
      return 2;
    } catch (const std::exception& error) {
      std::cerr << "solo-bench " << scenario.name << " failed: " << error.what() << "\n";
      return 1;
    }
  }
  std::cerr << "solo-bench: unknown scenario '" << args.front() << "'\n";
  usage(std::cerr);
  return 2;
}
