// The one place an error becomes an answer: an Error (base/error.hpp)
// or a StoreError becomes an HTTP status and the documented body
//   {"error": "<code>", "message": "...", <the error's details>, "timestamp": "..."}
// with Retry-After when the error carries one. WebSocket op replies are built
// from the same Response (net/websocket_frames.hpp: reply_frame), so the two
// surfaces answer alike.
//
// Handlers and engine components throw; the Gateway (net/gateway.cpp)
// catches every Error and StoreError a route lets through and answers it
// here. Route code does not choose error statuses itself.
#pragma once

#include <exception>
#include <string_view>

#include "base/error.hpp"
#include "net/http_message.hpp"

namespace solo {
class StoreError;
}

namespace solo::net {

// The status and the body's "error" code of a kind.
struct HttpError {
  int status;
  std::string_view code;
};
HttpError http_error(ErrorKind kind);

Response error_reply(const Error& error);

// A store that cannot commit (disk full, I/O error): 503 `store_unavailable`
// with the store's reason and Retry-After. Nothing of the request was written.
// Seconds a client should wait: the writer probes the disk every second, so a
// few seconds after room is made the store commits again.
inline constexpr int kStoreRetryAfterSeconds = 5;
Response error_reply(const StoreError& error);

// The exception in flight as an answer: Error and StoreError as above; any
// other is 500 internal_error without its text (it may carry internals),
// which goes to stderr with `where`.
Response error_reply(const std::exception_ptr& error, std::string_view where);

}  // namespace solo::net
