// HttpClient: a small blocking HTTP/1.1 client for the CLI and the tests.
//
// It runs its own private io_context, so it works from any thread that is not
// running the server's io_context (calling it from a server coroutine would
// block the loop). One connection per call, closed afterwards: the CLI makes a
// few calls, and a fresh connection never meets a keep-alive connection the
// server has just closed for idleness.
//
// Every network step (connect, write, each read) is bounded by the timeout.
// Failures throw std::runtime_error with the URL and the reason, e.g.
// "cannot connect to http://127.0.0.1:8080: Connection refused".
//
// https:// URLs speak TLS 1.2 or later: the server's certificate must chain to
// TlsClientOptions::ca_file (default: the system's trust store) and name the
// URL's host (DNS name or IP address); SNI is sent for DNS names. A client
// certificate and key may be given for mutual TLS.
//
// Thread safety: one HttpClient per thread.
#pragma once

#include "net/http_message.hpp"
#include "net/tls_context.hpp"  // TlsClientOptions

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace solo::net {

struct ClientResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(std::string_view lower_name) const;
};

// stream() got an answer other than 2xx; it carries the status and the body.
class HttpStatusError : public std::runtime_error {
 public:
  HttpStatusError(const std::string& what, int status, std::string body)
      : std::runtime_error(what), status_(status), body_(std::move(body)) {}
  int status() const { return status_; }
  const std::string& body() const { return body_; }

 private:
  int status_;
  std::string body_;
};

class HttpClient {
 public:
  // base_url: "http://HOST:PORT" or "https://HOST:PORT" (a path, if any, is
  // ignored). Throws std::invalid_argument for anything else, and for TLS
  // files that cannot be loaded ("cannot load CA certificate FILE: why").
  // `tls` is used only for https:// URLs.
  explicit HttpClient(std::string base_url,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30),
                      TlsClientOptions tls = {});
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response. A body is sent with
  // Content-Type: application/json unless headers name another.
  ClientResponse request(std::string_view method, std::string_view target,
                         std::string_view body = {}, const HeaderList& headers = {});

  // GETs target and hands the response body to on_data piece by piece as it
  // arrives (for SSE: feed an SseParser). Returns when the body ends, the
  // server closes the connection, or on_data returns false. A non-2xx answer throws HttpStatusError. The
  // timeout applies to each read, so a stream must see data (or heartbeats)
  // at least that often.
  void stream(std::string_view target, const HeaderList& headers,
              const std::function<bool(std::string_view)>& on_data);

  const std::string& base_url() const;

  // Reuse one connection for the following requests (http:// only; the
  // default opens one per request). A request that fails drops it, and the
  // next one connects again; nothing is retried.
  void keep_alive(bool on);

  // Headers sent with every request (e.g. Authorization); a header given to a
  // call replaces the default of the same name.
  void set_default_headers(HeaderList headers);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace solo::net
