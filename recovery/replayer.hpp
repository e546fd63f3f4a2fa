// The Replayer: recovery at start (docs/operations.md). Runs once per start (the
// temporary System child after the Deployer) and brings every service that
// should run back with its latest code:
//
//   1 previous shutdown   clean (the last event is system_shutdown_complete),
//                         crash, or first start; after a crash, PRAGMA
//                         quick_check on the database
//   2 plan                the `services` table (the desired state, written in
//                         the same transaction as every lifecycle event), so
//                         the work follows the number of live services, not
//                         the length of the log; read from detect() on, and
//                         each row's sandbox made and compiled on worker
//                         threads (SandboxPreparer) from then on
//   3 redeploy            each planned service through Deployer::recover,
//                         with its prepared sandbox, in plan order, yielding
//                         to the io_context between services (the gateway
//                         answers /health meanwhile); events
//                         service_recovered / service_recovery_failed {reason}
//   4 verify              Verifier over registry, table and the log since the
//                         last verified id (MetaStore::verified_through; after
//                         a clean shutdown: nothing new to read), with the
//                         safe fixes; it appends verification_completed
//
// The report goes to the RecoveryTelemetry (metrics) when given one; the
// Kernel puts its summary (recovery_summary) into system_started.
//
// Engine thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "recovery/recovery_report.hpp"

namespace solo {

class Deployer;
class EventStore;
class RecoveryTelemetry;

struct ReplayerHooks {
  // Restores capability tokens; returns how many (set once security exists).
  std::function<boost::asio::awaitable<int64_t>()> restore_tokens;
};

class Replayer {
 public:
  Replayer(std::shared_ptr<EventStore> events, std::shared_ptr<Deployer> deployer, ReplayerHooks hooks = {},
           std::shared_ptr<RecoveryTelemetry> telemetry = nullptr)
      : events_(std::move(events)),
        deployer_(std::move(deployer)),
        hooks_(std::move(hooks)),
        telemetry_(std::move(telemetry)) {}

  // Step 1 alone: how the previous run ended. It looks at the last event
  // in the log, so it must run before this run appends anything (the Kernel
  // calls it first thing, before the rest of the tree starts); run() does it
  // itself when it was not done before.
  boost::asio::awaitable<void> detect();

  // Steps 1 to 4; returns the report.
  boost::asio::awaitable<RecoveryReport> run();

 private:
  // The integrity check after a crash runs beside the redeploy (its own
  // connection and thread); run() waits for it before it reports.
  struct PendingCheck;
  std::shared_ptr<PendingCheck> check_;
  // The plan is read, and its sandboxes prepared on a worker thread
  // (SandboxPreparer), from detect() on; run() takes them in plan order.
  struct PendingPlan;
  std::shared_ptr<PendingPlan> plan_;
  RecoveryReport report_;
  bool detected_ = false;
  std::chrono::steady_clock::time_point started_;
  std::shared_ptr<EventStore> events_;
  std::shared_ptr<Deployer> deployer_;
  ReplayerHooks hooks_;
  std::shared_ptr<RecoveryTelemetry> telemetry_;
};

}  // namespace solo
