// The comparison of the `postgres` scenario, reusable (`cluster` runs it
// too): durable appends through the real EventStore on the PostgreSQL
// backend, beside raw libpq on the same server in the same run.
//
//   ours      the `append` scenario's load (bench/append_load.hpp): W
//             coroutines each looping `co_await append_durable(event)`; every
//             ack means "committed" (group commit on the Writer thread, one
//             transaction per batch, one round trip per statement).
//   raw       one libpq connection, the same schema (migrate() on a fresh
//             schema), the same rows and statements (the event, its two
//             tenant index rows, the index mark per transaction):
//               ceiling     10,000 rows per transaction, pipelined (libpq's
//                           pipeline mode: no round trip per statement);
//               same batch  ours' mean batch per transaction, a round trip
//                           per statement, as the Writer does (diagnostic).
//
// Each side writes into a schema of its own, dropped first (fresh_schema), so
// the sides meet the same empty tables.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "bench/append_load.hpp"
#include "bench/throwaway_postgres.hpp"

namespace solo::bench {

struct AppendComparison {
  // The `postgres` report's keys but "scenario": events, writers, server,
  // events_per_s, raw_pipelined_events_per_s, ratio, raw_same_batch_*,
  // ack_p50_us, ack_p99_us, commits, mean_batch, commit_p50_us, *_cpu_us_per_event.
  boost::json::object figures;
  // The human table: one (label, value) per line, for print_row.
  std::vector<std::pair<std::string, std::string>> rows;
};

// Runs ours, the pipelined ceiling and the same-batch raw side, in that order,
// on `server` (schemas solo_bench_ours, solo_bench_raw, solo_bench_raw_same).
AppendComparison compare_appends(const AppendOptions& options, const BenchPostgres& server);

// The human tables' pieces: `value` with `digits` decimals, and one line of a
// table ("  label  value", the labels in a column).
std::string decimal(double value, int digits = 0);
void print_row(const std::string& label, const std::string& value);

}  // namespace solo::bench
