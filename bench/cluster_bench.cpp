// Scenario `cluster`: a cluster of real `solo serve --node` processes
// (docs/cluster.md) on one PostgreSQL server, each figure beside its baseline
// from the same run, all HTTP on 127.0.0.1. With --shards 1 (the default) one
// node is active and the others stand by; with --shards S the store is split
// into S shards spread over the nodes, and the calls go to one tenant per
// shard (each client with its tenant's token, which names the shard):
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
//              With shards, every node's engine runs calls (its shards'
//              tenants), wherever a client connects: the phases are client i
//              through node 1, through node i % N, and through the node that
//              holds its tenant's shard (what a shard-aware balancer does).
//   failover   a prober calls the service through a surviving node every
//              10 ms; the active node (with shards: node 1, and the prober
//              calls a tenant whose shard node 1 holds) gets SIGKILL. failover_ms is from the
//              kill to the first 200 of a call sent after the killed node was
//              reaped (so the answer came from a survivor), beside the lease's
//              time to live, which bounds how long the dead node's lease holds.
//
// Without --store it starts a throwaway server (fsync on); the nodes get a
// fresh schema of their own, solo_bench_cluster (with shards: the throwaway
// server's database, so --shards and --store exclude each other), and share
// one data directory.
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

#include "apps/cluster_shards.hpp"
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
    // A session of its own, as a node on a machine of its own: Linux's
    // autogroup scheduling shares the CPU fairly between sessions, and with
    // every node in the bench's session the database's session (pg_ctl starts
    // one) starved for over a second under load on this VM, past the lease.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
    int rc = posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
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

// Where one client sends its calls, and as whom.
struct Target {
  unsigned short port = 0;
  std::string token;
};

// One thread per target, each with a keep-alive connection, calling the echo
// service for `seconds` after a short warm-up.
CallRun call_for(const std::vector<Target>& targets, int64_t seconds) {
  const auto clients = static_cast<int64_t>(targets.size());
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
        const Target& target = targets[static_cast<size_t>(i)];
        client.emplace("127.0.0.1", target.port, target.token);
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

// The owner of each shard by GET /cluster (an empty name for a shard nobody holds).
std::vector<std::string> shard_owners(const std::string& url, const std::string& token) {
  auto response = net::HttpClient(url, 5s).request("GET", "/cluster", {}, {{"authorization", "Bearer " + token}});
  if (response.status != 200) throw std::runtime_error("GET /cluster: " + std::to_string(response.status) + " " + response.body);
  std::vector<std::string> owners;
  const json::value body = json::parse(response.body);
  for (const auto& shard : body.at("shards").as_array()) {
    const auto& owner = shard.at("owner");
    owners.emplace_back(owner.is_string() ? std::string(owner.get_string()) : std::string());
  }
  return owners;
}

// Every shard held, and each of `names` holding its share (at least one, at most ceil(S / nodes)).
bool balanced(const std::vector<std::string>& owners, const std::vector<std::string>& names) {
  const size_t share = (owners.size() + names.size() - 1) / names.size();
  for (const auto& name : names) {
    const auto held = static_cast<size_t>(std::count(owners.begin(), owners.end(), name));
    if (held == 0 || held > share) return false;
  }
  return std::none_of(owners.begin(), owners.end(), [](const std::string& owner) { return owner.empty(); });
}

// One tenant per shard: the first ids "tenant-<i>" that hash to each shard.
std::vector<std::string> one_tenant_per_shard(int shards) {
  std::vector<std::string> tenants(static_cast<size_t>(shards));
  int found = 0;
  for (int i = 0; found < shards; ++i) {
    std::string id = "tenant-" + std::to_string(i);
    auto& slot = tenants[static_cast<size_t>(cluster_shards::shard_of_tenant(id, shards))];
    if (slot.empty()) {
      slot = std::move(id);
      ++found;
    }
  }
  return tenants;
}

// Sends a request, again after a 503 (a shard moving) for up to 30 s, and
// throws unless the answer has `status`.
net::ClientResponse expect_status(net::HttpClient& client, const std::string& target, const std::string& body,
                                  const net::HeaderList& headers, int status, const std::string& what) {
  net::ClientResponse response;
  for (auto deadline = Clock::now() + 30s;; std::this_thread::sleep_for(100ms)) {
    response = client.request("POST", target, body, headers);
    if (response.status != 503 || Clock::now() > deadline) break;
  }
  if (response.status != status) {
    throw std::runtime_error(what + ": " + std::to_string(response.status) + " " + response.body);
  }
  return response;
}

int run_cluster(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench cluster [--nodes N] [--shards S] [--clients C] [--seconds S] [--lease-ttl-ms MS]\n"
                 "                          [--events E] [--store postgresql://...] [--dir DIR] [--json]\n";
    return 0;
  }
  const int64_t nodes = args.integer("--nodes", 3, 2);
  const int64_t shards = args.integer("--shards", 1, 1);
  const int64_t clients = args.integer("--clients", 12);
  const int64_t seconds = args.integer("--seconds", 5);
  const int64_t lease_ms = args.integer("--lease-ttl-ms", 2000, 500);
  AppendOptions append;
  append.events = args.integer("--events", 20'000);
  auto store = args.value("--store");
  auto parent = args.value("--dir");
  const bool json_out = args.flag("--json");
  args.finish();
  if (shards > cluster_shards::kMaxShards) {
    throw std::invalid_argument("--shards is at most " + std::to_string(cluster_shards::kMaxShards));
  }
  const auto lease = std::chrono::milliseconds(lease_ms);

  ScratchDir dir(parent);
  BenchPostgres server(store, dir.path() / "postgres");
  AppendComparison appends = compare_appends(append, server);  // a. before the nodes start

  // b. the nodes. One shard: n1 turns active; n2..nN stand by, naming it.
  //    Several: each node takes its share of the shards.
  // With shards the nodes keep their heartbeats in the database's default
  // schema and each shard in solo_shard_<k> (a shard sets its own
  // search_path), so a sharded run needs the bench's throwaway server.
  if (shards > 1 && store) throw std::invalid_argument("--shards needs the bench's own server (leave out --store)");
  const std::string cluster_store = shards > 1 ? server.uri() : fresh_schema(server.uri(), "solo_bench_cluster");
  std::vector<std::string> node_args = {"--data",         (dir.path() / "data").string(), "--store", cluster_store,
                                        "--lease-ttl-ms", std::to_string(lease_ms)};
  if (shards > 1) node_args.insert(node_args.end(), {"--shards", std::to_string(shards)});
  std::vector<std::unique_ptr<Node>> cluster;
  std::vector<std::string> names;
  auto start_node = [&](int64_t i) {
    names.push_back("n" + std::to_string(i + 1));
    cluster.push_back(std::make_unique<Node>(dir.path(), names.back(), node_args));
  };
  start_node(0);
  const std::string first_url = cluster[0]->url();
  const auto admin_file = dir.path() / "data" / "admin.token";
  if (!eventually([&] { return health_of(first_url).status == "healthy" && std::filesystem::exists(admin_file); },
                  lease + 30s))
    throw std::runtime_error("n1 did not turn active: " + read_text(dir.path() / "n1.stderr"));
  std::string token = read_text(admin_file);
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  for (int64_t i = 1; i < nodes; ++i) {
    start_node(i);
    if (shards > 1) continue;
    bool standing_by = eventually([&] {
      auto health = health_of(cluster.back()->url());
      return health.code == 503 && health.status == "standby" && health.active_url == first_url;
    }, lease + 20s);
    if (!standing_by) throw std::runtime_error(names.back() + " did not stand by naming n1");
  }
  std::vector<std::string> owners;
  if (shards > 1) {
    // As every node sees it (each from its own last heartbeat).
    bool spread = eventually([&] {
      try {
        for (const auto& node : cluster) {
          owners = shard_owners(node->url(), token);
          if (!balanced(owners, names)) return false;
        }
        return true;
      } catch (const std::exception&) {
        return false;
      }
    }, lease * 4 + 30s);
    if (!spread) throw std::runtime_error("the shards did not spread over the nodes");
  }

  // c. the echo service, in one tenant per shard (the default tenant with one
  //    shard), deployed through node i % N; with shards, a token per tenant.
  const std::vector<std::string> tenants =
      shards > 1 ? one_tenant_per_shard(static_cast<int>(shards)) : std::vector<std::string>{std::string()};
  std::vector<std::string> tenant_tokens;
  for (size_t t = 0; t < tenants.size(); ++t) {
    net::HeaderList headers{{"authorization", "Bearer " + token}};
    if (!tenants[t].empty()) headers.emplace_back("x-tenant-id", tenants[t]);
    net::HttpClient client(cluster[t % cluster.size()]->url(), 30s);
    json::object deploy{{"service_id", "echo"}, {"code", kEcho}};
    expect_status(client, "/services", json::serialize(deploy), headers, 201, "deploy in " + tenants[t]);
    if (tenants[t].empty()) {
      tenant_tokens.push_back(token);
      continue;
    }
    json::object grant{{"tenant_id", tenants[t]}, {"permissions", json::array{"call"}}, {"ttl_seconds", 3600}};
    auto granted = expect_status(client, "/tokens", json::serialize(grant), headers, 201, "a token for " + tenants[t]);
    tenant_tokens.emplace_back(json::parse(granted.body).at("token").as_string());
  }

  // d. calls/s: client i calls tenant i % T through node 1, through node
  //    i % N, and (with shards) through the node holding its tenant's shard.
  auto targets = [&](const std::function<size_t(size_t client)>& node_of) {
    std::vector<Target> list;
    for (size_t i = 0; i < static_cast<size_t>(clients); ++i) {
      list.push_back({cluster[node_of(i)]->port(), tenant_tokens[i % tenants.size()]});
    }
    return list;
  };
  auto node_named = [&](const std::string& name) {
    auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) throw std::runtime_error("no node holds shard (owner '" + name + "')");
    return static_cast<size_t>(found - names.begin());
  };
  // A failure from here on names what the nodes said last.
  auto with_logs = [&](const std::exception& error) {
    std::string text = error.what();
    for (const auto& name : names) {
      for (const char* stream : {"stdout", "stderr"}) {
        std::string log = read_text(dir.path() / (name + "." + stream));
        text += "\n--- " + name + " " + stream + " (the end):\n" + log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
      }
    }
    return std::runtime_error(text);
  };
  CallRun one, every;
  std::optional<CallRun> owner;
  Failover failover;
  try {
    one = call_for(targets([](size_t) { return size_t{0}; }), seconds);
    every = call_for(targets([&](size_t i) { return i % cluster.size(); }), seconds);
    if (shards > 1) {
      owners = shard_owners(first_url, token);
      owner = call_for(targets([&](size_t i) {
        return node_named(owners[static_cast<size_t>(
            cluster_shards::shard_of_tenant(tenants[i % tenants.size()], static_cast<int>(shards)))]);
      }), seconds);
    }

    // e. failover: n1 is killed; the prober calls (a tenant of one of its
    //    shards) through the other nodes only.
    std::string probe_token = token;
    if (shards > 1) {
      owners = shard_owners(first_url, token);
      auto held = std::find(owners.begin(), owners.end(), names[0]);
      if (held == owners.end()) throw std::runtime_error("n1 holds no shard");
      probe_token = tenant_tokens[static_cast<size_t>(held - owners.begin())];
    } else if (health_of(first_url).status != "healthy") {
      throw std::runtime_error("n1 is no longer the active node");
    }
    std::vector<std::string> survivors;
    for (size_t i = 1; i < cluster.size(); ++i) survivors.push_back(cluster[i]->url());
    failover = fail_over(*cluster[0], survivors, probe_token, lease);
  } catch (const std::exception& error) {
    throw with_logs(error);
  }

  // f. every node stopped; the server stops when `server` goes away.
  for (auto& node : cluster) node->stop(10s);

  json::object report{
      {"scenario", "cluster"},
      {"nodes", nodes},
      {"shards", shards},
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
  if (owner) {
    report["calls_per_s_owner_node"] = std::llround(owner->calls_per_s);
    report["owner_over_one"] = std::round(owner->calls_per_s / one.calls_per_s * 1000) / 1000;
    report["call_p50_us_owner_node"] = micros(percentile(owner->latency_ns, 0.50));
    report["call_p99_us_owner_node"] = micros(percentile(owner->latency_ns, 0.99));
  }
  for (const auto& [key, value] : appends.figures) report["append_" + std::string(key)] = value;
  publish(report, json_out);
  if (json_out) return 0;
  auto latency = [](const CallRun& run) {
    return " (p50 / p99 " + decimal(micros(percentile(run.latency_ns, 0.50))) + " / " +
           decimal(micros(percentile(run.latency_ns, 0.99))) + " us)";
  };
  std::printf("cluster: %lld nodes, %lld shard(s), %lld clients, %lld s per phase, %s\n", static_cast<long long>(nodes),
              static_cast<long long>(shards), static_cast<long long>(clients), static_cast<long long>(seconds),
              server.describe().c_str());
  std::printf("appends, before the nodes start: %lld events, %lld writers\n", static_cast<long long>(append.events),
              static_cast<long long>(append.writers));
  for (const auto& [label, value] : appends.rows) print_row(label, value);
  if (shards > 1) {
    std::printf("calls of an echo service in %zu tenants (one per shard), keep-alive connections:\n", tenants.size());
    print_row("all through node 1", decimal(one.calls_per_s) + " calls/s" + latency(one));
    print_row("client i through node i % N", decimal(every.calls_per_s) + " calls/s" + latency(every));
    print_row("each through its shard's node", decimal(owner->calls_per_s) + " calls/s" + latency(*owner));
    print_row("ratios (every node, shard's node / node 1)",
              decimal(every.calls_per_s / one.calls_per_s, 3) + ", " + decimal(owner->calls_per_s / one.calls_per_s, 3));
  } else {
    std::printf("calls of an echo service, keep-alive connections:\n");
    print_row("all through the active node", decimal(one.calls_per_s) + " calls/s" + latency(one));
    print_row("client i through node i % N", decimal(every.calls_per_s) + " calls/s" + latency(every));
    print_row("ratio (every node / active node)",
              decimal(every.calls_per_s / one.calls_per_s, 3) + "   standbys add availability, not throughput");
  }
  std::printf("failover, SIGKILL of %s:\n", shards > 1 ? "node 1" : "the active node");
  print_row("first 200 through a survivor", decimal(failover.ms, 1) + " ms after the kill (lease " +
                                                std::to_string(lease_ms) + " ms, " +
                                                std::to_string(failover.failed_probes) + " probes failed)");
  return 0;
}

const RegisterScenario registered{{"cluster",
                                   "a 3-node cluster on PostgreSQL (--shards S spreads tenants): appends vs raw libpq, "
                                   "calls/s through one node vs through every node, failover after SIGKILL",
                                   run_cluster}};

}  // namespace
}  // namespace solo::bench
