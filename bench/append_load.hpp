// The load of the append scenarios (`append`, `postgres`): W coroutines on
// one io_context thread, each looping `co_await store->append_durable(event)`
// until N events are acknowledged, on whichever store backend; and the rows
// they append, which the raw baselines write byte for byte.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "stores/event.hpp"
#include "stores/database.hpp"

namespace solo::bench {

namespace asio = boost::asio;

struct AppendOptions {
  int64_t events = 200'000;
  int64_t writers = 256;
  int64_t payload_bytes = 100;  // filler inside the JSON payload
  int64_t tenants = 16;         // distinct tenant_id values, round robin
  int64_t services = 64;        // distinct service_id values, round robin
  std::string synchronous = "FULL";
  std::optional<std::string> dir;
  bool json = false;
};

// ---- the rows both sides write ----------------------------------------------

struct RowShape {
  std::vector<std::string> tenants;
  std::vector<std::string> services;
  std::string filler;
};

RowShape make_shape(const AppendOptions& options);

constexpr const char* kEventType = "bench.appended";
constexpr const char* kSubject = "bench";

NewEvent make_event(const RowShape& shape, int64_t i);

// The exact text the EventStore stores for make_event(shape, i).payload.
void payload_text(const RowShape& shape, int64_t i, std::string& out);

template <class T>
T run_to_completion(asio::io_context& io, asio::awaitable<T> task) {
  std::exception_ptr error;
  std::optional<T> result;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_to_completion(asio::io_context& io, asio::awaitable<void> task) {
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

struct OursResult {
  double seconds = 0;
  std::vector<int64_t> latency_ns;  // sorted
  std::vector<int64_t> commit_ns;   // per commit, sorted
  std::vector<double> over_own_commit;  // each ack over its own batch's commit time, sorted
  uint64_t commits = 0;
  uint64_t ops_committed = 0;
  size_t max_batch = 0;
  // CPU time, robust to other processes on the machine: the engine thread's
  // (the io_context thread: appenders, stamping, acks) and the rest of the
  // process's (writer + checkpointer threads).
  double engine_cpu_s = 0;
  double other_cpu_s = 0;
  double writer_thread_cpu_s = 0;  // of other_cpu_s: the writer thread alone
  double checkpointer_cpu_s = 0;   // of other_cpu_s: the checkpointer thread
};

// CPU seconds of the whole process so far.
double process_cpu_seconds();

// Appends options.events events with options.writers appenders to a fresh
// store at `location`, and closes it.
OursResult run_ours(const AppendOptions& options, const StoreLocation& location);

}  // namespace solo::bench
