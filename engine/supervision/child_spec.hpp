// ChildSpec and the vocabulary of supervision (after Erlang/OTP).
//
// A child is a coroutine factory plus a restart policy:
//   permanent - always restarted when it exits
//   transient - restarted only when it crashed (threw)
//   temporary - never restarted; removed from the supervisor when it exits
// A supervisor's strategy says what else restarts with it:
//   one_for_one  - only the child that exited
//   rest_for_one - it and every child started after it (they depend on it)
// Intensity bounds restarts: more than max_restarts within period and the
// supervisor gives up, stops its children and escalates to its parent.
#pragma once

#include "engine/supervision/child_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace solo {

enum class Restart { permanent, transient, temporary };
enum class Strategy { one_for_one, rest_for_one };

struct Intensity {
  int max_restarts = 3;
  std::chrono::milliseconds period{5000};
};

struct ChildSpec {
  std::string name;
  // Runs until stopped (terminal cancellation), or returns (normal exit) or
  // throws (crash). Must call ChildContext::ready() once started.
  std::function<asio::awaitable<void>(ChildContext)> run;
  Restart restart = Restart::permanent;
  // How long stop() waits after cancelling the child before abandoning it.
  std::chrono::milliseconds stop_deadline{5000};
};

enum class ChildState { starting, running, restarting, stopping, stopped, failed };

struct ChildInfo {
  std::string name;
  ChildState state;
  int restarts;
};

// kind: child_started | child_exited (normal return) | child_crashed |
// child_restarted | child_stopped | stop_deadline_exceeded | gave_up
struct SupervisorEvent {
  std::string supervisor;
  std::string child;
  std::string kind;
  std::string reason;
};

const char* to_string(Restart r) noexcept;
const char* to_string(Strategy s) noexcept;
const char* to_string(ChildState s) noexcept;

}  // namespace solo
