-- pong: answers ping, and calls ping back on request.
--
--   call {"op": "ping", "n": n}  -> {"pong": n, "from": "pong"}
--   call {"op": "ask"}           -> {"ping_says": <ping's stats>} (pong calls ping)
--   call {"op": "stats"}         -> {"pongs": n, "volleys": n}
--   cast {"volley": n}              one hit of a rally started by ping

local PEER = "ping"

function init(config)
  return { pongs = 0, volleys = 0 }
end

function handle_call(msg, state)
  if msg.op == "ping" then
    state.pongs = state.pongs + 1
    return { pong = msg.n, from = solo.service_id }, state
  elseif msg.op == "ask" then
    return { ping_says = solo.call(PEER, { op = "stats" }) }, state
  elseif msg.op == "stats" then
    return { pongs = state.pongs, volleys = state.volleys }, state
  end
  error("unknown op " .. tostring(msg.op) .. " (ping, ask, stats)")
end

function handle_cast(msg, state)
  if msg.volley then
    state.volleys = state.volleys + 1
    if msg.volley > 1 then solo.cast(PEER, { volley = msg.volley - 1 }) end
  end
  return state
end
