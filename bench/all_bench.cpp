// Scenario `all`: every scenario, one after the other, each in a child
// process of its own (a fresh heap, its own threads and sockets, no state
// carried from one to the next), then the one table to watch: every target
// row (bench/targets.hpp) with Solo's figure, its baseline from the same run,
// the ratio and whether it met the target.
//
//   solo-bench all                  each scenario's own table, then the targets
//   solo-bench all --runs 3         the whole set three times; a row counts as
//                                   met only when it met its target every run
//   solo-bench all --json           one JSON document on stdout: every
//                                   scenario's report of every run, and the
//                                   target rows (the tables go to stderr)
//   solo-bench all --quick          the scenarios' smoke-test sizes
//   solo-bench all --only a,b       a subset, in the given order
//
// A scenario hands its report back through the file SOLO_BENCH_REPORT names
// (bench/scenario.hpp, publish()). The exit code is 1 when a scenario failed;
// a missed target is reported, not an error (the figures depend on the
// machine).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "base/iso8601.hpp"
#include "bench/scenario.hpp"
#include "bench/targets.hpp"

extern char** environ;

namespace solo::bench {
namespace {

// Each scenario with its arguments for a full run and for a quick one (the
// sizes of its ctest smoke test, bench/smoke_*.cmake).
struct Planned {
  std::string name;
  std::vector<std::string> full;
  std::vector<std::string> quick;
};

const std::vector<Planned>& plan() {
  static const std::vector<Planned> planned = {
      {"append", {}, {"--events", "2000"}},
      {"postgres", {}, {"--events", "2000", "--writers", "64"}},
      {"cluster",
       {},
       {"--nodes", "2", "--clients", "2", "--seconds", "1", "--events", "2000", "--lease-ttl-ms", "1000"}},
      {"services", {}, {"--quick"}},
      {"recovery", {}, {"--services", "40", "--events", "3000", "--tenants", "2"}},
      {"storage", {}, {"--quick"}},
      {"http", {}, {"--quick"}},
      {"flood", {}, {"--quick"}},
      {"isolation", {}, {"--quick"}},
      {"security", {}, {"--tokens", "200", "--verifies", "2000", "--sequential", "10", "--secrets", "100", "--gets",
                        "1000"}},
  };
  return planned;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream in(text);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

// Runs `solo-bench <args...>` with SOLO_BENCH_REPORT=report; its stdout goes
// to ours, or to our stderr when `stdout_to_stderr`. Returns its exit status.
int run_child(const std::vector<std::string>& args, const std::filesystem::path& report, bool stdout_to_stderr) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).starts_with("SOLO_BENCH_REPORT=")) continue;
    env_storage.emplace_back(*e);
  }
  env_storage.push_back("SOLO_BENCH_REPORT=" + report.string());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_storage{"solo-bench"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_to_stderr) posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  std::fflush(stdout);
  std::cout.flush();
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start solo-bench " + args.front() + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// The report lines a scenario published: one object, or an array when it
// published several (isolation: one per case).
boost::json::value read_report(const std::filesystem::path& file) {
  std::ifstream in(file);
  boost::json::array lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(boost::json::parse(line));
  }
  if (lines.size() == 1) return lines.front();
  return lines;
}

std::string fixed(double value) {
  char buffer[64];
  if (std::abs(value) >= 100) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
  }
  return buffer;
}

void print_targets(std::FILE* out, const std::vector<std::vector<TargetRow>>& runs) {
  if (runs.empty() || runs.front().empty()) return;
  std::fprintf(out, "\ntargets (%zu run%s; each: solo / baseline = ratio)\n", runs.size(), runs.size() == 1 ? "" : "s");
  for (size_t i = 0; i < runs.front().size(); ++i) {
    const auto& first = runs.front()[i];
    int met = 0;
    std::string figures;
    for (const auto& run : runs) {
      const auto& row = run[i];
      if (row.met) ++met;
      if (!figures.empty()) figures += " | ";
      figures += row.missing.empty() ? fixed(row.solo) + " / " + fixed(row.baseline) + " = " + fixed(row.ratio)
                                     : "missing " + row.missing;
    }
    std::fprintf(out, "  %-9s %-68s %s\n  %-9s %-68s %-24s %s\n", first.scenario.c_str(), first.figure.c_str(), "",
                 "", figures.c_str(), first.target.c_str(),
                 met == static_cast<int>(runs.size()) ? "met" : ("MISSED (met " + std::to_string(met) + "/" +
                                                                 std::to_string(runs.size()) + ")")
                                                                    .c_str());
  }
}

int run_all(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench all [--runs N] [--quick] [--only a,b,...] [--dir DIR] [--json]\n"
                 "  every scenario in a child process, then every target row beside its baseline;\n"
                 "  --json: one document with every report and target row on stdout (tables on stderr)\n";
    return 0;
  }
  const int64_t runs = args.integer("--runs", 1);
  const bool quick = args.flag("--quick");
  const bool json = args.flag("--json");
  const auto only = args.value("--only");
  const auto dir = args.value("--dir");
  args.finish();

  std::vector<Planned> selected;
  if (only) {
    for (const auto& name : split_names(*only)) {
      bool found = false;
      for (const auto& planned : plan()) {
        if (planned.name == name) {
          selected.push_back(planned);
          found = true;
        }
      }
      if (!found) throw UsageError("--only: unknown scenario '" + name + "'");
    }
  } else {
    selected = plan();
  }

  ScratchDir scratch(dir);
  std::FILE* tables = json ? stderr : stdout;
  boost::json::array run_documents;
  std::vector<std::vector<TargetRow>> target_runs;
  std::vector<std::string> failed;
  const std::string started = utc_now_iso8601();
  for (int64_t run = 1; run <= runs; ++run) {
    boost::json::object reports;
    std::vector<TargetRow> targets;
    for (const auto& planned : selected) {
      std::fprintf(tables, "\n== %s (run %lld of %lld) ==\n", planned.name.c_str(), static_cast<long long>(run),
                   static_cast<long long>(runs));
      std::fflush(tables);
      auto report_file = scratch.path() / (planned.name + "-" + std::to_string(run) + ".jsonl");
      std::vector<std::string> child{planned.name};
      const auto& extra = quick ? planned.quick : planned.full;
      child.insert(child.end(), extra.begin(), extra.end());
      if (dir) child.insert(child.end(), {"--dir", *dir});
      int status = run_child(child, report_file, json);
      auto report = std::filesystem::exists(report_file) ? read_report(report_file) : boost::json::value{};
      if (status != 0 || report.is_null()) {
        failed.push_back(planned.name + " (run " + std::to_string(run) + ", exit " + std::to_string(status) + ")");
      }
      if (report.is_object()) {
        for (auto& row : targets_of(planned.name, report.get_object())) targets.push_back(std::move(row));
      }
      reports[planned.name] = std::move(report);
    }
    boost::json::array target_json;
    for (const auto& row : targets) target_json.push_back(to_json(row));
    run_documents.push_back(boost::json::object{{"run", run}, {"reports", std::move(reports)},
                                                {"targets", std::move(target_json)}});
    target_runs.push_back(std::move(targets));
  }
  // A row is met only when it met its target in every run.
  bool all_met = !target_runs.empty() && !target_runs.front().empty();
  boost::json::array summary;
  if (!target_runs.empty()) {
    for (size_t i = 0; i < target_runs.front().size(); ++i) {
      int met = 0;
      for (const auto& run : target_runs) met += run[i].met ? 1 : 0;
      const auto& first = target_runs.front()[i];
      bool every = met == static_cast<int>(target_runs.size());
      all_met = all_met && every;
      summary.push_back(boost::json::object{{"scenario", first.scenario}, {"figure", first.figure},
                                            {"target", first.target}, {"met_runs", met}, {"met_every_run", every}});
    }
  }
  print_targets(tables, target_runs);
  for (const auto& failure : failed) std::fprintf(tables, "FAILED: %s\n", failure.c_str());
  if (json) {
    boost::json::object document{{"solo_bench", "all"},
                                 {"started", started},
                                 {"finished", utc_now_iso8601()},
                                 {"quick", quick},
                                 {"cores", static_cast<int64_t>(sysconf(_SC_NPROCESSORS_ONLN))},
                                 {"runs", std::move(run_documents)},
                                 {"targets", std::move(summary)},
                                 {"all_targets_met", all_met},
                                 {"failed", boost::json::value_from(failed)}};
    std::cout << boost::json::serialize(document) << "\n";
  }
  return failed.empty() ? 0 : 1;
}

const RegisterScenario registered{
    {"all", "every scenario (each in its own process), then every target beside its baseline", run_all}};

}  // namespace
}  // namespace solo::bench
