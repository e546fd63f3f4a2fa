// solo.storage: the service's durable data, a sorted map of string keys to
// JSON values kept by the host (LuaHost::storage_*; docs/services.md,
// "Storage"). This side converts and checks; the host keeps the data,
// enforces the quotas and makes the writes durable with the message.
//
//   solo.storage.get(key)          -> the value (JSON null -> solo.null), or nil when absent
//   solo.storage.put(key, value)   -> nothing; value is any JSON-encodable
//                                     value (as solo.emit's payload) but nil
//   solo.storage.delete(key)       -> true when the key was there, else false
//   solo.storage.list{prefix=, start_after=, limit=}
//                                  -> { {key=, value=}, ... } in byte order of
//                                     the keys; limit 1..1000 (default 100);
//                                     the next page: start_after = the last key
//
// Checked here, before the host is called, each with its own error:
// a key is a Lua string (no number conversion) of 1..kStorageKeyMax bytes of
// valid UTF-8; a value's JSON text is at most kStorageValueMax bytes; list's
// options are a table of those three fields only, prefix and start_after
// strings of at most kStorageKeyMax bytes. A host's exception (a quota, a
// host without storage) is a Lua error "solo.storage.<fn>: <why>".
//
// Costs, charged to the message's budget (LuaMeter::charge, the units of
// lua_costs.hpp) before the work they pay for, so a loop of storage calls
// runs out of budget like any loop:
//   every call      100 (the host call, a map lookup), + key bytes / 8
//   put             + the encoding, as solo.json.encode (nodes + string
//                   bytes / 8), + 40 per node + 1 per JSON byte (building
//                   and serializing it, the copy the host keeps; measured,
//                   lua_storage_library.cpp)
//   get             + decoding, as solo.json.decode (JSON bytes / 8 + 20
//                   per node, lua_solo_calls.hpp)
//   list            + (prefix + start_after) / 8, then per entry 20 + key
//                   bytes / 8 + decoding its value
// A decoded value's tables are Lua allocations: the heap's limit applies
// ("not enough memory"), as for solo.json.decode.
//
// The read cache: get keeps the scalars it returned (numbers, booleans,
// solo.null, strings up to 256 bytes; at most 256 at a time) in a table of
// the state, so a get of a key read before costs a table lookup (charged
// 100 + one node) instead of a host call and a decoding. A scalar is
// immutable in Lua, so the same value is exact. put and delete drop their
// key; the sandbox empties the cache before Lua runs again whenever the
// host's storage_version() moved since (forget_storage_cache): another
// writer (an operator, a failed commit's undo) can only write while Lua is
// not running, and this service's own writes of an earlier step are then
// read afresh too.
#pragma once

#include "engine/sandbox/lua_solo_library.hpp"

#include <lua.hpp>

namespace solo {

// Pushes the read-only solo.storage table (its functions reach the host
// through `context`, which must outlive L). Raises Lua errors.
void push_storage_library(lua_State* L, LuaSoloContext& context);

// Empties the read cache (no-op before solo.storage is opened). Allocates
// nothing; call with the state idle (between steps).
void forget_storage_cache(lua_State* L);

}  // namespace solo
