// Tests for recovery/verifier: each inconsistency it reports (missing,
// killed_but_alive, orphaned_service, version_mismatch, orphaned_events,
// stale_row), each fix it applies (start what is missing, stop what the log
// ended) and what it leaves alone, the since_id window, and what every run
// leaves behind (verification_completed, the RecoveryTelemetry figures).
// Real SQLite, EventStore, Supervisor and Deployer (recovery_harness.hpp).
#include "recovery/verifier.hpp"

#include "engine/storage/storage_directory.hpp"
#include "recovery/recovery_telemetry.hpp"
#include "recovery_harness.hpp"

using namespace solo;
using namespace solo::test;

namespace {

struct Fixture : RecoveryHarness {
  std::shared_ptr<RecoveryTelemetry> telemetry = std::make_shared<RecoveryTelemetry>();

  VerificationResult verify(int64_t since_id, bool auto_fix, VerifyTrigger trigger = VerifyTrigger::request) {
    return run(verify_task(events, deployer, telemetry, since_id, auto_fix, trigger));
  }

  static asio::awaitable<VerificationResult> verify_task(std::shared_ptr<EventStore> events,
                                                         std::shared_ptr<Deployer> deployer,
                                                         std::shared_ptr<RecoveryTelemetry> telemetry,
                                                         int64_t since_id, bool auto_fix, VerifyTrigger trigger) {
    Verifier verifier(events, deployer, telemetry);
    co_return co_await verifier.verify(since_id, auto_fix, trigger);
  }
};

int64_t count(const std::map<std::string, int64_t>& by_kind, const std::string& kind) {
  auto it = by_kind.find(kind);
  return it == by_kind.end() ? 0 : it->second;
}

std::string joined(const VerificationResult& result) {
  std::string text;
  for (const auto& sentence : result.inconsistencies) text += sentence + "\n";
  return text;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(verifier, Fixture)

BOOST_AUTO_TEST_CASE(a_consistent_system_is_ok_and_counts_the_services_the_log_ended) {
  deploy("counter", kCounterV1);
  deploy("gone", kCounterV1);
  run(deployer->kill("acme", "gone", false));
  run(events->flush());
  int64_t committed = events->committed_id();
  auto result = verify(0, true);
  BOOST_TEST(result.status == "ok");
  BOOST_TEST(result.inconsistencies.empty(), joined(result));
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(result.ended_in_log == 1);
  BOOST_TEST(result.verified_through == committed);  // what was committed when it began
  BOOST_TEST(deployer->directory()->find("acme", "counter"));
}

BOOST_AUTO_TEST_CASE(a_missing_service_is_started_from_its_row_with_the_tables_version) {
  deploy("counter", kCounterV1);
  run(deployer->swap("acme", "counter", kCounterV2, 0ms));
  restart(false);  // nothing runs now; the row says version 2
  BOOST_TEST(!deployer->directory()->find("acme", "counter"));

  auto result = verify(0, true);
  BOOST_TEST(result.status == "warning");
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(result.inconsistencies[0] == "missing: acme/counter is in the services table but not running (started)");
  BOOST_TEST(count(result.found, "missing") == 1);
  BOOST_TEST(count(result.fixed, "missing") == 1);
  BOOST_TEST(result.fixes_applied == 1);
  auto actor = deployer->directory()->find("acme", "counter");
  BOOST_TEST_REQUIRE(actor);
  BOOST_TEST(actor->spec().version == 2);
  BOOST_TEST(call("counter").at("v").as_int64() == 2);  // the latest code, not the first

  // Fixed: the next run finds nothing.
  auto again = verify(0, true);
  BOOST_TEST(again.inconsistencies.empty(), joined(again));
}

BOOST_AUTO_TEST_CASE(without_auto_fix_a_missing_service_is_only_reported) {
  deploy("counter", kCounterV1);
  restart(false);
  auto result = verify(0, false);
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(result.inconsistencies[0] == "missing: acme/counter is in the services table but not running");
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(!deployer->directory()->find("acme", "counter"));
}

BOOST_AUTO_TEST_CASE(a_missing_service_that_cannot_start_is_reported_with_the_reason_and_not_counted_as_fixed) {
  put_row(make_spec("broken", kInitFails));
  auto result = verify(0, true);
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(has_sentence(result.inconsistencies, "missing: acme/broken", "(could not start: "), joined(result));
  BOOST_TEST(has_sentence(result.inconsistencies, "missing: acme/broken", "no db"), joined(result));
  BOOST_TEST(count(result.found, "missing") == 1);
  BOOST_TEST(result.fixed.empty());
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(!deployer->directory()->find("acme", "broken"));
}

BOOST_AUTO_TEST_CASE(a_service_the_log_killed_that_still_runs_is_stopped) {
  deploy("counter", kCounterV1);
  deploy("failed", kCounterV1);
  // The kill (and a failed deploy) reached the log and the table, but the
  // actors were never stopped.
  int64_t killed = append(service_event("service_killed", "counter"), remove_row("counter"));
  int64_t failed = append(service_event("service_deployment_failed", "failed"), remove_row("failed"));
  auto result = verify(0, true);
  BOOST_TEST(result.status == "warning");
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 2u, joined(result));
  BOOST_TEST(result.inconsistencies[0] == "killed but alive: acme/counter runs although event " +
                                              std::to_string(killed) + " (service_killed) ended it (stopped)");
  BOOST_TEST(result.inconsistencies[1] == "killed but alive: acme/failed runs although event " +
                                              std::to_string(failed) + " (service_deployment_failed) ended it (stopped)");
  BOOST_TEST(count(result.found, "killed_but_alive") == 2);
  BOOST_TEST(count(result.fixed, "killed_but_alive") == 2);
  BOOST_TEST(result.fixes_applied == 2);
  BOOST_TEST(!deployer->directory()->find("acme", "counter"));
  BOOST_TEST(!deployer->directory()->find("acme", "failed"));
  BOOST_TEST(events_of("service_killed").size() == 3u);  // ours, and one per stop
}

BOOST_AUTO_TEST_CASE(without_auto_fix_a_killed_service_that_runs_is_only_reported) {
  deploy("counter", kCounterV1);
  append(service_event("service_killed", "counter"), remove_row("counter"));
  auto result = verify(0, false);
  BOOST_TEST(has_sentence(result.inconsistencies, "killed but alive: acme/counter"), joined(result));
  BOOST_TEST(!has_sentence(result.inconsistencies, "killed but alive: acme/counter", "(stopped)"), joined(result));
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(deployer->directory()->find("acme", "counter"));
}

BOOST_AUTO_TEST_CASE(a_running_service_without_a_row_is_reported_as_orphaned_and_left_running) {
  deploy("counter", kCounterV1);
  // The row is gone, but the log's latest word is still service_deployed:
  // the table and the log disagree, so stopping it would not be safe.
  append(service_event("test_tamper", "counter"), remove_row("counter"));
  auto result = verify(0, true);
  BOOST_TEST(result.status == "warning");
  BOOST_TEST(has_sentence(result.inconsistencies, "orphaned service: acme/counter runs without a services row"),
             joined(result));
  BOOST_TEST(count(result.found, "orphaned_service") == 1);
  // The log's side of the same disagreement.
  BOOST_TEST(has_sentence(result.inconsistencies, "orphaned events: event ", "says acme/counter runs"), joined(result));
  BOOST_TEST(count(result.found, "orphaned_events") == 1);
  BOOST_TEST(result.inconsistencies.size() == 2u, joined(result));
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(deployer->directory()->find("acme", "counter"));
  BOOST_TEST(call("counter").at("v").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(a_service_running_another_version_than_the_table_is_reported) {
  deploy("counter", kCounterV1);
  auto newer = make_spec("counter", kCounterV2);
  newer.version = 2;
  append(service_event("test_tamper", "counter"), write_row(newer));
  auto result = verify(0, true);
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(result.inconsistencies[0] == "version mismatch: acme/counter runs version 1, the table says 2");
  BOOST_TEST(count(result.found, "version_mismatch") == 1);
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(call("counter").at("v").as_int64() == 1);  // left as it runs
}

BOOST_AUTO_TEST_CASE(a_log_that_says_a_service_runs_without_a_row_is_reported_as_orphaned_events) {
  int64_t ghost = append(service_event("service_deployed", "ghost", to_json(make_spec("ghost", kCounterV1))));
  auto result = verify(0, true);
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(result.inconsistencies[0] == "orphaned events: event " + std::to_string(ghost) +
                                              " (service_deployed) says acme/ghost runs, but the services table "
                                              "has no row");
  BOOST_TEST(count(result.found, "orphaned_events") == 1);
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(!deployer->directory()->find("acme", "ghost"));  // the table is the desired state: not started
}

BOOST_AUTO_TEST_CASE(a_row_whose_service_a_later_event_ended_is_reported_as_stale) {
  deploy("counter", kCounterV1);
  int64_t killed = append(service_event("service_killed", "counter"));  // the row was not removed
  auto result = verify(0, true);
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(result.inconsistencies[0] == "stale row: acme/counter is in the services table although event " +
                                              std::to_string(killed) + " (service_killed) ended it");
  BOOST_TEST(count(result.found, "stale_row") == 1);
  BOOST_TEST(result.fixes_applied == 0);
  BOOST_TEST(rows().size() == 1u);
  BOOST_TEST(deployer->directory()->find("acme", "counter"));
}

BOOST_AUTO_TEST_CASE(only_lifecycle_events_after_since_id_are_checked) {
  append(service_event("service_deployed", "early", to_json(make_spec("early", kCounterV1))));
  int64_t mark = events->committed_id();
  append(service_event("service_deployed", "late", to_json(make_spec("late", kCounterV1))));
  auto result = verify(mark, false);
  BOOST_TEST(result.since_id == mark);
  BOOST_TEST_REQUIRE(result.inconsistencies.size() == 1u, joined(result));
  BOOST_TEST(has_sentence(result.inconsistencies, "orphaned events: ", "acme/late"), joined(result));
  BOOST_TEST(verify(0, false).inconsistencies.size() == 2u);
}

BOOST_AUTO_TEST_CASE(each_run_appends_verification_completed_and_records_its_figures) {
  deploy("counter", kCounterV1);
  restart(false);
  auto result = verify(0, true, VerifyTrigger::recovery);
  auto completed = events_of("verification_completed");
  BOOST_TEST_REQUIRE(completed.size() == 1u);
  auto payload = json::parse(completed[0].payload).as_object();
  BOOST_TEST(payload.at("trigger").as_string() == "recovery");
  BOOST_TEST(payload.at("status").as_string() == "warning");
  BOOST_TEST(payload.at("since_id").as_int64() == 0);
  BOOST_TEST(payload.at("verified_through").as_int64() == result.verified_through);
  BOOST_TEST(payload.at("found").at("missing").as_int64() == 1);
  BOOST_TEST(payload.at("fixed").at("missing").as_int64() == 1);
  BOOST_TEST(payload.at("fixes_applied").as_int64() == 1);
  BOOST_TEST_REQUIRE(payload.at("inconsistencies").as_array().size() == 1u);
  BOOST_TEST(payload.at("inconsistencies").as_array()[0].as_string() == result.inconsistencies[0]);
  BOOST_TEST(completed[0].tenant_id == "");  // a system event: the admin's, not the tenant's

  verify(0, true);  // on request, finding nothing
  completed = events_of("verification_completed");
  BOOST_TEST_REQUIRE(completed.size() == 2u);
  BOOST_TEST(json::parse(completed[1].payload).at("trigger").as_string() == "request");
  BOOST_TEST(json::parse(completed[1].payload).at("status").as_string() == "ok");

  std::string metrics;
  telemetry->render_metrics(metrics);
  for (const char* line : {"solo_verifications_total{trigger=\"recovery\"} 1\n",
                           "solo_verifications_total{trigger=\"request\"} 1\n",
                           "solo_verification_inconsistencies_total{kind=\"missing\"} 1\n",
                           "solo_verification_inconsistencies_total{kind=\"stale_row\"} 0\n",
                           "solo_verification_fixes_total{kind=\"missing\"} 1\n",
                           "solo_verification_fixes_total{kind=\"killed_but_alive\"} 0\n",
                           "solo_verification_inconsistencies 0\n", "# TYPE solo_verifications_total counter\n"}) {
    BOOST_TEST(metrics.find(line) != std::string::npos, line << " in\n" << metrics);
  }
  // No recovery ran through this telemetry: its families are not rendered.
  BOOST_TEST(metrics.find("solo_recovery_") == std::string::npos, metrics);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(verifier_storage)

// solo.storage: data kept by a kill without purge is an orphan; data past a
// limit lowered after it was written is over quota. Both reported, nothing fixed.
BOOST_AUTO_TEST_CASE(orphaned_and_over_quota_storage_are_reported) {
  Fixture f;
  StorageLimits limits{1 << 20, 100, 4 << 20, 1000};
  StorageLimitsFn fn = [&limits](const std::string&, const std::string&) { return limits; };
  auto executor = f.io.get_executor();
  auto storage = f.run(StorageDirectory::load(executor, f.events, std::move(fn)));
  f.deployer->world()->storage = storage;
  f.deploy("counter", kCounterV1);
  f.run(storage->put("acme", "counter", "a", "1"));
  f.run(storage->put("acme", "counter", "b", "2"));
  auto clean = f.verify(0, true);
  BOOST_TEST(clean.inconsistencies.empty(), joined(clean));

  f.run(f.deployer->kill("acme", "counter", false));
  auto orphan = f.verify(0, true);
  BOOST_TEST(count(orphan.found, inconsistency::kOrphanedStorage) == 1);
  BOOST_TEST(joined(orphan).find("acme/counter holds 2 keys") != std::string::npos, joined(orphan));
  BOOST_TEST(orphan.fixes_applied == 0);
  BOOST_TEST(storage->use("acme", "counter").keys == 2u);  // reported, never deleted

  limits.service_keys = 1;
  limits.tenant_bytes = 2;
  auto over = f.verify(0, true);
  BOOST_TEST(count(over.found, inconsistency::kStorageOverQuota) == 2);  // the service's and the tenant's
}

BOOST_AUTO_TEST_SUITE_END()
