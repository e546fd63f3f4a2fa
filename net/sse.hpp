// Server-Sent Events: the wire format (text/event-stream) on both sides.
//
// Server side: format_sse_event() and sse_heartbeat() produce the text a
// streaming Response writes as chunks. Client side: SseParser turns the pieces
// HttpClient::stream() delivers (split anywhere, even mid-line) back into
// events. Only the fields Solo uses are interpreted: id, event, data; comments
// (heartbeats) and unknown fields are skipped, as the SSE spec says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solo::net {

// "id: 7\nevent: service.deployed\ndata: {...}\n\n". A data value containing
// newlines becomes several data lines, which the parser joins back with '\n'.
// An empty type omits the event line (the client then sees type "message").
std::string format_sse_event(std::optional<std::uint64_t> id, std::string_view type,
                             std::string_view data);

// ": heartbeat\n\n" - a comment, ignored by clients; it keeps proxies from
// timing the stream out and lets the server notice a client that went away.
std::string sse_heartbeat();

struct SseEvent {
  std::optional<std::string> id;  // the id: field of this event, if it had one
  std::string event = "message";  // the event: field, "message" by default
  std::string data;               // data: lines joined by '\n'
};

// Incremental parser. Thread safety: none (one per stream).
class SseParser {
 public:
  // Feeds the next piece of the stream; returns the events it completed.
  std::vector<SseEvent> feed(std::string_view piece);

  // The id of the last event that carried one: what a reconnecting client
  // sends as Last-Event-ID.
  const std::optional<std::string>& last_event_id() const { return last_event_id_; }

 private:
  void process_line(std::string_view line, std::vector<SseEvent>& out);

  std::string pending_;  // bytes after the last complete line
  SseEvent current_;
  bool has_data_ = false;
  bool has_fields_ = false;
  std::optional<std::string> last_event_id_;
};

}  // namespace solo::net
