// SliceWatchdog: the watchdog thread and its signal; see slice_watchdog.hpp.
#include "engine/sandbox/slice_watchdog.hpp"

#include <pthread.h>
#include <signal.h>

#include <climits>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace solo {

namespace {

std::int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

constexpr std::int64_t kNever = INT64_MAX;

// Idle ticks after which the watchdog sleeps until a step is armed again.
constexpr int kIdleTicksBeforeSleep = 100;

}  // namespace

struct SliceWatchdog::Access {
  // Every record ever created (reused, never freed: a signal queued for a
  // thread that is exiting must still land on valid memory), the watchdog
  // thread and its wake-up. Created once and never destroyed, so nothing
  // depends on the order of static destruction at exit.
  struct Registry {
    std::mutex mutex;
    std::condition_variable wake;
    bool wake_requested = false;
    std::atomic<bool> sleeping{false};
    std::vector<std::unique_ptr<SliceWatchdog>> records;
  };

  static Registry& registry() {
    static Registry* instance = start();
    return *instance;
  }

  static Registry* start() {
    struct sigaction action {};
    action.sa_sigaction = &on_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SliceWatchdog::signal_number(), &action, nullptr) != 0) {
      throw std::runtime_error("cannot install the slice watchdog's signal handler");
    }
    auto* registry = new Registry;
    std::thread(&watch, registry).detach();
    return registry;
  }

  // On the engine thread, at any point: only atomic loads and lua_sethook,
  // which Lua documents as safe to call from a signal handler.
  static void on_signal(int, siginfo_t* info, void*) {
    if (info == nullptr || info->si_code != SI_QUEUE) return;
    auto* record = static_cast<SliceWatchdog*>(info->si_value.sival_ptr);
    if (record == nullptr) return;
    if (lua_State* running = record->running_.load(std::memory_order_acquire)) {
      if (lua_Hook hook = record->hook_.load(std::memory_order_acquire)) lua_sethook(running, hook, LUA_MASKCOUNT, 1);
    }
  }

  static bool any_armed(Registry& registry) {
    for (const auto& record : registry.records) {
      if (record->in_use_.load() && record->running_.load() != nullptr) return true;
    }
    return false;
  }

  [[noreturn]] static void watch(Registry* registry) {
    // The watchdog itself never takes the signal.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SliceWatchdog::signal_number());
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    std::unique_lock lock(registry->mutex);
    int idle_ticks = 0;
    for (;;) {
      const auto now = steady_ns(std::chrono::steady_clock::now());
      bool armed = false;
      for (const auto& record : registry->records) {
        if (!record->in_use_.load() || record->running_.load(std::memory_order_acquire) == nullptr) continue;
        armed = true;
        auto deadline = record->deadline_ns_.load(std::memory_order_acquire);
        if (now < deadline) continue;
        // Once per deadline: the hook sets the next one (rearm) if it must.
        if (!record->deadline_ns_.compare_exchange_strong(deadline, kNever)) continue;
        sigval value{};
        value.sival_ptr = record.get();
        if (pthread_sigqueue(static_cast<pthread_t>(record->thread_), SliceWatchdog::signal_number(), value) == 0) {
          record->forced_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      idle_ticks = armed ? 0 : idle_ticks + 1;
      if (idle_ticks < kIdleTicksBeforeSleep) {
        registry->wake.wait_for(lock, SliceWatchdog::tick);
        continue;
      }
      // Publish that we sleep, then look once more: an arm() that raced with
      // us either is seen here or sees `sleeping` and wakes us.
      registry->sleeping.store(true);
      if (!any_armed(*registry)) {
        registry->wake.wait(lock, [&] { return registry->wake_requested; });
      }
      registry->wake_requested = false;
      registry->sleeping.store(false);
      idle_ticks = 0;
    }
  }

  // Frees the calling thread's record for reuse when the thread ends.
  struct Release {
    SliceWatchdog* record = nullptr;
    ~Release() {
      if (record == nullptr) return;
      sigset_t set;  // a signal still queued for this thread dies with it
      sigemptyset(&set);
      sigaddset(&set, SliceWatchdog::signal_number());
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      std::lock_guard lock(registry().mutex);
      record->running_.store(nullptr);
      record->in_use_.store(false);
    }
  };
};

int SliceWatchdog::signal_number() { return SIGRTMIN + 6; }

SliceWatchdog& SliceWatchdog::for_this_thread() {
  thread_local Access::Release mine;
  if (mine.record != nullptr) return *mine.record;
  auto& registry = Access::registry();
  std::lock_guard lock(registry.mutex);
  SliceWatchdog* record = nullptr;
  for (auto& candidate : registry.records) {
    if (!candidate->in_use_.load()) {
      record = candidate.get();
      break;
    }
  }
  if (record == nullptr) {
    registry.records.push_back(std::unique_ptr<SliceWatchdog>(new SliceWatchdog));
    record = registry.records.back().get();
  }
  record->thread_ = static_cast<unsigned long>(pthread_self());
  record->running_.store(nullptr);
  record->in_use_.store(true);
  mine.record = record;
  return *record;
}

void SliceWatchdog::rearm(std::chrono::steady_clock::time_point deadline) {
  deadline_ns_.store(steady_ns(deadline), std::memory_order_release);
}

void SliceWatchdog::arm(lua_State* running, lua_Hook hook, std::chrono::steady_clock::time_point deadline) {
  hook_.store(hook, std::memory_order_release);
  deadline_ns_.store(steady_ns(deadline), std::memory_order_release);
  running_.store(running, std::memory_order_release);
  auto& registry = Access::registry();
  if (registry.sleeping.load() && registry.sleeping.exchange(false)) {
    std::lock_guard lock(registry.mutex);
    registry.wake_requested = true;
    registry.wake.notify_one();
  }
}

}  // namespace solo
