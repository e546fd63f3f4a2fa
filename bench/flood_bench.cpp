// solo-bench flood: does /health keep answering while idle connections that
// never send a byte hold the server's connection slots (issue 10, the attack
// that made /health answer 503 for 30 s)?
//
// One booted kernel (KernelThread, default caps: 64 connections per address,
// 1024 in all, overflow connections that serve only /health). A probe sends
// GET /health on a fresh connection from 127.0.0.1, one after another, and
// records each answer's latency and status. It runs:
//   quiet    no flood: the baseline (the same probe, the same server)
//   one      F idle connections from one address (127.0.0.2), the attack
//   spread   F idle connections spread over A addresses (127.0.0.2 ...), enough
//            to fill the global cap
// The flood opens its connections, waits for the server to take them, then
// the probe runs while they are held (well inside the 5 s first-byte deadline).
// No target: the figure is whether the probe is answered, and how fast,
// beside the quiet run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/object.hpp>

#include "bench/kernel_thread.hpp"
#include "bench/scenario.hpp"

namespace solo::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A connected TCP socket to 127.0.0.1:port from `source` (an address of
// 127.0.0.0/8, all of which are loopback on Linux); -1 on failure.
int connect_from(const char* source, unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

enum class Outcome { ok, refused_503, closed, timeout };

struct Probe {
  std::vector<int64_t> latency_ns;  // of the 200 answers, sorted
  int ok = 0, refused_503 = 0, closed = 0, timeout = 0;
  int total() const { return ok + refused_503 + closed + timeout; }
};

// One GET /health on a fresh connection; reads to EOF (Connection: close).
Outcome probe_once(unsigned short port, int64_t* latency_ns) {
  const auto start = Clock::now();
  int fd = connect_from("127.0.0.1", port);
  if (fd < 0) return Outcome::closed;
  const std::string request = "GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return Outcome::closed;
  }
  std::string answer;
  char buffer[4096];
  const auto deadline = start + std::chrono::seconds(2);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      ::close(fd);
      return Outcome::timeout;
    }
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  *latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  if (answer.starts_with("HTTP/1.1 200")) return Outcome::ok;
  if (answer.starts_with("HTTP/1.1 503")) return Outcome::refused_503;
  return Outcome::closed;
}

Probe probe(unsigned short port, int requests) {
  Probe out;
  for (int i = 0; i < requests; ++i) {
    int64_t ns = 0;
    switch (probe_once(port, &ns)) {
      case Outcome::ok: ++out.ok; out.latency_ns.push_back(ns); break;
      case Outcome::refused_503: ++out.refused_503; break;
      case Outcome::closed: ++out.closed; break;
      case Outcome::timeout: ++out.timeout; break;
    }
  }
  std::sort(out.latency_ns.begin(), out.latency_ns.end());
  return out;
}

// Idle connections held open until destroyed.
class Flood {
 public:
  Flood(unsigned short port, int connections, int addresses) {
    for (int i = 0; i < connections; ++i) {
      std::string source = "127.0.0." + std::to_string(2 + i % addresses);
      int fd = connect_from(source.c_str(), port);
      if (fd >= 0) fds_.push_back(fd);
    }
    // Let the engine thread accept them (each is taken or turned away at accept).
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ~Flood() {
    for (int fd : fds_) ::close(fd);
  }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;
  int opened() const { return static_cast<int>(fds_.size()); }

 private:
  std::vector<int> fds_;
};

// Both ends of every connection live in this process: raise the soft
// descriptor limit to the hard one, as `solo serve` does at start.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

double micros(int64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10.0; }

int run_flood(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench flood [--quick] [--connections F] [--addresses A] [--probes N] [--dir DIR] [--json]\n"
                 "  GET /health on fresh connections, quiet and while F idle connections (default 1100)\n"
                 "  are held from one address and from A addresses (default 18), default caps\n"
                 "  --quick  a small run (smoke test): F=150, A=2, N=20\n";
    return 0;
  }
  int64_t connections = 1100, addresses = 18, probes = 300;
  if (args.flag("--quick")) {
    connections = 150;
    addresses = 2;
    probes = 20;
  }
  connections = args.integer("--connections", connections);
  addresses = std::min<int64_t>(args.integer("--addresses", addresses), 250);
  probes = args.integer("--probes", probes);
  auto dir_option = args.value("--dir");
  bool json = args.flag("--json");
  args.finish();

  raise_descriptor_limit();
  ScratchDir dir(dir_option);
  if (!json) std::fprintf(stderr, "flood: booting a kernel...\n");
  KernelThread kernel(dir.path() / "data");
  const int n = static_cast<int>(probes);
  const int f = static_cast<int>(connections);

  Probe quiet = probe(kernel.port(), n);
  int one_opened = 0, spread_opened = 0;
  Probe one, spread;
  {
    Flood flood(kernel.port(), f, 1);
    one_opened = flood.opened();
    one = probe(kernel.port(), n);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server notices the closes
  {
    Flood flood(kernel.port(), f, static_cast<int>(addresses));
    spread_opened = flood.opened();
    spread = probe(kernel.port(), n);
  }

  {
    boost::json::object out;
    out["connections"] = connections;
    out["addresses"] = addresses;
    out["probes"] = probes;
    auto put = [&](const std::string& name, const Probe& p, int opened) {
      out[name + "_ok"] = p.ok;
      out[name + "_503"] = p.refused_503;
      out[name + "_closed"] = p.closed;
      out[name + "_timeout"] = p.timeout;
      out[name + "_p50_us"] = micros(percentile(p.latency_ns, 0.50));
      out[name + "_p99_us"] = micros(percentile(p.latency_ns, 0.99));
      if (opened >= 0) out[name + "_flood_opened"] = opened;
    };
    put("quiet", quiet, -1);
    put("one", one, one_opened);
    put("spread", spread, spread_opened);
    publish(out, json);
    if (json) return 0;
  }
  auto line = [](const char* name, const Probe& p) {
    std::printf("  %-34s %4d/%-4d answered 200   p50 %8.1f us   p99 %8.1f us   (503: %d, closed: %d, timeout: %d)\n",
                name, p.ok, p.total(), micros(percentile(p.latency_ns, 0.50)), micros(percentile(p.latency_ns, 0.99)),
                p.refused_503, p.closed, p.timeout);
  };
  std::printf("flood: GET /health on a fresh connection each, %d probes per case\n\n", n);
  line("quiet (baseline)", quiet);
  std::string one_name = std::to_string(one_opened) + " idle from 1 address";
  std::string spread_name = std::to_string(spread_opened) + " idle from " + std::to_string(addresses) + " addresses";
  line(one_name.c_str(), one);
  line(spread_name.c_str(), spread);
  return 0;
}

const RegisterScenario registered{
    {"flood", "/health on fresh connections while idle connections hold the slots, beside a quiet run", run_flood}};

}  // namespace
}  // namespace solo::bench
