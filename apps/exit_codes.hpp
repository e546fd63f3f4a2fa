// The exit codes of `solo serve` (docs/operations.md, "Exit codes"). The CLI's
// client verbs have their own (docs/cli.md); 3 is theirs ("cannot connect"),
// so a server's codes skip it and a script can tell the two apart.
#pragma once

#include <vector>

#include "engine/shutdown/shutdown_sequence.hpp"

namespace solo::exit_codes {

// Stopped by a signal or POST /system/shutdown; every shutdown step finished
// within its deadline and the final flush committed.
constexpr int clean = 0;
// Could not start, the supervision tree gave up, or the final flush failed.
constexpr int failed = 1;
// A second signal cut the shutdown short: 1 when what was queued could be
// flushed, 2 when not.
constexpr int cut_short_flushed = 1;
constexpr int cut_short_not_flushed = 2;
// The shutdown finished and the final flush committed, but a step was cut off
// at its deadline or failed (stderr names it: "solo: shutdown step X: timeout").
constexpr int shutdown_step_failed = 4;

// The code of a finished shutdown sequence.
inline int after_shutdown(bool final_flush_ok, const std::vector<ShutdownStepResult>& steps) {
  if (!final_flush_ok) return failed;
  for (const auto& step : steps) {
    if (step.outcome != "ok") return shutdown_step_failed;
  }
  return clean;
}

}  // namespace solo::exit_codes
