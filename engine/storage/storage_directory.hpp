// StorageDirectory: every service's durable data (solo.storage), in memory,
// and the way its writes become durable (docs/services.md, "Storage").
//
// Storage belongs to a (tenant, service id) pair, not to an actor: it
// outlives restarts, swaps and a DELETE without ?purge=true (a redeploy of
// the same id continues with it), so the directory, not the ServiceActor,
// owns it. Everything is loaded at boot, before recovery starts a service,
// and kept in memory (bounded by the storage quotas): a read never waits.
//
// Writes: a service's writes during one message are applied in memory at
// once (the message sees them) and collected; at the end of the message
// they go to the Writer as ONE write operation (one group commit, with
// everyone else's). The actor holds the message's reply and effects until
// that operation is durable (the output gate: engine/storage/output_gate.hpp).
// If the commit fails, every storage write submitted from that one on is
// undone in memory, newest first, and the services concerned are marked
// rolled back (their actors restart from the durable data).
//
// Operator writes (REST, WebSocket, CLI) take the same path as a message of
// their own, between the service's messages.
//
// Owned by the System supervisor's `storage_directory` child (apps/kernel.cpp).
// Engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/histogram.hpp"
#include "stores/event_store.hpp"
#include "stores/storage_store.hpp"

namespace solo {

class ServiceStorage;

// What a service's (or tenant's) data takes: keys, and bytes = the sum of
// every key's and JSON value's length.
struct StorageUse {
  uint64_t bytes = 0;
  uint64_t keys = 0;
};

// The limits a write is checked against.
struct StorageLimits {
  uint64_t service_bytes = 0;  // the service's limits.storage_bytes
  uint64_t service_keys = 0;   // the service's limits.storage_keys
  uint64_t tenant_bytes = 0;   // the tenant's quota storage_bytes_total
  uint64_t tenant_keys = 0;    // the tenant's quota storage_keys_total
};
using StorageLimitsFn = std::function<StorageLimits(const std::string& tenant, const std::string& service)>;

struct StorageMetrics {
  uint64_t reads = 0;          // get and list, by services and operators
  uint64_t writes = 0;         // put and delete
  uint64_t bytes_written = 0;  // keys + values put
  uint64_t commits = 0;        // write operations submitted (one per message that wrote)
  uint64_t failed_commits = 0;
  // How long released output waited on the gate (only messages that waited).
  Histogram gate_wait_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
};

struct StorageOwner {
  std::string tenant_id;
  std::string service_id;
  StorageUse use;
};

class StorageDirectory : public std::enable_shared_from_this<StorageDirectory> {
 public:
  // Reads every stored row (on the Reader thread) and keeps it; from then on
  // every storage write goes through this directory.
  static asio::awaitable<std::shared_ptr<StorageDirectory>> load(asio::any_io_executor executor,
                                                                 std::shared_ptr<EventStore> events,
                                                                 StorageLimitsFn limits);

  // The data of (tenant, service), created empty when there is none.
  std::shared_ptr<ServiceStorage> open(const std::string& tenant, const std::string& service);
  // nullptr when (tenant, service) holds no data and nobody has it open.
  std::shared_ptr<ServiceStorage> find(const std::string& tenant, const std::string& service) const;

  // ---- operators (REST, WebSocket ops, CLI) ----
  // Reads never suspend. `limit` is capped at kStorageListMax.
  std::optional<std::string> get(const std::string& tenant, const std::string& service, std::string_view key);
  std::vector<StorageEntry> list(const std::string& tenant, const std::string& service, std::string_view prefix,
                                 std::string_view start_after, size_t limit);
  StorageUse use(const std::string& tenant, const std::string& service) const;
  StorageUse tenant_use(const std::string& tenant) const;
  // Writes: checked like a service's (key, value, quotas: throws Error
  // invalid / quota_exceeded, nothing written), applied between the
  // service's messages, and durable when they return (throws StoreError
  // when the commit failed; then nothing changed).
  asio::awaitable<void> put(const std::string& tenant, const std::string& service, std::string key,
                            std::string value_json);
  asio::awaitable<bool> erase(const std::string& tenant, const std::string& service, std::string key);
  // Every entry in one write operation: all or nothing. Returns how many.
  asio::awaitable<size_t> import(const std::string& tenant, const std::string& service,
                                 std::vector<StorageEntry> entries);

  // ---- lifecycle ----
  // A projection that deletes every row of (tenant, service), for the
  // transaction of the kill event of DELETE ?purge=true; once that committed,
  // forget() drops the data from memory.
  ProjectionFn purge(const std::string& tenant, const std::string& service);
  void forget(const std::string& tenant, const std::string& service);

  // The limits a write to (tenant, service) is checked against now.
  StorageLimits limits_of(const std::string& tenant, const std::string& service) const {
    return limits_(tenant, service);
  }
  // Every (tenant, service) holding data (the Verifier's orphan check).
  std::vector<StorageOwner> owners() const;
  const StorageMetrics& metrics() const { return metrics_; }
  StorageMetrics& metrics() { return metrics_; }

 private:
  friend class ServiceStorage;
  // A closed write set on its way to the disk: what to undo if it fails.
  struct Pending {
    uint64_t seq = 0;
    uint64_t epoch = 0;  // the Writer's epoch it was submitted in
    std::shared_ptr<ServiceStorage> storage;
    std::map<std::string, std::optional<std::string>, std::less<>> undo;
  };

  StorageDirectory(asio::any_io_executor executor, std::shared_ptr<EventStore> events, StorageLimitsFn limits);
  // ServiceStorage: a closed write set goes to the Writer; returns its seq.
  uint64_t submit(ServiceStorage& storage, std::vector<StorageChange> changes,
                  std::map<std::string, std::optional<std::string>, std::less<>> undo);
  // ServiceStorage: the tenant's use changed.
  void account(const std::string& tenant, StorageUse removed, StorageUse added);
  // The Writer reported a batch: forget the committed sets, or undo the failed ones.
  void on_batch(const BatchResult& result);
  std::shared_ptr<ServiceStorage> existing(const std::string& tenant, const std::string& service) const;

  asio::any_io_executor executor_;
  std::shared_ptr<EventStore> events_;
  StorageLimitsFn limits_;
  StorageMetrics metrics_;
  std::map<std::string, std::map<std::string, std::shared_ptr<ServiceStorage>, std::less<>>, std::less<>> storages_;
  std::map<std::string, StorageUse, std::less<>> tenant_use_;
  std::deque<Pending> pending_;  // in seq order
};

}  // namespace solo
