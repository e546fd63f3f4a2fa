-- ping: calls pong (deploy pong.lua as "pong" first, in the same tenant).
--
--   call {"op": "ping"}          -> {"sent": n, "reply": <pong's reply>}
--                                   (a solo.call: ping waits for pong's reply,
--                                    the engine does not)
--   call {"op": "rally", "n": N} -> {"started": N}; then ping and pong cast
--                                   the ball back and forth N times
--   call {"op": "stats"}         -> {"pings": n, "volleys": n}
--   cast {"volley": n}              one hit of a rally

local PEER = "pong"

function init(config)
  return { pings = 0, volleys = 0 }
end

function handle_call(msg, state)
  if msg.op == "ping" then
    state.pings = state.pings + 1
    local reply = solo.call(PEER, { op = "ping", n = state.pings })
    return { sent = state.pings, reply = reply }, state
  elseif msg.op == "rally" then
    solo.cast(PEER, { volley = msg.n or 10 })
    return { started = msg.n or 10 }, state
  elseif msg.op == "stats" then
    return { pings = state.pings, volleys = state.volleys }, state
  end
  error("unknown op " .. tostring(msg.op) .. " (ping, rally, stats)")
end

function handle_cast(msg, state)
  if msg.volley then
    state.volleys = state.volleys + 1
    if msg.volley > 1 then solo.cast(PEER, { volley = msg.volley - 1 }) end
  end
  return state
end
