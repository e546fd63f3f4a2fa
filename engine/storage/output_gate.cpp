#include "engine/storage/output_gate.hpp"

#include <stdexcept>

#include "engine/storage/service_storage.hpp"
#include "engine/storage/storage_directory.hpp"
#include "stores/event_store.hpp"

namespace solo {

OutputGate::OutputGate(std::shared_ptr<StorageDirectory> directory, std::shared_ptr<EventStore> events,
                       std::string tenant_id, std::string service_id)
    : directory_(std::move(directory)),
      events_(std::move(events)),
      tenant_id_(std::move(tenant_id)),
      service_id_(std::move(service_id)) {}

OutputGate::~OutputGate() = default;

ServiceStorage& OutputGate::storage() {
  if (!storage_) {
    if (!directory_) throw std::runtime_error("solo.storage is not available on this server");
    storage_ = directory_->open(tenant_id_, service_id_);
    rollbacks_seen_ = storage_->rollbacks();
  }
  return *storage_;
}

uint64_t OutputGate::storage_version() const { return storage_ ? storage_->version() : 0; }

bool OutputGate::holding() const { return storage_ && (storage_->writing() || storage_->pending_seq() != 0); }

OutputGate::Release OutputGate::close() {
  Release release;
  release.seq = storage_ ? storage_->close_writes() : 0;
  for (auto& event : held_events_) events_->append(std::move(event));
  held_events_.clear();
  release.effects = std::move(held_);
  held_.clear();
  // The events are in the log's queue now; the casts wait for release.
  release.bytes = open_bytes_;
  open_bytes_ = 0;
  if (release.seq != 0) release.closed_at = std::chrono::steady_clock::now();
  return release;
}

void OutputGate::discard() {
  if (storage_) storage_->discard_writes();
  held_.clear();
  held_events_.clear();
  held_bytes_ -= open_bytes_;
  open_bytes_ = 0;
}

void OutputGate::failed(Release& release) {
  release.effects.clear();
  held_bytes_ -= release.bytes;
  release.bytes = 0;
}

// Not a coroutine of its own: the Writer's wait is the awaitable (one frame
// fewer on every gated reply). Writer::wait_for(0) is ready at once.
asio::awaitable<void> OutputGate::wait(const Release& release) { return events_->writer().wait_for(release.seq); }

void OutputGate::released(Release& release) {
  if (release.seq != 0 && directory_) {
    directory_->metrics().gate_wait_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - release.closed_at).count());
  }
  held_bytes_ -= release.bytes;
  release.bytes = 0;
  for (auto& effect : release.effects) effect();
  release.effects.clear();
}

uint64_t OutputGate::pending_seq() const { return storage_ ? storage_->pending_seq() : 0; }

bool OutputGate::rolled_back() const { return storage_ && storage_->rollbacks() != rollbacks_seen_; }

void OutputGate::rebase() {
  if (storage_) rollbacks_seen_ = storage_->rollbacks();
}

}  // namespace solo
