// The Verifier: compares the three views of which services exist —
//   running   the Deployer's registry of actors (what runs now)
//   table     the `services` projection (the desired state)
//   log       the latest lifecycle event per service (the history)
// — and reports what disagrees: missing (in the table, not running),
// orphaned (running, not in the table), killed-but-alive (running, the log's
// latest word is a kill), version mismatch (running another version than the
// table), orphaned events (the log says it runs, the table has no row) and
// stale rows (a row whose service the log says is gone).
//
// Fixes what is safe: starts what is missing, stops what was killed. The rest
// is reported. The log is read only for lifecycle events after `since_id`
// (the last verified id), in pages, through the (event_type, id) index.
//
// Engine thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace solo {

class Deployer;
class EventStore;

struct VerificationResult {
  std::string status = "ok";  // "ok" | "warning"
  std::vector<std::string> inconsistencies;
  int64_t fixes_applied = 0;
  int64_t ended_in_log = 0;  // services whose latest lifecycle event ended them (killed, failed)
  int64_t verified_through = 0;  // the last event id the log check covered
};

class Verifier {
 public:
  Verifier(std::shared_ptr<EventStore> events, std::shared_ptr<Deployer> deployer)
      : events_(std::move(events)), deployer_(std::move(deployer)) {}

  // since_id: lifecycle events after it are cross-checked with the table
  // (0 = the whole log). auto_fix: apply the safe fixes.
  boost::asio::awaitable<VerificationResult> verify(int64_t since_id, bool auto_fix);

 private:
  std::shared_ptr<EventStore> events_;
  std::shared_ptr<Deployer> deployer_;
};

}  // namespace solo
