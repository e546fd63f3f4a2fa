// Router: pattern matching over '/'-separated segments of the decoded path.
//
// Matching runs on Request::path, which the server has already
// percent-decoded; identifiers are restricted to [A-Za-z0-9_.-]
// (docs/http-api.md), so a decoded '/' inside an id cannot occur legitimately;
// a storage key may hold one: its route takes the rest of the path ({key+}).
#include "net/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace solo::net {
namespace {

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}. Keeping the empty last segment makes
// "/services/" a different path from "/services", as it is in HTTP.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  Route route{std::move(method), pattern, {}, 0, std::move(handler)};
  const auto segments = split_path(pattern);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto segment = segments[i];
    if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
      auto name = segment.substr(1, segment.size() - 2);
      if (!name.empty() && name.back() == '+') {
        if (i + 1 != segments.size()) {
          throw std::invalid_argument("a {name+} placeholder must be the last segment: " + pattern);
        }
        name.remove_suffix(1);
        route.greedy_tail = true;
      }
      route.segments.push_back({std::string(name), true});
      if (route.segments.back().text.empty()) {
        throw std::invalid_argument("empty placeholder in route pattern: " + pattern);
      }
    } else if (segment.find_first_of("{}") != std::string_view::npos) {
      throw std::invalid_argument("malformed placeholder in route pattern: " + pattern);
    } else {
      route.segments.push_back({std::string(segment), false});
      ++route.literal_count;
    }
  }
  if (route.greedy_tail) route.pattern.erase(route.pattern.size() - 2, 1);  // "{key+}" -> "{key}"
  if (route.literal()) literal_routes_.push_back(routes_.size());
  routes_.push_back(std::move(route));
}

bool Router::match(const Route& route, const std::vector<std::string_view>& path,
                   std::map<std::string, std::string>* params) {
  if (route.greedy_tail ? path.size() < route.segments.size() : route.segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < route.segments.size(); ++i) {
    const auto& segment = route.segments[i];
    if (route.greedy_tail && i + 1 == route.segments.size()) {
      // The rest of the path, '/' included: the views point into one string.
      const std::string_view rest(path[i].data(),
                                  static_cast<std::size_t>(path.back().data() + path.back().size() - path[i].data()));
      if (rest.empty()) return false;
      if (params) (*params)[segment.text] = std::string(rest);
    } else if (segment.is_param) {
      if (path[i].empty()) return false;
      if (params) (*params)[segment.text] = std::string(path[i]);
    } else if (segment.text != path[i]) {
      return false;
    }
  }
  return true;
}

namespace {
asio::awaitable<Response> answer(Response response) { co_return response; }
}  // namespace

// Not a coroutine itself: it hands back the matched handler's awaitable, so a
// request costs no coroutine frame of the Router's own.
asio::awaitable<Response> Router::route(Request& request) const {
  // A literal route whose pattern is the path itself has the most literal
  // segments any route can have on that path, so it wins (the first added
  // among equals, as below): found without splitting the path or trying every
  // pattern (/health, /metrics, /services are polled or called often).
  for (const auto index : literal_routes_) {
    const auto& route = routes_[index];
    if (route.pattern == request.path && route.method == request.method) {
      request.route = route.pattern;
      return route.handler(request);
    }
  }
  const auto path = split_path(request.path);
  const Route* best = nullptr;
  std::vector<std::string_view> allowed;  // other methods on this path, for 405
  for (const auto& route : routes_) {
    if (!match(route, path, nullptr)) continue;
    if (route.method == request.method) {
      if (!best || route.literal_count > best->literal_count) best = &route;
    } else if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
    }
  }
  if (best) {
    match(*best, path, &request.params);
    request.route = best->pattern;
    return best->handler(request);
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto method : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    auto response = error_response(405, "method_not_allowed",
                                   request.method + " is not allowed on " + request.path);
    response.headers.emplace_back("Allow", allow);
    return answer(std::move(response));
  }
  return answer(error_response(404, "not_found", "no route for " + request.path));
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

}  // namespace solo::net
