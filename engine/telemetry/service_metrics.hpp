// The per-service figures on /metrics (docs/operations.md, "Per-service
// figures"), with bounded cardinality: every family has one series per
// tenant (label tenant=...), the sum over that tenant's services; a service
// whose spec says "metrics": "per_service" (at most kMaxPerServiceMetrics
// per tenant, engine/services/service_spec.hpp) adds its own series to the
// same family, told apart by a service=... label. Sum over the samples
// without a service label ({service=""} in PromQL) to avoid counting twice.
//
// Read from the actors (ServiceActor::stats() and its figures) when /metrics
// is rendered; nothing is counted twice. Engine thread only.
#pragma once

#include <string>

namespace solo {

class ServiceDirectory;

// Appends solo_service_calls_total, solo_service_casts_total,
// solo_service_errors_total{kind}, solo_service_call_duration_seconds
// (histogram), solo_service_cpu_seconds_total, solo_service_instructions_total,
// solo_service_memory_bytes, solo_service_mailbox_messages,
// solo_service_restarts_total and solo_tenant_services{status}.
void render_service_metrics(std::string& out, const ServiceDirectory& services);

}  // namespace solo
