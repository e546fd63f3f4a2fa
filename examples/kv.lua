-- kv, version 1: a key-value store whose data lives in solo.storage, so it
-- survives restarts, crashes and hot swaps (docs/services.md, "Storage").
-- Each key is stored under its own name; the Lua state holds nothing.
--
--   call {"op": "put", "key": K, "value": V}  -> {"ok": true}
--   call {"op": "get", "key": K}              -> {"key": K, "value": V or null}
--   call {"op": "delete", "key": K}           -> {"ok": true}
--   call {"op": "keys"}                       -> {"keys": [K, ...]} (sorted)
--
-- kv_v2.lua is its next version: `solo swap kv examples/kv_v2.lua` moves the
-- data to version 2's layout in code_change and keeps every key.

function init(config)
  return {}
end

-- Every key, page by page (solo.storage.list returns at most 1000 at a time).
local function all_keys()
  local keys, after = {}, ""
  repeat
    local page = solo.storage.list{ start_after = after, limit = 1000 }
    for _, entry in ipairs(page) do keys[#keys + 1] = entry.key end
    if #page > 0 then after = page[#page].key end
  until #page < 1000
  return keys
end

function handle_call(msg, state)
  if msg.op == "put" then
    solo.storage.put(msg.key, msg.value)
    return { ok = true }, state
  elseif msg.op == "get" then
    local value = solo.storage.get(msg.key)
    if value == nil then value = solo.null end
    return { key = msg.key, value = value }, state
  elseif msg.op == "delete" then
    solo.storage.delete(msg.key)
    return { ok = true }, state
  elseif msg.op == "keys" then
    return { keys = all_keys() }, state
  end
  error("unknown op " .. tostring(msg.op) .. " (put, get, delete, keys)")
end
