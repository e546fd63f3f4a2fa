// RecoveryTelemetry: the figures of recovery and verification, for /metrics.
// The Replayer records its report once per start; the Verifier records every
// run (at start and on POST /system/verify). The Kernel registers
// render_metrics as a Telemetry collector. The same figures are in the log:
// system_started (the recovery summary, recovery_summary()) and
// verification_completed (each Verifier run).
//
// Families (docs/operations.md, "Metrics"), none per tenant:
//   solo_recovery_previous_shutdown{kind}        gauge, 1 for what this start found
//   solo_recovery_services{outcome}              gauge, recovered | failed | skipped
//   solo_recovery_integrity_check{result}        gauge, 1 for not_run | ok | failed
//   solo_recovery_duration_seconds               gauge
//   solo_recovery_step_duration_seconds{step}    gauge
//   solo_verifications_total{trigger}            counter, recovery | request
//   solo_verification_inconsistencies_total{kind} counter
//   solo_verification_fixes_total{kind}          counter
//   solo_verification_inconsistencies            gauge, found by the last run
//   solo_verification_duration_seconds           gauge, of the last run
//
// Engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "recovery/recovery_report.hpp"
#include "recovery/verifier.hpp"

namespace solo {

class RecoveryTelemetry {
 public:
  void record(const RecoveryReport& report);
  void record(const VerificationResult& result, VerifyTrigger trigger);
  // Appends the families above (the recovery ones once a recovery finished).
  void render_metrics(std::string& out) const;

 private:
  std::optional<RecoveryReport> recovery_;
  std::map<std::string, uint64_t> runs_;  // trigger -> runs
  std::map<std::string, uint64_t> found_;  // kind -> inconsistencies, every run
  std::map<std::string, uint64_t> fixed_;  // kind -> fixes, every run
  int64_t last_found_ = 0;
  int64_t last_duration_ms_ = 0;
};

}  // namespace solo
