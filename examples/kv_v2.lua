-- kv, version 2: the same operations as kv.lua, plus a count kept alongside
-- the data, all in solo.storage. The layout moves from one storage key per
-- key (version 1) to "data/<key>" keys and a "meta" key
-- {schema = 2, count = n}; code_change migrates it during the hot swap, in
-- the swap's own message (all of it or none of it is written), so no key is
-- lost. Storage is not rolled back with a rollback: version 1 would then see
-- the version 2 layout (docs/guarantees.md, "Service storage").
--
--   call {"op": "put", "key": K, "value": V}  -> {"ok": true, "count": n}
--   call {"op": "get", "key": K}              -> {"key": K, "value": V or null}
--   call {"op": "delete", "key": K}           -> {"ok": true, "count": n}
--   call {"op": "keys"}                       -> {"keys": [K, ...]} (sorted)
--   call {"op": "stats"}                      -> {"count": n, "schema": 2}

local PREFIX = "data/"

function init(config)
  return {}
end

-- Every entry whose key starts with `prefix`, page by page.
local function all_entries(prefix)
  local entries, after = {}, ""
  repeat
    local page = solo.storage.list{ prefix = prefix, start_after = after, limit = 1000 }
    for _, entry in ipairs(page) do entries[#entries + 1] = entry end
    if #page > 0 then after = page[#page].key end
  until #page < 1000
  return entries
end

local function meta()
  return solo.storage.get("meta") or { schema = 2, count = 0 }
end

function code_change(old_state, old_version)
  local current = solo.storage.get("meta")
  if current ~= nil and current.schema == 2 then return old_state end  -- already migrated (v2 swapped onto v2)
  local old = all_entries("")  -- read everything before writing anything
  for _, entry in ipairs(old) do
    solo.storage.put(PREFIX .. entry.key, entry.value)
    solo.storage.delete(entry.key)
  end
  solo.storage.put("meta", { schema = 2, count = #old })
  solo.log("info", "kv migrated " .. #old .. " keys from version " .. tostring(old_version))
  return old_state
end

function handle_call(msg, state)
  if msg.op == "put" then
    local m = meta()
    if solo.storage.get(PREFIX .. msg.key) == nil then m.count = m.count + 1 end
    solo.storage.put(PREFIX .. msg.key, msg.value)
    solo.storage.put("meta", m)
    return { ok = true, count = m.count }, state
  elseif msg.op == "get" then
    local value = solo.storage.get(PREFIX .. msg.key)
    if value == nil then value = solo.null end
    return { key = msg.key, value = value }, state
  elseif msg.op == "delete" then
    local m = meta()
    if solo.storage.delete(PREFIX .. msg.key) then
      m.count = m.count - 1
      solo.storage.put("meta", m)
    end
    return { ok = true, count = m.count }, state
  elseif msg.op == "keys" then
    local keys = {}
    for _, entry in ipairs(all_entries(PREFIX)) do keys[#keys + 1] = entry.key:sub(#PREFIX + 1) end
    return { keys = keys }, state
  elseif msg.op == "stats" then
    local m = meta()
    return { count = m.count, schema = m.schema }, state
  end
  error("unknown op " .. tostring(msg.op) .. " (put, get, delete, keys, stats)")
end
