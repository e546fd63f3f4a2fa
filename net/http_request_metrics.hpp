// HTTP request figures for /metrics: requests answered by route pattern (not
// the raw path, so the label set stays bounded), method and status, and a
// latency histogram. The Gateway owns one and feeds it from the server's
// on_request hook; it renders them with its connection gauges.
//
// Engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "base/histogram.hpp"

namespace solo::net {

class HttpRequestMetrics {
 public:
  // No allocation once a (route, method, status) has been seen: the lookup
  // compares views against the stored keys.
  void observe(std::string_view route, std::string_view method, int status, double seconds);
  // solo_http_requests_total and solo_http_request_duration_seconds.
  void render(std::string& out) const;

 private:
  using Key = std::tuple<std::string, std::string, int>;
  using KeyView = std::tuple<std::string_view, std::string_view, int>;
  // Orders stored keys and looked-up views alike (as views), so find() takes
  // a KeyView. Spelled out: clang 14 cannot compare a tuple of strings with a
  // tuple of views.
  struct KeyLess {
    using is_transparent = void;
    static KeyView view(const Key& key) { return {std::get<0>(key), std::get<1>(key), std::get<2>(key)}; }
    static const KeyView& view(const KeyView& key) { return key; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
  };
  std::map<Key, uint64_t, KeyLess> requests_;
  Histogram request_seconds_{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5}};
};

}  // namespace solo::net
