// Tests for apps/kernel: the System children start in the order of
// docs/architecture.md ("The supervision tree"), each ready before the next
// starts (when the supervisor reports a child started, what it provides
// exists and what the next one provides does not yet); a clean shutdown
// exits 0 with every step ok; and the exit code of a finished shutdown
// (apps/exit_codes.hpp).
#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "apps/exit_codes.hpp"
#include "apps/kernel.hpp"
#include "engine/services/deployer.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "support/async_test.hpp"

namespace asio = boost::asio;

namespace {

// What a started child provides, as the Kernel shows it.
struct Provided {
  bool events = false;
  bool services = false;
  bool deployer = false;
  bool capabilities = false;
  bool vault = false;
  bool registry = false;
  bool telemetry = false;
  bool shedder = false;
};

Provided provided(const solo::Kernel& kernel) {
  return {kernel.events() != nullptr,       kernel.services() != nullptr, kernel.deployer() != nullptr,
          kernel.capabilities() != nullptr, kernel.vault() != nullptr,    kernel.registry() != nullptr,
          kernel.telemetry() != nullptr,    kernel.load_shedder() != nullptr};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kernel)

BOOST_AUTO_TEST_CASE(system_children_start_in_the_documented_order_each_ready_before_the_next) {
  asio::io_context io;
  solo::test::TempDir dir;
  solo::KernelOptions options;
  options.data_dir = dir / "data";
  options.http.port = 0;
  auto kernel = solo::Kernel::create(io.get_executor(), std::move(options));
  std::vector<std::string> started;
  std::map<std::string, Provided> at_start;
  solo::Kernel* raw = kernel.get();
  kernel->on_system_event([&started, &at_start, raw](const solo::SupervisorEvent& event) {
    if (event.kind != "child_started") return;
    started.push_back(event.child);
    at_start[event.child] = provided(*raw);
  });

  solo::test::run_awaitable(io, kernel->boot());

  const std::vector<std::string> documented = {
      "event_store",        "resource_monitor", "service_directory", "storage_directory", "deployer",
      "replayer",           "capability_manager", "load_shedder",    "vault",
      "service_registry",   "tenant_quotas",    "telemetry",         "gateway"};
  BOOST_TEST(started == documented, boost::test_tools::per_element());

  // Ready means its part exists; the next child has not started yet.
  BOOST_TEST(at_start["event_store"].events);
  BOOST_TEST(!at_start["event_store"].services);
  BOOST_TEST(at_start["service_directory"].services);
  BOOST_TEST(!at_start["service_directory"].deployer);
  BOOST_TEST(at_start["deployer"].deployer);
  BOOST_TEST(at_start["capability_manager"].capabilities);
  BOOST_TEST(!at_start["capability_manager"].shedder);
  BOOST_TEST(at_start["load_shedder"].shedder);
  BOOST_TEST(!at_start["load_shedder"].vault);
  BOOST_TEST(at_start["vault"].vault);
  BOOST_TEST(!at_start["vault"].registry);
  BOOST_TEST(at_start["service_registry"].registry);
  BOOST_TEST(!at_start["tenant_quotas"].telemetry);
  BOOST_TEST(at_start["telemetry"].telemetry);

  // The Telemetry child's collectors cover the children before it.
  auto metrics = kernel->telemetry()->render();
  for (const char* name : {"solo_uptime_seconds", "solo_last_event_id", "solo_services", "solo_http_connections",
                           "solo_ws_connections"}) {
    BOOST_TEST(metrics.find(name) != std::string::npos, name);
  }

  int code = solo::test::run_awaitable(io, kernel->shutdown());
  BOOST_TEST(code == solo::exit_codes::clean);
  for (const auto& step : kernel->shutdown_results()) BOOST_TEST(step.outcome == "ok", step.name);
}

BOOST_AUTO_TEST_CASE(a_shutdown_step_cut_off_or_failed_makes_the_exit_code_non_zero) {
  using solo::ShutdownStepResult;
  using namespace std::chrono_literals;
  const std::vector<ShutdownStepResult> clean = {{"drain_requests", "ok", 3ms}, {"complete", "ok", 1ms}};
  const std::vector<ShutdownStepResult> timed_out = {{"drain_requests", "timeout", 5000ms}, {"complete", "ok", 1ms}};
  const std::vector<ShutdownStepResult> failed = {{"stop_system", "error: boom", 1ms}, {"complete", "ok", 1ms}};
  BOOST_TEST(solo::exit_codes::after_shutdown(true, clean) == 0);
  BOOST_TEST(solo::exit_codes::after_shutdown(true, timed_out) == solo::exit_codes::shutdown_step_failed);
  BOOST_TEST(solo::exit_codes::after_shutdown(true, failed) == solo::exit_codes::shutdown_step_failed);
  BOOST_TEST(solo::exit_codes::shutdown_step_failed != 0);
  // A failed final flush is the more serious outcome, whatever the steps did.
  BOOST_TEST(solo::exit_codes::after_shutdown(false, timed_out) == solo::exit_codes::failed);
  BOOST_TEST(solo::exit_codes::after_shutdown(false, clean) == solo::exit_codes::failed);
}

BOOST_AUTO_TEST_SUITE_END()
