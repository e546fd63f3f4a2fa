// The framing of `solo mcp` (apps/mcp_stdio_proxy.hpp): MCP's stdio transport
// is newline-delimited JSON-RPC, the server's /mcp speaks HTTP bodies and
// Server-Sent Events. These pure functions translate between the two, so the
// proxy itself only moves bytes; they are unit-tested in
// tests/unit/apps/mcp_stdio_framing_test.cpp.
//
// Owner: the stdio client work (solo mcp). No I/O here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "net/sse.hpp"

namespace solo::mcp_stdio {

// The longest stdin line the proxy forwards: the server's request body limit
// (net/http_server.hpp, max_body_bytes), so a line the proxy accepts is one
// the server can read.
inline constexpr std::size_t kMaxLineBytes = 1024 * 1024;

// Splits stdin into lines. A line longer than the cap is not kept: its bytes
// are dropped up to its newline and it comes out as an `oversized` line, so
// the proxy answers it with an error instead of growing without bound.
class LineSplitter {
 public:
  struct Line {
    std::string text;  // without the '\n' (and a trailing '\r')
    bool oversized = false;
  };

  explicit LineSplitter(std::size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  // Feeds the next piece of input; returns the lines it completed.
  std::vector<Line> feed(std::string_view piece);
  // At EOF: the last line when the input did not end with '\n'.
  std::optional<Line> finish();

 private:
  std::size_t max_line_;
  std::string pending_;
  bool dropping_ = false;  // inside an oversized line
};

// What a stdin line is, as far as the proxy must know: which ids await an
// answer (to answer them with an error when the server cannot be reached),
// whether it is `initialize` (the session starts with its answer), and
// whether it is blank (skipped). Anything else the server judges: a line that
// is not JSON-RPC is forwarded, and the server answers it as the spec says.
struct LineKind {
  bool blank = false;
  bool initialize = false;
  std::vector<boost::json::value> request_ids;  // requests in the line (several in a batch)
};
LineKind classify(std::string_view line);

// The JSON-RPC messages of one HTTP answer to a POST, each serialized on one
// line (no trailing '\n'): a JSON body (a message, or a batch as one array
// line), or for text/event-stream the data of each event. An empty body (202)
// gives none. A body that is not JSON-RPC (not JSON, or Solo's REST error
// {"error","message"}) gives none: the caller reports it.
std::vector<std::string> answer_lines(std::string_view content_type, std::string_view body);

// The data of one SSE event as a stdout line; nullopt for an event without
// a JSON-RPC message (a priming event with an empty data field, say).
std::optional<std::string> event_line(const net::SseEvent& event);

// {"jsonrpc":"2.0","id":ID,"error":{"code":CODE,"message":MESSAGE}} on one line.
std::string error_line(const boost::json::value& id, int code, std::string_view message);

// The message for a POST the server answered with a status that carried no
// JSON-RPC message (401 with Solo's {"error","message"} body, 404 for a
// session the server no longer knows, ...): what happened, for a model to read.
// in_session: the request carried an Mcp-Session-Id (a 404 then means the
// session is gone, not that the endpoint is missing).
std::string status_message(int status, std::string_view body, bool in_session);

}  // namespace solo::mcp_stdio
