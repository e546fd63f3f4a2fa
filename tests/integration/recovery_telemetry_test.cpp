// Recovery and verification telemetry through the real binary: after a crash
// whose data lost a `services` row (tampered with between the runs), GET
// /metrics shows what the start found and did (solo_recovery_*, solo_verification*),
// GET /events has verification_completed and system_started carries the
// recovery summary; POST /system/verify adds a run on request to both.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/sqlite.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

const char* kService = "function handle_call(msg, state) return { ok = true }, state end";

std::string deploy_body(const std::string& id) {
  return json::serialize(json::object{{"service_id", id}, {"code", kService}});
}

json::object get_json(const SoloProcess& solo, const std::string& target) {
  auto response = solo.client().request("GET", target);
  BOOST_TEST_REQUIRE(response.status == 200, target << ": " << response.body);
  return json::parse(response.body).as_object();
}

std::string metrics_of(const SoloProcess& solo) {
  auto response = solo.client().request("GET", "/metrics");
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  return response.body;
}

void expect_lines(const std::string& metrics, std::initializer_list<const char*> lines) {
  for (const char* line : lines) BOOST_TEST(metrics.find(line) != std::string::npos, line << " in\n" << metrics);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recovery_telemetry)

BOOST_AUTO_TEST_CASE(a_crash_start_reports_its_recovery_and_verification_in_metrics_and_events) {
  test::TempDir dir;
  auto data = dir / "data";
  {
    SoloProcess solo(data);
    for (const char* id : {"kept", "lost"}) {
      auto response = test::send(solo, "POST", "/services", deploy_body(id), solo.admin_token(), "acme");
      BOOST_TEST_REQUIRE(response.status == 201, response.body);
    }
    solo.kill9();
  }
  {
    // The row of "lost" goes missing while the log still says it was deployed.
    SqliteDatabase db(data / "solo.db", OpenOptions{});
    db.exec("DELETE FROM services WHERE service_id = 'lost'");
  }
  SoloProcess solo(data);
  expect_lines(metrics_of(solo), {"solo_recovery_previous_shutdown{kind=\"crash\"} 1\n",
                                  "solo_recovery_services{outcome=\"recovered\"} 1\n",
                                  "solo_recovery_services{outcome=\"failed\"} 0\n",
                                  "solo_recovery_integrity_check{result=\"ok\"} 1\n",
                                  "solo_recovery_step_duration_seconds{step=\"redeploy\"} ",
                                  "# TYPE solo_recovery_duration_seconds gauge\n",
                                  "solo_verifications_total{trigger=\"recovery\"} 1\n",
                                  "solo_verifications_total{trigger=\"request\"} 0\n",
                                  "solo_verification_inconsistencies_total{kind=\"orphaned_events\"} 1\n",
                                  "solo_verification_inconsistencies 1\n"});

  // One run per start: the first start's found nothing, this one the lost row.
  auto completed = get_json(solo, "/events?type=verification_completed").at("events").as_array();
  BOOST_TEST_REQUIRE(completed.size() == 2u);
  BOOST_TEST(completed[0].at("payload").at("status").as_string() == "ok");
  const auto& payload = completed[1].at("payload").as_object();
  BOOST_TEST(payload.at("trigger").as_string() == "recovery");
  BOOST_TEST(payload.at("status").as_string() == "warning");
  BOOST_TEST(payload.at("found").at("orphaned_events").as_int64() == 1);
  BOOST_TEST(json::serialize(payload.at("inconsistencies")).find("acme/lost") != std::string::npos, payload);

  auto started = get_json(solo, "/events?type=system_started").at("events").as_array();
  BOOST_TEST_REQUIRE(started.size() == 2u);
  const auto& summary = started[1].at("payload").as_object();
  BOOST_TEST(summary.at("previous_shutdown").as_string() == "crash");
  BOOST_TEST(summary.at("recovered").as_int64() == 1);
  BOOST_TEST(summary.at("recovery_failed").as_int64() == 0);
  BOOST_TEST(summary.at("integrity_check").as_string() == "ok");
  BOOST_TEST(summary.contains("duration_ms"));
  BOOST_TEST(summary.contains("pid"));

  // On request: one more run in the metrics and the log.
  auto verify = solo.client().request("POST", "/system/verify");
  BOOST_TEST_REQUIRE(verify.status == 200, verify.body);
  expect_lines(metrics_of(solo), {"solo_verifications_total{trigger=\"request\"} 1\n",
                                  "solo_verification_inconsistencies_total{kind=\"orphaned_events\"} 2\n"});
  BOOST_TEST(test::eventually([&] {
    return get_json(solo, "/events?type=verification_completed").at("events").as_array().size() == 3u;
  }));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
