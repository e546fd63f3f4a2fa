-- ticker: counts ticks from a timer set with solo.after.
--
-- Each tick arrives in handle_info, adds one to the state and sets the next
-- timer. Deploy config: {"interval_ms": N} (default 1000), {"max": N} to stop
-- after N ticks.
--
--   call {"op": "get"}    -> {"ticks": n, "running": true|false, "interval_ms": N}
--   call {"op": "stop"}   -> the same, after cancelling the pending timer
--   call {"op": "start"}  -> the same, after setting a timer if none is pending

local function schedule(state)
  state.timer = solo.after(state.interval_ms, { tick = true })
  return state
end

local function view(state)
  return { ticks = state.ticks, running = state.timer ~= nil, interval_ms = state.interval_ms }
end

function init(config)
  local state = { ticks = 0, interval_ms = config.interval_ms or 1000, max = config.max }
  return schedule(state)
end

function handle_info(msg, state)
  if not msg.tick then return state end
  state.timer = nil
  state.ticks = state.ticks + 1
  if state.ticks % 10 == 0 then solo.log("info", "tick " .. state.ticks) end
  if state.max and state.ticks >= state.max then
    solo.emit("ticker_done", { ticks = state.ticks })
    return state
  end
  return schedule(state)
end

function handle_call(msg, state)
  if msg.op == "stop" and state.timer then
    solo.cancel(state.timer)
    state.timer = nil
  elseif msg.op == "start" and not state.timer then
    schedule(state)
  elseif msg.op ~= "get" and msg.op ~= "stop" and msg.op ~= "start" then
    error("unknown op " .. tostring(msg.op) .. " (get, stop, start)")
  end
  return view(state), state
end

-- A hot swap keeps the count; the pending timer still arrives in the new code.
function code_change(old_state, old_version)
  return old_state
end
