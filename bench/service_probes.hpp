// The engine side of the `services` scenario: coroutines that drive the real
// Deployer and ServiceActor and time them. They run on the engine thread
// (KernelThread::run); timing starts and stops inside them, so the figures
// are the engine's, not the benchmark thread's hand-over.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace solo {
class Deployer;
}

namespace solo::bench {

// The service every probe deploys: docs/services.md's counter.
extern const char* const kCounterCode;

// Deploys `count` counters named PREFIX-0.. in `tenant`, one after another;
// returns each deploy's latency (ns, until acknowledged: durable and
// started), sorted ascending.
boost::asio::awaitable<std::vector<int64_t>> deploy_sequentially(std::shared_ptr<Deployer> deployer,
                                                                  std::string tenant, std::string prefix,
                                                                  int count);

// Deploys one counter named `service_id`; returns its latency in ns.
boost::asio::awaitable<int64_t> deploy_counter(std::shared_ptr<Deployer> deployer, std::string tenant,
                                                std::string service_id);

struct ConcurrentDeploys {
  double seconds = 0;              // from the first start to the last ack
  double engine_cpu_seconds = 0;   // CPU time of the engine thread meanwhile
  std::vector<int64_t> latency_ns;  // each deploy's, sorted ascending
};
// Starts `count` deploys (PREFIX-0..) of `code` (default: the counter) at
// once and waits for all of them.
boost::asio::awaitable<ConcurrentDeploys> deploy_concurrently(std::shared_ptr<Deployer> deployer,
                                                               std::string tenant, std::string prefix, int count,
                                                               std::string code = kCounterCode);

struct CallRun {
  double seconds = 0;              // the whole loop
  std::vector<int64_t> latency_ns;  // each call's, sorted ascending
  double cpu_seconds = 0;           // the engine thread's CPU time over the loop
};
// `calls` sequential ServiceActor::call({"op": "inc"}) on a deployed counter.
boost::asio::awaitable<CallRun> call_sequentially(std::shared_ptr<Deployer> deployer, std::string tenant,
                                                   std::string service_id, int calls);

// The sandbox alone, no actor: `calls` LuaSandbox::start_call({"op": "inc"})
// (JSON -> Lua, a fresh Lua thread, metering, Lua -> JSON) in ns, sorted.
// Attributes the in-process call's cost between the sandbox and the actor.
// `preemptible`: sliced as the service actor runs it (set_preemptible), a
// preempted step continued at once (continue_step) until it is done.
// `cpu_seconds`, when given: this thread's CPU time over the whole loop.
std::vector<int64_t> sandbox_call_ns(int calls, bool preemptible = false, double* cpu_seconds = nullptr);

// memory_bytes() (the Lua heap, as the sandbox's allocator counts it) of
// every service of `tenant`.
boost::asio::awaitable<std::vector<int64_t>> service_memory(std::shared_ptr<Deployer> deployer, std::string tenant);

}  // namespace solo::bench
