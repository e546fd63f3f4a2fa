// The HTTP side of the `services` scenario: requests over keep-alive
// connections (KeepAliveClient), each connection driven by its own client
// thread, against a server in the same process on its own thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace solo::bench {

struct HttpTarget {
  std::string method;  // "GET", "POST"
  std::string target;  // "/health"
  std::string body;    // sent as application/json when not empty
  std::string token;   // bearer token, when the server asks for one
};

struct HttpRun {
  double seconds = 0;               // first request sent to the last answer read, over all connections
  std::vector<int64_t> latency_ns;  // every request's, sorted ascending
};

// `connections` threads, each with one keep-alive connection, each sending
// `requests_per_connection` requests one after another (after `warmup` unmeasured ones).
HttpRun run_http(const std::string& host, unsigned short port, const HttpTarget& target, int connections,
                 int requests_per_connection, int warmup);

}  // namespace solo::bench
