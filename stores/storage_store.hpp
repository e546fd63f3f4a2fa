// StorageStore: the `service_storage` table (schema step 9), the durable
// side of solo.storage (engine/storage/storage_directory.hpp).
//
//   tenant_id, service_id, key   the key (PRIMARY KEY, WITHOUT ROWID: rows
//                                of one service sit together, in key order)
//   value                        the value's JSON text
//
// Rows are written only on the Writer thread: storage_write() as the one
// write operation of a message's writes, storage_purge() in the transaction
// of a DELETE ?purge=true kill event. load_storage_rows() runs on the Reader
// thread at boot.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stores/event_store.hpp"

namespace solo {

class Database;

struct StorageEntry {
  std::string key;
  std::string value;  // JSON text
};

// One key's new state: a value, or deleted (nullopt).
struct StorageChange {
  std::string key;
  std::optional<std::string> value;
};

// A write operation applying `changes` (each key at most once) to one service's rows.
WriteFn storage_write(std::string tenant_id, std::string service_id, std::vector<StorageChange> changes);
// Deletes every row of (tenant, service), in the transaction of the event it is given to.
ProjectionFn storage_purge(std::string tenant_id, std::string service_id);
// Calls `row` for every row, ordered by (tenant_id, service_id, key); the
// views are valid during the call only.
using StorageRowVisitor = std::function<void(std::string_view tenant_id, std::string_view service_id,
                                             std::string_view key, std::string_view value)>;
void load_storage_rows(Database& db, const StorageRowVisitor& row);

}  // namespace solo
