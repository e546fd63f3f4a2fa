// CliClient: how a CLI verb talks to the server — the base URL, the identity
// headers, and the mapping of failures to exit codes.
//
// Exit codes (docs/cli.md):
//   0  success
//   1  the server answered with an error (its message is printed)
//   2  usage error (bad arguments, unreadable file, invalid JSON argument,
//      a --url that is not http://HOST:PORT)
//   3  the server cannot be reached (connection refused, no answer in time)
//
// Failures throw: ServerError (1), UsageError (2), Unreachable (3); run_cli
// prints them and returns the code. Thread safety: one client per thread.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "apps/cli_args.hpp"
#include "net/http_client.hpp"

namespace solo {

constexpr int kExitOk = 0;
constexpr int kExitServerError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

// The server could not be reached (or did not answer); exit 3.
class Unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server answered with an error status; exit 1. what() is readable:
// "404 not_found: no service counter".
class ServerError : public std::runtime_error {
 public:
  ServerError(int status, std::string code, const std::string& message);
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// --url, else $SOLO_URL, else http://127.0.0.1:8080.
std::string server_url(const CliArgs& args);

// The headers that say who is asking: X-Tenant-ID from --tenant or
// $SOLO_TENANT, and Authorization: Bearer from --token or $SOLO_TOKEN or
// else <data>/admin.token (--data, default ./data). The one
// place that decides identity, so the switch to tokens changes only this.
net::HeaderList identity_headers(const CliArgs& args);

// For https:// URLs: --ca-cert, --client-cert, --client-key (or $SOLO_CA_CERT,
// $SOLO_CLIENT_CERT, $SOLO_CLIENT_KEY). UsageError when only one of the pair is given.
net::TlsClientOptions tls_options(const CliArgs& args);

// An HttpClient for server_url(args); UsageError for a bad --url or TLS file.
net::HttpClient make_http(const CliArgs& args, std::chrono::milliseconds timeout);

// Percent-encodes a path segment or query parameter value (Boost.URL: every
// byte but the RFC 3986 unreserved characters).
std::string url_encode(std::string_view text);

// Parses a non-negative integer option; UsageError naming `what` otherwise.
int64_t parse_count(const std::string& text, const std::string& what);

class CliClient {
 public:
  explicit CliClient(const CliArgs& args, std::chrono::milliseconds timeout = std::chrono::seconds(90));

  // Sends a request with the identity headers; throws Unreachable when there
  // is no answer. Any status is returned. A cluster node standing by (503
  // `standby`, docs/cluster.md) names the active node: the request goes there
  // once, and so do the client's later requests.
  net::ClientResponse send(std::string_view method, std::string_view target, std::string_view body = {},
                           net::HeaderList extra = {});

  // send(), then throws ServerError unless the status is 2xx; returns the response.
  net::ClientResponse expect(std::string_view method, std::string_view target, std::string_view body = {});

  // expect() and the body parsed as JSON.
  boost::json::value expect_json(std::string_view method, std::string_view target, std::string_view body = {});

  // Follows an SSE stream until the server ends it; on_data gets raw pieces.
  void stream(std::string_view target, const std::function<bool(std::string_view)>& on_data);

 private:
  // 503 `standby` naming another node's URL: switch to it (once); true when the request should be sent again.
  bool follow_standby(int status, const std::string& body);

  net::HeaderList headers_;
  net::HttpClient http_;
  std::chrono::milliseconds timeout_;
  net::TlsClientOptions tls_;
  bool followed_ = false;
};

// A ServerError from an error response ({"error","message"} or any body).
ServerError server_error(const net::ClientResponse& response);

}  // namespace solo
