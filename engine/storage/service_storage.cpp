#include "engine/storage/service_storage.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "engine/sandbox/lua_host.hpp"
#include "engine/tenancy/quota_exceeded.hpp"

namespace solo {

namespace {

uint64_t entry_bytes(std::string_view key, std::string_view value) { return key.size() + value.size(); }

void check_key(std::string_view key) {
  if (key.empty()) throw Error(ErrorKind::invalid, "storage key is empty");
  if (key.size() > kStorageKeyMax) {
    throw Error(ErrorKind::invalid, "storage key is " + std::to_string(key.size()) + " bytes, more than the " +
                                        std::to_string(kStorageKeyMax) + " allowed");
  }
  if (!is_valid_utf8(key)) throw Error(ErrorKind::invalid, "storage key is not valid UTF-8");
  // Keys are stored as text, which PostgreSQL's cannot hold a NUL in (values
  // are JSON text, where a NUL is spelled \u0000).
  if (key.find('\0') != std::string_view::npos) throw Error(ErrorKind::invalid, "storage key holds a NUL byte");
}

// `whose` and `id` name the holder ("service", "tenant"); the message is
// only built when the quota is exceeded (a put checks four, every time).
void check_quota(const char* quota, uint64_t limit, uint64_t used, uint64_t after, const char* what,
                 const char* whose, const std::string& id) {
  if (after <= limit || after <= used) return;  // within it, or shrinking
  throw QuotaExceeded(quota, limit, used,
                      "storage quota " + std::string(quota) + " exceeded: " + whose + " " + id + " would hold " +
                          std::to_string(after) + " " + what + ", more than its " + std::to_string(limit) +
                          "; nothing was written");
}

}  // namespace

ServiceStorage::ServiceStorage(StorageDirectory& directory, std::string tenant_id, std::string service_id)
    : directory_(directory),
      tenant_id_(std::move(tenant_id)),
      service_id_(std::move(service_id)),
      closed_(directory.executor_) {}

const std::string* ServiceStorage::get(std::string_view key) {
  ++directory_.metrics_.reads;
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<StorageEntry> ServiceStorage::list(std::string_view prefix, std::string_view start_after, size_t limit) {
  ++directory_.metrics_.reads;
  limit = std::min(limit, kStorageListMax);
  std::vector<StorageEntry> out;
  auto it = start_after < prefix ? entries_.lower_bound(prefix) : entries_.upper_bound(start_after);
  for (; it != entries_.end() && out.size() < limit; ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(StorageEntry{it->first, it->second});
  }
  return out;
}

void ServiceStorage::put(std::string_view key, std::string value_json) {
  if (purged_) throw Error(ErrorKind::not_found, "the storage of " + service_id_ + " was purged");
  check_key(key);
  if (value_json.size() > kStorageValueMax) {
    throw Error(ErrorKind::invalid, "storage value is " + std::to_string(value_json.size()) +
                                        " bytes of JSON, more than the " + std::to_string(kStorageValueMax) +
                                        " allowed");
  }
  auto it = entries_.find(key);
  const uint64_t old_bytes = it == entries_.end() ? 0 : entry_bytes(key, it->second);
  const uint64_t new_bytes = entry_bytes(key, value_json);
  const uint64_t new_keys = it == entries_.end() ? 1 : 0;
  if (new_bytes > old_bytes || new_keys > 0) {
    const StorageLimits limits = directory_.limits_(tenant_id_, service_id_);
    const StorageUse tenant = directory_.tenant_use(tenant_id_);
    check_quota("storage_keys", limits.service_keys, use_.keys, use_.keys + new_keys, "keys", "service",
                service_id_);
    check_quota("storage_bytes", limits.service_bytes, use_.bytes, use_.bytes - old_bytes + new_bytes, "bytes",
                "service", service_id_);
    check_quota("storage_keys_total", limits.tenant_keys, tenant.keys, tenant.keys + new_keys, "keys", "tenant",
                tenant_id_);
    check_quota("storage_bytes_total", limits.tenant_bytes, tenant.bytes, tenant.bytes - old_bytes + new_bytes,
                "bytes", "tenant", tenant_id_);
  }
  ++directory_.metrics_.writes;
  directory_.metrics_.bytes_written += new_bytes;
  // assign() without its second lookup, and the value from before the set
  // moves into the undo instead of being copied (the hot path of a put).
  ++version_;
  auto undo = open_.lower_bound(key);
  const bool first_touch = undo == open_.end() || undo->first != key;
  if (it == entries_.end()) {
    if (first_touch) open_.emplace_hint(undo, std::string(key), std::nullopt);
    entries_.emplace(std::string(key), std::move(value_json));
  } else {
    if (first_touch) {
      open_.emplace_hint(undo, std::string(key), std::move(it->second));
    }
    it->second = std::move(value_json);
  }
  const StorageUse removed{old_bytes, 1 - new_keys};
  const StorageUse added{new_bytes, 1};
  use_.bytes = use_.bytes - removed.bytes + added.bytes;
  use_.keys += new_keys;
  if (!purged_) directory_.account(tenant_id_, removed, added);
}

bool ServiceStorage::erase(std::string_view key) {
  if (purged_) throw Error(ErrorKind::not_found, "the storage of " + service_id_ + " was purged");
  check_key(key);
  ++directory_.metrics_.writes;
  if (entries_.find(key) == entries_.end()) return false;
  remember(key);
  assign(std::string(key), std::nullopt);
  return true;
}

void ServiceStorage::remember(std::string_view key) {
  if (open_.find(key) != open_.end()) return;
  auto it = entries_.find(key);
  open_.emplace(std::string(key), it == entries_.end() ? std::nullopt : std::optional<std::string>(it->second));
}

void ServiceStorage::assign(const std::string& key, std::optional<std::string> value) {
  ++version_;
  StorageUse delta_removed;
  StorageUse delta_added;
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    delta_removed = {entry_bytes(key, it->second), 1};
    if (value) {
      delta_added = {entry_bytes(key, *value), 1};
      it->second = std::move(*value);
    } else {
      entries_.erase(it);
    }
  } else if (value) {
    delta_added = {entry_bytes(key, *value), 1};
    entries_.emplace(key, std::move(*value));
  }
  use_.bytes = use_.bytes - delta_removed.bytes + delta_added.bytes;
  use_.keys = use_.keys - delta_removed.keys + delta_added.keys;
  if (!purged_) directory_.account(tenant_id_, delta_removed, delta_added);
}

uint64_t ServiceStorage::close_writes() {
  if (!open_.empty()) {
    std::vector<StorageChange> changes;
    changes.reserve(open_.size());
    for (const auto& [key, before] : open_) {
      auto it = entries_.find(key);
      std::optional<std::string> now = it == entries_.end() ? std::nullopt : std::optional<std::string>(it->second);
      if (now == before) continue;  // written and written back: nothing to store
      changes.push_back(StorageChange{key, std::move(now)});
    }
    // Submitted first: if the store refuses (closed), the set stays open for discard_writes().
    if (!changes.empty()) pending_seq_ = directory_.submit(*this, std::move(changes), open_);
    open_.clear();
    closed_.notify();
  }
  return pending_seq_;
}

void ServiceStorage::discard_writes() {
  if (open_.empty()) return;
  Undo undo = std::move(open_);
  open_.clear();
  this->undo(undo);
  closed_.notify();
}

void ServiceStorage::undo(Undo& undo) {
  for (auto& [key, before] : undo) assign(key, std::move(before));
}

asio::awaitable<void> ServiceStorage::until_closed() {
  while (writing()) co_await closed_.wait();
}

}  // namespace solo
