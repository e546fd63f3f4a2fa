#include "engine/resilience/load_shedder.hpp"

namespace solo {

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

namespace {
std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

void LoadShedder::render_metrics(std::string& out) const {
  out += "# HELP solo_shed_requests_total Requests refused by load shedding, by reason.\n";
  out += "# TYPE solo_shed_requests_total counter\n";
  out += "solo_shed_requests_total{reason=\"tenant\"} " + std::to_string(shed_tenant_) + "\n";
  out += "solo_shed_requests_total{reason=\"fair_share\"} " + std::to_string(shed_fair_) + "\n";
  out += "solo_shed_requests_total{reason=\"global\"} " + std::to_string(shed_global_) + "\n";
  out += "# HELP solo_load_in_flight Requests holding a load-shedding permit.\n";
  out += "# TYPE solo_load_in_flight gauge\n";
  out += "solo_load_in_flight " + std::to_string(in_flight_) + "\n";
  out += "# HELP solo_load_tenant_in_flight Requests in flight per tenant (tenants with any).\n";
  out += "# TYPE solo_load_tenant_in_flight gauge\n";
  for (const auto& [tenant, count] : tenants_) {
    out += "solo_load_tenant_in_flight{tenant=\"" + label_value(tenant) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP solo_load_limit In-flight limits of load shedding.\n";
  out += "# TYPE solo_load_limit gauge\n";
  out += "solo_load_limit{scope=\"global\"} " + std::to_string(options_.global_limit) + "\n";
  out += "solo_load_limit{scope=\"tenant\"} " + std::to_string(options_.tenant_limit) + "\n";
}

}  // namespace solo
