#include "engine/services/log_book.hpp"

#include "stores/event.hpp"

namespace solo {

boost::json::value to_json(const LogLine& line) {
  return boost::json::object{{"id", line.id},           {"timestamp", line.timestamp},
                             {"tenant_id", line.tenant_id}, {"service_id", line.service_id},
                             {"level", line.level},     {"message", line.message}};
}

int LogBook::level_rank(const std::string& level) {
  if (level == "debug") return 0;
  if (level == "info") return 1;
  if (level == "warn") return 2;
  if (level == "error") return 3;
  return -1;
}

void LogBook::write(std::string tenant_id, std::string service_id, std::string level, std::string message) {
  LogLine line{next_id_++, utc_now_iso8601(), std::move(tenant_id), std::move(service_id), std::move(level),
               std::move(message)};
  auto& ring = rings_[line.tenant_id];
  ring.push_back(line);
  if (ring.size() > capacity_) ring.pop_front();
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    uint64_t key = it->first;
    auto callback = it->second;  // a callback may unsubscribe itself
    callback(line);
    it = subscribers_.upper_bound(key);
  }
}

std::vector<LogLine> LogBook::read(const std::string& tenant_id, const std::string& service_id,
                                   const std::string& min_level, int64_t since, size_t limit) const {
  int min_rank = min_level.empty() ? 0 : level_rank(min_level);
  std::vector<LogLine> out;
  auto take = [&](const std::deque<LogLine>& ring) {
    for (const auto& line : ring) {
      if (line.id <= since) continue;
      if (!service_id.empty() && line.service_id != service_id) continue;
      if (level_rank(line.level) < min_rank) continue;
      out.push_back(line);
    }
  };
  if (tenant_id.empty()) {
    for (const auto& [tenant, ring] : rings_) take(ring);
    std::sort(out.begin(), out.end(), [](const LogLine& a, const LogLine& b) { return a.id < b.id; });
  } else if (auto it = rings_.find(tenant_id); it != rings_.end()) {
    take(it->second);
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

uint64_t LogBook::subscribe(Subscriber subscriber) {
  uint64_t id = next_subscriber_++;
  subscribers_.emplace(id, std::move(subscriber));
  return id;
}

}  // namespace solo
