-- kv, version 1: a key-value store whose state is a flat table {key = value}.
--
--   call {"op": "put", "key": K, "value": V}  -> {"ok": true}
--   call {"op": "get", "key": K}              -> {"key": K, "value": V or null}
--   call {"op": "delete", "key": K}           -> {"ok": true}
--   call {"op": "keys"}                       -> {"keys": [K, ...]} (sorted)
--
-- kv_v2.lua is its next version: `solo swap kv examples/kv_v2.lua` migrates
-- the state in code_change and keeps every key.

function init(config)
  return {}
end

function handle_call(msg, state)
  if msg.op == "put" then
    state[msg.key] = msg.value
    return { ok = true }, state
  elseif msg.op == "get" then
    local value = state[msg.key]
    if value == nil then value = solo.null end
    return { key = msg.key, value = value }, state
  elseif msg.op == "delete" then
    state[msg.key] = nil
    return { ok = true }, state
  elseif msg.op == "keys" then
    local keys = {}
    for key in pairs(state) do keys[#keys + 1] = key end
    table.sort(keys)
    return { keys = keys }, state
  end
  error("unknown op " .. tostring(msg.op) .. " (put, get, delete, keys)")
end
