// KeepAliveClient: one HTTP/1.1 connection reused for every request, for
// measuring request latency without connection setup (net::HttpClient opens
// a connection per call, which is right for the CLI and wrong here).
//
// Blocking (Beast over a plain TCP socket, its own io_context); use one per
// thread. A status other than the expected one, or the server closing the
// connection, throws std::runtime_error: a benchmark must not count failures
// as fast answers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace solo::bench {

class KeepAliveClient {
 public:
  // `bearer_token`, when not empty, goes with every request as Authorization.
  KeepAliveClient(const std::string& host, unsigned short port, std::string bearer_token = {});
  ~KeepAliveClient();
  KeepAliveClient(const KeepAliveClient&) = delete;
  KeepAliveClient& operator=(const KeepAliveClient&) = delete;

  // Sends one request (a body goes as application/json) and reads the whole
  // response; returns its body. Throws unless the status is `expect_status`.
  std::string request(std::string_view method, std::string_view target, std::string_view body = {},
                      int expect_status = 200);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace solo::bench
