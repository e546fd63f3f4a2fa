// OutputGate: one service's side of solo.storage — its storage, opened on
// first use, and what a message produced, held until the message's writes
// are durable (Durable Objects call this the output gate).
//
// While a write set is open or a write operation is on its way to the disk
// (holding()), the actor hands the message's casts to hold() and its emitted
// events to hold_event() instead of sending them. close() ends the
// message's writes: it submits them as one write operation, appends the
// held events after it (so they commit with it or after it, and fail with
// it), and returns what is left to release — the casts and the reply — with
// the sequence number to wait for. The actor releases them once
// wait(release) returned; if it throws (StoreError), the caller gets the
// error and nothing of the message is visible: the directory has undone
// its writes, and the service restarts (rolled_back()) because its Lua
// state may hold what was undone.
//
// Owned by the ServiceActor; engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "stores/event.hpp"

namespace solo {

namespace asio = boost::asio;

class EventStore;
class ServiceStorage;
class StorageDirectory;

class OutputGate {
 public:
  // What a closed message still has to release, once `seq` is durable (0: now).
  struct Release {
    uint64_t seq = 0;
    std::vector<std::function<void()>> effects;
    size_t bytes = 0;  // the effects' messages, counted in held_bytes() until released or failed
    std::chrono::steady_clock::time_point closed_at{};
  };

  OutputGate(std::shared_ptr<StorageDirectory> directory, std::shared_ptr<EventStore> events, std::string tenant_id,
             std::string service_id);
  ~OutputGate();

  // The service's storage; throws when the server has none.
  ServiceStorage& storage();
  // Its version (ServiceStorage::version), 0 while it is not open.
  uint64_t storage_version() const;
  // Effects must be held now.
  bool holding() const;
  // `bytes`: the size of the effect's message, which lives outside the
  // service's heap until it is released (the actor counts held_bytes() in
  // the service's memory, as it counts its queued messages).
  void hold(std::function<void()> effect, size_t bytes) {
    held_.push_back(std::move(effect));
    held_bytes_ += bytes;
    open_bytes_ += bytes;
  }
  // Appended to the log at close(), like an emit that is not held at the
  // end of its message (neither counts against the service's memory).
  void hold_event(NewEvent event) { held_events_.push_back(std::move(event)); }
  size_t held_bytes() const { return held_bytes_; }
  // Ends the message's writes (see the file comment).
  Release close();
  // The message failed: its writes are undone, its held effects dropped.
  void discard();
  // Returns once `release.seq` is durable; throws StoreError when it failed.
  asio::awaitable<void> wait(const Release& release);
  // Runs the effects (after wait()), and counts the time they waited.
  void released(Release& release);
  // The commit failed: the effects are dropped.
  void failed(Release& release);
  // The last write operation of this storage not yet durable (0: none).
  uint64_t pending_seq() const;
  // A failed commit undid writes of this storage since rebase().
  bool rolled_back() const;
  // A new incarnation starts from what is durable now.
  void rebase();

 private:
  std::shared_ptr<StorageDirectory> directory_;
  std::shared_ptr<EventStore> events_;
  std::string tenant_id_;
  std::string service_id_;
  std::shared_ptr<ServiceStorage> storage_;  // once used
  uint64_t rollbacks_seen_ = 0;
  std::vector<std::function<void()>> held_;
  std::vector<NewEvent> held_events_;
  size_t held_bytes_ = 0;  // of every held effect, closed or not
  size_t open_bytes_ = 0;  // of the effects of the message not yet closed
};

}  // namespace solo
