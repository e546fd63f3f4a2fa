// What a WebSocket session does with each text frame a client sends
// (docs/websocket.md, "Ops"): a REST op runs through the hub's dispatch (the
// Gateway: authentication, authorization and validation as over HTTP) as its
// own coroutine and its reply is queued; watch and unwatch go to the session's
// watch (websocket_watch.hpp); ping answers at once. A malformed frame, an
// unknown op or one op too many in flight gets an error frame. Beast-free.
// Engine thread only.
#pragma once

#include <memory>
#include <string_view>

namespace solo::net {

class WebSocketSession;

void handle_text_frame(const std::shared_ptr<WebSocketSession>& session, std::string_view text);

}  // namespace solo::net
