// The part of a Prometheus text exposition that one tenant may see.
//
// GET /metrics with a tenant's token (net/api/system_routes.cpp) shows only
// the samples labelled tenant="<that tenant>", with the # HELP and # TYPE lines
// of their metric families; process-wide series (no tenant label) and other
// tenants' are left out, since they would tell one tenant about the others.
#pragma once

#include <string>
#include <string_view>

namespace solo {

// The samples of `exposition` whose tenant label equals `tenant`, with the
// HELP/TYPE comments of the families that keep at least one sample.
std::string tenant_series(std::string_view exposition, std::string_view tenant);

}  // namespace solo
