#include "net/api/service_figures.hpp"

#include <algorithm>
#include <tuple>

#include <boost/json.hpp>

#include "base/iso8601.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/services/service_directory.hpp"
#include "net/api/api_context.hpp"
#include "net/resilience/circuit_breaker.hpp"

namespace solo::net {

boost::json::object service_stats(const ApiContext& context, const ServiceActor& actor) {
  auto stats = actor.stats_json();
  // Closed until a call reached the service (a breaker is made on its first call).
  const auto circuit = context.breakers
                           ? context.breakers->state_of(actor.spec().tenant_id, actor.spec().service_id, &actor)
                           : CircuitState::closed;
  stats["circuit"] = to_string(circuit);
  return stats;
}

std::string stats_frame(const ApiContext& context, const std::string& tenant) {
  std::vector<std::shared_ptr<ServiceActor>> actors;
  if (context.services) {
    actors = tenant.empty() ? context.services->all() : context.services->deployed(tenant);
  }
  std::sort(actors.begin(), actors.end(), [](const auto& a, const auto& b) {
    return std::tie(a->spec().tenant_id, a->spec().service_id) < std::tie(b->spec().tenant_id, b->spec().service_id);
  });
  boost::json::array services;
  const size_t shown = std::min(actors.size(), kStatsFrameServices);
  for (size_t i = 0; i < shown; ++i) {
    const auto& actor = *actors[i];
    boost::json::object item{{"id", actor.spec().service_id}, {"status", to_string(actor.state())}};
    if (tenant.empty()) item["tenant"] = actor.spec().tenant_id;
    item["stats"] = service_stats(context, actor);
    services.push_back(std::move(item));
  }
  boost::json::object frame{{"type", "stats"}, {"at", utc_now_iso8601()}};
  frame["services"] = std::move(services);
  frame["total"] = actors.size();
  frame["truncated"] = actors.size() > shown;
  return boost::json::serialize(frame);
}

}  // namespace solo::net
