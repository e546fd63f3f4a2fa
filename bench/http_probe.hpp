// The HTTP side of the `services` scenario: requests over keep-alive
// connections (KeepAliveClient), each connection driven by its own client
// thread, against a server in the same process on its own thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
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
  // CPU time over the measured requests (robust to other load on the
  // machine, unlike `seconds`): the client threads' together, and the
  // server's thread (when run_http was given a way to read it).
  double client_cpu_s = 0;
  double server_cpu_s = 0;
};

// Reads a server thread's CPU clock (seconds); any thread may call it.
using CpuClock = std::function<double()>;

// `connections` threads, each with one keep-alive connection, each sending
// `requests_per_connection` requests one after another (after `warmup` unmeasured ones).
HttpRun run_http(const std::string& host, unsigned short port, const HttpTarget& target, int connections,
                 int requests_per_connection, int warmup, const CpuClock& server_cpu = {});

// The CPU time (seconds) a thread has used so far, read from any thread.
double thread_cpu_seconds(std::thread::native_handle_type thread);

}  // namespace solo::bench
