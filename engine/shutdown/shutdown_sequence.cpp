#include "engine/shutdown/shutdown_sequence.hpp"

#include <iostream>

#include "base/timeout.hpp"

namespace solo {

namespace {
boost::asio::awaitable<void> run_step(std::function<boost::asio::awaitable<void>()> fn) { co_await fn(); }
}  // namespace

boost::asio::awaitable<std::vector<ShutdownStepResult>> ShutdownSequence::run() {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  std::vector<ShutdownStepResult> results;
  for (auto& step : steps_) {
    auto left = total_ - std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    auto budget = std::max(std::chrono::milliseconds(1), std::min(step.deadline, left));
    auto step_start = clock::now();
    std::string outcome = "ok";
    try {
      auto op = run_step(step.run);
      if (!co_await with_timeout(std::move(op), budget)) outcome = "timeout";
    } catch (const std::exception& error) {
      outcome = std::string("error: ") + error.what();
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - step_start);
    if (outcome != "ok") std::cerr << "shutdown step " << step.name << ": " << outcome << "\n";
    results.push_back({step.name, outcome, elapsed});
  }
  co_return results;
}

}  // namespace solo
