-- counter: a number that grows.
--
--   call {"op": "inc", "by": N}   -> {"count": n}   (by defaults to 1)
--   call {"op": "get"}            -> {"count": n}
--   call {"op": "reset"}          -> {"count": 0}
--   cast {"op": "inc", "by": N}      adds without a reply
--
-- Deploy config {"start": N} starts the count at N.

function init(config)
  return { count = config.start or 0 }
end

local function apply(msg, state)
  if msg.op == "inc" then
    state.count = state.count + (msg.by or 1)
  elseif msg.op == "reset" then
    state.count = 0
    solo.log("info", "counter reset")
  elseif msg.op ~= "get" then
    error("unknown op " .. tostring(msg.op) .. " (inc, get, reset)")
  end
  return state
end

function handle_call(msg, state)
  state = apply(msg, state)
  return { count = state.count }, state
end

function handle_cast(msg, state)
  return apply(msg, state)
end
