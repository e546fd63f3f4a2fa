// Crash recovery with the real binary (issue 5, docs/guarantees.md): worker
// threads, each with its own HTTP client and its own services, tokens and
// secrets, run a random mix of state changes; the server is killed with
// SIGKILL at a random (seeded, printed) moment, restarted on the same data
// directory, and checked against a model that holds only what was
// acknowledged (a 2xx answer). A request in flight when the server died makes
// its subject uncertain: either outcome is accepted, but it must be one of the
// two, and the server must agree with itself (the Verifier finds nothing).
//
// Also: SIGTERM under load (exit 0 in time, system_shutdown_complete last, a
// clean start next), the original system's flaws (a service killed and
// deployed again is recovered; the latest swapped code is recovered; ids are
// never reused after a crash), and /health "starting" + 503 while recovery runs.
//
// The seed comes from SOLO_CRASH_SEED when set, else from the clock; it is
// printed so that a failing run can be repeated.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "stores/sqlite.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

constexpr int kWorkers = 4;
constexpr int kServicesPerWorker = 6;
constexpr int kSecretsPerWorker = 3;

uint64_t test_seed() {
  if (const char* env = std::getenv("SOLO_CRASH_SEED")) return std::strtoull(env, nullptr, 10);
  return static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
}

// The code of generation `gen`: each call answers the generation (which code
// runs) and how many calls this state has seen (1 after a restart: init ran).
std::string service_code(int64_t gen) {
  return "local GEN = " + std::to_string(gen) +
         "\nfunction init(config) return { calls = 0 } end\n"
         "function handle_call(msg, state)\n"
         "  state.calls = state.calls + 1\n"
         "  return { gen = GEN, calls = state.calls }, state\n"
         "end\n"
         "function code_change(old_state, old_version) return old_state end\n";
}

// What a service is (or may be) after the acknowledged history.
struct ServiceState {
  bool live = false;
  int64_t gen = 0;
  int64_t version = 0;
  bool operator==(const ServiceState&) const = default;
};

std::string describe(const ServiceState& s) {
  return s.live ? "live gen " + std::to_string(s.gen) + " v" + std::to_string(s.version) : "absent";
}

struct ServiceModel {
  ServiceState state;                 // acknowledged
  std::optional<ServiceState> other;  // the outcome of a request in flight at the crash
};

struct TokenModel {
  std::string token;
  std::string token_id;
  bool revoked = false;
  bool revoke_uncertain = false;
};

struct SecretModel {
  std::optional<std::string> value;  // acknowledged
  std::optional<std::optional<std::string>> other;
};

// An event id a client was told, and what it must be in the log.
struct ToldEvent {
  int64_t id;
  std::string type;
  std::string tenant;
  std::string service;
};

struct WorkerModel {
  std::string tenant;
  std::vector<ServiceModel> services = std::vector<ServiceModel>(kServicesPerWorker);
  std::vector<TokenModel> tokens;
  std::vector<SecretModel> secrets = std::vector<SecretModel>(kSecretsPerWorker);
  std::vector<ToldEvent> told;
  int64_t next_gen = 1;
  int64_t acknowledged = 0;  // operations answered 2xx, all rounds
  std::vector<std::string> failures;
};

std::string service_id(int i) { return "s" + std::to_string(i); }

json::object body_of(const net::ClientResponse& response) { return json::parse(response.body).as_object(); }

bool ok(int status) { return status >= 200 && status < 300; }

// One worker's load until the server stops answering (or `stop` is set).
// Every request that got no answer leaves its subject uncertain, and the
// worker ends there: the server is gone. Under SIGTERM an answer other than
// the expected one (503 while stopping) also ends it, the subject uncertain;
// under SIGKILL it is a failure. Boost.Test is not thread-safe, so failures
// are collected in the model and reported by the main thread.
void run_worker(const SoloProcess& solo, WorkerModel& model, uint64_t seed, std::atomic<bool>& stop,
                bool stopping_is_expected) {
  std::mt19937_64 rng(seed);
  auto client = solo.client(std::chrono::seconds(20), model.tenant);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto answered = [&](const net::ClientResponse& response, int expected, const std::string& what) {
    if (response.status == expected) return true;
    if (!stopping_is_expected) {
      model.failures.push_back(model.tenant + " " + what + ": " + std::to_string(response.status) + " " +
                               response.body);
    }
    return false;
  };
  while (!stop.load()) {
    int op = pick(10);
    try {
      if (op < 6) {
        int i = pick(kServicesPerWorker);
        auto& svc = model.services[static_cast<size_t>(i)];
        auto id = service_id(i);
        if (!svc.state.live) {
          // deploy (a redeploy when it was killed before)
          int64_t gen = model.next_gen++;
          svc.other = ServiceState{true, gen, 1};
          json::object body;
          body["service_id"] = id;
          body["code"] = service_code(gen);
          auto response = client.request("POST", "/services", json::serialize(body));
          if (!answered(response, 201, "deploy " + id)) return;
          svc.state = *svc.other;
          svc.other.reset();
          model.told.push_back({body_of(response).at("event_id").as_int64(), "service_deployed", model.tenant, id});
        } else if (op < 2) {
          svc.other = ServiceState{};
          auto response = client.request("DELETE", "/services/" + id);
          if (!answered(response, 202, "kill " + id)) return;
          svc.state = *svc.other;
          svc.other.reset();
          model.told.push_back({body_of(response).at("event_id").as_int64(), "service_killed", model.tenant, id});
        } else if (op < 4) {
          int64_t gen = model.next_gen++;
          svc.other = ServiceState{true, gen, svc.state.version + 1};
          json::object body;
          body["code"] = service_code(gen);
          body["rollback_window_ms"] = 0;
          auto response = client.request("PUT", "/services/" + id + "/code", json::serialize(body));
          if (!answered(response, 200, "swap " + id)) return;
          auto version = body_of(response).at("version").as_int64();
          if (version != svc.other->version) {
            model.failures.push_back(model.tenant + " swap " + id + ": version " + std::to_string(version) +
                                     ", expected " + std::to_string(svc.other->version));
          }
          svc.state = *svc.other;
          svc.other.reset();
        } else {
          auto response = client.request("POST", "/services/" + id + "/call", "{}");
          if (!answered(response, 200, "call " + id)) return;
          auto gen = json::parse(response.body).at("reply").at("gen").as_int64();
          if (gen != svc.state.gen) {
            model.failures.push_back(model.tenant + " call " + id + ": runs gen " + std::to_string(gen) +
                                     ", expected " + std::to_string(svc.state.gen));
          }
          continue;
        }
      } else if (op < 7 || model.tokens.empty()) {
        auto response = client.request("POST", "/tokens", R"({"permissions":["status"]})");
        if (!answered(response, 201, "grant")) return;
        auto body = body_of(response);
        model.tokens.push_back(
            {std::string(body.at("token").as_string()), std::string(body.at("token_id").as_string())});
      } else if (op < 8) {
        auto& token = model.tokens[static_cast<size_t>(pick(static_cast<int>(model.tokens.size())))];
        if (token.revoked) continue;
        token.revoke_uncertain = true;
        auto response = client.request("DELETE", "/tokens/" + token.token_id);
        if (!answered(response, 200, "revoke " + token.token_id)) return;
        token.revoked = true;
        token.revoke_uncertain = false;
      } else {
        int k = pick(kSecretsPerWorker);
        auto& secret = model.secrets[static_cast<size_t>(k)];
        auto key = "k" + std::to_string(k);
        auto value = "v" + std::to_string(rng() % 1000000);
        secret.other = std::optional<std::string>(value);
        json::object body;
        body["key"] = key;
        body["value"] = value;
        auto response = client.request("POST", "/secrets", json::serialize(body));
        if (!answered(response, 201, "store secret " + key)) return;
        secret.value = value;
        secret.other.reset();
      }
      ++model.acknowledged;
    } catch (const std::runtime_error&) {
      return;  // no answer: the server is gone; the subject stays uncertain
    } catch (const std::exception& error) {
      model.failures.push_back(model.tenant + ": " + error.what());
      return;
    }
  }
}

struct DbEvent {
  std::string type;
  std::string tenant;
  std::string service;
};

// Every event id in solo.db (gap-free from 1 is checked here) with its type
// and subject.
std::map<int64_t, DbEvent> read_log(const std::filesystem::path& db_path) {
  SqliteDatabase db(db_path, OpenOptions{.read_only = true});
  SqliteStatement statement(db.handle(), "SELECT id, event_type, tenant_id, service_id FROM events ORDER BY id");
  std::map<int64_t, DbEvent> events;
  int64_t expected = 1;
  while (statement.step()) {
    int64_t id = statement.column_int(0);
    BOOST_TEST_REQUIRE(id == expected, "event ids have a gap: " << expected << " then " << id);
    ++expected;
    events.emplace(id, DbEvent{statement.column_text(1), statement.column_text(2), statement.column_text(3)});
  }
  return events;
}

void check_told_events(const std::map<int64_t, DbEvent>& log, const std::vector<WorkerModel>& models) {
  std::set<int64_t> seen;
  for (const auto& model : models) {
    for (const auto& told : model.told) {
      BOOST_TEST(seen.insert(told.id).second, "event id " << told.id << " was told twice");
      auto it = log.find(told.id);
      BOOST_TEST_REQUIRE((it != log.end()), "acknowledged event " << told.id << " is not in the log");
      BOOST_TEST(it->second.type == told.type, "event " << told.id);
      BOOST_TEST(it->second.tenant == told.tenant, "event " << told.id);
      BOOST_TEST(it->second.service == told.service, "event " << told.id);
    }
  }
}

// What the restarted server runs for one service: absent, or live with the
// generation its code answers (and `calls` 1: a state rebuilt through init).
ServiceState observe_service(net::HttpClient& client, const std::string& what, const std::string& id) {
  auto status = client.request("GET", "/services/" + id);
  if (status.status == 404) return {};
  BOOST_TEST_REQUIRE(status.status == 200, what << ": " << status.body);
  auto call = client.request("POST", "/services/" + id + "/call", "{}");
  BOOST_TEST_REQUIRE(call.status == 200, what << " call: " << call.body);
  auto reply = json::parse(call.body).at("reply");
  BOOST_TEST(reply.at("calls").as_int64() == 1, what << ": the state was not rebuilt through init");
  return {true, reply.at("gen").as_int64(), body_of(status).at("version").as_int64()};
}

// Checks the restarted server against the models and resolves what was
// uncertain to what the server says (one of the two outcomes).
void verify_models(const SoloProcess& solo, std::vector<WorkerModel>& models) {
  int uncertain = 0;
  for (auto& model : models) {
    auto client = solo.client(std::chrono::seconds(20), model.tenant);
    for (int i = 0; i < kServicesPerWorker; ++i) {
      auto& svc = model.services[static_cast<size_t>(i)];
      auto what = model.tenant + "/" + service_id(i);
      auto seen = observe_service(client, what, service_id(i));
      if (svc.other) {
        ++uncertain;
        BOOST_TEST((seen == svc.state || seen == *svc.other),
                   what << " is " << describe(seen) << ", expected " << describe(svc.state) << " or "
                        << describe(*svc.other));
        svc.state = seen;
        svc.other.reset();
      } else {
        BOOST_TEST((seen == svc.state), what << " is " << describe(seen) << ", expected " << describe(svc.state));
      }
    }
    for (auto& token : model.tokens) {
      net::HttpClient bearer(solo.url(), std::chrono::seconds(20));
      auto response = bearer.request("GET", "/auth/verify", {}, {{"authorization", "Bearer " + token.token}});
      if (token.revoke_uncertain) {
        ++uncertain;
        BOOST_TEST((response.status == 200 || response.status == 401), response.body);
        token.revoked = response.status == 401;
        token.revoke_uncertain = false;
      } else {
        BOOST_TEST(response.status == (token.revoked ? 401 : 200),
                   model.tenant << " token " << token.token_id << (token.revoked ? " (revoked)" : "") << ": "
                                << response.body);
      }
    }
    for (int k = 0; k < kSecretsPerWorker; ++k) {
      auto& secret = model.secrets[static_cast<size_t>(k)];
      auto response = client.request("GET", "/secrets/k" + std::to_string(k) + "?reveal=true");
      std::optional<std::string> seen;
      if (response.status == 200) {
        seen = std::string(body_of(response).at("value").as_string());
      } else {
        BOOST_TEST(response.status == 404, response.body);
      }
      auto what = model.tenant + " secret k" + std::to_string(k);
      if (secret.other) {
        ++uncertain;
        BOOST_TEST((seen == secret.value || seen == *secret.other), what);
        secret.value = seen;
        secret.other.reset();
      } else {
        BOOST_TEST((seen == secret.value), what << ": " << seen.value_or("(absent)") << " vs "
                                                 << secret.value.value_or("(absent)"));
      }
    }
  }
  BOOST_TEST_MESSAGE("  verified; " << uncertain << " subjects were in flight at the crash");
}

json::object recovery_report(const SoloProcess& solo) {
  auto client = solo.client();
  auto response = client.request("GET", "/system/recovery");
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  return body_of(response);
}

// The server agrees with itself: the recovery's verification and a fresh one
// find nothing.
void check_consistent(const SoloProcess& solo, const json::object& report) {
  BOOST_TEST(report.at("verification").at("status").as_string() == "ok", json::serialize(report));
  BOOST_TEST(report.at("failed").as_int64() == 0, json::serialize(report));
  auto client = solo.client();
  auto verify = client.request("POST", "/system/verify");
  BOOST_TEST_REQUIRE(verify.status == 200, verify.body);
  BOOST_TEST(body_of(verify).at("status").as_string() == "ok", verify.body);
}

enum class Stop { sigkill, sigterm };

// One round of load, then the stop.
void load_round(SoloProcess& solo, std::vector<WorkerModel>& models, std::mt19937_64& rng, Stop stop_kind) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (auto& model : models) {
    uint64_t seed = rng();
    workers.emplace_back([&solo, &model, seed, &stop, stop_kind] {
      run_worker(solo, model, seed, stop, stop_kind == Stop::sigterm);
    });
  }
  auto delay = std::chrono::milliseconds(300 + static_cast<int64_t>(rng() % 1200));
  std::this_thread::sleep_for(delay);
  if (stop_kind == Stop::sigkill) {
    solo.kill9();
  } else {
    auto started = std::chrono::steady_clock::now();
    solo.signal(SIGTERM);
    auto code = solo.wait(std::chrono::seconds(12));
    BOOST_TEST(code.value_or(-1) == 0, "SIGTERM under load: exit " << (code ? std::to_string(*code) : "none"));
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(11)));
  }
  stop = true;
  for (auto& worker : workers) worker.join();
  int64_t acknowledged = 0;
  for (auto& model : models) {
    acknowledged += model.acknowledged;
    for (const auto& failure : model.failures) BOOST_ERROR(failure);
    model.failures.clear();
  }
  BOOST_TEST_MESSAGE("  stopped after " << delay.count() << " ms; " << acknowledged << " acknowledged so far");
}

std::vector<WorkerModel> make_models() {
  std::vector<WorkerModel> models(kWorkers);
  for (int w = 0; w < kWorkers; ++w) models[static_cast<size_t>(w)].tenant = "w" + std::to_string(w);
  return models;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crash_recovery)

BOOST_AUTO_TEST_CASE(sigkill_under_load_loses_nothing_acknowledged_across_rounds) {
  auto seed = test_seed();
  BOOST_TEST_MESSAGE("crash_recovery seed " << seed << " (SOLO_CRASH_SEED=" << seed << " repeats it)");
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  auto data = dir / "data";
  auto models = make_models();
  constexpr int kRounds = 4;
  std::optional<SoloProcess> solo;
  solo.emplace(data);
  for (int round = 0; round < kRounds; ++round) {
    BOOST_TEST_MESSAGE("round " << round);
    load_round(*solo, models, rng, Stop::sigkill);
    check_told_events(read_log(data / "solo.db"), models);
    solo.reset();
    solo.emplace(data);
    auto report = recovery_report(*solo);
    BOOST_TEST(report.at("previous_shutdown").as_string() == "crash");
    BOOST_TEST(report.at("integrity_check").as_string() == "ok");
    check_consistent(*solo, report);
    verify_models(*solo, models);
  }
  int64_t acknowledged = 0;
  for (const auto& model : models) acknowledged += model.acknowledged;
  BOOST_TEST(acknowledged >= 40, "too little load to mean anything: " << acknowledged);
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
  check_told_events(read_log(data / "solo.db"), models);
}

BOOST_AUTO_TEST_CASE(sigterm_under_load_exits_zero_in_time_and_the_next_start_is_clean) {
  auto seed = test_seed();
  BOOST_TEST_MESSAGE("crash_recovery seed " << seed);
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  auto data = dir / "data";
  auto models = make_models();
  std::optional<SoloProcess> solo;
  solo.emplace(data);
  load_round(*solo, models, rng, Stop::sigterm);
  auto log = read_log(data / "solo.db");
  BOOST_TEST_REQUIRE(!log.empty());
  BOOST_TEST(log.rbegin()->second.type == "system_shutdown_complete");
  check_told_events(log, models);
  solo.reset();
  solo.emplace(data);
  auto report = recovery_report(*solo);
  BOOST_TEST(report.at("previous_shutdown").as_string() == "clean");
  BOOST_TEST(report.at("integrity_check").as_string() == "not_run");
  check_consistent(*solo, report);
  verify_models(*solo, models);
  // And a crash after that is told apart again.
  solo->kill9();
  solo.reset();
  solo.emplace(data);
  report = recovery_report(*solo);
  BOOST_TEST(report.at("previous_shutdown").as_string() == "crash");
  BOOST_TEST(report.at("integrity_check").as_string() == "ok");
  verify_models(*solo, models);
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
}

// The original system's flaws: a service killed and deployed again was
// skipped forever; after a hot swap the first code came back; an event and
// the id counter were written separately, so a crash could reuse an id.
BOOST_AUTO_TEST_CASE(redeployed_after_kill_and_swapped_services_recover_latest_and_ids_are_not_reused) {
  test::TempDir dir;
  auto data = dir / "data";
  int64_t last_told = 0;
  {
    SoloProcess solo(data);
    auto client = solo.client();
    auto deploy = [&](const std::string& id, int64_t gen) {
      json::object body;
      body["service_id"] = id;
      body["code"] = service_code(gen);
      auto response = client.request("POST", "/services", json::serialize(body));
      BOOST_TEST_REQUIRE(response.status == 201, response.body);
      last_told = std::max(last_told, body_of(response).at("event_id").as_int64());
    };
    deploy("again", 1);
    auto killed = client.request("DELETE", "/services/again");
    BOOST_TEST_REQUIRE(killed.status == 202, killed.body);
    deploy("again", 2);
    deploy("swapped", 10);
    for (int64_t gen = 11; gen <= 12; ++gen) {
      json::object body;
      body["code"] = service_code(gen);
      body["rollback_window_ms"] = 0;
      auto swapped = client.request("PUT", "/services/swapped/code", json::serialize(body));
      BOOST_TEST_REQUIRE(swapped.status == 200, swapped.body);
    }
    deploy("gone", 20);
    auto gone = client.request("DELETE", "/services/gone");
    BOOST_TEST_REQUIRE(gone.status == 202, gone.body);
    last_told = std::max(last_told, body_of(gone).at("event_id").as_int64());
    solo.kill9();
  }
  for (int start = 0; start < 2; ++start) {
    SoloProcess solo(data);
    auto client = solo.client();
    BOOST_TEST((observe_service(client, "again", "again") == ServiceState{true, 2, 1}));
    BOOST_TEST((observe_service(client, "swapped", "swapped") == ServiceState{true, 12, 3}));
    BOOST_TEST((observe_service(client, "gone", "gone") == ServiceState{}));
    // A new event after the crash gets a new id.
    json::object body;
    body["service_id"] = "fresh" + std::to_string(start);
    body["code"] = service_code(30);
    auto response = client.request("POST", "/services", json::serialize(body));
    BOOST_TEST_REQUIRE(response.status == 201, response.body);
    auto id = body_of(response).at("event_id").as_int64();
    BOOST_TEST(id > last_told);
    last_told = id;
    solo.kill9();
    auto log = read_log(data / "solo.db");
    BOOST_TEST(log.at(id).type == "service_deployed");
    BOOST_TEST(log.at(id).service == "fresh" + std::to_string(start));
  }
}

// While recovery runs the gateway already answers: /health says "starting"
// and every other request gets 503 with Retry-After.
BOOST_AUTO_TEST_CASE(health_says_starting_and_requests_get_503_while_recovery_runs) {
  test::TempDir dir;
  auto data = dir / "data";
  constexpr int kServices = 2000;
  {
    SoloProcess solo(data);
    // More services than the default tenant quota allows (docs/http-api.md, "Tenants").
    auto raised = solo.client().request("PUT", "/tenants/default/quota",
                                        R"({"services": 2000, "memory_bytes_total": 1099511627776})");
    BOOST_TEST_REQUIRE(raised.status == 200, raised.body);
    std::vector<std::thread> deployers;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      deployers.emplace_back([&, t] {
        auto client = solo.client();
        for (int i = t; i < kServices; i += 8) {
          json::object body;
          body["service_id"] = "c" + std::to_string(i);
          body["code"] = service_code(i);
          if (client.request("POST", "/services", json::serialize(body)).status != 201) ++failures;
        }
      });
    }
    for (auto& thread : deployers) thread.join();
    BOOST_TEST_REQUIRE(failures.load() == 0);
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  SoloProcess solo(data, {}, /*wait_healthy=*/false);
  int starting = 0;
  int refused = 0;
  bool healthy = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!healthy && std::chrono::steady_clock::now() < deadline) {
    auto client = solo.client(std::chrono::seconds(5));
    auto health = client.request("GET", "/health");
    BOOST_TEST_REQUIRE(health.status == 200, health.body);
    auto status = std::string(body_of(health).at("status").as_string());
    if (status == "starting") {
      ++starting;
      auto list = client.request("GET", "/services?limit=1");
      if (list.status == 503) {
        ++refused;
        BOOST_TEST(list.header("retry-after").has_value());
      } else {
        // Recovery may have finished between the two requests.
        BOOST_TEST(list.status == 200, list.body);
      }
    } else {
      BOOST_TEST(status == "healthy");
      healthy = true;
    }
  }
  BOOST_TEST(healthy);
  BOOST_TEST(starting >= 1, "/health never said starting");
  BOOST_TEST(refused >= 1, "no request was refused with 503 during recovery");
  auto report = recovery_report(solo);
  BOOST_TEST(report.at("recovered").as_int64() == kServices);
  BOOST_TEST(report.at("previous_shutdown").as_string() == "clean");
  BOOST_TEST_MESSAGE("recovery of " << kServices << " services: " << report.at("duration_ms").as_int64()
                                    << " ms; /health said starting " << starting << " times");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
