#include "recovery/replayer.hpp"

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "base/wakeup.hpp"
#include "engine/services/deployer.hpp"
#include "recovery/recovery_telemetry.hpp"
#include "recovery/sandbox_preparer.hpp"
#include "recovery/verifier.hpp"
#include "stores/event_store.hpp"
#include "stores/meta_store.hpp"
#include "stores/service_store.hpp"

namespace solo {

namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

NewEvent recovery_event(std::string type, const std::string& tenant, const std::string& service,
                        boost::json::object payload) {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = tenant;
  event.service_id = service;
  event.payload = std::move(payload);
  return event;
}

boost::json::object version_payload(int64_t version) { return {{"version", version}}; }
boost::json::object reason_payload(const std::string& reason) { return {{"reason", reason}}; }

}  // namespace

// The plan, read in the background from detect() on; its sandboxes are
// prepared on a worker as soon as it is read.
struct Replayer::PendingPlan {
  explicit PendingPlan(boost::asio::any_io_executor executor) : wakeup(std::move(executor)) {}
  bool done = false;
  std::exception_ptr error;
  std::shared_ptr<const std::vector<ServiceRow>> rows;
  std::unique_ptr<SandboxPreparer> preparer;
  int64_t took_ms = 0;
  Wakeup wakeup;
};

struct Replayer::PendingCheck {
  explicit PendingCheck(boost::asio::any_io_executor executor) : wakeup(std::move(executor)) {}
  bool done = false;
  std::string result;
  int64_t took_ms = 0;
  Wakeup wakeup;
};

boost::asio::awaitable<void> Replayer::detect() {
  started_ = Clock::now();
  auto& report = report_;
  // Read synchronously, before the first suspension: nothing of this run is in the log yet.
  int64_t last_id = events_->committed_id();
  if (last_id > 0) {
    EventQuery query;
    query.after_id = last_id - 1;
    query.limit = 1;
    auto last = co_await events_->query(query);
    bool clean = !last.empty() && last.front().event_type == "system_shutdown_complete";
    report.previous_shutdown = clean ? "clean" : "crash";
    if (!clean) {
      auto executor = co_await boost::asio::this_coro::executor;
      auto check = std::make_shared<PendingCheck>(executor);
      check_ = check;
      boost::asio::co_spawn(executor, events_->quick_check(),
                            [check, begun = Clock::now()](std::exception_ptr error,
                                                          std::optional<std::string> result) {
                              // nullopt: the backend has no check of its own (PostgreSQL).
                              check->result = error ? "the check could not run" : result.value_or("not_run");
                              check->took_ms = ms_since(begun);
                              check->done = true;
                              check->wakeup.notify();
                            });
    }
  }
  // The plan is read now, and the sandboxes prepared, while the rest of the
  // tree starts: nothing changes the services table before run() (the
  // gateway refuses every request but /health while solo is starting).
  auto executor = co_await boost::asio::this_coro::executor;
  auto plan = std::make_shared<PendingPlan>(executor);
  plan_ = plan;
  std::function<std::vector<ServiceRow>(Database&)> load = [](Database& db) { return load_service_rows(db); };
  boost::asio::co_spawn(
      executor, events_->read<std::vector<ServiceRow>>(std::move(load)),
      [plan, executor, begun = Clock::now()](std::exception_ptr error, std::vector<ServiceRow> rows) {
        plan->error = error;
        if (!error) {
          plan->rows = std::make_shared<const std::vector<ServiceRow>>(std::move(rows));
          plan->preparer = std::make_unique<SandboxPreparer>(executor, plan->rows);
        }
        plan->took_ms = ms_since(begun);
        plan->done = true;
        plan->wakeup.notify();
      });
  report.steps.emplace_back("detect", ms_since(started_));
  detected_ = true;
}

boost::asio::awaitable<RecoveryReport> Replayer::run() {
  if (!detected_) co_await detect();
  auto report = std::move(report_);
  auto started = started_;

  // Tokens (the security layer), before any request is served.
  auto step_start = Clock::now();
  if (hooks_.restore_tokens) report.tokens_restored = co_await hooks_.restore_tokens();
  report.steps.emplace_back("tokens", ms_since(step_start));

  // 2: the plan is the desired state (read since detect()).
  auto plan = plan_;
  while (!plan->done) co_await plan->wakeup.wait();
  if (plan->error) std::rethrow_exception(plan->error);
  report.steps.emplace_back("plan", plan->took_ms);  // the read, beside the tree's start

  // 3: redeploy, yielding between services so the gateway stays responsive.
  step_start = Clock::now();
  auto executor = co_await boost::asio::this_coro::executor;
  const auto& rows = *plan->rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    std::string failure;
    try {
      auto prepared = co_await plan->preparer->take(i);
      if (prepared.spec) {
        co_await deployer_->recover(std::move(*prepared.spec), row.created_at, std::move(prepared.compiled));
      } else {
        co_await deployer_->recover(row);  // it fails to parse the spec, and says why
      }
    } catch (const std::exception& error) {
      failure = error.what();
    }
    if (failure.empty()) {
      ++report.recovered;
      events_->append(recovery_event("service_recovered", row.tenant_id, row.service_id, version_payload(row.version)));
    } else {
      ++report.failed;
      events_->append(
          recovery_event("service_recovery_failed", row.tenant_id, row.service_id, reason_payload(failure)));
    }
    if (i % 32 == 31) co_await boost::asio::post(executor, boost::asio::use_awaitable);
  }
  co_await events_->flush();
  plan->preparer.reset();  // the worker is done: joined at once
  report.steps.emplace_back("redeploy", ms_since(step_start));

  // 4: verify what changed since the last verified point.
  step_start = Clock::now();
  std::function<int64_t(Database&)> read_mark = [](Database& db) { return MetaStore::verified_through(db); };
  int64_t since = co_await events_->read<int64_t>(std::move(read_mark));
  Verifier verifier(events_, deployer_, telemetry_);
  auto verification = co_await verifier.verify(since, true, VerifyTrigger::recovery);
  report.verification_status = verification.status;
  report.inconsistencies = std::move(verification.inconsistencies);
  report.fixes_applied = verification.fixes_applied;
  report.skipped = verification.ended_in_log;
  report.steps.emplace_back("verify", ms_since(step_start));
  if (check_) {
    while (!check_->done) co_await check_->wakeup.wait();
    report.integrity_check = check_->result;
    report.steps.emplace_back("quick_check", check_->took_ms);  // beside plan and redeploy, not after
  }
  report.duration_ms = ms_since(started);
  if (telemetry_) telemetry_->record(report);
  co_return report;
}

}  // namespace solo
