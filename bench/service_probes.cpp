#include "bench/service_probes.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "bench/thread_cpu.hpp"
#include "engine/sandbox/lua_sandbox.hpp"
#include "engine/services/deployer.hpp"

namespace solo::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

const char* const kCounterCode = R"(function init(config) return { count = 0 } end

function handle_call(msg, state)
  if msg.op == "inc" then state.count = state.count + (msg.by or 1) end
  return { count = state.count }, state
end
)";

namespace {

// Built outside coroutines (GCC 12: no initializer lists in coroutine bodies,
// no aggregate temporaries inside co_await expressions).
ServiceSpec spec_of(const Deployer& deployer, const std::string& tenant, const std::string& id, const std::string& code) {
  boost::json::object body{{"service_id", id}, {"code", code}};
  return parse_service_spec(body, tenant, deployer.limits_max());
}

boost::json::value inc_message() { return boost::json::object{{"op", "inc"}}; }

std::string numbered(const std::string& prefix, int i) { return prefix + "-" + std::to_string(i); }

asio::awaitable<int64_t> timed_deploy(std::shared_ptr<Deployer> deployer, ServiceSpec spec) {
  auto start = Clock::now();
  co_await deployer->deploy(std::move(spec));
  co_return (Clock::now() - start).count();
}

// Shared by the deploys of one concurrent round; engine thread only.
struct Round {
  explicit Round(asio::any_io_executor executor, int count) : done(executor), remaining(count) {
    done.expires_at(asio::steady_timer::time_point::max());
  }
  asio::steady_timer done;  // cancelled when the last deploy finishes
  int remaining;
  std::vector<int64_t> latency_ns;
  std::exception_ptr failure;
};

}  // namespace

asio::awaitable<std::vector<int64_t>> deploy_sequentially(std::shared_ptr<Deployer> deployer, std::string tenant,
                                                          std::string prefix, int count) {
  const std::string code = kCounterCode;
  std::vector<int64_t> samples;
  for (int i = 0; i < count; ++i) {
    ServiceSpec spec = spec_of(*deployer, tenant, numbered(prefix, i), code);
    samples.push_back(co_await timed_deploy(deployer, std::move(spec)));
  }
  std::sort(samples.begin(), samples.end());
  co_return samples;
}

asio::awaitable<int64_t> deploy_counter(std::shared_ptr<Deployer> deployer, std::string tenant,
                                        std::string service_id) {
  ServiceSpec spec = spec_of(*deployer, tenant, service_id, kCounterCode);
  co_return co_await timed_deploy(deployer, std::move(spec));
}

asio::awaitable<ConcurrentDeploys> deploy_concurrently(std::shared_ptr<Deployer> deployer, std::string tenant,
                                                       std::string prefix, int count, std::string code) {
  auto executor = co_await asio::this_coro::executor;
  auto round = std::make_shared<Round>(executor, count);
  double cpu_start = this_thread_cpu_seconds();
  auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    ServiceSpec spec = spec_of(*deployer, tenant, numbered(prefix, i), code);
    asio::co_spawn(executor, timed_deploy(deployer, std::move(spec)),
                   [round](std::exception_ptr error, int64_t ns) {
                     if (error && !round->failure) round->failure = error;
                     if (!error) round->latency_ns.push_back(ns);
                     if (--round->remaining == 0) round->done.cancel();
                   });
  }
  auto token = asio::as_tuple(asio::use_awaitable);
  if (round->remaining > 0) co_await round->done.async_wait(token);  // ends cancelled, when all are done
  ConcurrentDeploys result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.engine_cpu_seconds = this_thread_cpu_seconds() - cpu_start;
  if (round->failure) std::rethrow_exception(round->failure);
  result.latency_ns = std::move(round->latency_ns);
  std::sort(result.latency_ns.begin(), result.latency_ns.end());
  co_return result;
}

asio::awaitable<CallRun> call_sequentially(std::shared_ptr<Deployer> deployer, std::string tenant,
                                           std::string service_id, int calls) {
  auto actor = deployer->directory()->find(tenant, service_id);
  if (!actor) throw std::runtime_error("no service " + service_id + " to call");
  std::chrono::milliseconds timeout = actor->spec().limits.call_timeout;
  CallRun run;
  run.latency_ns.reserve(static_cast<size_t>(calls));
  const double cpu_start = this_thread_cpu_seconds();  // the engine thread's, where the calls run
  auto loop_start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    boost::json::value msg = inc_message();
    CallChain chain;
    auto start = Clock::now();
    auto result = co_await actor->call(std::move(msg), timeout, std::move(chain));
    run.latency_ns.push_back((Clock::now() - start).count());
    if (!result.ok()) throw std::runtime_error("call " + service_id + " failed: " + result.message());
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - loop_start).count();
  run.cpu_seconds = this_thread_cpu_seconds() - cpu_start;
  std::sort(run.latency_ns.begin(), run.latency_ns.end());
  co_return run;
}

std::vector<int64_t> sandbox_call_ns(int calls, bool preemptible, double* cpu_seconds) {
  auto sandbox = LuaSandbox::create(kCounterCode, LuaLimits{}, LuaFacts{"bench", "sandbox", 1}, nullptr);
  sandbox->set_preemptible(preemptible);
  if (auto step = sandbox->start_init(boost::json::object()); !step.is_done()) {
    throw std::runtime_error("sandbox init failed: " + step.error);
  }
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(calls));
  const double cpu_start = this_thread_cpu_seconds();
  for (int i = 0; i < calls; ++i) {
    boost::json::value msg = inc_message();  // built before the clock, as the other call probes do
    auto start = Clock::now();
    auto step = sandbox->start_call(std::move(msg));
    while (step.is_preempted()) step = sandbox->continue_step();
    samples.push_back((Clock::now() - start).count());
    if (!step.is_done()) throw std::runtime_error("sandbox call failed: " + step.error);
  }
  if (cpu_seconds != nullptr) *cpu_seconds = this_thread_cpu_seconds() - cpu_start;
  std::sort(samples.begin(), samples.end());
  return samples;
}

asio::awaitable<std::vector<int64_t>> service_memory(std::shared_ptr<Deployer> deployer, std::string tenant) {
  std::vector<int64_t> bytes;
  for (const auto& actor : deployer->directory()->all()) {
    if (actor->spec().tenant_id == tenant) bytes.push_back(static_cast<int64_t>(actor->memory_bytes()));
  }
  co_return bytes;
}

}  // namespace solo::bench
