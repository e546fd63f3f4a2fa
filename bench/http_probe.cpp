#include "bench/http_probe.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <latch>
#include <memory>
#include <thread>

#include <pthread.h>
#include <time.h>

#include "bench/keepalive_client.hpp"

namespace solo::bench {

using Clock = std::chrono::steady_clock;

namespace {
double cpu_seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}
}  // namespace

double thread_cpu_seconds(std::thread::native_handle_type thread) {
  clockid_t clock{};
  if (pthread_getcpuclockid(thread, &clock) != 0) return 0;
  return cpu_seconds(clock);
}

HttpRun run_http(const std::string& host, unsigned short port, const HttpTarget& target, int connections,
                 int requests_per_connection, int warmup, const CpuClock& server_cpu) {
  std::vector<std::vector<int64_t>> samples(static_cast<size_t>(connections));
  std::vector<Clock::time_point> finished(static_cast<size_t>(connections));
  std::vector<std::exception_ptr> failures(static_cast<size_t>(connections));
  std::vector<double> client_cpu(static_cast<size_t>(connections));
  // Every connection is open and warm before the clock starts.
  std::latch ready(connections + 1);
  std::latch go(1);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      auto index = static_cast<size_t>(c);
      std::unique_ptr<KeepAliveClient> client;
      try {
        client = std::make_unique<KeepAliveClient>(host, port, target.token);
        for (int i = 0; i < warmup; ++i) client->request(target.method, target.target, target.body);
      } catch (...) {
        failures[index] = std::current_exception();
      }
      ready.count_down();
      go.wait();
      if (failures[index]) return;
      const double cpu_start = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
      try {
        samples[index].reserve(static_cast<size_t>(requests_per_connection));
        for (int i = 0; i < requests_per_connection; ++i) {
          auto start = Clock::now();
          client->request(target.method, target.target, target.body);
          samples[index].push_back((Clock::now() - start).count());
        }
      } catch (...) {
        failures[index] = std::current_exception();
      }
      finished[index] = Clock::now();
      client_cpu[index] = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    });
  }
  ready.arrive_and_wait();
  const double server_cpu_start = server_cpu ? server_cpu() : 0;
  auto start = Clock::now();
  go.count_down();
  for (auto& thread : threads) thread.join();
  const double server_cpu_end = server_cpu ? server_cpu() : 0;
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  HttpRun run;
  run.server_cpu_s = server_cpu_end - server_cpu_start;
  for (double cpu : client_cpu) run.client_cpu_s += cpu;
  run.seconds = std::chrono::duration<double>(*std::max_element(finished.begin(), finished.end()) - start).count();
  for (auto& part : samples) run.latency_ns.insert(run.latency_ns.end(), part.begin(), part.end());
  std::sort(run.latency_ns.begin(), run.latency_ns.end());
  return run;
}

}  // namespace solo::bench
