#include "engine/telemetry/service_metrics.hpp"

#include <array>
#include <map>
#include <vector>

#include "base/prometheus.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/services/service_directory.hpp"

namespace solo {

namespace {

// One series' worth of figures: a tenant's sum, or one opted-in service.
struct Figures {
  uint64_t calls = 0;
  uint64_t casts = 0;
  std::array<uint64_t, kCallFailureKinds> errors{};
  LatencyHistogram latency;
  double cpu_seconds = 0;
  uint64_t instructions = 0;
  uint64_t memory_bytes = 0;
  uint64_t mailbox = 0;
  uint64_t restarts = 0;

  void add(const ServiceActor& actor) {
    const auto& stats = actor.stats();
    calls += stats.calls();
    casts += stats.casts();
    for (size_t i = 0; i < kCallFailureKinds; ++i) errors[i] += stats.errors(static_cast<CallFailure>(i));
    latency.add(stats.latency());
    cpu_seconds += std::chrono::duration<double>(actor.cpu_time()).count();
    instructions += actor.instructions();
    memory_bytes += actor.memory_bytes();
    mailbox += actor.queue_length();
    restarts += static_cast<uint64_t>(actor.restarts());
  }
};

struct Series {
  std::string tenant;
  std::string service;  // empty: the tenant's aggregate
  Figures figures;
};

// A sample with the series' labels (tenant, and service when it has one).
void sample(std::string& out, std::string_view name, const Series& series, double value) {
  if (series.service.empty()) {
    prometheus::sample(out, name, {{"tenant", series.tenant}}, value);
  } else {
    prometheus::sample(out, name, {{"tenant", series.tenant}, {"service", series.service}}, value);
  }
}

template <class Read>
void family(std::string& out, std::string_view name, std::string_view help, std::string_view type,
            const std::vector<Series>& all, Read read) {
  if (all.empty()) return;
  prometheus::family(out, name, help, type);
  for (const auto& series : all) sample(out, name, series, static_cast<double>(read(series.figures)));
}

void histogram(std::string& out, const std::vector<Series>& all) {
  if (all.empty()) return;
  constexpr std::string_view name = "solo_service_call_duration_seconds";
  prometheus::family(out, name, "Latency of calls to services (log2 buckets of microseconds).", "histogram");
  for (const auto& series : all) {
    const auto& h = series.figures.latency;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < LatencyHistogram::finite_buckets; ++i) {
      cumulative += h.counts()[i];
      const std::string le = prometheus::number(static_cast<double>(LatencyHistogram::upper_us(i)) / 1e6);
      if (series.service.empty()) {
        prometheus::sample(out, "solo_service_call_duration_seconds_bucket", {{"tenant", series.tenant}, {"le", le}},
                           static_cast<double>(cumulative));
      } else {
        prometheus::sample(out, "solo_service_call_duration_seconds_bucket",
                           {{"tenant", series.tenant}, {"service", series.service}, {"le", le}},
                           static_cast<double>(cumulative));
      }
    }
    if (series.service.empty()) {
      prometheus::sample(out, "solo_service_call_duration_seconds_bucket", {{"tenant", series.tenant}, {"le", "+Inf"}},
                         static_cast<double>(h.count()));
    } else {
      prometheus::sample(out, "solo_service_call_duration_seconds_bucket",
                         {{"tenant", series.tenant}, {"service", series.service}, {"le", "+Inf"}},
                         static_cast<double>(h.count()));
    }
    sample(out, "solo_service_call_duration_seconds_sum", series, static_cast<double>(h.sum_us()) / 1e6);
    sample(out, "solo_service_call_duration_seconds_count", series, static_cast<double>(h.count()));
  }
}

}  // namespace

void render_service_metrics(std::string& out, const ServiceDirectory& services) {
  // tenant -> its aggregate, then its opted-in services (sorted: stable output).
  std::map<std::string, Series> tenants;
  std::map<std::pair<std::string, std::string>, Series> opted_in;
  std::map<std::pair<std::string, std::string>, uint64_t> by_status;
  for (const auto& actor : services.all()) {
    const auto& spec = actor->spec();
    auto& tenant = tenants[spec.tenant_id];
    tenant.tenant = spec.tenant_id;
    tenant.figures.add(*actor);
    ++by_status[{spec.tenant_id, to_string(actor->state())}];
    if (spec.per_service_metrics) {
      auto& own = opted_in[{spec.tenant_id, spec.service_id}];
      own.tenant = spec.tenant_id;
      own.service = spec.service_id;
      own.figures.add(*actor);
    }
  }
  std::vector<Series> all;
  all.reserve(tenants.size() + opted_in.size());
  for (auto& [tenant, series] : tenants) all.push_back(std::move(series));
  for (auto& [key, series] : opted_in) all.push_back(std::move(series));

  family(out, "solo_service_calls_total", "Calls to services (answered or failed).", "counter", all,
         [](const Figures& f) { return f.calls; });
  family(out, "solo_service_casts_total", "Casts to services (queued or refused).", "counter", all,
         [](const Figures& f) { return f.casts; });
  if (!all.empty()) {
    constexpr std::string_view errors = "solo_service_errors_total";
    prometheus::family(out, errors, "Failed calls and refused casts of services, by kind.", "counter");
    for (const auto& series : all) {
      for (size_t i = 0; i < kCallFailureKinds; ++i) {
        const auto kind = to_string(static_cast<CallFailure>(i));
        const auto value = static_cast<double>(series.figures.errors[i]);
        if (series.service.empty()) {
          prometheus::sample(out, errors, {{"tenant", series.tenant}, {"kind", kind}}, value);
        } else {
          prometheus::sample(out, errors, {{"tenant", series.tenant}, {"service", series.service}, {"kind", kind}},
                             value);
        }
      }
    }
  }
  histogram(out, all);
  family(out, "solo_service_cpu_seconds_total", "Engine CPU time used by service handlers.", "counter", all,
         [](const Figures& f) { return f.cpu_seconds; });
  family(out, "solo_service_instructions_total", "Lua VM instructions run by service handlers.", "counter", all,
         [](const Figures& f) { return f.instructions; });
  family(out, "solo_service_memory_bytes", "Memory held by services (heap, timers, queued messages).", "gauge", all,
         [](const Figures& f) { return f.memory_bytes; });
  family(out, "solo_service_mailbox_messages", "Messages waiting in services' mailboxes.", "gauge", all,
         [](const Figures& f) { return f.mailbox; });
  family(out, "solo_service_restarts_total", "Restarts of services after a crash.", "counter", all,
         [](const Figures& f) { return f.restarts; });
  if (!by_status.empty()) {
    prometheus::family(out, "solo_tenant_services", "Deployed services by tenant and status.", "gauge");
    for (const auto& [key, count] : by_status) {
      prometheus::sample(out, "solo_tenant_services", {{"tenant", key.first}, {"status", key.second}},
                         static_cast<double>(count));
    }
  }
}

}  // namespace solo
