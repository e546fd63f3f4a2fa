// Scenario `postgres`: durable appends through the real EventStore on the
// PostgreSQL backend (solo serve --store), beside raw libpq on the same
// server in the same run (bench/postgres_append.hpp says what each side
// does and why the comparison is fair).
//
// Without --store it starts a throwaway server of its own
// (bench/throwaway_postgres.hpp, with fsync on), so that `solo-bench
// postgres` runs on a machine where `make deps` installed PostgreSQL. Each
// side writes into a schema of its own, dropped first.
#include <cstdio>
#include <iostream>
#include <span>
#include <string>

#include "bench/postgres_append.hpp"
#include "bench/scenario.hpp"

namespace solo::bench {
namespace {

int run_postgres(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench postgres [--store postgresql://...] [--events N] [--writers W]\n"
                 "                           [--payload-bytes B] [--tenants T] [--services S] [--dir DIR] [--json]\n";
    return 0;
  }
  AppendOptions options;
  options.events = args.integer("--events", 50'000);
  options.writers = args.integer("--writers", options.writers);
  options.payload_bytes = args.integer("--payload-bytes", options.payload_bytes, 0);
  options.tenants = args.integer("--tenants", options.tenants);
  options.services = args.integer("--services", options.services);
  options.dir = args.value("--dir");
  options.json = args.flag("--json");
  auto store = args.value("--store");
  args.finish();

  ScratchDir dir(options.dir);
  BenchPostgres server(store, dir.path() / "postgres");
  AppendComparison comparison = compare_appends(options, server);
  boost::json::object report{{"scenario", "postgres"}};
  for (const auto& [key, value] : comparison.figures) report[key] = value;
  publish(report, options.json);
  if (options.json) return 0;
  std::printf("postgres: %lld events, %lld writers, %s\n", static_cast<long long>(options.events),
              static_cast<long long>(options.writers), report.at("server").as_string().c_str());
  for (const auto& [label, value] : comparison.rows) print_row(label, value);
  return 0;
}

const RegisterScenario registered{
    {"postgres", "durable appends through the EventStore on PostgreSQL vs raw libpq on the same server", run_postgres}};

}  // namespace
}  // namespace solo::bench
