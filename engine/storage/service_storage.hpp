// ServiceStorage: one (tenant, service id)'s durable data in memory — a
// sorted map of keys to JSON text — and its open write set.
//
// Owned by the StorageDirectory (storage_directory.hpp); the ServiceActor of
// that id holds a shared_ptr while it runs, operators reach it through the
// directory. Engine thread only.
//
// Writes apply at once (the writer sees them) and join the open write set,
// which remembers each key's value from before the set first touched it.
// close_writes() hands the set to the Writer as one write operation and
// returns the sequence number the set's effects wait for; discard_writes()
// undoes it (the message failed). Only one write set is open at a time: a
// message's, or an operator's (which waits for the message's to close), so
// sets are applied in the order they are submitted, and undoing failed ones
// newest first restores what was durable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/wakeup.hpp"
#include "engine/storage/storage_directory.hpp"

namespace solo {

class ServiceStorage : public std::enable_shared_from_this<ServiceStorage> {
 public:
  ServiceStorage(StorageDirectory& directory, std::string tenant_id, std::string service_id);
  ServiceStorage(const ServiceStorage&) = delete;
  ServiceStorage& operator=(const ServiceStorage&) = delete;

  const std::string& tenant_id() const { return tenant_id_; }
  const std::string& service_id() const { return service_id_; }

  // The value's JSON text, or nullptr; valid until the next write.
  const std::string* get(std::string_view key);
  // Keys in byte order starting with `prefix`, after `start_after`; at most
  // `limit` (capped at kStorageListMax).
  std::vector<StorageEntry> list(std::string_view prefix, std::string_view start_after, size_t limit);
  StorageUse use() const { return use_; }

  // Checks the key (1..kStorageKeyMax bytes of UTF-8: Error invalid), the
  // value (<= kStorageValueMax bytes: invalid) and the quotas
  // (QuotaExceeded), then applies the write and adds it to the open set.
  void put(std::string_view key, std::string value_json);
  bool erase(std::string_view key);

  // A write set is open (a message or an operator has written and not closed it).
  bool writing() const { return !open_.empty(); }
  // Submits the open set (if any) and returns the sequence number everything
  // that depends on this storage must wait for: the last write operation
  // submitted for it and not yet known committed; 0 when there is none.
  uint64_t close_writes();
  // Undoes the open set.
  void discard_writes();
  // The last submitted write operation not yet known committed (0: none).
  uint64_t pending_seq() const { return pending_seq_; }
  // How many times a failed commit undid writes of this storage. An actor
  // whose Lua state may hold undone values restarts when it changes.
  uint64_t rollbacks() const { return rollbacks_; }
  // Moves with every change of the data (LuaHost::storage_version).
  uint64_t version() const { return version_; }
  // Operators: returns once no write set is open.
  asio::awaitable<void> until_closed();

 private:
  friend class StorageDirectory;
  using Undo = std::map<std::string, std::optional<std::string>, std::less<>>;

  // Sets `key` to `value` (nullopt: absent) in memory and in the use figures.
  void assign(const std::string& key, std::optional<std::string> value);
  void remember(std::string_view key);  // into the open set's undo, once per key
  void undo(Undo& undo);                // the directory, on a failed commit

  StorageDirectory& directory_;
  std::string tenant_id_;
  std::string service_id_;
  std::map<std::string, std::string, std::less<>> entries_;
  StorageUse use_;
  Undo open_;  // the open write set: each key's value before it
  uint64_t pending_seq_ = 0;
  uint64_t rollbacks_ = 0;
  uint64_t version_ = 0;
  bool purged_ = false;  // DELETE ?purge=true committed: every later write is refused
  Wakeup closed_;
};

}  // namespace solo
