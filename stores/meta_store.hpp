// MetaStore: the `meta` table (schema step 1), the store's own bookkeeping as
// key -> text. Its one key read outside stores/ is `verified_through`: the
// last event id the Verifier need not read again. A clean shutdown writes it
// in the transaction of its system_shutdown_complete event (the log and the
// projections agree by construction, so a clean stop verified everything);
// the next start's Replayer verifies only the events after it.
//
// (The Writer's degraded-disk probe writes its own `store_probe` key.)
//
// Like the other projection stores: the write is a ProjectionFn that rides
// with its event on the Writer thread; the read runs on the Reader thread
// (EventStore::read). Never on the engine thread.
#pragma once

#include <cstdint>

#include "stores/event_store.hpp"

namespace solo {

class MetaStore {
 public:
  static constexpr const char* kVerifiedThroughKey = "verified_through";

  // Writer thread, with its event: verified_through = that event's id.
  static ProjectionFn mark_verified_through();
  // Reader thread: the mark, 0 when none was ever written.
  static int64_t verified_through(Database& db);
};

}  // namespace solo
