// A service's `stats` object as the API shows it (GET /services/{id},
// GET /services list items, the WebSocket stats frames): the actor's figures
// (ServiceActor::stats_json) plus the state of the gateway's circuit breaker
// in front of it, which lives here in net/ and not in the engine.
// Engine thread only.
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace solo {
class ServiceActor;
}

namespace solo::net {

struct ApiContext;

// Most services one stats frame lists: a frame a second stays bounded
// (~1 KiB a service) whatever the number of services.
inline constexpr size_t kStatsFrameServices = 500;

// {"calls", ..., "storage": {...}, "circuit": "closed"|"open"|"half_open", "since"}.
boost::json::object service_stats(const ApiContext& context, const ServiceActor& actor);

// The WebSocket stats frame: {"type": "stats", "at", "services": [{"id",
// "status", "stats"} ...], "total", "truncated"} for `tenant`'s services;
// `tenant` empty: every tenant's (admin), each item with "tenant".
// At most kStatsFrameServices items, by tenant and id.
std::string stats_frame(const ApiContext& context, const std::string& tenant);

}  // namespace solo::net
