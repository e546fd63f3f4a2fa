// Scenario `services`: the costs of running code as a Solo service, each
// beside what the same Lua code costs in a bare lua_State, in one run.
//
//   deploy latency     Deployer::deploy of a counter, one after another:
//                      validate + compile, service_deployed durable (fsync),
//                      sandbox created, init run, started under the tenant's
//                      supervisor. Baseline: bare create + load (lua_baseline.hpp)
//                      plus two fsyncs of this disk (disk_probe.hpp).
//   deploy throughput  C deploys started at once (group commit shares the
//                      fsyncs), R rounds. Baseline: bare create + loads per second;
//                      the engine CPU per deploy also beside C x R bare states
//                      kept alive (a deploy keeps its state, so it takes fresh
//                      memory where the closed-each-time baseline reuses it).
//   in-process call    ServiceActor::call({"op":"inc"}) one after another
//                      (mailbox, reply slot, timeout, JSON <-> Lua, metering).
//                      Baselines: a bare lua_pcall of the same handle_call
//                      with a table built in C, and the bare sandboxed call
//                      (lua_baseline.hpp: the same pcall with the message
//                      converted from JSON, the reply back, a count hook).
//                      Target: p50 <= 1.5 x the bare sandboxed call.
//   HTTP call          POST /services/counter/call over one keep-alive
//                      connection (and over K at once, one client thread each),
//                      the kernel on its own thread in this process.
//                      Baseline: GET /health over the same kind of connection.
//   idle memory        I idle counters: memory_bytes() (the sandbox's Lua
//                      heap) and the process RSS added per service.
//                      Baseline: a bare state after init (lua_gc count), and
//                      the RSS it adds.
//
// Baselines: every bare Lua baseline runs on the engine thread, next to
// what it is compared with: the bare loads half before and half after the
// sequential deploys, each round's bare states just before its deploys, the
// call baselines in rounds alternating with the calls. The two vCPUs of the
// VM this is measured on run at different speeds at times (the same loop
// took 1.7x as long on one, and a minute later as long on both), so a
// baseline taken on another thread or a minute apart was as often on the
// other vCPU as on the same one: call ratios of 1.45 and 2.48 in two runs a
// minute apart, 1.51-1.54 in every run since.
//
// Everything runs on a real kernel (KernelThread) with synchronous=FULL in a
// scratch directory. No figure is asserted: targets are printed beside them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bench/disk_probe.hpp"
#include "bench/http_probe.hpp"
#include "bench/kernel_thread.hpp"
#include "bench/lua_baseline.hpp"
#include "bench/scenario.hpp"
#include "bench/service_probes.hpp"

namespace solo::bench {
namespace {

struct ServicesOptions {
  int64_t deploys = 200;           // sequential deploys (latency)
  int64_t concurrent = 100;        // deploys started at once (throughput)
  int64_t rounds = 5;              // rounds of concurrent deploys
  int64_t calls = 50'000;          // sequential in-process calls
  int64_t http_requests = 10'000;  // per measurement over one connection
  int64_t http_connections = 4;    // the concurrent HTTP measurement
  int64_t idle = 1000;             // idle services for the memory figures
  std::optional<std::string> dir;
  bool json = false;
  bool calls_only = false;  // only the in-process call figures (no deploy, HTTP, idle rows)
};

constexpr int64_t kIdleTarget = 64 * 1024;
constexpr int kDeployWarmup = 5;
constexpr int kCallWarmup = 1000;
constexpr int kHttpWarmup = 200;
constexpr double kCallOverSandboxedTarget = 1.5;

double micros(int64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10.0; }  // 0.1 us
double round_to(double v, double unit) { return std::round(v / unit) * unit; }
double mean(const std::vector<int64_t>& v) {
  return v.empty() ? 0 : static_cast<double>(std::accumulate(v.begin(), v.end(), int64_t{0})) /
                             static_cast<double>(v.size());
}
// ns per operation, to 1 ns.
double cpu_ns_per(double seconds, size_t operations) {
  return operations == 0 ? 0 : std::round(seconds * 1e9 / static_cast<double>(operations));
}
double sum_seconds(const std::vector<int64_t>& v) {
  return static_cast<double>(std::accumulate(v.begin(), v.end(), int64_t{0})) / 1e9;
}

struct HttpFigures {
  HttpRun call;
  HttpRun health;
  HttpRun call_many;
  HttpRun health_many;
};

HttpFigures measure_http(const KernelThread& kernel, const ServicesOptions& options) {
  // The admin token (when authentication exists) with no X-Tenant-ID: tenant "default".
  const HttpTarget call{"POST", "/services/counter/call", R"({"op":"inc"})", kernel.admin_token()};
  const HttpTarget health{"GET", "/health", "", kernel.admin_token()};
  const int n = static_cast<int>(options.http_requests);
  const int k = static_cast<int>(options.http_connections);
  const int per_connection = std::max(1, n / k);
  const int warmup = std::min(kHttpWarmup, n);
  HttpFigures figures;
  // Health first each time, so neither side always runs on a warmer server.
  figures.health = run_http("127.0.0.1", kernel.port(), health, 1, n, warmup);
  figures.call = run_http("127.0.0.1", kernel.port(), call, 1, n, warmup);
  figures.health_many = run_http("127.0.0.1", kernel.port(), health, k, per_connection, warmup);
  figures.call_many = run_http("127.0.0.1", kernel.port(), call, k, per_connection, warmup);
  return figures;
}

// The in-process call figures: Solo's call and its baselines, each with its
// latencies (ns, sorted) and the CPU time of its whole loop (its thread's).
struct CallFigures {
  CallRun calls;
  std::vector<int64_t> bare_calls;
  std::vector<int64_t> bare_sandboxed;
  std::vector<int64_t> sandbox_calls;
  double bare_sandboxed_cpu_seconds = 0;
  double sandbox_cpu_seconds = 0;
};

// Rounds the in-process calls and their baselines alternate in.
constexpr int kCallRounds = 10;

void append_samples(std::vector<int64_t>& into, const std::vector<int64_t>& more) {
  into.insert(into.end(), more.begin(), more.end());
}

// Runs `work` on the engine thread (handed to KernelThread::run).
boost::asio::awaitable<std::vector<int64_t>> on_engine_thread(std::function<std::vector<int64_t>()> work) {
  co_return work();
}

// One round of the baselines, run on the engine thread (a synchronous loop:
// nothing else of the idle kernel runs meanwhile).
boost::asio::awaitable<void> baseline_round(CallFigures& figures, int n) {
  double cpu = 0;
  append_samples(figures.bare_calls, bare_call_ns(kCounterCode, n));
  append_samples(figures.bare_sandboxed, bare_sandboxed_call_ns(kCounterCode, n, &cpu));
  figures.bare_sandboxed_cpu_seconds += cpu;
  append_samples(figures.sandbox_calls, sandbox_call_ns(n, false, &cpu));
  figures.sandbox_cpu_seconds += cpu;
  co_return;
}

// Solo's in-process calls on the counter "latency"/"counter-0" (deployed),
// and their baselines, in alternating rounds on the engine thread.
CallFigures measure_calls(KernelThread& kernel, const std::shared_ptr<Deployer>& deployer,
                          const ServicesOptions& options) {
  CallFigures figures;
  const int per_round = std::max(1, static_cast<int>(options.calls) / kCallRounds);
  kernel.run(call_sequentially(deployer, "latency", "warmup-0", kCallWarmup));
  for (int round = 0; round < kCallRounds; ++round) {
    kernel.run(baseline_round(figures, per_round));
    auto calls = kernel.run(call_sequentially(deployer, "latency", "counter-0", per_round));
    append_samples(figures.calls.latency_ns, calls.latency_ns);
    figures.calls.seconds += calls.seconds;
    figures.calls.cpu_seconds += calls.cpu_seconds;
  }
  for (auto* samples : {&figures.bare_calls, &figures.bare_sandboxed, &figures.sandbox_calls,
                        &figures.calls.latency_ns}) {
    std::sort(samples->begin(), samples->end());
  }
  return figures;
}

boost::json::object call_report(const CallFigures& figures) {
  const auto& calls = figures.calls;
  const auto& bare_calls = figures.bare_calls;
  const auto& bare_sandboxed = figures.bare_sandboxed;
  const auto& sandbox_calls = figures.sandbox_calls;
  const auto n = calls.latency_ns.size();
  const double call_p50 = static_cast<double>(percentile(calls.latency_ns, 0.50));
  const double bare_call_p50 = static_cast<double>(percentile(bare_calls, 0.50));
  const double bare_sandboxed_p50 = static_cast<double>(percentile(bare_sandboxed, 0.50));
  const double calls_per_s = static_cast<double>(calls.latency_ns.size()) / calls.seconds;
  const double bare_calls_per_s = static_cast<double>(bare_calls.size()) / sum_seconds(bare_calls);
  return boost::json::object{
      {"call_p50_us", round_to(call_p50 / 1000, 0.001)},
      {"call_p99_us", round_to(static_cast<double>(percentile(calls.latency_ns, 0.99)) / 1000, 0.001)},
      {"calls_per_s", std::llround(calls_per_s)},
      {"bare_pcall_p50_us", round_to(bare_call_p50 / 1000, 0.001)},
      {"bare_pcall_p99_us", round_to(static_cast<double>(percentile(bare_calls, 0.99)) / 1000, 0.001)},
      {"bare_pcalls_per_s", std::llround(bare_calls_per_s)},
      {"sandbox_call_p50_us", round_to(static_cast<double>(percentile(sandbox_calls, 0.50)) / 1000, 0.001)},
      {"call_ratio_p50", round_to(call_p50 / bare_call_p50, 0.01)},
      {"call_ratio_throughput", round_to(bare_calls_per_s / calls_per_s, 0.01)},
      {"bare_sandboxed_call_p50_us", round_to(bare_sandboxed_p50 / 1000, 0.001)},
      {"bare_sandboxed_call_p99_us", round_to(static_cast<double>(percentile(bare_sandboxed, 0.99)) / 1000, 0.001)},
      {"call_over_sandboxed_p50", round_to(call_p50 / bare_sandboxed_p50, 0.01)},
      {"call_over_sandboxed_target", kCallOverSandboxedTarget},
      // CPU time per call of each loop's thread (loop and clock reads included):
      // what time the OS gives other processes does not inflate
      {"call_cpu_ns", cpu_ns_per(calls.cpu_seconds, n)},
      {"bare_sandboxed_call_cpu_ns", cpu_ns_per(figures.bare_sandboxed_cpu_seconds, bare_sandboxed.size())},
      {"sandbox_call_cpu_ns", cpu_ns_per(figures.sandbox_cpu_seconds, sandbox_calls.size())},
      {"call_over_sandboxed_cpu", round_to(cpu_ns_per(calls.cpu_seconds, n) /
                                               cpu_ns_per(figures.bare_sandboxed_cpu_seconds, bare_sandboxed.size()),
                                           0.01)},
  };
}

std::string fixed(double v, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return std::string(buffer);
}
std::string us(int64_t ns) { return fixed(static_cast<double>(ns) / 1000, ns < 10'000 ? 2 : 0) + " us"; }
void row(const std::string& what, const std::string& ours, const std::string& baseline, const std::string& ratio,
         const std::string& target) {
  std::printf("  %-28s %-22s %-30s %-8s %s\n", what.c_str(), ours.c_str(), baseline.c_str(), ratio.c_str(),
              target.c_str());
}

void print_call_rows(const CallFigures& figures) {
  const auto& calls = figures.calls;
  const auto& bare_calls = figures.bare_calls;
  const auto& bare_sandboxed = figures.bare_sandboxed;
  const auto& sandbox_calls = figures.sandbox_calls;
  const double call_p50 = static_cast<double>(percentile(calls.latency_ns, 0.50));
  const double bare_call_p50 = static_cast<double>(percentile(bare_calls, 0.50));
  const double bare_sandboxed_p50 = static_cast<double>(percentile(bare_sandboxed, 0.50));
  const double calls_per_s = static_cast<double>(calls.latency_ns.size()) / calls.seconds;
  const double bare_calls_per_s = static_cast<double>(bare_calls.size()) / sum_seconds(bare_calls);
  row("in-process call p50", us(percentile(calls.latency_ns, 0.50)),
      us(percentile(bare_sandboxed, 0.50)) + " bare sandboxed call", fixed(call_p50 / bare_sandboxed_p50, 2),
      "<= " + fixed(kCallOverSandboxedTarget, 1));
  row("  beside a bare pcall", "", us(percentile(bare_calls, 0.50)) + " (table built in C)",
      fixed(call_p50 / bare_call_p50, 2), "");
  row("  of which the sandbox step", us(percentile(sandbox_calls, 0.50)), "(LuaSandbox::start_call alone)",
      fixed(static_cast<double>(percentile(sandbox_calls, 0.50)) / bare_sandboxed_p50, 2), "");
  row("in-process call p99", us(percentile(calls.latency_ns, 0.99)),
      us(percentile(bare_sandboxed, 0.99)) + " sandboxed, " + us(percentile(bare_calls, 0.99)) + " pcall", "", "");
  row("in-process calls/s", fixed(calls_per_s) + " /s", fixed(bare_calls_per_s) + " bare pcalls/s",
      fixed(bare_calls_per_s / calls_per_s, 2), "(issue 2's 3x, superseded)");
  const auto n = calls.latency_ns.size();
  const double call_cpu = cpu_ns_per(calls.cpu_seconds, n);
  const double bare_cpu = cpu_ns_per(figures.bare_sandboxed_cpu_seconds, bare_sandboxed.size());
  row("  CPU per call (thread)", fixed(call_cpu) + " ns",
      fixed(bare_cpu) + " ns sandboxed; step " + fixed(cpu_ns_per(figures.sandbox_cpu_seconds, sandbox_calls.size())) +
          " ns",
      fixed(call_cpu / bare_cpu, 2), "");
}

// --calls-only: the baselines, one deployed counter, its calls.
int run_calls_only(const ServicesOptions& options) {
  ScratchDir dir(options.dir);
  CallFigures figures;
  {
    KernelThread kernel(dir.path() / "data");
    auto deployer = kernel.deployer();
    kernel.run(deploy_counter(deployer, "latency", "warmup-0"));
    kernel.run(deploy_counter(deployer, "latency", "counter-0"));
    if (!options.json) std::fprintf(stderr, "services: in-process calls and their baselines...\n");
    figures = measure_calls(kernel, deployer, options);
  }
  boost::json::object report{{"scenario", "services"}, {"calls", options.calls}};
  for (auto& [key, value] : call_report(figures)) report[key] = value;
  publish(report, options.json);
  if (options.json) return 0;
  row("", "solo", "baseline", "ratio", "target");
  print_call_rows(figures);
  return 0;
}

int run_services(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench services [--quick] [--deploys N] [--concurrent C] [--rounds R] [--calls N]\n"
                 "                           [--http-requests N] [--http-connections K] [--idle N] [--dir DIR] [--json]\n"
                 "                           [--calls-only]\n"
                 "  --quick       a small run (smoke test): 20 deploys, 1 round of 20, 2000 calls, 300 requests, 50 idle\n"
                 "  --calls-only  only the in-process call figures and their baselines (the call_* keys)\n";
    return 0;
  }
  ServicesOptions options;
  if (args.flag("--quick")) {
    options = ServicesOptions{20, 20, 1, 2000, 300, 2, 50, std::nullopt, false};
  }
  options.deploys = args.integer("--deploys", options.deploys);
  options.concurrent = args.integer("--concurrent", options.concurrent);
  options.rounds = args.integer("--rounds", options.rounds);
  options.calls = args.integer("--calls", options.calls);
  options.http_requests = args.integer("--http-requests", options.http_requests);
  options.http_connections = args.integer("--http-connections", options.http_connections);
  options.idle = args.integer("--idle", options.idle);
  options.dir = args.value("--dir");
  options.json = args.flag("--json");
  options.calls_only = args.flag("--calls-only");
  args.finish();
  if (options.calls_only) return run_calls_only(options);

  ScratchDir dir(options.dir);
  if (!options.json) std::fprintf(stderr, "services: the disk...\n");
  // The disk the kernel's event log is on (before the kernel exists, so
  // nothing else runs meanwhile).
  auto sync = probe_sync_latency(dir.path());
  // The bare Lua baselines run on the engine thread, beside what they are
  // compared with (see "Baselines" above).
  std::vector<int64_t> bare_load;
  std::vector<int64_t> bare_kept;
  BareStates kept_states;  // open until every figure is taken: nothing later reuses their memory

  std::vector<int64_t> deploy_ns;
  std::vector<ConcurrentDeploys> rounds;
  uint64_t round_commits = 0;
  uint64_t sequential_commits = 0;
  HttpFigures http;
  CallFigures call_figures;
  std::vector<int64_t> idle_bytes;
  double idle_rss_per_service = 0;
  BareMemory bare_mem;
  {
    KernelThread kernel(dir.path() / "data");
    auto deployer = kernel.deployer();

    if (!options.json) std::fprintf(stderr, "services: deploy latency...\n");
    kernel.run(deploy_sequentially(deployer, "latency", "warmup", kDeployWarmup));
    // Half of the bare loads before the sequential deploys and half after.
    const int bare_loads = static_cast<int>(std::max<int64_t>(options.deploys, 200));
    const std::function<std::vector<int64_t>()> half_of_bare_loads = [&] {
      return bare_create_load_ns(kCounterCode, std::max(1, bare_loads / 2));
    };
    append_samples(bare_load, kernel.run(on_engine_thread(half_of_bare_loads)));
    const uint64_t sequential_before = kernel.commits();
    deploy_ns = kernel.run(deploy_sequentially(deployer, "latency", "counter", static_cast<int>(options.deploys)));
    sequential_commits = kernel.commits() - sequential_before;
    append_samples(bare_load, kernel.run(on_engine_thread(half_of_bare_loads)));
    std::sort(bare_load.begin(), bare_load.end());

    if (!options.json) std::fprintf(stderr, "services: deploy throughput...\n");
    // Each round's bare states just before it (kept, as its deploys keep theirs).
    const std::function<std::vector<int64_t>()> bare_round = [&] {
      return bare_create_load_kept_ns(kCounterCode, static_cast<int>(options.concurrent), kept_states);
    };
    uint64_t round_commits_sum = 0;
    for (int64_t r = 0; r < options.rounds; ++r) {
      append_samples(bare_kept, kernel.run(on_engine_thread(bare_round)));
      const uint64_t commits_before = kernel.commits();
      rounds.push_back(kernel.run(deploy_concurrently(deployer, "throughput", "round" + std::to_string(r),
                                                      static_cast<int>(options.concurrent))));
      round_commits_sum += kernel.commits() - commits_before;
    }
    std::sort(bare_kept.begin(), bare_kept.end());
    round_commits = round_commits_sum;

    if (!options.json) std::fprintf(stderr, "services: in-process calls and their baselines...\n");
    call_figures = measure_calls(kernel, deployer, options);

    if (!options.json) std::fprintf(stderr, "services: HTTP...\n");
    kernel.run(deploy_counter(deployer, "default", "counter"));  // X-Tenant-ID absent: tenant "default"
    http = measure_http(kernel, options);

    if (!options.json) std::fprintf(stderr, "services: idle memory...\n");
    int64_t rss_before = process_rss_bytes();
    for (int64_t done = 0; done < options.idle;) {
      int64_t batch = std::min<int64_t>(100, options.idle - done);
      kernel.run(deploy_concurrently(deployer, "idle", "idle" + std::to_string(done), static_cast<int>(batch)));
      done += batch;
    }
    idle_rss_per_service = static_cast<double>(process_rss_bytes() - rss_before) / static_cast<double>(options.idle);
    idle_bytes = kernel.run(service_memory(deployer, "idle"));
    // While the services still hold their memory, so that the bare states
    // cannot reuse pages the services freed.
    bare_mem = bare_memory(kCounterCode, static_cast<int>(options.idle));
  }

  // ---- figures ------------------------------------------------------------------
  const double fsync_p50 = static_cast<double>(percentile(sync, 0.50));
  const double bare_load_p50 = static_cast<double>(percentile(bare_load, 0.50));
  const double deploy_p50 = static_cast<double>(percentile(deploy_ns, 0.50));
  const double deploy_target = bare_load_p50 + 2 * fsync_p50;

  double round_seconds = 0;
  double round_cpu = 0;
  int64_t concurrent_deploys = 0;
  std::vector<int64_t> concurrent_ns;
  for (const auto& round : rounds) {
    round_seconds += round.seconds;
    round_cpu += round.engine_cpu_seconds;
    concurrent_deploys += static_cast<int64_t>(round.latency_ns.size());
    concurrent_ns.insert(concurrent_ns.end(), round.latency_ns.begin(), round.latency_ns.end());
  }
  std::sort(concurrent_ns.begin(), concurrent_ns.end());
  const double deploys_per_s = static_cast<double>(concurrent_deploys) / round_seconds;
  const double bare_loads_per_s = static_cast<double>(bare_load.size()) / sum_seconds(bare_load);

  auto per_s = [](const HttpRun& run) { return static_cast<double>(run.latency_ns.size()) / run.seconds; };
  const double idle_mean = mean(idle_bytes);

  boost::json::object report{
      {"scenario", "services"},
      {"deploys", options.deploys},
      {"concurrent", options.concurrent},
      {"rounds", options.rounds},
      {"calls", options.calls},
      {"http_requests", options.http_requests},
      {"http_connections", options.http_connections},
      {"idle_services", options.idle},
      {"synchronous", "FULL"},
      // deploy latency
      {"deploy_p50_us", micros(percentile(deploy_ns, 0.50))},
      {"deploy_p99_us", micros(percentile(deploy_ns, 0.99))},
      {"bare_create_load_p50_us", micros(percentile(bare_load, 0.50))},
      {"bare_create_load_p99_us", micros(percentile(bare_load, 0.99))},
      {"fsync_p50_us", micros(percentile(sync, 0.50))},
      {"fsync_p99_us", micros(percentile(sync, 0.99))},
      {"deploy_target_us", micros(static_cast<int64_t>(deploy_target))},
      {"deploy_p50_over_target", round_to(deploy_p50 / deploy_target, 0.001)},
      // Commits the sequential deploys took, per deploy: 1 when a deploy's
      // service_started rides in the next deploy's commit (the Writer holds a
      // commit until the engine has taken in the previous result).
      {"commits_per_sequential_deploy",
       round_to(static_cast<double>(sequential_commits) / static_cast<double>(std::max<size_t>(deploy_ns.size(), 1)), 0.01)},
      // deploy throughput
      {"deploys_per_s", std::llround(deploys_per_s)},
      {"bare_create_loads_per_s", std::llround(bare_loads_per_s)},
      {"deploy_throughput_ratio", round_to(deploys_per_s / bare_loads_per_s, 0.001)},
      {"deploy_engine_cpu_us", round_to(round_cpu * 1e6 / static_cast<double>(concurrent_deploys), 0.1)},
      {"bare_create_load_mean_us", round_to(1e6 / bare_loads_per_s, 0.1)},
      {"deploy_engine_cpu_ratio",
       round_to(round_cpu * bare_loads_per_s / static_cast<double>(concurrent_deploys), 0.01)},
      // The same bare work with its states kept alive, as the deploys keep theirs.
      {"bare_create_load_kept_mean_us", round_to(mean(bare_kept) / 1000, 0.1)},
      {"bare_create_loads_kept_per_s", std::llround(1e9 / mean(bare_kept))},
      {"deploy_engine_cpu_ratio_kept", round_to(round_cpu * 1e9 / static_cast<double>(concurrent_deploys) / mean(bare_kept), 0.01)},
      {"commits_per_round", round_to(static_cast<double>(round_commits) / static_cast<double>(rounds.size()), 0.1)},
      {"concurrent_deploy_p50_us", micros(percentile(concurrent_ns, 0.50))},
      {"concurrent_deploy_p99_us", micros(percentile(concurrent_ns, 0.99))},
      // HTTP, keep-alive
      {"http_call_p50_us", micros(percentile(http.call.latency_ns, 0.50))},
      {"http_call_p99_us", micros(percentile(http.call.latency_ns, 0.99))},
      {"http_calls_per_s", std::llround(per_s(http.call))},
      {"http_health_p50_us", micros(percentile(http.health.latency_ns, 0.50))},
      {"http_health_p99_us", micros(percentile(http.health.latency_ns, 0.99))},
      {"http_health_per_s", std::llround(per_s(http.health))},
      {"http_call_ratio_p50", round_to(static_cast<double>(percentile(http.call.latency_ns, 0.50)) /
                                           static_cast<double>(percentile(http.health.latency_ns, 0.50)),
                                       0.01)},
      {"http_many_call_p50_us", micros(percentile(http.call_many.latency_ns, 0.50))},
      {"http_many_call_p99_us", micros(percentile(http.call_many.latency_ns, 0.99))},
      {"http_many_calls_per_s", std::llround(per_s(http.call_many))},
      {"http_many_health_p50_us", micros(percentile(http.health_many.latency_ns, 0.50))},
      {"http_many_health_p99_us", micros(percentile(http.health_many.latency_ns, 0.99))},
      {"http_many_health_per_s", std::llround(per_s(http.health_many))},
      // idle memory
      {"idle_memory_bytes", std::llround(idle_mean)},
      {"idle_memory_max_bytes", idle_bytes.empty() ? 0 : *std::max_element(idle_bytes.begin(), idle_bytes.end())},
      {"idle_rss_bytes_per_service", std::llround(idle_rss_per_service)},
      {"bare_lua_heap_bytes", std::llround(bare_mem.lua_heap_bytes)},
      {"bare_rss_bytes_per_state", std::llround(bare_mem.rss_bytes)},
      {"idle_memory_ratio", round_to(idle_mean / bare_mem.lua_heap_bytes, 0.01)},
      {"idle_memory_target_bytes", kIdleTarget},
  };
  for (auto& [key, value] : call_report(call_figures)) report[key] = value;
  publish(report, options.json);
  if (options.json) return 0;

  std::printf("services: synchronous=FULL, %s\n", dir.path().c_str());
  row("", "solo", "baseline", "ratio", "target");
  row("deploy p50 (sequential)", us(percentile(deploy_ns, 0.50)),
      us(percentile(bare_load, 0.50)) + " + 2 x " + us(percentile(sync, 0.50)), fixed(deploy_p50 / deploy_target, 2),
      "<= 1 (bare load + 2 fsync); " +
          fixed(static_cast<double>(sequential_commits) / static_cast<double>(std::max<size_t>(deploy_ns.size(), 1)), 2) +
          " commits/deploy");
  row("deploy p99 (sequential)", us(percentile(deploy_ns, 0.99)), us(percentile(bare_load, 0.99)) + " bare", "", "");
  row("deploys/s (" + std::to_string(options.concurrent) + " at once)", fixed(deploys_per_s) + " /s",
      fixed(bare_loads_per_s) + " bare loads/s", fixed(deploys_per_s / bare_loads_per_s, 2), ">= 0.5");
  row("  engine CPU per deploy", fixed(round_cpu * 1e6 / static_cast<double>(concurrent_deploys)) + " us",
      fixed(1e6 / bare_loads_per_s) + " us bare", fixed(round_cpu * bare_loads_per_s / static_cast<double>(concurrent_deploys), 2),
      "<= 1.5; " + fixed(static_cast<double>(round_commits) / static_cast<double>(rounds.size()), 1) + " commits/round");
  row("  vs bare states kept alive", "", fixed(mean(bare_kept) / 1000) + " us bare (kept)",
      fixed(round_cpu * 1e9 / static_cast<double>(concurrent_deploys) / mean(bare_kept), 2), "(deploys keep theirs)");
  row("  concurrent deploy p50/p99", us(percentile(concurrent_ns, 0.50)) + " / " + us(percentile(concurrent_ns, 0.99)),
      "", "", "");
  print_call_rows(call_figures);
  row("HTTP call p50/p99, 1 conn",
      us(percentile(http.call.latency_ns, 0.50)) + " / " + us(percentile(http.call.latency_ns, 0.99)),
      "health " + us(percentile(http.health.latency_ns, 0.50)) + " / " + us(percentile(http.health.latency_ns, 0.99)),
      "", "");
  row("HTTP calls/s, 1 conn", fixed(per_s(http.call)) + " /s", "health " + fixed(per_s(http.health)) + " /s",
      fixed(per_s(http.health) / per_s(http.call), 2), "");
  const std::string k = std::to_string(options.http_connections);
  row("HTTP call p50/p99, " + k + " conns",
      us(percentile(http.call_many.latency_ns, 0.50)) + " / " + us(percentile(http.call_many.latency_ns, 0.99)),
      "health " + us(percentile(http.health_many.latency_ns, 0.50)) + " / " +
          us(percentile(http.health_many.latency_ns, 0.99)),
      "", "");
  row("HTTP calls/s, " + k + " conns", fixed(per_s(http.call_many)) + " /s",
      "health " + fixed(per_s(http.health_many)) + " /s", fixed(per_s(http.health_many) / per_s(http.call_many), 2), "");
  row("idle counter, Lua heap", fixed(idle_mean / 1024, 1) + " KiB",
      fixed(bare_mem.lua_heap_bytes / 1024, 1) + " KiB bare", fixed(idle_mean / bare_mem.lua_heap_bytes, 2),
      "<= 64 KiB");
  row("idle counter, process RSS", fixed(idle_rss_per_service / 1024, 1) + " KiB",
      fixed(bare_mem.rss_bytes / 1024, 1) + " KiB bare", fixed(idle_rss_per_service / bare_mem.rss_bytes, 2), "");
  return 0;
}

const RegisterScenario registered{{"services", "deploy, call (in-process, HTTP) and idle memory of Lua services vs bare Lua",
                                   run_services}};

}  // namespace
}  // namespace solo::bench
