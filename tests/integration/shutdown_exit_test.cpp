// The real `solo serve`: a shutdown step cut off at its deadline makes the
// exit code 4 (docs/operations.md, "Exit codes of `solo serve`"), the step is
// named on stderr, and the log still ends with system_shutdown_complete.
//
// Provoked with a short --shutdown-step-deadline-ms and a request still
// running when the drain starts: a service call that keeps the engine busy
// for about 3 s (its CPU limits raised by the admin), so the drain cannot
// finish within its 300 ms.
#include <cstdlib>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using solo::test::SoloProcess;

namespace {

// Busy for about 3 s of wall-clock time per call.
const char* kSpin = R"lua(
function handle_call(msg, state)
  local stop = os.time() + 3
  local n = 0
  while os.time() < stop do n = n + 1 end
  return { spun = n }, state
end
)lua";

// The value of one unlabelled gauge in the /metrics text, or -1.
double gauge(const std::string& metrics, const std::string& name) {
  auto at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atof(metrics.c_str() + at + name.size() + 2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shutdown_exit)

BOOST_AUTO_TEST_CASE(a_shutdown_step_cut_off_at_its_deadline_exits_4_and_names_the_step) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data", {"--shutdown-step-deadline-ms", "300"});
  auto client = solo.client();
  boost::json::object deploy{{"service_id", "spin"},
                             {"code", kSpin},
                             {"limits",
                              {{"cpu_ms_per_message", 10000},
                               {"instructions_per_message", 10000000000LL},
                               {"call_timeout_ms", 30000}}}};
  auto deployed = client.request("POST", "/services", boost::json::serialize(deploy));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);

  // The call runs on its own connection; the server cuts it when it stops.
  std::thread caller([&solo] {
    try {
      auto spinning = solo.client();
      spinning.request("POST", "/services/spin/call", "{}");
    } catch (const std::exception&) {
    }
  });
  // In flight: the spinning call, and the /metrics request asking.
  bool in_flight = solo::test::eventually([&client] {
    auto metrics = client.request("GET", "/metrics");
    return gauge(metrics.body, "solo_http_in_flight") >= 2;
  });
  BOOST_TEST_REQUIRE(in_flight);

  auto code = solo.terminate(std::chrono::seconds(30));
  caller.join();
  BOOST_TEST(code.value_or(-1) == 4, solo.errors());
  BOOST_TEST(solo.errors().find("shutdown step drain_requests: timeout") != std::string::npos, solo.errors());

  // Nothing acknowledged was lost: the next start finds a clean stop.
  SoloProcess again(dir / "data");
  auto recovery = again.client().request("GET", "/system/recovery");
  BOOST_TEST(recovery.status == 200, recovery.body);
  BOOST_TEST(boost::json::parse(recovery.body).at("previous_shutdown").as_string() == "clean", recovery.body);
  BOOST_TEST(again.terminate().value_or(-1) == 0, again.errors());
}

BOOST_AUTO_TEST_SUITE_END()
