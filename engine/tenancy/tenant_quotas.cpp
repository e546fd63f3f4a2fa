#include "engine/tenancy/tenant_quotas.hpp"

#include <boost/json.hpp>

#include "engine/security/capability.hpp"
#include "engine/tenancy/quota_exceeded.hpp"
#include "stores/quota_store.hpp"

namespace solo {

namespace {

constexpr int64_t kWindowMinutes = 60;

boost::json::object parse_overrides(const std::string& text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) throw StoreError("tenant_quotas.overrides is not a JSON object: " + text);
  return value.as_object();
}

NewEvent quota_event(const std::string& tenant, const TenantQuota& quota, const boost::json::object& set,
                     const std::string& set_by) {
  NewEvent event;
  event.event_type = "tenant_quota_set";
  event.tenant_id = tenant;
  event.subject = tenant;
  boost::json::object payload;
  payload["tenant_id"] = tenant;
  payload["quota"] = quota.to_json();
  payload["set"] = set;
  payload["set_by"] = set_by;
  event.payload = std::move(payload);
  return event;
}

// Marks a tenant's quota as changing for the duration of one set().
class ChangeGuard {
 public:
  ChangeGuard(std::set<std::string, std::less<>>& changing, std::string tenant)
      : changing_(changing), tenant_(std::move(tenant)) {
    changing_.insert(tenant_);
  }
  ~ChangeGuard() { changing_.erase(tenant_); }
  ChangeGuard(const ChangeGuard&) = delete;
  ChangeGuard& operator=(const ChangeGuard&) = delete;

 private:
  std::set<std::string, std::less<>>& changing_;
  std::string tenant_;
};

}  // namespace

bool is_quota_exempt(const std::string& tenant) { return tenant.empty() || tenant == kAdminTenant; }

QuotaReservation::QuotaReservation(std::shared_ptr<PendingQuota> pending, std::string tenant, std::string quota,
                                   uint64_t amount)
    : pending_(std::move(pending)), tenant_(std::move(tenant)), quota_(std::move(quota)), amount_(amount) {
  (*pending_)[tenant_][quota_] += amount_;
}

QuotaReservation::QuotaReservation(QuotaReservation&& other) noexcept { *this = std::move(other); }

QuotaReservation& QuotaReservation::operator=(QuotaReservation&& other) noexcept {
  if (this != &other) {
    release();
    pending_ = std::move(other.pending_);
    tenant_ = std::move(other.tenant_);
    quota_ = std::move(other.quota_);
    amount_ = other.amount_;
    other.pending_.reset();
  }
  return *this;
}

void QuotaReservation::release() {
  if (!pending_) return;
  auto tenant = pending_->find(tenant_);
  if (tenant != pending_->end()) {
    auto it = tenant->second.find(quota_);
    if (it != tenant->second.end()) {
      it->second -= std::min(it->second, amount_);
      if (it->second == 0) tenant->second.erase(it);
    }
    if (tenant->second.empty()) pending_->erase(tenant);
  }
  pending_.reset();
}

TenantQuotas::TenantQuotas(std::shared_ptr<EventStore> events, ServiceLimitsMax ceilings, Clock clock)
    : events_(std::move(events)), ceilings_(ceilings), defaults_(TenantQuota::defaults(ceilings)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

int64_t TenantQuotas::minute_now() const {
  return std::chrono::duration_cast<std::chrono::minutes>(clock_().time_since_epoch()).count();
}

asio::awaitable<size_t> TenantQuotas::restore() {
  std::function<std::vector<QuotaRow>(Database&)> load = [](Database& db) { return QuotaStore::load_all(db); };
  auto rows = co_await events_->read<std::vector<QuotaRow>>(std::move(load));
  overrides_.clear();
  effective_.clear();
  for (const auto& row : rows) {
    overrides_[row.tenant_id] = parse_overrides(row.overrides);
    effective_.insert_or_assign(row.tenant_id, effective(overrides_[row.tenant_id]));
  }

  // Start counting before the read, so that nothing committed meanwhile is
  // missed; an event in both (committed while the query ran) counts twice,
  // which errs on the tenant's side of nothing.
  subscription_ = events_->subscribe([this](const Event& event) {
    if (event.tenant_id.empty()) return;
    count(event.tenant_id, minute_now(), event.payload.size());
  });
  auto since = format_iso8601(clock_() - std::chrono::minutes(kWindowMinutes));
  std::function<std::vector<EventBytesRow>(Database&)> recent = [since](Database& db) {
    return QuotaStore::event_bytes_since(db, since);
  };
  window_.clear();
  for (const auto& row : co_await events_->read<std::vector<EventBytesRow>>(std::move(recent))) {
    count(row.tenant_id, row.minute, row.bytes);
  }
  co_return rows.size();
}

TenantQuota TenantQuotas::effective(const boost::json::object& overrides) const {
  auto quota = TenantQuota::defaults(ceilings_);
  for (const auto& [key, value] : overrides) {
    try {
      quota.merge(boost::json::object{{key, value}}, ceilings_);
    } catch (const QuotaError&) {
      // Set under another version of solo (other ceilings or fields): the default holds.
    }
  }
  return quota;
}

uint64_t TenantQuotas::quota_value(const std::string& tenant, std::string_view name) const {
  auto it = effective_.find(tenant);
  if (it != effective_.end()) return it->second.get(name);
  return defaults_.get(name);
}

TenantQuota TenantQuotas::quota(const std::string& tenant) const {
  auto it = effective_.find(tenant);
  return it == effective_.end() ? TenantQuota::defaults(ceilings_) : it->second;
}

asio::awaitable<TenantQuota> TenantQuotas::set(std::string tenant, boost::json::object partial, std::string set_by) {
  auto next = quota(tenant);
  next.merge(partial, ceilings_);  // throws QuotaError before anything is written
  if (changing_.count(tenant)) {
    throw QuotaChangeInProgress("another change of tenant " + tenant + "'s quota is being committed; retry");
  }
  boost::json::object overrides = overrides_.count(tenant) ? overrides_.at(tenant) : boost::json::object();
  for (const auto& [key, value] : partial) overrides[key] = value;
  QuotaRow row{tenant, boost::json::serialize(overrides)};
  ChangeGuard changing(changing_, tenant);
  co_await events_->append_durable(quota_event(tenant, next, partial, set_by), QuotaStore::upsert(std::move(row)));
  overrides_[tenant] = std::move(overrides);
  effective_.insert_or_assign(tenant, next);
  co_return next;
}

QuotaReservation TenantQuotas::reserve(const std::string& tenant, const std::string& quota_name, uint64_t used,
                                       uint64_t amount) {
  if (is_quota_exempt(tenant)) return {};
  uint64_t limit = quota(tenant).get(quota_name);
  uint64_t in_use = used + pending(tenant, quota_name);
  if (in_use + amount > limit) {
    throw QuotaExceeded(quota_name, limit, in_use,
                        "quota '" + quota_name + "' of tenant " + tenant + " exceeded: limit " +
                            std::to_string(limit) + ", in use " + std::to_string(in_use) + ", this request needs " +
                            std::to_string(amount) + " more");
  }
  return QuotaReservation(pending_, tenant, quota_name, amount);
}

uint64_t TenantQuotas::pending(const std::string& tenant, const std::string& quota_name) const {
  auto it = pending_->find(tenant);
  if (it == pending_->end()) return 0;
  auto amount = it->second.find(quota_name);
  return amount == it->second.end() ? 0 : amount->second;
}

void TenantQuotas::count(const std::string& tenant, int64_t minute, uint64_t bytes) {
  auto& buckets = window_[tenant];
  if (!buckets.empty() && buckets.back().first == minute) {
    buckets.back().second += bytes;
  } else if (buckets.empty() || buckets.back().first < minute) {
    buckets.emplace_back(minute, bytes);
  } else {  // rebuilt rows arrive unordered
    auto at = std::find_if(buckets.begin(), buckets.end(), [minute](const auto& b) { return b.first >= minute; });
    if (at->first == minute) {
      at->second += bytes;
    } else {
      buckets.emplace(at, minute, bytes);
    }
  }
  while (!buckets.empty() && buckets.front().first <= minute_now() - kWindowMinutes) buckets.pop_front();
}

uint64_t TenantQuotas::event_log_bytes(const std::string& tenant) const {
  auto it = window_.find(tenant);
  if (it == window_.end()) return 0;
  int64_t oldest = minute_now() - kWindowMinutes;
  uint64_t total = 0;
  for (const auto& [minute, bytes] : it->second) {
    if (minute > oldest) total += bytes;
  }
  return total;
}

void TenantQuotas::check_event_log(const std::string& tenant) const {
  if (is_quota_exempt(tenant)) return;
  uint64_t limit = quota(tenant).get("event_log_bytes_per_hour");
  uint64_t used = event_log_bytes(tenant);
  if (used < limit) return;
  throw QuotaExceeded("event_log_bytes_per_hour", limit, used,
                      "quota 'event_log_bytes_per_hour' of tenant " + tenant + " exceeded: limit " +
                          std::to_string(limit) + " bytes, " + std::to_string(used) +
                          " bytes of events written in the last hour; retry later");
}

}  // namespace solo
