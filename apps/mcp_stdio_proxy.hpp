// `solo mcp`: MCP's stdio transport for agent hosts that launch a command,
// relayed to a Solo server's Streamable HTTP endpoint (/mcp), so that stdio
// and HTTP agents meet literally the same server (docs/mcp.md, "Connecting").
//
// What moves where:
//   stdin  -> each newline-delimited JSON-RPC message is POSTed to URL/mcp
//             with the token, the Mcp-Session-Id the server gave at
//             initialize and the negotiated MCP-Protocol-Version;
//   stdout <- each JSON-RPC message of the answer (a JSON body, or the events
//             of an SSE body), one per line; a 202 writes nothing; and, once
//             the session exists, each message of its GET stream (reconnected
//             with Last-Event-ID when it drops).
//   stderr <- diagnostics. Nothing but JSON-RPC ever reaches stdout.
// A request the server cannot answer (unreachable, an HTTP error without a
// JSON-RPC body) gets a JSON-RPC error response (-32603, a readable message),
// never silence. At stdin EOF (or SIGTERM/SIGINT) the proxy finishes the
// messages already read, DELETEs the session and exits 0.
//
// Threads: the main thread runs an io_context that reads stdin
// (posix::stream_descriptor) and decides what to send when; the blocking
// HttpClient calls run on a small pool, so stdin is read while calls are in
// flight (a cancellation or a ping gets through during a long tools/call);
// the GET stream has its own thread. Ordering: `initialize` and every message
// that is not a request (notifications, responses) are sent alone, in order;
// requests overlap, at most kMaxInFlight at once. Bounds: a stdin line is at
// most kMaxLineBytes (apps/mcp_stdio_framing.hpp); stdin is not read while
// kMaxQueued lines wait.
//
// Owner: the stdio client work (solo mcp); the verb is apps/cli_mcp.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "net/http_message.hpp"
#include "net/tls_context.hpp"

namespace solo::mcp_stdio {

inline constexpr std::size_t kMaxInFlight = 8;
inline constexpr std::size_t kMaxQueued = 64;

struct ProxyOptions {
  std::string url;            // the server, http(s)://HOST:PORT; the proxy talks to URL/mcp
  net::HeaderList identity;   // Authorization: Bearer (and X-Tenant-ID when given)
  net::TlsClientOptions tls;  // https:// only
  // One POST's answer may take this long (a tools/call of a slow service).
  std::chrono::milliseconds call_timeout = std::chrono::seconds(120);
  // The GET stream is reconnected when it is silent this long (the server
  // sends a heartbeat every 15 s by default).
  std::chrono::milliseconds stream_idle = std::chrono::seconds(60);
};

// Runs the proxy on the given descriptors until stdin ends; returns the exit
// code (0).
int run_proxy(const ProxyOptions& options, int in_fd, int out_fd);

}  // namespace solo::mcp_stdio
