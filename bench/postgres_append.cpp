// The comparison of bench/postgres_append.hpp: ours, then raw libpq, each on a fresh schema of one server.
#include "bench/postgres_append.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "base/iso8601.hpp"
#include "bench/scenario.hpp"
#include "stores/postgres.hpp"
#include "stores/schema.hpp"

namespace solo::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kCeilingRowsPerTransaction = 10'000;

void expect(PGresult* result, ExecStatusType status, const char* what) {
  bool ok = result && PQresultStatus(result) == status;
  std::string message = ok ? "" : (result ? PQresultErrorMessage(result) : "no result");
  PQclear(result);
  if (!ok) throw std::runtime_error(std::string(what) + ": " + message);
}

struct RawResult {
  double seconds = 0;
  double cpu_s = 0;
};

constexpr const char* kInsertEvent =
    "INSERT INTO events (id, event_type, tenant_id, service_id, subject, payload, causation_id, wall_clock, "
    "mono_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr const char* kIndexTenant = "INSERT INTO events_tenant_index (tenant_id, id) VALUES ($1, $2)";
constexpr const char* kIndexService = "INSERT INTO events_service_index (tenant_id, service_id, id) VALUES ($1, $2, $3)";
constexpr const char* kMark =
    "INSERT INTO meta (key, value) VALUES ('event_index_through', $1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

// The raw side. `pipelined`: every statement of a transaction sent before
// any result is read (PQpipelineSync at COMMIT); otherwise one round trip per
// statement.
RawResult run_raw(const AppendOptions& options, const std::string& uri, int64_t rows_per_transaction,
                  bool pipelined) {
  PostgresDatabase database(uri, OpenOptions{.synchronous = options.synchronous});
  migrate(database);  // the same schema; everything below is libpq
  PGconn* conn = database.handle();
  expect(PQprepare(conn, "event", kInsertEvent, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  expect(PQprepare(conn, "tenant", kIndexTenant, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  expect(PQprepare(conn, "service", kIndexService, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  expect(PQprepare(conn, "mark", kMark, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  RowShape shape = make_shape(options);
  std::string payload, id, mono, end_text, wall_clock;
  // Sends one statement: queued in a pipeline, or run and checked at once.
  auto send = [&](const char* name, std::vector<const char*> values) {
    if (pipelined) {
      if (!PQsendQueryPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0)) {
        throw std::runtime_error(std::string("send: ") + PQerrorMessage(conn));
      }
    } else {
      expect(PQexecPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
             PGRES_COMMAND_OK, name);
    }
  };
  double cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  for (int64_t i = 0; i < options.events;) {
    int64_t end = std::min<int64_t>(options.events, i + rows_per_transaction);
    if (pipelined && !PQenterPipelineMode(conn)) throw std::runtime_error("pipeline mode refused");
    // (libpq copies each statement's values into its output buffer at the
    // send, so the texts above may be reused for the next row.)
    if (pipelined) {
      if (!PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0)) {
        throw std::runtime_error(PQerrorMessage(conn));
      }
    } else {
      expect(PQexec(conn, "BEGIN"), PGRES_COMMAND_OK, "begin");
    }
    wall_clock = utc_now_iso8601();
    int64_t statements = 1;
    for (; i < end; ++i) {
      payload_text(shape, i, payload);
      const auto& tenant = shape.tenants[static_cast<size_t>(i) % shape.tenants.size()];
      const auto& service = shape.services[static_cast<size_t>(i) % shape.services.size()];
      id = std::to_string(i + 1);
      mono = std::to_string(steady_now_ns());
      send("event", {id.c_str(), kEventType, tenant.c_str(), service.c_str(), kSubject, payload.c_str(), nullptr,
                     wall_clock.c_str(), mono.c_str()});
      send("tenant", {tenant.c_str(), id.c_str()});
      send("service", {tenant.c_str(), service.c_str(), id.c_str()});
      statements += 3;
    }
    end_text = std::to_string(end);
    send("mark", {end_text.c_str()});
    ++statements;
    if (!pipelined) {
      expect(PQexec(conn, "COMMIT"), PGRES_COMMAND_OK, "commit");
      continue;
    }
    if (!PQsendQueryParams(conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) || !PQpipelineSync(conn)) {
      throw std::runtime_error(PQerrorMessage(conn));
    }
    ++statements;
    for (int64_t n = 0; n < statements; ++n) {
      expect(PQgetResult(conn), PGRES_COMMAND_OK, "pipelined statement");
      if (PGresult* tail = PQgetResult(conn)) expect(tail, PGRES_COMMAND_OK, "pipelined statement end");
    }
    expect(PQgetResult(conn), PGRES_PIPELINE_SYNC, "sync");
    if (!PQexitPipelineMode(conn)) throw std::runtime_error(PQerrorMessage(conn));
  }
  return RawResult{std::chrono::duration<double>(Clock::now() - start).count(), process_cpu_seconds() - cpu_start};
}

}  // namespace

AppendComparison compare_appends(const AppendOptions& options, const BenchPostgres& server) {
  OursResult ours = run_ours(options, StoreLocation::parse(fresh_schema(server.uri(), "solo_bench_ours")));
  RawResult ceiling = run_raw(options, fresh_schema(server.uri(), "solo_bench_raw"), kCeilingRowsPerTransaction, true);
  int64_t same_batch = ours.commits ? std::max<int64_t>(1, std::llround(static_cast<double>(ours.ops_committed) /
                                                                        static_cast<double>(ours.commits)))
                                    : 1;
  RawResult same = run_raw(options, fresh_schema(server.uri(), "solo_bench_raw_same"), same_batch, false);

  double events = static_cast<double>(options.events);
  double ours_rate = events / ours.seconds;
  double raw_rate = events / ceiling.seconds;
  double mean_batch = ours.commits ? static_cast<double>(ours.ops_committed) / static_cast<double>(ours.commits) : 0;
  AppendComparison out;
  out.figures = {
      {"events", options.events},
      {"writers", options.writers},
      {"server", server.describe()},
      {"events_per_s", std::llround(ours_rate)},
      {"raw_pipelined_events_per_s", std::llround(raw_rate)},
      {"ratio", std::round(ours_rate / raw_rate * 1000) / 1000},
      {"raw_same_batch_events_per_s", std::llround(events / same.seconds)},
      {"raw_same_batch_rows_per_transaction", same_batch},
      {"ack_p50_us", std::round(static_cast<double>(percentile(ours.latency_ns, 0.50)) / 100) / 10},
      {"ack_p99_us", std::round(static_cast<double>(percentile(ours.latency_ns, 0.99)) / 100) / 10},
      {"commits", ours.commits},
      {"mean_batch", std::round(mean_batch * 10) / 10},
      {"commit_p50_us", std::round(static_cast<double>(percentile(ours.commit_ns, 0.50)) / 100) / 10},
      {"engine_cpu_us_per_event", std::round(ours.engine_cpu_s * 1e7 / events) / 10},
      {"writer_cpu_us_per_event", std::round(ours.other_cpu_s * 1e7 / events) / 10},
      {"raw_cpu_us_per_event", std::round(ceiling.cpu_s * 1e7 / events) / 10},
  };
  auto micros = [](int64_t ns) { return decimal(static_cast<double>(ns) / 1000); };
  out.rows = {
      {"EventStore append_durable", decimal(ours_rate) + " events/s (" + decimal(ours.seconds, 2) + " s)"},
      {"raw libpq, 10k rows/transaction, pipelined",
       decimal(raw_rate) + " events/s (" + decimal(ceiling.seconds, 2) + " s)"},
      {"ratio (ours / raw)", decimal(ours_rate / raw_rate, 3) + "   target >= 0.5"},
      {"raw libpq, " + std::to_string(same_batch) + " rows/transaction, round trips",
       decimal(events / same.seconds) + " events/s (diagnostic: ours' batch, ours' round trips)"},
      {"ack latency p50 / p99",
       micros(percentile(ours.latency_ns, 0.50)) + " / " + micros(percentile(ours.latency_ns, 0.99)) + " us"},
      {"commits / mean batch / commit p50", std::to_string(ours.commits) + " / " + decimal(mean_batch, 1) + " / " +
                                                micros(percentile(ours.commit_ns, 0.50)) + " us"},
      {"CPU per event: engine / writer / raw", decimal(ours.engine_cpu_s * 1e6 / events, 1) + " / " +
                                                   decimal(ours.other_cpu_s * 1e6 / events, 1) + " / " +
                                                   decimal(ceiling.cpu_s * 1e6 / events, 1) + " us"},
  };
  return out;
}

std::string decimal(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

void print_row(const std::string& label, const std::string& value) {
  std::printf("  %-40s %s\n", label.c_str(), value.c_str());
}

}  // namespace solo::bench
