// ShutdownSequence: the timed shutdown (docs/operations.md, "Shutdown") as a list of steps,
// each with its own deadline, all within a total deadline. A step that passes
// its deadline is cut short (cancelled) and the sequence moves on; a step that
// throws is logged and the sequence moves on. The outcome of every step is
// recorded for the caller (and the log).
//
// Engine thread only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace solo {

struct ShutdownStep {
  std::string name;
  std::chrono::milliseconds deadline;
  std::function<boost::asio::awaitable<void>()> run;
};

struct ShutdownStepResult {
  std::string name;
  std::string outcome;  // "ok" | "timeout" | "error: ..."
  std::chrono::milliseconds elapsed;
};

class ShutdownSequence {
 public:
  explicit ShutdownSequence(std::chrono::milliseconds total_deadline) : total_(total_deadline) {}

  void add(ShutdownStep step) { steps_.push_back(std::move(step)); }

  // Runs every step in order; a step gets min(its deadline, what is left of the total).
  boost::asio::awaitable<std::vector<ShutdownStepResult>> run();

 private:
  std::chrono::milliseconds total_;
  std::vector<ShutdownStep> steps_;
};

}  // namespace solo
