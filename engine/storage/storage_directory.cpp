#include "engine/storage/storage_directory.hpp"

#include <algorithm>

#include "engine/sandbox/lua_host.hpp"
#include "engine/storage/service_storage.hpp"

namespace solo {

namespace {

// What load() reads on the Reader thread: plain maps, made into
// ServiceStorage objects on the engine thread.
using LoadedService = std::map<std::string, std::string, std::less<>>;
using Loaded = std::map<std::string, std::map<std::string, LoadedService, std::less<>>, std::less<>>;

}  // namespace

StorageDirectory::StorageDirectory(asio::any_io_executor executor, std::shared_ptr<EventStore> events,
                                   StorageLimitsFn limits)
    : executor_(std::move(executor)), events_(std::move(events)), limits_(std::move(limits)) {}

asio::awaitable<std::shared_ptr<StorageDirectory>> StorageDirectory::load(asio::any_io_executor executor,
                                                                         std::shared_ptr<EventStore> events,
                                                                         StorageLimitsFn limits) {
  std::function<Loaded(Database&)> read = [](Database& db) {
    Loaded loaded;
    LoadedService* current = nullptr;
    std::string current_tenant;
    std::string current_service;
    load_storage_rows(db, [&](std::string_view tenant, std::string_view service, std::string_view key,
                              std::string_view value) {
      if (!current || tenant != current_tenant || service != current_service) {
        current_tenant = tenant;
        current_service = service;
        current = &loaded[current_tenant][current_service];
      }
      current->emplace_hint(current->end(), std::string(key), std::string(value));
    });
    return loaded;
  };
  Loaded loaded = co_await events->read(std::move(read));
  std::shared_ptr<StorageDirectory> self(new StorageDirectory(executor, events, std::move(limits)));
  for (auto& [tenant, services] : loaded) {
    for (auto& [service, entries] : services) {
      auto storage = std::make_shared<ServiceStorage>(*self, tenant, service);
      for (const auto& [key, value] : entries) {
        storage->use_.bytes += key.size() + value.size();
        ++storage->use_.keys;
      }
      storage->entries_ = std::move(entries);
      self->account(tenant, {}, storage->use_);
      self->storages_[tenant][service] = std::move(storage);
    }
  }
  std::weak_ptr<StorageDirectory> weak = self;
  events->writer().on_batch([weak](const BatchResult& result) {
    if (auto directory = weak.lock()) directory->on_batch(result);
  });
  co_return self;
}

// ---- storages ---------------------------------------------------------------

std::shared_ptr<ServiceStorage> StorageDirectory::existing(const std::string& tenant,
                                                           const std::string& service) const {
  auto t = storages_.find(tenant);
  if (t == storages_.end()) return nullptr;
  auto s = t->second.find(service);
  return s == t->second.end() ? nullptr : s->second;
}

std::shared_ptr<ServiceStorage> StorageDirectory::open(const std::string& tenant, const std::string& service) {
  auto& slot = storages_[tenant][service];
  if (!slot) slot = std::make_shared<ServiceStorage>(*this, tenant, service);
  return slot;
}

std::shared_ptr<ServiceStorage> StorageDirectory::find(const std::string& tenant, const std::string& service) const {
  auto storage = existing(tenant, service);
  // An empty storage with nothing on its way to the disk is as good as none.
  if (storage && storage->use_.keys == 0 && !storage->writing() && storage->pending_seq_ == 0) {
    return nullptr;
  }
  return storage;
}

void StorageDirectory::account(const std::string& tenant, StorageUse removed, StorageUse added) {
  if (removed.bytes == 0 && removed.keys == 0 && added.bytes == 0 && added.keys == 0) return;
  auto& use = tenant_use_[tenant];
  use.bytes = use.bytes - removed.bytes + added.bytes;
  use.keys = use.keys - removed.keys + added.keys;
}

StorageUse StorageDirectory::use(const std::string& tenant, const std::string& service) const {
  auto storage = existing(tenant, service);
  return storage ? storage->use() : StorageUse{};
}

StorageUse StorageDirectory::tenant_use(const std::string& tenant) const {
  auto it = tenant_use_.find(tenant);
  return it == tenant_use_.end() ? StorageUse{} : it->second;
}

std::vector<StorageOwner> StorageDirectory::owners() const {
  std::vector<StorageOwner> out;
  for (const auto& [tenant, services] : storages_) {
    for (const auto& [service, storage] : services) {
      if (storage->use_.keys > 0) out.push_back(StorageOwner{tenant, service, storage->use_});
    }
  }
  return out;
}

// ---- durability ---------------------------------------------------------------

uint64_t StorageDirectory::submit(ServiceStorage& storage, std::vector<StorageChange> changes,
                                  std::map<std::string, std::optional<std::string>, std::less<>>& undo) {
  auto& writer = events_->writer();
  const uint64_t epoch = writer.epoch();
  const uint64_t seq = writer.submit(storage_write(storage.tenant_id_, storage.service_id_, std::move(changes)));
  ++metrics_.commits;
  pending_.push_back(Pending{seq, epoch, storage.shared_from_this(), std::move(undo)});
  return seq;
}

void StorageDirectory::on_batch(const BatchResult& result) {
  if (result.ok) {
    while (!pending_.empty() && pending_.front().seq <= result.last_seq) {
      auto& storage = *pending_.front().storage;
      if (storage.pending_seq_ <= result.last_seq) storage.pending_seq_ = 0;
      pending_.pop_front();
    }
    return;
  }
  // Every write of the failed epoch fails (stores/writer.hpp): undo them all
  // now, newest first, each storage's open set before its submitted ones.
  std::vector<std::shared_ptr<ServiceStorage>> touched;
  while (!pending_.empty() && pending_.back().seq >= result.first_seq && pending_.back().epoch == result.epoch) {
    Pending failed = std::move(pending_.back());
    pending_.pop_back();
    auto& storage = *failed.storage;
    if (std::find(touched.begin(), touched.end(), failed.storage) == touched.end()) {
      storage.discard_writes();
      ++storage.rollbacks_;
      storage.pending_seq_ = 0;
      touched.push_back(failed.storage);
    }
    storage.undo(failed.undo);
    ++metrics_.failed_commits;
  }
  // A storage that still has an older write set in flight waits for it.
  for (const auto& pending : pending_) pending.storage->pending_seq_ = pending.seq;
}

// ---- operators ------------------------------------------------------------------

std::optional<std::string> StorageDirectory::get(const std::string& tenant, const std::string& service,
                                                 std::string_view key) {
  auto storage = existing(tenant, service);
  if (!storage) return std::nullopt;
  const std::string* value = storage->get(key);
  return value ? std::optional<std::string>(*value) : std::nullopt;
}

std::vector<StorageEntry> StorageDirectory::list(const std::string& tenant, const std::string& service,
                                                 std::string_view prefix, std::string_view start_after,
                                                 size_t limit) {
  auto storage = existing(tenant, service);
  if (!storage) return {};
  return storage->list(prefix, start_after, limit);
}

asio::awaitable<std::shared_ptr<ServiceStorage>> StorageDirectory::open_between_messages(const std::string& tenant,
                                                                                        const std::string& service) {
  // Opened again after each wait: a purge meanwhile replaces the object.
  auto storage = open(tenant, service);
  while (storage->writing()) {
    co_await storage->until_closed();
    storage = open(tenant, service);
  }
  co_return storage;
}

asio::awaitable<void> StorageDirectory::put(const std::string& tenant, const std::string& service, std::string key,
                                            std::string value_json) {
  std::vector<StorageEntry> one;
  one.push_back(StorageEntry{std::move(key), std::move(value_json)});
  co_await import(tenant, service, std::move(one));
}

asio::awaitable<bool> StorageDirectory::erase(const std::string& tenant, const std::string& service,
                                              std::string key) {
  auto storage = co_await open_between_messages(tenant, service);
  const bool existed = storage->erase(key);
  const uint64_t seq = storage->close_writes();
  if (seq != 0) co_await events_->writer().wait_for(seq);
  co_return existed;
}

asio::awaitable<size_t> StorageDirectory::import(const std::string& tenant, const std::string& service,
                                                 std::vector<StorageEntry> entries) {
  auto storage = co_await open_between_messages(tenant, service);
  // Applied and submitted with no suspension in between: the set is this
  // operator's alone.
  try {
    for (auto& entry : entries) storage->put(entry.key, std::move(entry.value));
  } catch (...) {
    storage->discard_writes();
    throw;
  }
  const uint64_t seq = storage->close_writes();
  if (seq != 0) co_await events_->writer().wait_for(seq);
  co_return entries.size();
}

// ---- lifecycle ---------------------------------------------------------------------

ProjectionFn StorageDirectory::purge(const std::string& tenant, const std::string& service) {
  return storage_purge(tenant, service);
}

void StorageDirectory::forget(const std::string& tenant, const std::string& service) {
  auto t = storages_.find(tenant);
  if (t == storages_.end()) return;
  auto s = t->second.find(service);
  if (s == t->second.end()) return;
  auto& storage = *s->second;
  storage.discard_writes();
  account(tenant, storage.use_, {});
  storage.entries_.clear();
  ++storage.version_;
  storage.use_ = {};
  storage.purged_ = true;
  t->second.erase(s);
  if (t->second.empty()) storages_.erase(t);
}

}  // namespace solo
