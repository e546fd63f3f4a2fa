#include "bench/append_load.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <boost/json/object.hpp>

#include "stores/event_store.hpp"

namespace solo::bench {

using Clock = std::chrono::steady_clock;

RowShape make_shape(const AppendOptions& options) {
  RowShape shape;
  char name[32];
  for (int64_t i = 0; i < options.tenants; ++i) {
    std::snprintf(name, sizeof name, "tenant-%02lld", static_cast<long long>(i));
    shape.tenants.emplace_back(name);
  }
  for (int64_t i = 0; i < options.services; ++i) {
    std::snprintf(name, sizeof name, "svc-%03lld", static_cast<long long>(i));
    shape.services.emplace_back(name);
  }
  shape.filler.assign(static_cast<size_t>(options.payload_bytes), 'x');
  return shape;
}

NewEvent make_event(const RowShape& shape, int64_t i) {
  NewEvent event;
  event.event_type = kEventType;
  event.tenant_id = shape.tenants[static_cast<size_t>(i) % shape.tenants.size()];
  event.service_id = shape.services[static_cast<size_t>(i) % shape.services.size()];
  event.subject = kSubject;
  event.payload = boost::json::object{{"seq", i}, {"note", shape.filler}};
  return event;
}

void payload_text(const RowShape& shape, int64_t i, std::string& out) {
  out.assign("{\"seq\":");
  out += std::to_string(i);
  out += ",\"note\":\"";
  out += shape.filler;
  out += "\"}";
}

namespace {

// Shared by the appending coroutines; engine thread only.
struct AppendRun {
  std::shared_ptr<EventStore> store;
  RowShape shape;
  int64_t events = 0;
  int64_t next = 0;                  // next event index to append
  std::vector<int64_t> latency_ns;  // ack latency, by event index
  // Each ack's latency over the commit time of the batch it rode in. The
  // Writer reports a batch (on_batch) before its waiters resume, and holds
  // the next commit until the engine has taken the result in, so the batch
  // reported last is the one an append that just resumed was committed in.
  std::vector<double> over_own_commit;  // by event index
  int64_t last_commit_ns = 0;
  Clock::time_point last_ack;
  std::exception_ptr failure;
};

asio::awaitable<void> append_loop(std::shared_ptr<AppendRun> run) {
  while (run->next < run->events && !run->failure) {
    int64_t i = run->next++;
    NewEvent event = make_event(run->shape, i);
    auto start = Clock::now();
    co_await run->store->append_durable(std::move(event));
    run->last_ack = Clock::now();
    run->latency_ns[static_cast<size_t>(i)] = (run->last_ack - start).count();
    run->over_own_commit[static_cast<size_t>(i)] =
        static_cast<double>((run->last_ack - start).count()) / static_cast<double>(std::max<int64_t>(run->last_commit_ns, 1));
  }
}

}  // namespace

static double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// CPU seconds of this process's threads named `name` (see name_thread in
// stores/writer.cpp), from /proc: clock ticks, so 10 ms resolution.
static double named_threads_cpu_seconds(const std::string& name) {
  double ticks = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the ")" closing the name: state is field 3, utime 14, stime 15.
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

OursResult run_ours(const AppendOptions& options, const StoreLocation& location) {
  asio::io_context io(1);
  auto store = run_to_completion(
      io, EventStore::open(io.get_executor(), location, OpenOptions{.synchronous = options.synchronous}));

  OursResult result;
  auto run = std::make_shared<AppendRun>();
  store->writer().on_batch([&result, run](const BatchResult& batch) {
    if (!batch.ok) return;
    result.commit_ns.push_back(batch.commit_time.count());
    result.max_batch = std::max(result.max_batch, batch.ops);
    run->last_commit_ns = batch.commit_time.count();
  });

  run->store = store;
  run->shape = make_shape(options);
  run->events = options.events;
  run->latency_ns.assign(static_cast<size_t>(options.events), 0);
  run->over_own_commit.assign(static_cast<size_t>(options.events), 0);
  double writer_cpu_start = named_threads_cpu_seconds("solo-writer");
  double checkpointer_cpu_start = named_threads_cpu_seconds("solo-checkpoint");
  double engine_cpu_start = thread_cpu_seconds();
  double process_cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  for (int64_t w = 0; w < options.writers; ++w) {
    asio::co_spawn(io, append_loop(run), [run](std::exception_ptr e) {
      if (e && !run->failure) run->failure = e;
    });
  }
  io.restart();
  io.run();
  if (run->failure) std::rethrow_exception(run->failure);
  result.seconds = std::chrono::duration<double>(run->last_ack - start).count();
  result.engine_cpu_s = thread_cpu_seconds() - engine_cpu_start;
  result.other_cpu_s = process_cpu_seconds() - process_cpu_start - result.engine_cpu_s;
  result.writer_thread_cpu_s = named_threads_cpu_seconds("solo-writer") - writer_cpu_start;
  result.checkpointer_cpu_s = named_threads_cpu_seconds("solo-checkpoint") - checkpointer_cpu_start;

  const auto& stats = store->writer().stats();
  result.commits = stats.commits;
  result.ops_committed = stats.ops_committed;
  if (store->committed_id() != options.events) {
    throw std::runtime_error("expected " + std::to_string(options.events) + " committed events, the store has " +
                             std::to_string(store->committed_id()));
  }
  run_to_completion(io, store->close());
  result.latency_ns = std::move(run->latency_ns);
  std::sort(result.latency_ns.begin(), result.latency_ns.end());
  std::sort(result.commit_ns.begin(), result.commit_ns.end());
  result.over_own_commit = std::move(run->over_own_commit);
  std::sort(result.over_own_commit.begin(), result.over_own_commit.end());
  return result;
}

}  // namespace solo::bench
