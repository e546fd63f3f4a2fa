// The one HTTP answer to a store that cannot commit (disk full, I/O error):
// 503 `store_unavailable` with Retry-After and the store's reason in the
// message. Nothing of the request was written; the client retries later.
//
// The Gateway maps every StoreError that reaches it to this answer, for HTTP
// requests and WebSocket ops alike (both go through Gateway::dispatch); route
// code lets StoreError through rather than translating it.
#pragma once

#include "net/http_message.hpp"

namespace solo {
class StoreError;
}

namespace solo::net {

// Seconds a client should wait: the writer probes the disk every second, so a
// few seconds after room is made the store commits again.
inline constexpr int kStoreRetryAfterSeconds = 5;

Response store_unavailable_response(const StoreError& error);

}  // namespace solo::net
