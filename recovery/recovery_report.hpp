// The RecoveryReport: what the last start found and did. Shape of
// GET /system/recovery (docs/http-api.md): previous_shutdown, counts, per-step
// durations and the verification result.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace solo {

struct RecoveryReport {
  std::string previous_shutdown = "first_start";  // "clean" | "crash" | "first_start"
  int64_t recovered = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t tokens_restored = 0;
  int64_t duration_ms = 0;
  std::vector<std::pair<std::string, int64_t>> steps;  // step name -> ms, in order
  std::string integrity_check = "not_run";             // PRAGMA quick_check result after a crash
  std::string verification_status = "ok";
  std::vector<std::string> inconsistencies;
  int64_t fixes_applied = 0;
};

boost::json::value to_json(const RecoveryReport& report);

}  // namespace solo
