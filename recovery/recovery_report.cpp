#include "recovery/recovery_report.hpp"

#include <boost/json.hpp>

namespace solo {

boost::json::value to_json(const RecoveryReport& report) {
  boost::json::object steps;
  for (const auto& [name, ms] : report.steps) steps[name] = ms;
  boost::json::array inconsistencies;
  for (const auto& text : report.inconsistencies) inconsistencies.emplace_back(text);
  return boost::json::object{
      {"previous_shutdown", report.previous_shutdown},
      {"recovered", report.recovered},
      {"skipped", report.skipped},
      {"failed", report.failed},
      {"tokens_restored", report.tokens_restored},
      {"duration_ms", report.duration_ms},
      {"steps", std::move(steps)},
      {"integrity_check", report.integrity_check},
      {"verification",
       boost::json::object{{"status", report.verification_status},
                           {"inconsistencies", std::move(inconsistencies)},
                           {"fixes_applied", report.fixes_applied}}},
  };
}

boost::json::object recovery_summary(const RecoveryReport& report) {
  return boost::json::object{
      {"previous_shutdown", report.previous_shutdown},
      {"recovered", report.recovered},
      {"recovery_failed", report.failed},
      {"skipped", report.skipped},
      {"tokens_restored", report.tokens_restored},
      {"duration_ms", report.duration_ms},
      {"integrity_check", report.integrity_check},
  };
}

}  // namespace solo
