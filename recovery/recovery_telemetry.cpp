#include "recovery/recovery_telemetry.hpp"

#include <initializer_list>

#include "base/prometheus.hpp"

namespace solo {

namespace {

uint64_t count_of(const std::map<std::string, uint64_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

std::string integrity_result(const RecoveryReport& report) {
  if (report.integrity_check == "not_run") return "not_run";
  return report.integrity_check == "ok" ? "ok" : "failed";
}

}  // namespace

void RecoveryTelemetry::record(const RecoveryReport& report) { recovery_ = report; }

void RecoveryTelemetry::record(const VerificationResult& result, VerifyTrigger trigger) {
  ++runs_[to_string(trigger)];
  for (const auto& [kind, count] : result.found) found_[kind] += static_cast<uint64_t>(count);
  for (const auto& [kind, count] : result.fixed) fixed_[kind] += static_cast<uint64_t>(count);
  last_found_ = static_cast<int64_t>(result.inconsistencies.size());
  last_duration_ms_ = result.duration_ms;
}

void RecoveryTelemetry::render_metrics(std::string& out) const {
  if (recovery_) {
    const auto& report = *recovery_;
    prometheus::family(out, "solo_recovery_previous_shutdown",
                       "How the previous run ended, as this start found it (1).", "gauge");
    for (const char* kind : {"clean", "crash", "first_start"}) {
      prometheus::sample(out, "solo_recovery_previous_shutdown", {{"kind", kind}},
                         report.previous_shutdown == kind ? 1 : 0);
    }
    prometheus::family(out, "solo_recovery_services",
                       "Services at the last start: recovered, failed to recover, skipped (the log ended them).",
                       "gauge");
    prometheus::sample(out, "solo_recovery_services", {{"outcome", "recovered"}},
                       static_cast<double>(report.recovered));
    prometheus::sample(out, "solo_recovery_services", {{"outcome", "failed"}}, static_cast<double>(report.failed));
    prometheus::sample(out, "solo_recovery_services", {{"outcome", "skipped"}}, static_cast<double>(report.skipped));
    prometheus::family(out, "solo_recovery_integrity_check",
                       "The integrity check (PRAGMA quick_check) after a crash: not_run, ok or failed (1).", "gauge");
    auto integrity = integrity_result(report);
    for (const char* result : {"not_run", "ok", "failed"}) {
      prometheus::sample(out, "solo_recovery_integrity_check", {{"result", result}}, integrity == result ? 1 : 0);
    }
    prometheus::family(out, "solo_recovery_duration_seconds", "Time the last start spent recovering.", "gauge");
    prometheus::sample(out, "solo_recovery_duration_seconds", static_cast<double>(report.duration_ms) / 1000.0);
    prometheus::family(out, "solo_recovery_step_duration_seconds", "Time of each recovery step at the last start.",
                       "gauge");
    for (const auto& [step, ms] : report.steps) {
      prometheus::sample(out, "solo_recovery_step_duration_seconds", {{"step", step}},
                         static_cast<double>(ms) / 1000.0);
    }
  }
  prometheus::family(out, "solo_verifications_total", "Verifier runs: at start (recovery) or asked for (request).",
                     "counter");
  for (const char* trigger : {"recovery", "request"}) {
    prometheus::sample(out, "solo_verifications_total", {{"trigger", trigger}},
                       static_cast<double>(count_of(runs_, trigger)));
  }
  prometheus::family(out, "solo_verification_inconsistencies_total", "Inconsistencies the Verifier found, by kind.",
                     "counter");
  for (const char* kind : inconsistency::kAll) {
    prometheus::sample(out, "solo_verification_inconsistencies_total", {{"kind", kind}},
                       static_cast<double>(count_of(found_, kind)));
  }
  prometheus::family(out, "solo_verification_fixes_total", "Fixes the Verifier applied, by the kind they fixed.",
                     "counter");
  for (const char* kind : {inconsistency::kMissing, inconsistency::kKilledButAlive}) {
    prometheus::sample(out, "solo_verification_fixes_total", {{"kind", kind}},
                       static_cast<double>(count_of(fixed_, kind)));
  }
  prometheus::family(out, "solo_verification_inconsistencies", "Inconsistencies the last Verifier run found.", "gauge");
  prometheus::sample(out, "solo_verification_inconsistencies", static_cast<double>(last_found_));
  prometheus::family(out, "solo_verification_duration_seconds", "Time of the last Verifier run.", "gauge");
  prometheus::sample(out, "solo_verification_duration_seconds", static_cast<double>(last_duration_ms_) / 1000.0);
}

}  // namespace solo
