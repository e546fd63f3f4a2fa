// Scenario `cluster`: an active/standby cluster of real `solo serve --node`
// processes (docs/cluster.md) on one PostgreSQL server, each figure beside
// its baseline from the same run, all HTTP on 127.0.0.1:
//
//   appends    the `postgres` comparison (bench/postgres_append.hpp) on the
//              cluster's server before the nodes start: the EventStore vs
//              raw libpq, same rows, each in a fresh schema of its own.
//   calls/s    C threads, each with a keep-alive connection, calling an echo
//              service for S seconds: all through the active node (the
//              baseline: what one Solo serves), then thread i through node
//              i % N. A standby forwards each call to the active node (over
//              keep-alive connections it reuses), so the standbys add
//              availability, not throughput: every call still runs on the
//              active node, and the every-node figure says what forwarding
//              costs, on the same nodes, service and clients.
//   failover   a prober calls the service through a surviving node every
//              10 ms; the active node gets SIGKILL. failover_ms is from the
//              kill to the first 200 of a call sent after the killed node was
//              reaped (so the answer came from a survivor), beside the lease's
//              time to live, which bounds how long the dead node's lease holds.
//
// Without --store it starts a throwaway server (fsync on); the nodes get a
// fresh schema of their own, solo_bench_cluster, and share one data directory.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "bench/keepalive_client.hpp"
#include "bench/postgres_append.hpp"
#include "bench/scenario.hpp"
#include "net/http_client.hpp"

namespace solo::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

// The echo service: its reply is the message.
constexpr const char* kEcho = "function init(config) return {} end\n"
                              "function handle_call(msg, state) return msg, state end\n";
constexpr const char* kCall = "/services/echo/call";
constexpr const char* kMessage = R"({"ping":1})";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `done` every 10 ms until it holds (true) or `timeout` passed (false).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  for (auto deadline = Clock::now() + timeout; !done(); std::this_thread::sleep_for(10ms)) {
    if (Clock::now() > deadline) return false;
  }
  return true;
}

// One `solo serve` child on 127.0.0.1, port 0: its URL is read from the
// "solo: listening on URL" line of its stdout (a file in the scratch dir).
class Node {
 public:
  Node(const std::filesystem::path& scratch, const std::string& name, std::vector<std::string> args)
      : out_(scratch / (name + ".stdout")), err_(scratch / (name + ".stderr")) {
    args.insert(args.begin(), {SOLO_BINARY, "serve", "--listen", "127.0.0.1:0", "--node", name});
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error(std::string("cannot start ") + SOLO_BINARY);
    int status = 0;
    bool exited = false;
    eventually([&] {
      auto text = read_text(out_);
      auto at = text.find("solo: listening on ");
      auto end = text.find('\n', at);
      if (at != std::string::npos && end != std::string::npos) url_ = text.substr(at + 19, end - at - 19);
      exited = url_.empty() && waitpid(pid_, &status, WNOHANG) == pid_;
      return !url_.empty() || exited;
    }, 20s);
    if (exited) pid_ = -1;
    if (url_.empty()) {
      stop(0ms);
      throw std::runtime_error("node " + name + " printed no 'listening on' line: " + read_text(err_));
    }
  }
  ~Node() { stop(0ms); }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& url() const { return url_; }
  unsigned short port() const { return static_cast<unsigned short>(std::stoi(url_.substr(url_.rfind(':') + 1))); }
  // SIGTERM, up to `grace` for the exit, then SIGKILL (at once without grace); reaped.
  void stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return;
    int status = 0;
    if (grace > 0ms) {
      ::kill(pid_, SIGTERM);
      for (auto deadline = Clock::now() + grace; Clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return;
        }
      }
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  std::string url_;
};

// A node's /health: its status code (0 when it did not answer), "status" and the active node's URL.
struct Health {
  int code = 0;
  std::string status, active_url;
};
Health health_of(const std::string& url) {
  Health health;
  try {
    auto response = net::HttpClient(url, 2s).request("GET", "/health");
    health.code = response.status;
    boost::system::error_code ec;
    json::value body = json::parse(response.body, ec);
    const json::object* object = ec ? nullptr : body.if_object();
    if (const json::value* status = object ? object->if_contains("status") : nullptr; status && status->is_string())
      health.status = status->get_string();
    const json::value* active = object ? object->if_contains("active") : nullptr;
    const json::value* url_of = active && active->is_object() ? active->get_object().if_contains("url") : nullptr;
    if (url_of && url_of->is_string()) health.active_url = url_of->get_string();
  } catch (const std::exception&) {
  }
  return health;
}

struct CallRun {
  double calls_per_s = 0;
  std::vector<int64_t> latency_ns;  // sorted
};

// `clients` threads, thread i with a keep-alive connection to ports[i %
// ports.size()], calling the echo service for `seconds` after a short warm-up.
CallRun call_for(const std::vector<unsigned short>& ports, int64_t clients, int64_t seconds, const std::string& token) {
  std::vector<std::vector<int64_t>> latencies(static_cast<size_t>(clients));
  std::latch ready(clients), go(1);  // connected and warm; the deadline is set
  Clock::time_point deadline;
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr error;
  auto fail = [&] {
    std::lock_guard lock(mutex);
    error = std::current_exception();
    failed = true;
  };
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      std::optional<KeepAliveClient> client;
      try {
        client.emplace("127.0.0.1", ports[static_cast<size_t>(i) % ports.size()], token);
        for (int warm = 0; warm < 20; ++warm) client->request("POST", kCall, kMessage);
      } catch (...) {
        fail();
      }
      ready.count_down();
      go.wait();
      auto& mine = latencies[static_cast<size_t>(i)];
      try {
        for (auto start = Clock::now(); client && !failed && start < deadline; start = Clock::now()) {
          client->request("POST", kCall, kMessage);
          mine.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
        }
      } catch (...) {
        fail();
      }
    });
  }
  ready.wait();
  auto start = Clock::now();
  deadline = start + std::chrono::seconds(seconds);
  go.count_down();
  for (auto& thread : threads) thread.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (error) std::rethrow_exception(error);
  CallRun run;
  for (const auto& mine : latencies) run.latency_ns.insert(run.latency_ns.end(), mine.begin(), mine.end());
  std::sort(run.latency_ns.begin(), run.latency_ns.end());
  run.calls_per_s = static_cast<double>(run.latency_ns.size()) / elapsed;
  return run;
}

double micros(int64_t ns) { return std::round(static_cast<double>(ns) / 100) / 10; }

struct Failover {
  double ms = 0;
  int64_t failed_probes = 0;  // probes sent after the kill that got no 200
};

// Probes the echo service through `survivors` (in turn) every 10 ms, kills
// `active` with SIGKILL once a probe succeeded, and times the first 200 of a
// probe sent after the killed node was reaped.
Failover fail_over(Node& active, const std::vector<std::string>& survivors, const std::string& token,
                   std::chrono::milliseconds lease_ttl) {
  std::atomic<Clock::rep> reaped{0}, answered{0};
  std::atomic<int64_t> ok_before{0}, failed_after{0};
  std::atomic<bool> stop{false};
  std::thread prober([&] {
    for (size_t k = 0; !stop && !answered; ++k) {
      auto sent = Clock::now();
      int status = 0;
      try {
        net::HttpClient client(survivors[k % survivors.size()], 1s);
        status = client.request("POST", kCall, kMessage, {{"authorization", "Bearer " + token}}).status;
      } catch (const std::exception&) {
      }
      Clock::rep killed = reaped;
      if (killed == 0) {
        ok_before += status == 200;
      } else if (sent.time_since_epoch().count() >= killed) {
        if (status == 200) answered = Clock::now().time_since_epoch().count();
        else ++failed_after;
      }
      std::this_thread::sleep_until(sent + 10ms);
    }
  });
  struct Join {
    std::thread& thread;
    std::atomic<bool>& stop;
    ~Join() {
      stop = true;
      thread.join();
    }
  } join{prober, stop};
  if (!eventually([&] { return ok_before > 0; }, 10s)) throw std::runtime_error("no call through a standby succeeded");
  auto killed_at = Clock::now();
  active.stop(0ms);  // SIGKILL, reaped
  reaped = Clock::now().time_since_epoch().count();
  if (!eventually([&] { return answered != 0; }, lease_ttl + 30s))
    throw std::runtime_error("no surviving node answered within the lease + 30 s after the kill");
  double ms = std::chrono::duration<double, std::milli>(Clock::duration(answered.load()) - killed_at.time_since_epoch())
                  .count();
  return {std::round(ms * 10) / 10, failed_after};
}

int run_cluster(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench cluster [--nodes N] [--clients C] [--seconds S] [--lease-ttl-ms MS] [--events E]\n"
                 "                          [--store postgresql://...] [--dir DIR] [--json]\n";
    return 0;
  }
  const int64_t nodes = args.integer("--nodes", 3, 2);
  const int64_t clients = args.integer("--clients", 12);
  const int64_t seconds = args.integer("--seconds", 5);
  const int64_t lease_ms = args.integer("--lease-ttl-ms", 2000, 500);
  AppendOptions append;
  append.events = args.integer("--events", 20'000);
  auto store = args.value("--store");
  auto parent = args.value("--dir");
  const bool json_out = args.flag("--json");
  args.finish();

  ScratchDir dir(parent);
  BenchPostgres server(store, dir.path() / "postgres");
  AppendComparison appends = compare_appends(append, server);  // a. before the nodes start

  // b. n1 turns active; n2..nN stand by, naming it.
  const std::string cluster_store = fresh_schema(server.uri(), "solo_bench_cluster");
  const std::vector<std::string> node_args = {"--data",  (dir.path() / "data").string(), "--store", cluster_store,
                                              "--lease-ttl-ms", std::to_string(lease_ms)};
  std::vector<std::unique_ptr<Node>> cluster;
  cluster.push_back(std::make_unique<Node>(dir.path(), "n1", node_args));
  const std::string active_url = cluster[0]->url();
  if (!eventually([&] { return health_of(active_url).status == "healthy"; }, std::chrono::milliseconds(lease_ms) + 30s))
    throw std::runtime_error("n1 did not turn active: " + read_text(dir.path() / "n1.stderr"));
  std::string token = read_text(dir.path() / "data" / "admin.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  for (int64_t i = 1; i < nodes; ++i) {
    cluster.push_back(std::make_unique<Node>(dir.path(), "n" + std::to_string(i + 1), node_args));
    bool standing_by = eventually([&] {
      auto health = health_of(cluster.back()->url());
      return health.code == 503 && health.status == "standby" && health.active_url == active_url;
    }, std::chrono::milliseconds(lease_ms) + 20s);
    if (!standing_by) throw std::runtime_error("n" + std::to_string(i + 1) + " did not stand by naming n1");
  }

  // c. the echo service, deployed through the active node.
  json::object deploy{{"service_id", "echo"}, {"code", kEcho}};
  auto deployed = net::HttpClient(active_url, 30s).request("POST", "/services", json::serialize(deploy),
                                                             {{"authorization", "Bearer " + token}});
  if (deployed.status != 201) {
    throw std::runtime_error("deploy: " + std::to_string(deployed.status) + " " + deployed.body);
  }

  // d. calls/s through the active node, then through every node.
  std::vector<unsigned short> ports;
  for (const auto& node : cluster) ports.push_back(node->port());
  CallRun one = call_for({ports[0]}, clients, seconds, token);
  CallRun every = call_for(ports, clients, seconds, token);

  // e. failover: the prober talks to the standbys only.
  if (health_of(active_url).status != "healthy") throw std::runtime_error("n1 is no longer the active node");
  std::vector<std::string> survivors;
  for (size_t i = 1; i < cluster.size(); ++i) survivors.push_back(cluster[i]->url());
  Failover failover = fail_over(*cluster[0], survivors, token, std::chrono::milliseconds(lease_ms));

  // f. every node stopped; the server stops when `server` goes away.
  for (auto& node : cluster) node->stop(10s);

  json::object report{
      {"scenario", "cluster"},
      {"nodes", nodes},
      {"clients", clients},
      {"seconds", seconds},
      {"calls_per_s_one_node", std::llround(one.calls_per_s)},
      {"calls_per_s_every_node", std::llround(every.calls_per_s)},
      {"every_over_one", std::round(every.calls_per_s / one.calls_per_s * 1000) / 1000},
      {"call_p50_us_one_node", micros(percentile(one.latency_ns, 0.50))},
      {"call_p99_us_one_node", micros(percentile(one.latency_ns, 0.99))},
      {"call_p50_us_every_node", micros(percentile(every.latency_ns, 0.50))},
      {"call_p99_us_every_node", micros(percentile(every.latency_ns, 0.99))},
      {"failover_ms", failover.ms},
      {"failover_failed_probes", failover.failed_probes},
      {"lease_ttl_ms", lease_ms},
  };
  for (const auto& [key, value] : appends.figures) report["append_" + std::string(key)] = value;
  publish(report, json_out);
  if (json_out) return 0;
  auto latency = [](const CallRun& run) {
    return " (p50 / p99 " + decimal(micros(percentile(run.latency_ns, 0.50))) + " / " +
           decimal(micros(percentile(run.latency_ns, 0.99))) + " us)";
  };
  std::printf("cluster: %lld nodes, %lld clients, %lld s per phase, %s\n", static_cast<long long>(nodes),
              static_cast<long long>(clients), static_cast<long long>(seconds), server.describe().c_str());
  std::printf("appends, before the nodes start: %lld events, %lld writers\n", static_cast<long long>(append.events),
              static_cast<long long>(append.writers));
  for (const auto& [label, value] : appends.rows) print_row(label, value);
  std::printf("calls of an echo service, keep-alive connections:\n");
  print_row("all through the active node", decimal(one.calls_per_s) + " calls/s" + latency(one));
  print_row("thread i through node i % N", decimal(every.calls_per_s) + " calls/s" + latency(every));
  print_row("ratio (every node / active node)",
            decimal(every.calls_per_s / one.calls_per_s, 3) + "   standbys add availability, not throughput");
  std::printf("failover, SIGKILL of the active node:\n");
  print_row("first 200 through a survivor", decimal(failover.ms, 1) + " ms after the kill (lease " +
                                                std::to_string(lease_ms) + " ms, " +
                                                std::to_string(failover.failed_probes) + " probes failed)");
  return 0;
}

const RegisterScenario registered{{"cluster",
                                   "a 3-node cluster on PostgreSQL: appends vs raw libpq, calls/s through the active "
                                   "node vs through every node, failover after SIGKILL",
                                   run_cluster}};

}  // namespace
}  // namespace solo::bench
