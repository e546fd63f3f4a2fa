// Scenario `append`: durable appends through the real EventStore, beside the
// ceiling of the same rows written with raw SQLite, on the same disk.
//
//   ours      W coroutines on one io_context thread, each looping
//             `co_await store->append_durable(event)` until N events are
//             acknowledged; every ack means "committed" (group commit on the
//             Writer thread). Reports events/s and per-append ack latency.
//   raw       one sqlite3 connection, same schema and indexes (solo::migrate on
//             a fresh file), same journal (WAL) and synchronous setting, one
//             prepared INSERT per table (events and the two tenant index
//             tables, each row in the transaction of its event), 10,000 rows
//             per transaction: the most a single SQLite writer does on this
//             disk. Reports raw_batched_events_per_s.
//   disk      4 KiB append + fdatasync latency in the same directory.
//
// Both sides write the same field values and the same payload bytes.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include "stores/sqlite.hpp"
#include "bench/disk_probe.hpp"
#include "bench/scenario.hpp"
#include "stores/event_store.hpp"
#include "stores/schema.hpp"
#include "bench/append_load.hpp"

namespace solo::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr int kRawRowsPerTransaction = 10'000;

// ---- raw: sqlite3 directly, big transactions ------------------------------------

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) throw_sqlite_error(db, rc, what);
}

struct RawResult {
  double seconds = 0;
  double cpu_s = 0;
};

// rows_per_transaction: kRawRowsPerTransaction for the ceiling; the EventStore's
// mean batch for the diagnostic "same batch" run, which also checkpoints as
// the Writer does (every 10,000 pages) so that it is no easier than ours.
RawResult run_raw(const AppendOptions& options, const std::filesystem::path& dir, int64_t rows_per_transaction,
                  const char* file_name) {
  // solo::Database only opens the file (WAL, synchronous) and runs migrate();
  // every write below is the plain C API.
  SqliteDatabase database(dir / file_name, OpenOptions{.synchronous = options.synchronous});
  migrate(database);
  if (rows_per_transaction != kRawRowsPerTransaction) database.exec("PRAGMA wal_autocheckpoint=10000");
  sqlite3* db = database.handle();
  sqlite3_stmt* insert = nullptr;
  check(db,
        sqlite3_prepare_v2(db,
                           "INSERT INTO events (id, event_type, tenant_id, service_id, subject, payload, "
                           "causation_id, wall_clock, mono_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &insert, nullptr),
        "prepare");
  // The EventStore's tenant index tables (stores/event_index.hpp) take the
  // same rows, here in the transaction of their event, and the same mark.
  sqlite3_stmt* index_tenant = nullptr;
  sqlite3_stmt* index_service = nullptr;
  sqlite3_stmt* mark = nullptr;
  check(db, sqlite3_prepare_v2(db, "INSERT INTO events_tenant_index (tenant_id, id) VALUES (?1, ?2)", -1,
                               &index_tenant, nullptr),
        "prepare");
  check(db,
        sqlite3_prepare_v2(db, "INSERT INTO events_service_index (tenant_id, service_id, id) VALUES (?1, ?2, ?3)",
                           -1, &index_service, nullptr),
        "prepare");
  check(db,
        sqlite3_prepare_v2(db,
                           "INSERT INTO meta (key, value) VALUES ('event_index_through', ?1) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           -1, &mark, nullptr),
        "prepare");
  auto finalize = [&] {
    for (auto* statement : {insert, index_tenant, index_service, mark}) sqlite3_finalize(statement);
  };
  RowShape shape = make_shape(options);
  std::string payload;
  std::string wall_clock;
  double cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  try {
    for (int64_t i = 0; i < options.events;) {
      check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), "begin");
      wall_clock = utc_now_iso8601();
      int64_t end = std::min<int64_t>(options.events, i + rows_per_transaction);
      for (; i < end; ++i) {
        payload_text(shape, i, payload);
        const auto& tenant = shape.tenants[static_cast<size_t>(i) % shape.tenants.size()];
        const auto& service = shape.services[static_cast<size_t>(i) % shape.services.size()];
        sqlite3_bind_int64(insert, 1, i + 1);
        sqlite3_bind_text(insert, 2, kEventType, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 3, tenant.data(), static_cast<int>(tenant.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert, 4, service.data(), static_cast<int>(service.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert, 5, kSubject, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 6, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
        sqlite3_bind_null(insert, 7);
        sqlite3_bind_text(insert, 8, wall_clock.data(), static_cast<int>(wall_clock.size()), SQLITE_STATIC);
        sqlite3_bind_int64(insert, 9, steady_now_ns());
        check(db, sqlite3_step(insert), "insert");
        sqlite3_reset(insert);
        sqlite3_bind_text(index_tenant, 1, tenant.data(), static_cast<int>(tenant.size()), SQLITE_STATIC);
        sqlite3_bind_int64(index_tenant, 2, i + 1);
        check(db, sqlite3_step(index_tenant), "index tenant");
        sqlite3_reset(index_tenant);
        sqlite3_bind_text(index_service, 1, tenant.data(), static_cast<int>(tenant.size()), SQLITE_STATIC);
        sqlite3_bind_text(index_service, 2, service.data(), static_cast<int>(service.size()), SQLITE_STATIC);
        sqlite3_bind_int64(index_service, 3, i + 1);
        check(db, sqlite3_step(index_service), "index service");
        sqlite3_reset(index_service);
      }
      sqlite3_bind_int64(mark, 1, end);
      check(db, sqlite3_step(mark), "mark");
      sqlite3_reset(mark);
      check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
    }
  } catch (...) {
    finalize();
    throw;
  }
  RawResult result{std::chrono::duration<double>(Clock::now() - start).count(), process_cpu_seconds() - cpu_start};
  finalize();
  return result;
}

// ---- the scenario -------------------------------------------------------------

double micros(int64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10.0; }  // 0.1 us

int run_append(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench append [--events N] [--writers W] [--synchronous FULL|NORMAL]\n"
                 "                         [--payload-bytes B] [--tenants T] [--services S] [--dir DIR] [--json]\n";
    return 0;
  }
  AppendOptions options;
  options.events = args.integer("--events", options.events);
  options.writers = args.integer("--writers", options.writers);
  options.payload_bytes = args.integer("--payload-bytes", options.payload_bytes, 0);
  options.tenants = args.integer("--tenants", options.tenants);
  options.services = args.integer("--services", options.services);
  options.synchronous = args.text("--synchronous", options.synchronous);
  options.dir = args.value("--dir");
  options.json = args.flag("--json");
  args.finish();
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
    throw UsageError("--synchronous must be FULL or NORMAL");
  }
  {
    // Both sides must write the same bytes.
    std::string raw;
    payload_text(make_shape(options), 42, raw);
    if (boost::json::serialize(make_event(make_shape(options), 42).payload) != raw) {
      throw std::logic_error("raw payload differs from the EventStore's");
    }
  }

  ScratchDir dir(options.dir);
  auto sync = probe_sync_latency(dir.path());
  OursResult ours = run_ours(options, dir.path() / "solo.db");
  RawResult raw = run_raw(options, dir.path(), kRawRowsPerTransaction, "raw.db");
  // Diagnostic: raw SQLite at the batch size the EventStore reached (its
  // appenders bound it), to tell SQLite's per-commit cost from ours.
  int64_t same_batch = ours.commits ? std::max<int64_t>(1, std::llround(static_cast<double>(ours.ops_committed) /
                                                                        static_cast<double>(ours.commits)))
                                    : 1;
  RawResult raw_same = run_raw(options, dir.path(), same_batch, "raw-same-batch.db");
  double raw_seconds = raw.seconds;

  double events = static_cast<double>(options.events);
  double ours_rate = events / ours.seconds;
  double raw_rate = events / raw_seconds;
  // Fraction of the run the writer thread spent inside transactions (the rest
  // it waited for work: the engine's turnaround between commits).
  double busy = static_cast<double>(std::accumulate(ours.commit_ns.begin(), ours.commit_ns.end(), int64_t{0})) /
                1e9 / ours.seconds;
  double mean_batch = ours.commits ? static_cast<double>(ours.ops_committed) / static_cast<double>(ours.commits) : 0;

  boost::json::object report{
      {"scenario", "append"},
      {"events", options.events},
      {"writers", options.writers},
      {"synchronous", options.synchronous},
      {"payload_bytes", options.payload_bytes},
      {"tenants", options.tenants},
      {"services", options.services},
      {"events_per_s", std::llround(ours_rate)},
      {"raw_batched_events_per_s", std::llround(raw_rate)},
      {"ratio", std::round(ours_rate / raw_rate * 1000) / 1000},
      {"ack_p50_us", micros(percentile(ours.latency_ns, 0.50))},
      {"ack_p99_us", micros(percentile(ours.latency_ns, 0.99))},
      {"ack_max_us", micros(ours.latency_ns.empty() ? 0 : ours.latency_ns.back())},
      {"fsync_p50_us", micros(percentile(sync, 0.50))},
      {"fsync_p99_us", micros(percentile(sync, 0.99))},
      {"commits", ours.commits},
      {"mean_batch", std::round(mean_batch * 10) / 10},
      {"max_batch", ours.max_batch},
      {"commit_p50_us", micros(percentile(ours.commit_ns, 0.50))},
      {"commit_p99_us", micros(percentile(ours.commit_ns, 0.99))},
      // The disk's own spread: where it is above 2, no ack p99 is within 2 x commit p50.
      {"commit_p99_over_p50", std::round(static_cast<double>(percentile(ours.commit_ns, 0.99)) /
                                         static_cast<double>(std::max<int64_t>(percentile(ours.commit_ns, 0.50), 1)) *
                                         100) / 100},
      // Each ack's latency over the commit of its own batch: what the engine
      // and the writer's queue add to the commit an ack waits for.
      {"ack_over_own_commit_p50", std::round(percentile(ours.over_own_commit, 0.50) * 100) / 100},
      {"ack_over_own_commit_p99", std::round(percentile(ours.over_own_commit, 0.99) * 100) / 100},
      {"writer_busy", std::round(busy * 1000) / 1000},
      {"engine_cpu_us_per_event", std::round(ours.engine_cpu_s * 1e7 / events) / 10},
      {"writer_cpu_us_per_event", std::round(ours.other_cpu_s * 1e7 / events) / 10},
      {"raw_cpu_us_per_event", std::round(raw.cpu_s * 1e7 / events) / 10},
      {"writer_thread_cpu_us_per_event", std::round(ours.writer_thread_cpu_s * 1e7 / events) / 10},
      {"checkpointer_cpu_us_per_event", std::round(ours.checkpointer_cpu_s * 1e7 / events) / 10},
      {"ours_seconds", ours.seconds},
      {"raw_seconds", raw_seconds},
      {"raw_rows_per_transaction", kRawRowsPerTransaction},
      {"raw_same_batch_rows_per_transaction", same_batch},
      {"raw_same_batch_events_per_s", std::llround(events / raw_same.seconds)},
      {"raw_same_batch_cpu_us_per_event", std::round(raw_same.cpu_s * 1e7 / events) / 10},
  };
  publish(report, options.json);
  if (options.json) return 0;
  auto line = [](const char* label, const std::string& value) {
    std::printf("  %-34s %s\n", label, value.c_str());
  };
  auto fixed = [](double v, int digits = 0) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return std::string(buffer);
  };
  std::printf("append: %lld events, %lld writers, synchronous=%s, %s\n", static_cast<long long>(options.events),
              static_cast<long long>(options.writers), options.synchronous.c_str(), dir.path().c_str());
  line("EventStore append_durable", fixed(ours_rate) + " events/s (" + fixed(ours.seconds, 2) + " s)");
  line("raw SQLite, 10k rows/transaction", fixed(raw_rate) + " events/s (" + fixed(raw_seconds, 2) + " s)");
  line("ratio (ours / raw)", fixed(ours_rate / raw_rate, 3) + "   target >= 0.5");
  line("ack latency p50 / p99 / max", fixed(micros(percentile(ours.latency_ns, 0.50))) + " / " +
                                          fixed(micros(percentile(ours.latency_ns, 0.99))) + " / " +
                                          fixed(micros(ours.latency_ns.empty() ? 0 : ours.latency_ns.back())) +
                                          " us");
  line("4 KiB append+fdatasync p50 / p99",
       fixed(micros(percentile(sync, 0.50))) + " / " + fixed(micros(percentile(sync, 0.99))) + " us");
  line("commits / mean batch / max batch",
       std::to_string(ours.commits) + " / " + fixed(mean_batch, 1) + " / " + std::to_string(ours.max_batch));
  line("commit time p50 / p99", fixed(micros(percentile(ours.commit_ns, 0.50))) + " / " +
                                    fixed(micros(percentile(ours.commit_ns, 0.99))) + " us");
  line("ack over its own commit p50 / p99", fixed(percentile(ours.over_own_commit, 0.50), 2) + " / " +
                                               fixed(percentile(ours.over_own_commit, 0.99), 2) + "   target p99 <= 2");
  line("writer thread busy", fixed(busy * 100) + " %");
  line("CPU per event: engine / writer", fixed(ours.engine_cpu_s * 1e6 / events, 1) + " / " +
                                             fixed(ours.other_cpu_s * 1e6 / events, 1) + " us (raw: " +
                                             fixed(raw.cpu_s * 1e6 / events, 1) + " us)");
  line("  of which writer / checkpointer", fixed(ours.writer_thread_cpu_s * 1e6 / events, 1) + " / " +
                                             fixed(ours.checkpointer_cpu_s * 1e6 / events, 1) + " us");
  line(("raw SQLite, " + std::to_string(same_batch) + " rows/transaction").c_str(),
       fixed(events / raw_same.seconds) + " events/s, " + fixed(raw_same.cpu_s * 1e6 / events, 1) +
           " us CPU/event (diagnostic: ours' batch size)");
  return 0;
}

const RegisterScenario registered{{"append", "durable appends through the EventStore vs raw batched SQLite",
                                   run_append}};

}  // namespace
}  // namespace solo::bench
