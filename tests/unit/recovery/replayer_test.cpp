// Tests for recovery/replayer: how it tells a first start, a clean stop and a
// crash apart (the last event; after a crash PRAGMA quick_check), that the
// Verifier reads only the log after verified_through, that services come back
// with their latest code and a failed recovery is reported (report, events),
// the tokens hook, the report's figures in the RecoveryTelemetry, and the
// summary system_started carries. Real SQLite, EventStore, Supervisor and
// Deployer, restarted over the same file (recovery_harness.hpp).
#include "recovery/replayer.hpp"

#include <algorithm>

#include "recovery/recovery_telemetry.hpp"
#include "recovery_harness.hpp"

using namespace solo;
using namespace solo::test;

namespace {

struct Fixture : RecoveryHarness {
  std::shared_ptr<RecoveryTelemetry> telemetry = std::make_shared<RecoveryTelemetry>();

  RecoveryReport recover(ReplayerHooks hooks = {}) {
    return run(recover_task(events, deployer, std::move(hooks), telemetry));
  }

  static asio::awaitable<RecoveryReport> recover_task(std::shared_ptr<EventStore> events,
                                                      std::shared_ptr<Deployer> deployer, ReplayerHooks hooks,
                                                      std::shared_ptr<RecoveryTelemetry> telemetry) {
    Replayer replayer(events, deployer, std::move(hooks), telemetry);
    co_return co_await replayer.run();
  }

  // A lifecycle event with no row: the Verifier reports it when it reads it.
  int64_t append_ghost(const std::string& id) {
    return append(service_event("service_deployed", id, to_json(make_spec(id, kCounterV1))));
  }
};

std::vector<std::string> step_names(const RecoveryReport& report) {
  std::vector<std::string> names;
  for (const auto& [name, ms] : report.steps) names.push_back(name);
  return names;
}

bool has_step(const RecoveryReport& report, const std::string& name) {
  auto names = step_names(report);
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joined(const std::vector<std::string>& sentences) {
  std::string text;
  for (const auto& sentence : sentences) text += sentence + "\n";
  return text;
}

// The Verifier read the ghost written after the mark, not the one before it.
void expect_verified_from_the_mark(const RecoveryReport& report, const std::string& after, const std::string& before) {
  BOOST_TEST(has_sentence(report.inconsistencies, "orphaned events: ", "acme/" + after), joined(report.inconsistencies));
  BOOST_TEST(!has_sentence(report.inconsistencies, "orphaned events: ", "acme/" + before),
             joined(report.inconsistencies));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(replayer, Fixture)

BOOST_AUTO_TEST_CASE(an_empty_log_is_a_first_start_with_nothing_to_recover) {
  auto report = recover();
  BOOST_TEST(report.previous_shutdown == "first_start");
  BOOST_TEST(report.recovered == 0);
  BOOST_TEST(report.failed == 0);
  BOOST_TEST(report.integrity_check == "not_run");
  BOOST_TEST(report.verification_status == "ok");
  std::vector<std::string> expected = {"detect", "tokens", "plan", "redeploy", "verify"};
  BOOST_TEST(step_names(report) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(after_a_clean_stop_it_says_clean_and_verifies_only_what_follows_verified_through) {
  append_ghost("before-stop");  // an inconsistency the clean stop marked as verified
  restart(true);
  // detect() looks at the last event, so it runs before this run appends
  // anything (as the Kernel calls it); then one more inconsistency, after the mark.
  auto replayer = std::make_shared<Replayer>(events, deployer, ReplayerHooks{}, telemetry);
  run(replayer->detect());
  append_ghost("after-start");
  auto report = run(replayer->run());
  BOOST_TEST(report.previous_shutdown == "clean");
  BOOST_TEST(report.integrity_check == "not_run");
  BOOST_TEST(!has_step(report, "quick_check"));
  BOOST_TEST(report.verification_status == "warning");
  expect_verified_from_the_mark(report, "after-start", "before-stop");
}

BOOST_AUTO_TEST_CASE(after_a_crash_it_says_crash_checks_integrity_and_verifies_from_the_last_mark) {
  append_ghost("first-run");
  restart(true);  // a clean stop marks everything so far verified
  append_ghost("second-run");
  restart(false);  // then the process dies: no system_shutdown_complete, no new mark
  auto report = recover();
  BOOST_TEST(report.previous_shutdown == "crash");
  BOOST_TEST(report.integrity_check == "ok");
  BOOST_TEST(has_step(report, "quick_check"));
  expect_verified_from_the_mark(report, "second-run", "first-run");
}

BOOST_AUTO_TEST_CASE(a_crash_without_any_mark_verifies_the_whole_log) {
  append_ghost("ghost");
  restart(false);
  auto report = recover();
  BOOST_TEST(report.previous_shutdown == "crash");
  BOOST_TEST(has_sentence(report.inconsistencies, "orphaned events: ", "acme/ghost"), joined(report.inconsistencies));
}

BOOST_AUTO_TEST_CASE(services_come_back_with_their_latest_code_and_ended_ones_stay_gone) {
  deploy("counter", kCounterV1);
  run(deployer->swap("acme", "counter", kCounterV2, 0ms));
  deploy("plain", kCounterV1);
  deploy("gone", kCounterV1);
  run(deployer->kill("acme", "gone", false));
  restart(false);
  BOOST_TEST(!deployer->directory()->find("acme", "counter"));

  auto report = recover();
  BOOST_TEST(report.recovered == 2);
  BOOST_TEST(report.failed == 0);
  BOOST_TEST(report.skipped == 1);  // gone: the log's latest word for it is service_killed
  BOOST_TEST(report.verification_status == "ok", joined(report.inconsistencies));
  BOOST_TEST(report.fixes_applied == 0);
  auto counter = deployer->directory()->find("acme", "counter");
  BOOST_TEST_REQUIRE(counter);
  BOOST_TEST(counter->spec().version == 2);
  BOOST_TEST(call("counter").at("v").as_int64() == 2);
  BOOST_TEST(call("plain").at("v").as_int64() == 1);
  BOOST_TEST(!deployer->directory()->find("acme", "gone"));

  auto recovered = events_of("service_recovered");
  BOOST_TEST_REQUIRE(recovered.size() == 2u);
  BOOST_TEST(recovered[0].service_id == "counter");  // the plan is in (tenant, service) order
  BOOST_TEST(json::parse(recovered[0].payload).at("version").as_int64() == 2);
  BOOST_TEST(recovered[1].service_id == "plain");
  BOOST_TEST(events_of("service_recovery_failed").empty());
}

BOOST_AUTO_TEST_CASE(a_service_that_cannot_start_is_reported_as_failed_with_the_reason) {
  deploy("fine", kCounterV1);
  put_row(make_spec("broken", kInitFails));
  restart(false);
  auto report = recover();
  BOOST_TEST(report.recovered == 1);
  BOOST_TEST(report.failed == 1);
  BOOST_TEST(!deployer->directory()->find("acme", "broken"));
  BOOST_TEST(deployer->directory()->find("acme", "fine"));
  auto failed = events_of("service_recovery_failed");
  BOOST_TEST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(failed[0].service_id == "broken");
  auto reason = std::string(json::parse(failed[0].payload).at("reason").as_string());
  BOOST_TEST(reason.find("no db") != std::string::npos, reason);
  // The Verifier sees it missing too, tries once more, and says why it could not.
  BOOST_TEST(report.verification_status == "warning");
  BOOST_TEST(has_sentence(report.inconsistencies, "missing: acme/broken", "(could not start: "),
             joined(report.inconsistencies));
  BOOST_TEST(report.fixes_applied == 0);
}

// The sandboxes are made on a worker thread; the top level still runs on
// the engine thread with the service's host, and code that does not compile
// fails as it did when the start compiled it.
BOOST_AUTO_TEST_CASE(a_top_level_that_calls_its_host_runs_once_and_code_that_does_not_compile_fails_with_its_line) {
  put_row(make_spec("talker", "solo.emit('loaded', {n = 1})\nfunction handle_call(m, s) return {ok = true}, s end"));
  put_row(make_spec("nocompile", "function handle_call(m, s) return 1, s end\nfunction ("));
  restart(false);
  auto report = recover();
  BOOST_TEST(report.recovered == 1);
  BOOST_TEST(report.failed == 1);
  BOOST_TEST(call("talker").at("ok").as_bool());
  auto emitted = events_of("service_event");
  BOOST_TEST_REQUIRE(emitted.size() == 1u);  // once, from the recovered top level
  BOOST_TEST(emitted[0].service_id == "talker");
  BOOST_TEST(json::parse(emitted[0].payload).at("kind").as_string() == "loaded");
  auto failed = events_of("service_recovery_failed");
  BOOST_TEST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(failed[0].service_id == "nocompile");
  auto reason = std::string(json::parse(failed[0].payload).at("reason").as_string());
  BOOST_TEST(reason.find("[string \"service\"]:2:") != std::string::npos, reason);
}

BOOST_AUTO_TEST_CASE(the_tokens_hook_runs_and_its_count_is_reported) {
  int calls = 0;
  ReplayerHooks hooks;
  hooks.restore_tokens = [&calls]() -> asio::awaitable<int64_t> {
    ++calls;
    co_return 3;
  };
  auto report = recover(std::move(hooks));
  BOOST_TEST(calls == 1);
  BOOST_TEST(report.tokens_restored == 3);
}

BOOST_AUTO_TEST_CASE(the_report_reaches_the_metrics_and_the_verification_its_event) {
  std::string before;
  telemetry->render_metrics(before);
  BOOST_TEST(before.find("solo_recovery_") == std::string::npos, before);  // nothing recovered yet

  deploy("counter", kCounterV1);
  put_row(make_spec("broken", kInitFails));
  restart(false);
  auto report = recover();
  std::string metrics;
  telemetry->render_metrics(metrics);
  for (const char* line :
       {"solo_recovery_previous_shutdown{kind=\"crash\"} 1\n", "solo_recovery_previous_shutdown{kind=\"clean\"} 0\n",
        "solo_recovery_services{outcome=\"recovered\"} 1\n", "solo_recovery_services{outcome=\"failed\"} 1\n",
        "solo_recovery_services{outcome=\"skipped\"} 0\n", "solo_recovery_integrity_check{result=\"ok\"} 1\n",
        "solo_recovery_step_duration_seconds{step=\"redeploy\"} ", "solo_recovery_step_duration_seconds{step=\"quick_check\"} ",
        "# TYPE solo_recovery_duration_seconds gauge\n", "solo_verifications_total{trigger=\"recovery\"} 1\n",
        "solo_verification_inconsistencies_total{kind=\"missing\"} 1\n"}) {
    BOOST_TEST(metrics.find(line) != std::string::npos, line << " in\n" << metrics);
  }
  auto completed = events_of("verification_completed");
  BOOST_TEST_REQUIRE(completed.size() == 1u);
  BOOST_TEST(json::parse(completed[0].payload).at("trigger").as_string() == "recovery");
}

BOOST_AUTO_TEST_CASE(the_summary_for_system_started_carries_the_reports_figures) {
  deploy("counter", kCounterV1);
  restart(false);
  auto report = recover();
  report.tokens_restored = 2;  // the Kernel adds the capability manager's count
  auto summary = recovery_summary(report);
  BOOST_TEST(summary.at("previous_shutdown").as_string() == "crash");
  BOOST_TEST(summary.at("recovered").as_int64() == 1);
  BOOST_TEST(summary.at("recovery_failed").as_int64() == 0);
  BOOST_TEST(summary.at("skipped").as_int64() == 0);
  BOOST_TEST(summary.at("tokens_restored").as_int64() == 2);
  BOOST_TEST(summary.at("duration_ms").as_int64() == report.duration_ms);
  BOOST_TEST(summary.at("integrity_check").as_string() == "ok");
}

BOOST_AUTO_TEST_SUITE_END()
