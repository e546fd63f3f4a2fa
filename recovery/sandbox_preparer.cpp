#include "recovery/sandbox_preparer.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>

namespace solo {

namespace {

// What Deployer::recover(row) would start, made on the worker.
PreparedService prepare(const ServiceRow& row) {
  PreparedService prepared;
  try {
    auto spec = service_spec_from_json(boost::json::parse(row.spec).as_object(), row.tenant_id);
    spec.version = row.version;
    prepared.spec = std::move(spec);
  } catch (const std::exception&) {
    return prepared;  // the engine parses it again and reports why
  }
  const auto& spec = *prepared.spec;
  if (spec.format == "native") return prepared;
  try {
    prepared.compiled = LuaSandbox::compile(spec.code, spec.limits, LuaFacts{spec.tenant_id, spec.service_id, spec.version});
  } catch (const std::exception&) {
    // The start compiles it again on the engine thread and fails with the compile error.
  }
  return prepared;
}

}  // namespace

SandboxPreparer::SandboxPreparer(boost::asio::any_io_executor engine,
                                 std::shared_ptr<const std::vector<ServiceRow>> rows)
    : shared_(std::make_shared<Shared>(std::move(engine))) {
  shared_->slots.resize(rows->size());
  shared_->ready = std::make_unique<std::atomic<bool>[]>(rows->size());
  shared_->rows = std::move(rows);
  add_worker();
}

SandboxPreparer::~SandboxPreparer() {
  shared_->stop.store(true, std::memory_order_relaxed);
  for (auto& worker : workers_) worker.join();
}

void SandboxPreparer::add_worker() {
  if (shared_->next.load(std::memory_order_relaxed) >= shared_->rows->size()) return;
  workers_.emplace_back(&SandboxPreparer::work, shared_);
}

void SandboxPreparer::work(std::shared_ptr<Shared> shared) {
  const auto& rows = *shared->rows;
  while (!shared->stop.load(std::memory_order_relaxed)) {
    const std::size_t i = shared->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= rows.size()) return;
    try {
      shared->slots[i] = prepare(rows[i]);
    } catch (...) {
      // Out of memory on the way: an empty slot, and the engine's own path tries again.
    }
    shared->ready[i].store(true, std::memory_order_release);
    bool wake = false;
    {
      std::lock_guard lock(shared->mutex);
      wake = shared->engine_waiting;
      shared->engine_waiting = false;
    }
    if (wake) boost::asio::post(shared->wakeup.executor(), [shared] { shared->wakeup.notify(); });
  }
}

boost::asio::awaitable<PreparedService> SandboxPreparer::take(std::size_t i) {
  auto shared = shared_;
  // The engine would wait: the workers are behind it, so one more joins them.
  if (!shared->ready[i].load(std::memory_order_acquire) && workers_.size() < kMaxWorkers) add_worker();
  while (!shared->ready[i].load(std::memory_order_acquire)) {
    {
      std::lock_guard lock(shared->mutex);
      // Checked again under the lock: a publish after it sees the flag.
      if (shared->ready[i].load(std::memory_order_acquire)) break;
      shared->engine_waiting = true;
    }
    co_await shared->wakeup.wait();
  }
  co_return std::move(shared->slots[i]);
}

}  // namespace solo
