// Router: maps (method, path pattern) to a handler coroutine.
//
// Patterns are literal segments and `{name}` placeholders that match exactly
// one non-empty segment ("/services/{id}/call"); the matched segments land in
// Request::params. A last placeholder written `{name+}` is greedy: it matches
// the rest of the path, one or more segments with their '/' (non-empty), so
// "/services/{id}/storage/{key+}" gives key "a/b" for ".../storage/a/b" (a
// storage key may hold '/'). Such a route is reported (routes(),
// Request::route) as "{name}", the OpenAPI spelling. When several patterns match a path, the one with the most
// literal segments wins ("/services/stats" beats "/services/{id}"), then the
// first added. A path no pattern matches is 404 `not_found`; a path that
// matches only under other methods is 405 with an `Allow` header.
//
// Thread safety: add() during setup only; route() may then run concurrently
// (it only reads).
#pragma once

#include "net/http_message.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace solo::net {

using Handler = std::function<asio::awaitable<Response>(Request&)>;

class Router {
 public:
  // Throws std::invalid_argument for a pattern that does not start with '/'
  // or has an empty/unterminated placeholder.
  void add(std::string method, std::string pattern, Handler handler);

  // Fills request.params and awaits the matching handler, or answers 404/405.
  asio::awaitable<Response> route(Request& request) const;

  // Every (method, pattern) in the order added (for the OpenAPI check).
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    std::size_t literal_count = 0;
    Handler handler;
    bool greedy_tail = false;  // the last segment is a `{name+}` placeholder
    // Every segment literal: the route matches exactly one path, its pattern.
    bool literal() const { return literal_count == segments.size(); }
  };

  static bool match(const Route& route, const std::vector<std::string_view>& path,
                    std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
  std::vector<std::size_t> literal_routes_;  // indexes into routes_ of the literal() ones, in the order added
};

}  // namespace solo::net
