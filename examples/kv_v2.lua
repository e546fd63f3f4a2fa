-- kv, version 2: the same operations as kv.lua, plus a count kept alongside
-- the data. The state moves from a flat table {key = value} (version 1) to
-- {schema = 2, data = {key = value}, count = n}; code_change migrates it
-- during the hot swap, so no key is lost.
--
--   call {"op": "put", "key": K, "value": V}  -> {"ok": true, "count": n}
--   call {"op": "get", "key": K}              -> {"key": K, "value": V or null}
--   call {"op": "delete", "key": K}           -> {"ok": true, "count": n}
--   call {"op": "keys"}                       -> {"keys": [K, ...]} (sorted)
--   call {"op": "stats"}                      -> {"count": n, "schema": 2}

function init(config)
  return { schema = 2, data = {}, count = 0 }
end

function code_change(old_state, old_version)
  if old_state.schema == 2 then return old_state end  -- already migrated (v2 swapped onto v2)
  local state = { schema = 2, data = {}, count = 0 }
  for key, value in pairs(old_state) do
    state.data[key] = value
    state.count = state.count + 1
  end
  solo.log("info", "kv migrated " .. state.count .. " keys from version " .. tostring(old_version))
  return state
end

function handle_call(msg, state)
  local data = state.data
  if msg.op == "put" then
    if data[msg.key] == nil then state.count = state.count + 1 end
    data[msg.key] = msg.value
    return { ok = true, count = state.count }, state
  elseif msg.op == "get" then
    local value = data[msg.key]
    if value == nil then value = solo.null end
    return { key = msg.key, value = value }, state
  elseif msg.op == "delete" then
    if data[msg.key] ~= nil then state.count = state.count - 1 end
    data[msg.key] = nil
    return { ok = true, count = state.count }, state
  elseif msg.op == "keys" then
    local keys = {}
    for key in pairs(data) do keys[#keys + 1] = key end
    table.sort(keys)
    return { keys = keys }, state
  elseif msg.op == "stats" then
    return { count = state.count, schema = state.schema }, state
  end
  error("unknown op " .. tostring(msg.op) .. " (put, get, delete, keys, stats)")
end
