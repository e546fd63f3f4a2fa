// Scenario `storage`: what solo.storage costs (issue 13), each figure beside
// its baseline in the same run, on a real kernel (KernelThread,
// synchronous=FULL) in a scratch directory.
//
//   durable calls/s   ServiceActor::call of a handler doing one
//                     solo.storage.put, its reply released once durable (the
//                     output gate): 1 caller one call after another, and C
//                     callers (256) at once, each on its own service.
//                     Baseline: raw SQLite (WAL, synchronous=FULL, its own
//                     thread): the upsert Solo's Writer runs, into a table
//                     of the same shape as service_storage, committed at the batch size
//                     the Solo run reached (1 row per commit for 1 caller;
//                     the mean rows per Writer commit for C), warmed up
//                     like the kernel. Solo and raw SQLite alternate in 5
//                     rounds (raw at the batch size Solo reached in that
//                     round): the disk's fsync time on a shared machine
//                     swings tenfold within seconds, and a baseline run
//                     after the figure measured another disk. Target >= 0.5 x.
//   gate latency      the same handler with and without the put, one caller:
//                     reply p50/p99 of the put minus the same without it =
//                     the time a reply waited for its writes. Baseline: the
//                     Writer's commit time p50/p99 (its on_batch) during the
//                     put run. Target <= 2 x a commit.
//   get               10,000 solo.storage.get of a present key in a handler's
//                     loop, vs 10,000 reads of a Lua table in the same loop,
//                     same sandbox, same count hook; per op, the call around
//                     the loop subtracted (a call with an empty loop of 0).
//                     Target <= 5 x.
//   recovery          ready after a clean stop of N services (10,000) holding
//                     K keys each (100), vs the same N services with no data,
//                     built and booted in the same run. Target (as issue 5's):
//                     <= 1.5 x without storage + 0.5 s.
//
// No figure is asserted: targets are printed beside them (bench/targets.cpp).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "apps/kernel.hpp"
#include "bench/kernel_thread.hpp"
#include "bench/scenario.hpp"
#include "bench/service_probes.hpp"
#include "engine/services/deployer.hpp"
#include "stores/event_store.hpp"
#include "stores/sqlite.hpp"

namespace solo::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct StorageOptions {
  int64_t calls = 5'000;          // sequential calls (1 caller; each of put and no put)
  int64_t callers = 256;          // concurrent callers, one service each
  int64_t calls_per_caller = 200;  // per concurrent caller
  int64_t loop = 10'000;          // gets (and table reads) in one handler call
  int64_t loop_calls = 30;        // handler calls of each loop (the median is taken)
  int64_t services = 10'000;      // services of the recovery figure
  int64_t keys = 100;             // keys of each
  int64_t wal_warmup = 480;       // 100 KB puts that take the WAL through its first checkpoint
  std::optional<std::string> dir;
  bool json = false;
};

constexpr int kWarmup = 200;
// Solo's runs and their raw SQLite baselines alternate in this many rounds.
constexpr int64_t kRounds = 5;
constexpr int64_t kDeployBatch = 500;
constexpr int64_t kFillBatch = 256;

// One service for every figure: "put" writes one key, "noput" is the same
// call without it, "get"/"table"/"empty" run the loops, "fill" writes the
// recovery figure's keys in one message.
const char* const kStorageCode = R"(
function init(config) return { t = { present = 1 } } end
function handle_call(msg, state)
  local op = msg.op
  if op == "put" then
    solo.storage.put("k", msg.i)
    return true, state
  elseif op == "big" then
    -- A new size each time: SQLite overwrites a value of the same size in
    -- place and writes only the pages whose bytes changed (one, for a new
    -- suffix), and an unchanged value writes nothing at all.
    solo.storage.put("big", string.rep("x", msg.n + msg.i % 2))
    return true, state
  elseif op == "noput" then
    return true, state
  elseif op == "present" then
    solo.storage.put("present", 1)
    return true, state
  elseif op == "get" then
    local get, v = solo.storage.get
    for i = 1, msg.n do v = get("present") end
    return true, state
  elseif op == "table" then
    local t, v = state.t
    for i = 1, msg.n do v = t["present"] end
    return true, state
  elseif op == "empty" then
    local v
    for i = 1, msg.n do v = i end
    return true, state
  elseif op == "fill" then
    for i = 1, msg.n do
      solo.storage.put(string.format("key%05d", i), { i = i, note = "a value of the recovery figure" })
    end
    return true, state
  end
  error("unknown op")
end
)";

// Built outside coroutines (GCC 12: no initializer lists in coroutine bodies).
// {"op", "i", "n"}: what every op of kStorageCode reads, and no more (a
// caller sends what the handler needs; the conversion to Lua is per field).
boost::json::value message(const char* op, int64_t i = 0, int64_t n = 0) {
  return boost::json::object{{"op", op}, {"i", i}, {"n", n}};
}

double micros(double ns) { return std::round(ns / 100.0) / 10.0; }  // 0.1 us
double round_to(double v, double unit) { return std::round(v / unit) * unit; }
std::string fixed(double v, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return std::string(buffer);
}

std::shared_ptr<ServiceActor> actor_of(const std::shared_ptr<Deployer>& deployer, const std::string& tenant,
                                       const std::string& id) {
  auto actor = deployer->directory()->find(tenant, id);
  if (!actor) throw std::runtime_error("no service " + id + " to call");
  return actor;
}

asio::awaitable<int64_t> timed_call(std::shared_ptr<ServiceActor> actor, boost::json::value msg) {
  auto timeout = actor->spec().limits.call_timeout;
  auto start = Clock::now();
  auto result = co_await actor->call(std::move(msg), timeout);
  int64_t ns = (Clock::now() - start).count();
  if (!result.ok()) throw std::runtime_error("call " + actor->spec().service_id + " failed: " + result.message());
  co_return ns;
}

// What the Writer committed while a figure ran (its on_batch, engine thread).
struct Commits {
  bool recording = false;
  uint64_t commits = 0;
  uint64_t ops = 0;
  std::vector<int64_t> commit_ns;
  void start() {
    *this = Commits{};
    recording = true;
  }
  double mean_batch() const { return commits ? static_cast<double>(ops) / static_cast<double>(commits) : 0; }
};

asio::awaitable<void> listen_commits(std::shared_ptr<Kernel> kernel, std::shared_ptr<Commits> commits) {
  kernel->events()->writer().on_batch([commits](const BatchResult& batch) {
    if (!commits->recording || !batch.ok) return;
    ++commits->commits;
    commits->ops += batch.ops;
    commits->commit_ns.push_back(batch.commit_time.count());
  });
  co_return;
}

// The engine thread's CPU time so far (ns): read on the engine thread.
asio::awaitable<int64_t> engine_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  co_return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

asio::awaitable<void> set_recording(std::shared_ptr<Commits> commits, bool on) {
  if (on) commits->start();
  commits->recording = on;
  co_return;
}

// `count` calls of `op` one after another on one service; each latency (ns), sorted.
asio::awaitable<std::vector<int64_t>> sequential(std::shared_ptr<Deployer> deployer, std::string id, const char* op,
                                                 int64_t count, int64_t n) {
  auto actor = actor_of(deployer, "bench", id);
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) samples.push_back(co_await timed_call(actor, message(op, i, n)));
  std::sort(samples.begin(), samples.end());
  co_return samples;
}

struct Concurrent {
  double seconds = 0;
  int64_t calls = 0;
};

// `callers` coroutines at once, caller c calling service PREFIX-c `per_caller` times.
asio::awaitable<Concurrent> concurrent(std::shared_ptr<Deployer> deployer, std::string prefix, int64_t callers,
                                       int64_t per_caller, const char* op, int64_t n) {
  auto executor = co_await asio::this_coro::executor;
  struct Shared {
    explicit Shared(asio::any_io_executor e) : done(e) { done.expires_at(asio::steady_timer::time_point::max()); }
    asio::steady_timer done;
    int64_t remaining = 0;
    std::exception_ptr failure;
  };
  auto shared = std::make_shared<Shared>(executor);
  shared->remaining = callers;
  auto start = Clock::now();
  for (int64_t c = 0; c < callers; ++c) {
    auto actor = actor_of(deployer, "bench", prefix + "-" + std::to_string(c));
    auto loop = [](std::shared_ptr<ServiceActor> actor, int64_t count, const char* op,
                   int64_t n) -> asio::awaitable<void> {
      for (int64_t i = 0; i < count; ++i) co_await timed_call(actor, message(op, i, n));
    };
    asio::co_spawn(executor, loop(actor, per_caller, op, n), [shared](std::exception_ptr error) {
      if (error && !shared->failure) shared->failure = error;
      if (--shared->remaining == 0) shared->done.cancel();
    });
  }
  if (shared->remaining > 0) co_await shared->done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (shared->failure) std::rethrow_exception(shared->failure);
  Concurrent result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.calls = callers * per_caller;
  co_return result;
}

// ---- raw SQLite: the same rows, committed at the same batch size ------------------

struct RawRun {
  double rows_per_s = 0;
  std::vector<int64_t> commit_ns;  // sorted
};

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) throw_sqlite_error(db, rc, what);
}

// A raw SQLite database of the same shape as service_storage (WAL,
// synchronous=FULL), written on a thread of its own in segments that
// alternate with Solo's: on a shared machine the disk's fsync time swings
// tenfold within seconds, so each figure and its baseline are measured in
// the same stretches of time, not one after the other.
class RawSqlite {
 public:
  RawSqlite(const std::filesystem::path& file, int64_t services) : database_(file, OpenOptions{.synchronous = "FULL"}) {
    database_.exec(
        "CREATE TABLE IF NOT EXISTS service_storage (tenant_id TEXT NOT NULL, service_id TEXT NOT NULL, "
        "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tenant_id, service_id, key)) WITHOUT ROWID");
    sqlite3* db = database_.handle();
    check(db,
          sqlite3_prepare_v2(db,
                             "INSERT INTO service_storage (tenant_id, service_id, key, value) "
                             "VALUES ('bench', ?1, 'k', ?2) "
                             "ON CONFLICT (tenant_id, service_id, key) DO UPDATE SET value = excluded.value",
                             -1, &insert_, nullptr),
          "prepare");
    for (int64_t s = 0; s < services; ++s) ids_.push_back("p-" + std::to_string(s));
  }
  ~RawSqlite() { sqlite3_finalize(insert_); }

  // `rows` rows over the services (key "k", the value the row's number, as
  // the put handler writes), `batch` rows per transaction; returns the
  // seconds it took and adds each commit's time to commit_ns.
  double insert(int64_t rows, int64_t batch) {
    double seconds = 0;
    std::exception_ptr failure;
    std::thread thread([&] {
      try {
        seconds = run(rows, batch);
      } catch (...) {
        failure = std::current_exception();
      }
    });
    thread.join();
    if (failure) std::rethrow_exception(failure);
    return seconds;
  }

  std::vector<int64_t> commit_ns;

 private:
  double run(int64_t rows, int64_t batch) {
    sqlite3* db = database_.handle();
    auto start = Clock::now();
    for (int64_t i = 0; i < rows;) {
      auto begin = Clock::now();
      check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), "begin");
      for (int64_t end = std::min(rows, i + batch); i < end; ++i, ++row_) {
        const auto& id = ids_[static_cast<size_t>(row_ % static_cast<int64_t>(ids_.size()))];
        std::string value = std::to_string(row_);
        sqlite3_bind_text(insert_, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert_, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        check(db, sqlite3_step(insert_), "insert");
        sqlite3_reset(insert_);
      }
      check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
      commit_ns.push_back((Clock::now() - begin).count());
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  SqliteDatabase database_;
  sqlite3_stmt* insert_ = nullptr;
  std::vector<std::string> ids_;
  int64_t row_ = 0;
};

// ---- recovery -----------------------------------------------------------------------

// One "fill" message to each of services PREFIX-first.. PREFIX-(first+n-1),
// all at once (one group commit shares them).
asio::awaitable<void> fill_services(std::shared_ptr<Deployer> deployer, std::string tenant, std::string prefix,
                                    int64_t first, int64_t n, int64_t keys) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer done(executor);
  done.expires_at(asio::steady_timer::time_point::max());
  auto remaining = std::make_shared<int64_t>(n);
  auto failure = std::make_shared<std::exception_ptr>();
  for (int64_t i = first; i < first + n; ++i) {
    auto actor = actor_of(deployer, tenant, prefix + "-" + std::to_string(i));
    asio::co_spawn(executor, timed_call(actor, message("fill", 0, keys)),
                   [&done, remaining, failure](std::exception_ptr error, int64_t) {
                     if (error && !*failure) *failure = error;
                     if (--*remaining == 0) done.cancel();
                   });
  }
  co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (*failure) std::rethrow_exception(*failure);
}

// Deploys N storage services (and fills K keys in each when keys > 0), stops cleanly.
void build_recovery(const std::filesystem::path& data, const StorageOptions& options, int64_t keys) {
  KernelThread kernel(data);
  auto deployer = kernel.deployer();
  for (int64_t done = 0; done < options.services;) {
    int64_t batch = std::min(kDeployBatch, options.services - done);
    // A tenant per batch: 500 x 100 keys stay within a tenant's storage quota
    // (storage_keys_total 100,000, storage_bytes_total 64 MiB).
    auto tenant = "r" + std::to_string(done / kDeployBatch);
    const std::string prefix = "s";
    kernel.run(deploy_concurrently(deployer, tenant, prefix, static_cast<int>(batch), kStorageCode));
    for (int64_t filled = 0; keys > 0 && filled < batch;) {
      // deploy_concurrently names them PREFIX-0..; filled kFillBatch at a time
      int64_t n = std::min(kFillBatch, batch - filled);
      kernel.run(fill_services(deployer, tenant, prefix, filled, n, keys));
      filled += n;
    }
    done += batch;
    if (!options.json && done % 2000 == 0) std::fprintf(stderr, "storage: %lld services built\n", (long long)done);
  }
}

asio::awaitable<size_t> running_services(std::shared_ptr<Kernel> kernel) { co_return kernel->services()->count(); }

struct Boot {
  double ready_s = 0;
  size_t running = 0;
};

Boot timed_boot(const std::filesystem::path& data) {
  Boot boot;
  auto start = Clock::now();
  KernelThread kernel(data);
  boot.ready_s = std::chrono::duration<double>(Clock::now() - start).count();
  boot.running = kernel.run(running_services(kernel.kernel()));
  return boot;
}

// ---- the run ------------------------------------------------------------------------

void row(const std::string& what, const std::string& ours, const std::string& baseline, const std::string& ratio,
         const std::string& target) {
  std::printf("  %-34s %-18s %-34s %-8s %s\n", what.c_str(), ours.c_str(), baseline.c_str(), ratio.c_str(),
              target.c_str());
}

int64_t median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return percentile(v, 0.5);
}

int run_storage(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench storage [--quick] [--calls N] [--callers C] [--calls-per-caller M] [--loop L]\n"
                 "                          [--services S] [--keys K] [--wal-warmup W] [--dir DIR] [--json]\n"
                 "  durable calls/s with one solo.storage.put per call (1 and C callers) vs raw SQLite at the\n"
                 "  same batch size; the reply latency the output gate adds vs a commit; solo.storage.get vs a\n"
                 "  Lua table read (L per handler call); ready after a clean stop of S services with K keys\n"
                 "  each vs S services without data.\n"
                 "  --wal-warmup W  100 KB puts first that take the WAL through its first checkpoint (480)\n"
                 "  --quick  a small run (smoke test): 300 calls, 32 callers x 10, loop 2000, 100 services,\n"
                 "           no WAL warm-up\n";
    return 0;
  }
  StorageOptions options;
  if (args.flag("--quick")) options = StorageOptions{300, 32, 10, 2000, 10, 100, 100, 0, std::nullopt, false};
  options.calls = args.integer("--calls", options.calls);
  options.callers = args.integer("--callers", options.callers);
  options.calls_per_caller = args.integer("--calls-per-caller", options.calls_per_caller);
  options.loop = args.integer("--loop", options.loop);
  options.services = args.integer("--services", options.services);
  options.keys = args.integer("--keys", options.keys);
  options.wal_warmup = args.integer("--wal-warmup", options.wal_warmup, 0);
  options.dir = args.value("--dir");
  options.json = args.flag("--json");
  args.finish();

  ScratchDir dir(options.dir);
  auto say = [&](const char* what) {
    if (!options.json) std::fprintf(stderr, "storage: %s...\n", what);
  };
  auto commits = std::make_shared<Commits>();
  std::vector<int64_t> put_ns, noput_ns, one_commit_ns, many_commit_ns;
  Concurrent many;
  RawRun raw_one, raw_many;
  int64_t one_engine_cpu_ns = 0, many_engine_cpu_ns = 0;  // the engine thread's CPU time in the put runs
  double one_per_s = 0, one_batch = 0, many_batch = 0;
  int64_t get_net = 0, table_net = 0, empty_ns = 0, get_call = 0, table_call = 0;
  {
    KernelThread kernel(dir.path() / "data");
    auto deployer = kernel.deployer();
    kernel.run(listen_commits(kernel.kernel(), commits));
    kernel.run(deploy_concurrently(deployer, "bench", "one", 1, kStorageCode));
    kernel.run(deploy_concurrently(deployer, "bench", "p", static_cast<int>(options.callers), kStorageCode));
    // A fresh data dir's WAL grows with every commit until the Writer's
    // first checkpoint (every ~40 MiB), and an fsync that grows a file also
    // syncs its size, which costs about twice as much; a server that has
    // run a while overwrites its WAL in place. So the WAL is taken through
    // one checkpoint first (~48 MiB of 100 KB values), as raw SQLite's
    // reaches its steady state at its own checkpoint (every 4 MiB) early in
    // its run.
    kernel.run(sequential(deployer, "one-0", "big", options.wal_warmup, 100'000));
    kernel.run(sequential(deployer, "one-0", "put", kWarmup, 0));
    kernel.run(sequential(deployer, "one-0", "noput", kWarmup, 0));

    // Raw SQLite beside it, warmed up as the kernel is.
    RawSqlite raw_one_db(dir.path() / "raw-one.db", 1);
    RawSqlite raw_many_db(dir.path() / "raw-many.db", options.callers);
    raw_one_db.insert(kWarmup, 1);
    raw_many_db.insert(2 * options.callers, options.callers);
    raw_one_db.commit_ns.clear();
    raw_many_db.commit_ns.clear();

    say("one caller, put and no put (alternating with raw SQLite)");
    double one_s = 0, raw_one_s = 0;
    uint64_t one_commits = 0, one_ops = 0;
    for (int64_t r = 0, done = 0; r < kRounds; ++r) {
      const int64_t n = (options.calls * (r + 1)) / kRounds - done;
      done += n;
      kernel.run(set_recording(commits, true));
      const int64_t cpu_before = kernel.run(engine_cpu_ns());
      auto start = Clock::now();
      auto samples = kernel.run(sequential(deployer, "one-0", "put", n, 0));
      one_s += std::chrono::duration<double>(Clock::now() - start).count();
      one_engine_cpu_ns += kernel.run(engine_cpu_ns()) - cpu_before;
      kernel.run(set_recording(commits, false));
      put_ns.insert(put_ns.end(), samples.begin(), samples.end());
      one_commits += commits->commits;
      one_ops += commits->ops;
      one_commit_ns.insert(one_commit_ns.end(), commits->commit_ns.begin(), commits->commit_ns.end());
      raw_one_s += raw_one_db.insert(n, 1);
    }
    std::sort(put_ns.begin(), put_ns.end());
    one_per_s = static_cast<double>(options.calls) / one_s;
    raw_one.rows_per_s = static_cast<double>(options.calls) / raw_one_s;
    raw_one.commit_ns = std::move(raw_one_db.commit_ns);
    std::sort(raw_one.commit_ns.begin(), raw_one.commit_ns.end());
    one_batch = one_commits ? static_cast<double>(one_ops) / static_cast<double>(one_commits) : 0;
    std::sort(one_commit_ns.begin(), one_commit_ns.end());
    noput_ns = kernel.run(sequential(deployer, "one-0", "noput", options.calls, 0));

    say("concurrent callers (alternating with raw SQLite at the batch size each round reached)");
    kernel.run(concurrent(deployer, "p", options.callers, 2, "put", 0));  // warm-up
    double raw_many_s = 0;
    uint64_t many_commits = 0, many_ops = 0;
    int64_t raw_rows = 0;
    const int64_t rounds = std::min<int64_t>(kRounds, options.calls_per_caller);
    for (int64_t r = 0, done = 0; r < rounds; ++r) {
      const int64_t per_caller = (options.calls_per_caller * (r + 1)) / rounds - done;
      done += per_caller;
      kernel.run(set_recording(commits, true));
      const int64_t cpu_before = kernel.run(engine_cpu_ns());
      auto round = kernel.run(concurrent(deployer, "p", options.callers, per_caller, "put", 0));
      many_engine_cpu_ns += kernel.run(engine_cpu_ns()) - cpu_before;
      kernel.run(set_recording(commits, false));
      many.seconds += round.seconds;
      many.calls += round.calls;
      many_commits += commits->commits;
      many_ops += commits->ops;
      many_commit_ns.insert(many_commit_ns.end(), commits->commit_ns.begin(), commits->commit_ns.end());
      const int64_t batch = std::max<int64_t>(1, std::llround(commits->mean_batch()));
      raw_many_s += raw_many_db.insert(round.calls, batch);
      raw_rows += round.calls;
    }
    many_batch = many_commits ? static_cast<double>(many_ops) / static_cast<double>(many_commits) : 0;
    raw_many.rows_per_s = static_cast<double>(raw_rows) / raw_many_s;
    raw_many.commit_ns = std::move(raw_many_db.commit_ns);
    std::sort(many_commit_ns.begin(), many_commit_ns.end());

    say("get vs table read");
    kernel.run(deploy_concurrently(deployer, "bench", "loop", 1, kStorageCode));
    kernel.run(sequential(deployer, "loop-0", "present", 1, 0));  // the key the loop reads
    std::vector<int64_t> empties, gets, tables;
    for (int64_t r = 0; r < options.loop_calls; ++r) {
      empties.push_back(kernel.run(sequential(deployer, "loop-0", "empty", 1, options.loop)).front());
      gets.push_back(kernel.run(sequential(deployer, "loop-0", "get", 1, options.loop)).front());
      tables.push_back(kernel.run(sequential(deployer, "loop-0", "table", 1, options.loop)).front());
    }
    auto zero = kernel.run(sequential(deployer, "loop-0", "empty", options.loop_calls, 0));
    empty_ns = median(empties);
    get_call = median(gets);
    table_call = median(tables);
    int64_t call_ns = median(zero);
    get_net = get_call - call_ns;
    table_net = table_call - call_ns;
  }

  const int64_t batch_many = std::max<int64_t>(1, std::llround(many_batch));

  say("recovery: building with storage");
  auto with_data = dir.path() / "with-storage";
  auto without_data = dir.path() / "without-storage";
  build_recovery(with_data, options, options.keys);
  say("recovery: building without storage");
  build_recovery(without_data, options, 0);
  say("recovery: booting");
  Boot bare = timed_boot(without_data);
  Boot stored = timed_boot(with_data);

  // ---- figures ------------------------------------------------------------------
  const double many_per_s = static_cast<double>(many.calls) / many.seconds;
  const double put_p50 = static_cast<double>(percentile(put_ns, 0.50));
  const double put_p99 = static_cast<double>(percentile(put_ns, 0.99));
  const double noput_p50 = static_cast<double>(percentile(noput_ns, 0.50));
  const double noput_p99 = static_cast<double>(percentile(noput_ns, 0.99));
  const double commit_p50 = static_cast<double>(percentile(one_commit_ns, 0.50));
  const double commit_p99 = static_cast<double>(percentile(one_commit_ns, 0.99));
  const double loop = static_cast<double>(options.loop);
  const double get_op = static_cast<double>(get_net) / loop;
  const double table_op = static_cast<double>(table_net) / loop;
  const double get_loop_op = static_cast<double>(get_call - empty_ns) / loop;  // the loop's own cost taken out too
  const double table_loop_op = static_cast<double>(table_call - empty_ns) / loop;
  const double recovery_target = 1.5 * bare.ready_s + 0.5;

  boost::json::object report{
      {"scenario", "storage"},
      {"synchronous", "FULL"},
      {"calls", options.calls},
      {"callers", options.callers},
      {"calls_per_caller", options.calls_per_caller},
      {"loop", options.loop},
      {"services", options.services},
      {"keys", options.keys},
      // durable calls/s
      {"one_caller_calls_per_s", std::llround(one_per_s)},
      {"one_caller_mean_batch", round_to(one_batch, 0.01)},
      {"raw_one_per_commit_per_s", std::llround(raw_one.rows_per_s)},
      {"one_caller_ratio", round_to(one_per_s / raw_one.rows_per_s, 0.001)},
      {"many_callers_calls_per_s", std::llround(many_per_s)},
      {"many_callers_mean_batch", round_to(many_batch, 0.1)},
      {"raw_same_batch_per_s", std::llround(raw_many.rows_per_s)},
      {"raw_same_batch_rows_per_commit", batch_many},
      {"many_callers_ratio", round_to(many_per_s / raw_many.rows_per_s, 0.001)},
      {"one_caller_engine_cpu_us_per_call", micros(static_cast<double>(one_engine_cpu_ns) / static_cast<double>(options.calls))},
      {"many_callers_engine_cpu_us_per_call", micros(static_cast<double>(many_engine_cpu_ns) / static_cast<double>(many.calls))},
      // gate latency
      {"put_call_p50_us", micros(put_p50)},
      {"put_call_p99_us", micros(put_p99)},
      {"noput_call_p50_us", micros(noput_p50)},
      {"noput_call_p99_us", micros(noput_p99)},
      {"gate_added_p50_us", micros(put_p50 - noput_p50)},
      {"gate_added_p99_us", micros(put_p99 - noput_p99)},
      {"commit_p50_us", micros(commit_p50)},
      {"commit_p99_us", micros(commit_p99)},
      {"raw_commit_p50_us", micros(static_cast<double>(percentile(raw_one.commit_ns, 0.50)))},
      {"many_commit_p50_us", micros(static_cast<double>(percentile(many_commit_ns, 0.50)))},
      // get
      {"get_ns_per_op", std::llround(get_op)},
      {"table_read_ns_per_op", std::llround(table_op)},
      {"get_over_table_ratio", table_op > 0 ? round_to(get_op / table_op, 0.01) : 0.0},
      {"get_ns_per_op_net_of_loop", std::llround(get_loop_op)},
      {"table_read_ns_per_op_net_of_loop", std::llround(table_loop_op)},
      // recovery
      {"recovery_with_storage_s", round_to(stored.ready_s, 0.001)},
      {"recovery_without_storage_s", round_to(bare.ready_s, 0.001)},
      {"recovery_target_s", round_to(recovery_target, 0.001)},
      {"recovery_running_with_storage", static_cast<int64_t>(stored.running)},
      {"recovery_running_without_storage", static_cast<int64_t>(bare.running)},
  };
  publish(report, options.json);
  bool ok = stored.running == static_cast<size_t>(options.services) &&
            bare.running == static_cast<size_t>(options.services);
  if (!options.json) {
    std::printf("storage: synchronous=FULL, %s\n", dir.path().c_str());
    row("", "solo", "baseline", "ratio", "target");
    row("durable calls/s, 1 caller", fixed(one_per_s) + " /s",
        fixed(raw_one.rows_per_s) + " raw, 1 row/commit", fixed(one_per_s / raw_one.rows_per_s, 2), ">= 0.5");
    row("durable calls/s, " + std::to_string(options.callers) + " callers", fixed(many_per_s) + " /s",
        fixed(raw_many.rows_per_s) + " raw, " + std::to_string(batch_many) + " rows/commit",
        fixed(many_per_s / raw_many.rows_per_s, 2), ">= 0.5 (mean batch " + fixed(many_batch, 1) + ")");
    row("  engine CPU per call, 1 / " + std::to_string(options.callers),
        fixed(micros(static_cast<double>(one_engine_cpu_ns) / static_cast<double>(options.calls)), 1) + " / " +
            fixed(micros(static_cast<double>(many_engine_cpu_ns) / static_cast<double>(many.calls)), 1) + " us",
        "", "", "");
    row("gate: reply p50 added", fixed(micros(put_p50 - noput_p50), 1) + " us",
        fixed(micros(commit_p50), 1) + " us commit p50", fixed((put_p50 - noput_p50) / commit_p50, 2), "<= 2");
    row("gate: reply p99 added", fixed(micros(put_p99 - noput_p99), 1) + " us",
        fixed(micros(commit_p99), 1) + " us commit p99", fixed((put_p99 - noput_p99) / commit_p99, 2), "<= 2");
    row("  put call p50/p99", fixed(micros(put_p50), 1) + "/" + fixed(micros(put_p99), 1) + " us",
        fixed(micros(noput_p50), 1) + "/" + fixed(micros(noput_p99), 1) + " us without the put", "", "");
    row("get of a present key, per op", fixed(get_op, 1) + " ns", fixed(table_op, 1) + " ns Lua table read",
        table_op > 0 ? fixed(get_op / table_op, 2) : "-", "<= 5");
    row("  the loop's own cost taken out", fixed(get_loop_op, 1) + " ns", fixed(table_loop_op, 1) + " ns", "", "");
    row("ready after a clean stop", fixed(stored.ready_s, 3) + " s",
        fixed(bare.ready_s, 3) + " s without storage", fixed(stored.ready_s / bare.ready_s, 2),
        "<= 1.5 x + 0.5 s (" + std::to_string(options.services) + " x " + std::to_string(options.keys) + " keys)");
  }
  if (!ok) {
    std::cerr << "solo-bench storage: not every service came back\n";
    return 1;
  }
  return 0;
}

const RegisterScenario registered{
    {"storage", "durable calls with solo.storage vs raw SQLite, the gate's latency, get, recovery with data",
     run_storage}};

}  // namespace
}  // namespace solo::bench
