// The keeper: a Lua service that puts or gets one key of its storage per call
// ({"op": "put", "k", "v"} answers {"ok": true}; {"op": "get", "k"} answers
// {"v"}), for the integration tests that check what a store keeps through
// the real binary (PostgreSQL restarts, cluster failover).
#pragma once

namespace solo::test {

inline constexpr const char* kKeeperService = R"(
function init(config) return {} end
function handle_call(msg, state)
  if msg.op == "put" then
    solo.storage.put(msg.k, msg.v)
    return { ok = true }, state
  end
  return { v = solo.storage.get(msg.k) }, state
end
)";

}  // namespace solo::test
