// The request and response types every HTTP handler sees.
//
// This header is deliberately light: it includes neither Beast nor Boost.URL, so
// handler translation units (many, written by several people) compile quickly.
// Only net/http_server.cpp and net/http_client.cpp include Beast; the server
// converts between Beast messages and these plain structs.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solo {
struct Capability;
}

namespace solo::net {

namespace asio = boost::asio;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One parsed HTTP request. The server owns it for the duration of the handler
// call; handlers receive it by reference and must not keep that reference
// beyond their own co_return.
struct Request {
  std::string method;  // "GET"
  std::string target;  // raw target with query, as sent
  std::string path;    // percent-decoded path without query
  std::vector<std::pair<std::string, std::string>> query;  // decoded (Boost.URL)
  HeaderList headers;                                      // names lower-cased
  std::string body;
  std::map<std::string, std::string> params;  // filled by the Router from {name} segments
  std::string remote_address;
  // Who is asking, set by the Gateway before routing: the tenant the request
  // acts for and the capability it presented (null until authentication is on).
  std::string tenant;
  std::shared_ptr<const solo::Capability> caller;
  // The matched pattern ("/services/{id}"), set by the Router; metrics label.
  // A view into the Router's own pattern: the Router is built at setup and
  // outlives every request (no copy per request).
  std::string_view route;

  // The first header with this (lower-case) name; the view points into headers.
  std::optional<std::string_view> header(std::string_view lower_name) const;
  // The first query parameter with this name, decoded.
  std::optional<std::string> query_param(std::string_view name) const;
};

// The sink of a streaming response (SSE). The server implements it over the
// connection; each write() sends one chunk (chunked transfer encoding) and
// flushes it. write() returns false once the client has gone away; after that
// every call returns false and the producer should return.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  virtual asio::awaitable<bool> write(std::string chunk) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;
  std::string body;
  // When set, the server sends the head (chunked transfer encoding, body
  // ignored), then awaits this coroutine, which writes chunks until it returns
  // or write() returns false. It runs in the connection's coroutine, so it sees
  // the server's terminal cancellation on drain(): any co_await of an Asio
  // operation then throws, which is how SSE streams stop at shutdown.
  std::function<asio::awaitable<void>(std::shared_ptr<StreamWriter>)> stream;
};

// A JSON response: body is the serialized value.
Response json_response(int status, const boost::json::value& body);

// The error shape of docs/http-api.md:
// {"error": code, "message": message, "timestamp": "2026-01-02T03:04:05.678Z"}.
Response error_response(int status, std::string_view code, std::string_view message);

}  // namespace solo::net
