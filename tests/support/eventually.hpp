// eventually(): polls a condition a test waits for on the real server, until
// it holds or the timeout passes; returns the condition's last value.
#pragma once

#include <chrono>
#include <thread>

namespace solo::test {

template <class F>
bool eventually(F&& predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}

}  // namespace solo::test
