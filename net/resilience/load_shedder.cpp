#include "net/resilience/load_shedder.hpp"

#include "base/prometheus.hpp"

namespace solo::net {

LoadPermit& LoadPermit::operator=(LoadPermit&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    tenant_ = std::move(other.tenant_);
    held_ = other.held_;
    other.held_ = false;
    other.owner_.reset();
  }
  return *this;
}

void LoadPermit::release() {
  if (!held_) return;
  held_ = false;
  if (auto owner = owner_.lock()) owner->release(tenant_);
  owner_.reset();
}

Result<LoadPermit> LoadShedder::try_acquire(const std::string& tenant) {
  auto it = tenants_.find(tenant);
  size_t mine = it == tenants_.end() ? 0 : it->second;
  auto reject = [&](ErrorKind kind, const std::string& message) {
    return Error(kind, message, std::chrono::duration_cast<std::chrono::seconds>(options_.retry_after));
  };
  if (mine >= options_.tenant_limit) {
    ++shed_tenant_;
    return reject(ErrorKind::throttled,
                  "tenant " + tenant + " has " + std::to_string(mine) + " requests in flight (limit " +
                      std::to_string(options_.tenant_limit) + "); retry later");
  }
  if (in_flight_ >= options_.global_limit) {
    ++shed_global_;
    return reject(ErrorKind::overloaded,
                  "solo has " + std::to_string(in_flight_) + " requests in flight (limit " +
                      std::to_string(options_.global_limit) + "); retry later");
  }
  auto busy_at = static_cast<size_t>(static_cast<double>(options_.global_limit) * options_.fair_share_threshold);
  if (in_flight_ >= busy_at && mine > 0) {
    // Tenants with requests in flight, this one included.
    size_t active = tenants_.size();
    size_t share = std::max<size_t>(1, options_.global_limit / std::max<size_t>(1, active));
    if (mine >= share) {
      ++shed_fair_;
      return reject(ErrorKind::throttled,
                    "solo is busy and tenant " + tenant + " holds " + std::to_string(mine) +
                        " requests in flight, over its fair share of " + std::to_string(share) + "; retry later");
    }
  }
  ++in_flight_;
  if (it == tenants_.end()) {
    tenants_.emplace(tenant, 1);
  } else {
    ++it->second;
  }
  return LoadPermit(weak_from_this(), tenant);
}

void LoadShedder::release(const std::string& tenant) {
  if (in_flight_ > 0) --in_flight_;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return;
  if (--it->second == 0) tenants_.erase(it);
}

size_t LoadShedder::in_flight(const std::string& tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second;
}

uint64_t LoadShedder::shed(std::string_view reason) const {
  if (reason == "tenant") return shed_tenant_;
  if (reason == "fair_share") return shed_fair_;
  if (reason == "global") return shed_global_;
  return shed_tenant_ + shed_fair_ + shed_global_;
}

void LoadShedder::render_metrics(std::string& out) const {
  prometheus::family(out, "solo_shed_requests_total", "Requests refused by load shedding, by reason.", "counter");
  prometheus::sample(out, "solo_shed_requests_total", {{"reason", "tenant"}}, static_cast<double>(shed_tenant_));
  prometheus::sample(out, "solo_shed_requests_total", {{"reason", "fair_share"}}, static_cast<double>(shed_fair_));
  prometheus::sample(out, "solo_shed_requests_total", {{"reason", "global"}}, static_cast<double>(shed_global_));
  prometheus::gauge(out, "solo_load_in_flight", "Requests holding a load-shedding permit.",
                    static_cast<double>(in_flight_));
  prometheus::family(out, "solo_load_tenant_in_flight", "Requests in flight per tenant (tenants with any).", "gauge");
  for (const auto& [tenant, count] : tenants_) {
    prometheus::sample(out, "solo_load_tenant_in_flight", {{"tenant", tenant}}, static_cast<double>(count));
  }
  prometheus::family(out, "solo_load_limit", "In-flight limits of load shedding.", "gauge");
  prometheus::sample(out, "solo_load_limit", {{"scope", "global"}}, static_cast<double>(options_.global_limit));
  prometheus::sample(out, "solo_load_limit", {{"scope", "tenant"}}, static_cast<double>(options_.tenant_limit));
}

}  // namespace solo::net
