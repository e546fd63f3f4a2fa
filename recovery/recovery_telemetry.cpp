#include "recovery/recovery_telemetry.hpp"

#include <initializer_list>

namespace solo {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// Figures are counts or milliseconds (seconds with three decimals).
std::string figure_text(double figure) {
  auto whole = static_cast<int64_t>(figure);
  return static_cast<double>(whole) == figure ? std::to_string(whole) : std::to_string(figure);
}

// Label values here are fixed words of this file or step names; none needs escaping.
void sample(std::string& out, const char* name, const char* label, const std::string& value, double figure) {
  out += std::string(name) + "{" + label + "=\"" + value + "\"} " + figure_text(figure) + "\n";
}

void sample(std::string& out, const char* name, double figure) {
  out += std::string(name) + " " + figure_text(figure) + "\n";
}

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
    family(out, "solo_recovery_previous_shutdown", "gauge", "How the previous run ended, as this start found it (1).");
    for (const char* kind : {"clean", "crash", "first_start"}) {
      sample(out, "solo_recovery_previous_shutdown", "kind", kind, report.previous_shutdown == kind ? 1 : 0);
    }
    family(out, "solo_recovery_services", "gauge",
           "Services at the last start: recovered, failed to recover, skipped (the log ended them).");
    sample(out, "solo_recovery_services", "outcome", "recovered", static_cast<double>(report.recovered));
    sample(out, "solo_recovery_services", "outcome", "failed", static_cast<double>(report.failed));
    sample(out, "solo_recovery_services", "outcome", "skipped", static_cast<double>(report.skipped));
    family(out, "solo_recovery_integrity_check", "gauge",
           "The integrity check (PRAGMA quick_check) after a crash: not_run, ok or failed (1).");
    auto integrity = integrity_result(report);
    for (const char* result : {"not_run", "ok", "failed"}) {
      sample(out, "solo_recovery_integrity_check", "result", result, integrity == result ? 1 : 0);
    }
    family(out, "solo_recovery_duration_seconds", "gauge", "Time the last start spent recovering.");
    sample(out, "solo_recovery_duration_seconds", static_cast<double>(report.duration_ms) / 1000.0);
    family(out, "solo_recovery_step_duration_seconds", "gauge", "Time of each recovery step at the last start.");
    for (const auto& [step, ms] : report.steps) {
      sample(out, "solo_recovery_step_duration_seconds", "step", step, static_cast<double>(ms) / 1000.0);
    }
  }
  family(out, "solo_verifications_total", "counter", "Verifier runs: at start (recovery) or asked for (request).");
  for (const char* trigger : {"recovery", "request"}) {
    sample(out, "solo_verifications_total", "trigger", trigger, static_cast<double>(count_of(runs_, trigger)));
  }
  family(out, "solo_verification_inconsistencies_total", "counter", "Inconsistencies the Verifier found, by kind.");
  for (const char* kind : inconsistency::kAll) {
    sample(out, "solo_verification_inconsistencies_total", "kind", kind, static_cast<double>(count_of(found_, kind)));
  }
  family(out, "solo_verification_fixes_total", "counter", "Fixes the Verifier applied, by the kind they fixed.");
  for (const char* kind : {inconsistency::kMissing, inconsistency::kKilledButAlive}) {
    sample(out, "solo_verification_fixes_total", "kind", kind, static_cast<double>(count_of(fixed_, kind)));
  }
  family(out, "solo_verification_inconsistencies", "gauge", "Inconsistencies the last Verifier run found.");
  sample(out, "solo_verification_inconsistencies", static_cast<double>(last_found_));
  family(out, "solo_verification_duration_seconds", "gauge", "Time of the last Verifier run.");
  sample(out, "solo_verification_duration_seconds", static_cast<double>(last_duration_ms_) / 1000.0);
}

}  // namespace solo
