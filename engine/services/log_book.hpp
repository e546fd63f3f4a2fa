// LogBook: the log lines services write with solo.log, kept in a bounded
// in-memory ring per tenant (not in the durable log: docs/services.md), with live
// subscribers for `GET /logs` as SSE.
//
// Each line gets a process-wide increasing id so that a reader can resume
// (`since`). Engine thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace solo {

struct LogLine {
  int64_t id = 0;
  std::string timestamp;
  std::string tenant_id;
  std::string service_id;
  std::string level;
  std::string message;
};

boost::json::value to_json(const LogLine& line);

class LogBook : public std::enable_shared_from_this<LogBook> {
 public:
  using Subscriber = std::function<void(const LogLine&)>;

  explicit LogBook(size_t lines_per_tenant = 2000) : capacity_(lines_per_tenant) {}

  void write(std::string tenant_id, std::string service_id, std::string level, std::string message);

  // Lines of a tenant ("" = all tenants) after `since`, optionally one service
  // and one minimum level, at most `limit`.
  std::vector<LogLine> read(const std::string& tenant_id, const std::string& service_id,
                            const std::string& min_level, int64_t since, size_t limit) const;

  // Subscription id; unsubscribe with it.
  uint64_t subscribe(Subscriber subscriber);
  void unsubscribe(uint64_t id) { subscribers_.erase(id); }

  static int level_rank(const std::string& level);  // debug 0 .. error 3, -1 unknown

 private:
  size_t capacity_;
  int64_t next_id_ = 1;
  std::map<std::string, std::deque<LogLine>> rings_;
  std::map<uint64_t, Subscriber> subscribers_;
  uint64_t next_subscriber_ = 1;
};

}  // namespace solo
