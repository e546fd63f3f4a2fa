#include "recovery/verifier.hpp"

#include <map>

#include <boost/json.hpp>

#include "engine/services/deployer.hpp"
#include "recovery/lifecycle.hpp"
#include "stores/event_store.hpp"
#include "stores/service_store.hpp"

namespace solo {

namespace {

constexpr int64_t kPage = 5000;

struct Latest {
  int64_t id = 0;
  std::string type;
};

using Key = std::pair<std::string, std::string>;  // tenant, service

std::string name(const Key& key) { return key.first + "/" + key.second; }

// The latest lifecycle event per service after since_id, read per type
// through the (event_type, id) index, in pages.
std::map<Key, Latest> latest_lifecycle(Database& db, int64_t since_id) {
  std::map<Key, Latest> latest;
  for (auto type : kLifecycleEvents) {
    int64_t cursor = since_id;
    for (;;) {
      auto& statement = db.cached(
          "SELECT id, tenant_id, service_id FROM events WHERE event_type = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
      statement.bind(1, type).bind(2, cursor).bind(3, kPage);
      int64_t rows = 0;
      while (statement.step()) {
        ++rows;
        cursor = statement.column_int(0);
        auto& entry = latest[{statement.column_text(1), statement.column_text(2)}];
        if (cursor > entry.id) entry = Latest{cursor, std::string(type)};
      }
      statement.reset();
      if (rows < kPage) break;
    }
  }
  return latest;
}

}  // namespace

boost::asio::awaitable<VerificationResult> Verifier::verify(int64_t since_id, bool auto_fix) {
  VerificationResult result;
  result.verified_through = events_->committed_id();
  std::function<std::vector<ServiceRow>(Database&)> load_rows = [](Database& db) { return load_service_rows(db); };
  auto row_list = co_await events_->read<std::vector<ServiceRow>>(std::move(load_rows));
  std::function<std::map<Key, Latest>(Database&)> load_log = [since_id](Database& db) {
    return latest_lifecycle(db, since_id);
  };
  auto log = co_await events_->read<std::map<Key, Latest>>(std::move(load_log));

  std::map<Key, ServiceRow> rows;
  for (auto& row : row_list) rows.emplace(Key{row.tenant_id, row.service_id}, std::move(row));
  std::map<Key, std::shared_ptr<ServiceActor>> running;
  for (auto& actor : deployer_->directory()->all()) running.emplace(Key{actor->spec().tenant_id, actor->spec().service_id}, actor);

  for (const auto& [key, row] : rows) {
    auto actor = running.find(key);
    if (actor == running.end()) {
      std::string note = "missing: " + name(key) + " is in the services table but not running";
      if (auto_fix) {
        std::string error;
        try {
          auto spec = service_spec_from_json(boost::json::parse(row.spec).as_object(), row.tenant_id);
          spec.version = row.version;
          co_await deployer_->recover(std::move(spec), row.created_at);
          ++result.fixes_applied;
          note += " (started)";
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (!error.empty()) note += " (could not start: " + error + ")";
      }
      result.inconsistencies.push_back(note);
    } else if (actor->second->spec().version != row.version) {
      result.inconsistencies.push_back("version mismatch: " + name(key) + " runs version " +
                                       std::to_string(actor->second->spec().version) + ", the table says " +
                                       std::to_string(row.version));
    }
  }
  for (const auto& [key, actor] : running) {
    if (rows.count(key)) continue;
    auto latest = log.find(key);
    if (latest != log.end() && !lifecycle_says_running(latest->second.type)) {
      std::string note = "killed but alive: " + name(key) + " runs although event " +
                         std::to_string(latest->second.id) + " (" + latest->second.type + ") ended it";
      if (auto_fix) {
        co_await deployer_->kill(key.first, key.second, true);
        ++result.fixes_applied;
        note += " (stopped)";
      }
      result.inconsistencies.push_back(note);
    } else {
      result.inconsistencies.push_back("orphaned service: " + name(key) + " runs without a services row");
    }
  }
  for (const auto& [key, latest] : log) {
    auto row = rows.find(key);
    if (!lifecycle_says_running(latest.type)) ++result.ended_in_log;
    if (lifecycle_says_running(latest.type) && row == rows.end()) {
      result.inconsistencies.push_back("orphaned events: event " + std::to_string(latest.id) + " (" + latest.type +
                                       ") says " + name(key) + " runs, but the services table has no row");
    } else if (!lifecycle_says_running(latest.type) && row != rows.end() && row->second.last_event_id < latest.id) {
      result.inconsistencies.push_back("stale row: " + name(key) + " is in the services table although event " +
                                       std::to_string(latest.id) + " (" + latest.type + ") ended it");
    }
  }
  if (!result.inconsistencies.empty()) result.status = "warning";
  co_return result;
}

}  // namespace solo
