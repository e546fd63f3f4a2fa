// The hostile-code suite (issues 3 and 9) against the real `solo` binary over
// HTTP: every case of the hostile corpus (bench/hostile_corpus.hpp, shared
// with `solo-bench isolation`) runs as a tenant whose token may only deploy
// and call, with the default limits; each fails only itself, with its
// documented error, while a bystander counter of another tenant keeps
// answering correctly and /health stays fast.
//
// /health is probed every 10 ms by a poller thread for the whole suite: every
// answer must come back within kHealthBound. That is a containment check (no
// single message may hold the engine thread), not a benchmark; the worst and
// the p99 are printed (--log_level=message).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "bench/hostile_corpus.hpp"
#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using namespace std::chrono_literals;
using solo::test::SoloProcess;
namespace hc = solo::hostile;  // the corpus (the suite is `hostile` too)

namespace {

constexpr auto kHealthBound = 200ms;

// Polls /health every few milliseconds on its own thread and records the
// slowest answer and every failure, until destroyed.
class HealthWatch {
 public:
  explicit HealthWatch(std::string url) : url_(std::move(url)), thread_([this] { poll(); }) {}
  ~HealthWatch() {
    stop_ = true;
    thread_.join();
  }
  std::chrono::milliseconds slowest() const { return std::chrono::milliseconds(slowest_ms_.load()); }
  int samples() const { return samples_.load(); }
  // The p-quantile (nearest rank) of every answer's latency so far, in microseconds.
  int64_t quantile_us(double q) const {
    std::lock_guard lock(mutex_);
    if (latencies_us_.empty()) return 0;
    auto sorted = latencies_us_;
    std::sort(sorted.begin(), sorted.end());
    auto rank = static_cast<size_t>(q * static_cast<double>(sorted.size()));
    return sorted[std::min(rank, sorted.size() - 1)];
  }
  // The slowest answer since the last call (microseconds): one case's worst.
  int64_t window_worst_us() {
    std::lock_guard lock(mutex_);
    int64_t worst = 0;
    for (size_t i = window_start_; i < latencies_us_.size(); ++i) worst = std::max(worst, latencies_us_[i]);
    window_start_ = latencies_us_.size();
    return worst;
  }
  std::string summary() const {
    return std::to_string(samples()) + " /health probes, worst " + std::to_string(quantile_us(1.0)) + " us, p99 " +
           std::to_string(quantile_us(0.99)) + " us, p50 " + std::to_string(quantile_us(0.5)) + " us";
  }
  std::vector<std::string> failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  void poll() {
    net::HttpClient client(url_, 10s);
    while (!stop_) {
      auto started = std::chrono::steady_clock::now();
      try {
        auto response = client.request("GET", "/health");
        if (response.status != 200) fail("/health answered " + std::to_string(response.status));
      } catch (const std::exception& error) {
        fail(std::string("/health failed: ") + error.what());
      }
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
      if (us.count() / 1000 > slowest_ms_) slowest_ms_ = us.count() / 1000;
      {
        std::lock_guard lock(mutex_);
        latencies_us_.push_back(us.count());
      }
      ++samples_;
      std::this_thread::sleep_for(10ms);
    }
  }
  void fail(std::string what) {
    std::lock_guard lock(mutex_);
    failures_.push_back(std::move(what));
  }

  std::string url_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> slowest_ms_{0};
  std::atomic<int> samples_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> failures_;
  std::vector<int64_t> latencies_us_;
  size_t window_start_ = 0;
  std::thread thread_;  // last: starts after the fields above exist
};

net::ClientResponse deploy(net::HttpClient& client, const std::string& id, const std::string& code,
                           boost::json::object limits = {}) {
  boost::json::object body;
  body["service_id"] = id;
  body["code"] = code;
  if (!limits.empty()) body["limits"] = std::move(limits);
  return client.request("POST", "/services", boost::json::serialize(body));
}

void deploy_ok(net::HttpClient& client, const std::string& id, const std::string& code,
               boost::json::object limits = {}) {
  auto response = deploy(client, id, code, std::move(limits));
  BOOST_TEST_REQUIRE(response.status == 201, id << ": " << response.body);
}

net::ClientResponse call(net::HttpClient& client, const std::string& id, const std::string& body) {
  return client.request("POST", "/services/" + id + "/call", body);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

boost::json::object parse_object(const std::string& text) { return boost::json::parse(text).as_object(); }

bool contains_any(const std::string& text, const std::vector<std::string>& needles) {
  for (const auto& needle : needles) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The bystander: answers with its running count; any lost or doubled
// message shows as a wrong count.
const char* kCounter = R"lua(
function init(config) return { count = 0 } end
function handle_call(msg, state)
  if msg.op == "inc" then state.count = state.count + 1 end
  return { count = state.count }, state
end
)lua";

class Bystander {
 public:
  explicit Bystander(net::HttpClient& client) : client_(client) { deploy_ok(client_, "bystander", kCounter); }
  // Increments and checks the reply is exactly one more than before.
  void check(const std::string& after) {
    auto started = std::chrono::steady_clock::now();
    auto response = call(client_, "bystander", R"({"op":"inc"})");
    BOOST_TEST_REQUIRE(response.status == 200, "bystander after " << after << ": " << response.body);
    auto count = parse_object(response.body).at("reply").at("count").as_int64();
    BOOST_TEST(count == ++expected_, "bystander after " << after);
    BOOST_TEST((std::chrono::steady_clock::now() - started < kHealthBound), "bystander slow after " << after);
  }

 private:
  net::HttpClient& client_;
  int64_t expected_ = 0;
};

// A client for `tenant` with a token POST /tokens minted from the admin
// token, carrying only `permissions`.
net::HttpClient tenant_client(const SoloProcess& solo, const std::string& tenant,
                              const std::vector<std::string>& permissions, std::chrono::milliseconds timeout) {
  boost::json::array granted;
  for (const auto& permission : permissions) granted.emplace_back(permission);
  boost::json::object body{{"tenant_id", tenant}, {"permissions", std::move(granted)}, {"ttl_seconds", 3600}};
  auto admin = solo.client(timeout);
  auto response = admin.request("POST", "/tokens", boost::json::serialize(body));
  BOOST_TEST_REQUIRE(response.status == 201, "POST /tokens: " << response.body);
  std::string token(boost::json::parse(response.body).at("token").as_string());
  net::HttpClient client(solo.url(), timeout);
  client.set_default_headers({{"authorization", "Bearer " + token}});
  return client;
}

// The resident set of a process, from /proc/PID/status (0 if unreadable).
int64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

boost::json::object limits_of(const hc::Case& hostile) {
  if (hostile.limits.empty()) return {};
  return boost::json::parse(hostile.limits).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile)

BOOST_AUTO_TEST_CASE(each_hostile_service_fails_alone_while_a_bystander_answers_and_health_stays_fast) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto admin = solo.client(20s, "mallory");  // reads the attacker's status, deletes its services
  auto attacker = tenant_client(solo, "mallory", {"deploy", "call"}, 20s);
  auto neighbour = tenant_client(solo, "bob", {"deploy", "call"}, 20s);
  HealthWatch health(solo.url());
  Bystander bystander(neighbour);
  bystander.check("deploy");
  health.window_worst_us();
  const int64_t rss_at_start = rss_bytes(solo.pid());

  for (const auto& hostile : hc::corpus()) {
    BOOST_TEST_CONTEXT("hostile service " << hostile.id) {
      auto deployed = deploy(attacker, hostile.id, hc::hostile_code(hostile.attack), limits_of(hostile));
      if (hostile.outcome == hc::Outcome::deploy_refused) {
        BOOST_TEST(deployed.status == 429, deployed.body);
        BOOST_TEST(contains_any(deployed.body, hostile.expected), deployed.body);
        if (deployed.status == 201) BOOST_TEST(admin.request("DELETE", "/services/" + hostile.id).status == 202);
        bystander.check(hostile.id);
        continue;
      }
      BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
      const int64_t rss_before = rss_bytes(solo.pid());
      for (int i = 0; i < hostile.repeat; ++i) {
        auto started = std::chrono::steady_clock::now();
        auto response = call(attacker, hostile.id, hostile.message);
        auto took = std::chrono::steady_clock::now() - started;
        BOOST_TEST((took < 2s), "the call took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                                 << " ms");
        switch (hostile.outcome) {
          case hc::Outcome::succeed:
            BOOST_TEST(response.status == 200, response.body);
            BOOST_TEST_MESSAGE(hostile.id << " succeeded in "
                                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                          << " ms");
            break;
          case hc::Outcome::bad_request:
            BOOST_TEST(response.status == 400, response.body);
            break;
          case hc::Outcome::crash:
          case hc::Outcome::reply_error: {
            BOOST_TEST(response.status == 500, response.body);
            auto body = parse_object(response.body);
            BOOST_TEST(body.at("error").as_string() == "service_error");
            std::string message(body.at("message").as_string());
            BOOST_TEST(contains_any(message, hostile.expected), message);
            break;
          }
          case hc::Outcome::deploy_refused:
            break;
        }
        bystander.check(hostile.id);
      }
      if (hostile.grows_memory) {
        auto grown = rss_bytes(solo.pid()) - rss_before;
        BOOST_TEST_MESSAGE(hostile.id << ": the process RSS grew by " << grown / 1024 << " KiB");
        BOOST_TEST(grown < (200 << 20), "the process grew by " << grown / (1 << 20) << " MiB");
      }

      // It answers again (after a restart when it crashed), and reports why.
      auto ping = call(attacker, hostile.id, R"({"op":"ping"})");
      BOOST_TEST(ping.status == 200, ping.body);
      auto status = parse_object(admin.request("GET", "/services/" + hostile.id).body);
      BOOST_TEST(status.at("status").as_string() == "running");
      if (hostile.outcome == hc::Outcome::crash) {
        BOOST_TEST(status.at("restarts").as_int64() >= 1);
        BOOST_TEST(contains_any(std::string(status.at("last_error").as_string()), hostile.expected));
      } else {
        BOOST_TEST(status.at("restarts").as_int64() == 0);
      }
      BOOST_TEST(admin.request("DELETE", "/services/" + hostile.id).status == 202);
      BOOST_TEST_MESSAGE(hostile.id << ": worst /health " << health.window_worst_us() << " us");
    }
  }
  BOOST_TEST(!std::filesystem::exists("/tmp/solo-hostile-was-here"));
  BOOST_TEST_MESSAGE("the process RSS grew by " << (rss_bytes(solo.pid()) - rss_at_start) / 1024
                                                << " KiB over the corpus");

  auto events = parse_object(admin.request("GET", "/events?type=resource_violation&limit=1000").body);
  BOOST_TEST(events.at("events").as_array().size() >= 5u);
  bystander.check("the suite");
  BOOST_TEST_MESSAGE(health.summary());
  BOOST_TEST(health.failures().empty(), joined(health.failures()));
  BOOST_TEST(health.samples() > 10);
  BOOST_TEST((health.slowest() < kHealthBound), "slowest /health: " << health.slowest().count() << " ms");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_service_that_keeps_crashing_stays_down_as_crashed_and_alone) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(20s);
  Bystander bystander(client);
  boost::json::object body;
  body["service_id"] = "crasher";
  body["code"] = "function handle_call(msg, state) while true do end end";
  body["restart"] = boost::json::object{{"max_restarts", 2}, {"max_seconds", 60}};
  BOOST_TEST_REQUIRE(client.request("POST", "/services", boost::json::serialize(body)).status == 201);
  for (int i = 0; i < 3; ++i) {
    auto response = call(client, "crasher", "{}");
    BOOST_TEST(response.status == 500, response.body);
    bystander.check("crash " + std::to_string(i));
  }
  auto status = parse_object(client.request("GET", "/services/crasher").body);
  BOOST_TEST(status.at("status").as_string() == "crashed");
  auto refused = call(client, "crasher", "{}");
  BOOST_TEST(refused.status == 500);
  BOOST_TEST(refused.body.find("crashed") != std::string::npos, refused.body);
  BOOST_TEST(client.request("DELETE", "/services/crasher").status == 202);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(an_endless_init_fails_the_deploy_with_a_clear_400_and_leaves_nothing_running) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(20s);
  Bystander bystander(client);
  auto started = std::chrono::steady_clock::now();
  auto response = deploy(client, "endless-init", "function init(c) while true do end end\n"
                                                 "function handle_call(m, s) return 1, s end");
  BOOST_TEST((std::chrono::steady_clock::now() - started < 2s));
  BOOST_TEST(response.status == 400, response.body);
  auto message = std::string(parse_object(response.body).at("message").as_string());
  BOOST_TEST(message.find("init failed") != std::string::npos, message);
  BOOST_TEST((message.find("cpu time limit exceeded") != std::string::npos ||
              message.find("instruction budget exceeded") != std::string::npos),
             message);
  BOOST_TEST(client.request("GET", "/services/endless-init").status == 404);
  auto list = parse_object(client.request("GET", "/services").body);
  BOOST_TEST(list.at("total").as_int64() == 1);  // the bystander only
  auto failed = parse_object(client.request("GET", "/events?type=service_deployment_failed").body);
  BOOST_TEST(failed.at("events").as_array().size() == 1u);
  bystander.check("endless init");

  // An init that allocates without bound, and one that raises, fail alike.
  auto bomb = deploy(client, "init-bomb", "function init(c) local s = 'x' while true do s = s .. s end end\n"
                                          "function handle_call(m, s) return 1, s end");
  BOOST_TEST(bomb.status == 400, bomb.body);
  BOOST_TEST(bomb.body.find("string too large") != std::string::npos, bomb.body);
  auto hoard = deploy(client, "init-hoard", "function init(c) local t = {} while true do t[#t + 1] = ('x'):rep(1024) .. #t end end\n"
                                            "function handle_call(m, s) return 1, s end");
  BOOST_TEST(hoard.status == 400, hoard.body);
  BOOST_TEST(contains_any(hoard.body, {"not enough memory", "cpu time limit exceeded"}), hoard.body);
  auto raises = deploy(client, "init-raises", "function init(c) error('no config') end\n"
                                              "function handle_call(m, s) return 1, s end");
  BOOST_TEST(raises.status == 400, raises.body);
  BOOST_TEST(raises.body.find("no config") != std::string::npos, raises.body);
  // The same id deploys fine afterwards: nothing was left behind.
  deploy_ok(client, "endless-init", kCounter);
  bystander.check("redeploy");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

// The sandbox is made while service_deployed commits, so a top level that
// fails is a failed deploy after the event, as a failed init is: a 400 in
// the service's words, service_deployment_failed, nothing running, the id
// free, and nothing brought back by the next start (after a SIGKILL too).
BOOST_AUTO_TEST_CASE(a_top_level_that_fails_fails_the_deploy_and_nothing_comes_back_after_a_crash) {
  test::TempDir dir;
  std::optional<SoloProcess> solo;
  solo.emplace(dir / "data");
  {
    auto client = solo->client(20s);
    Bystander bystander(client);
    auto raises = deploy(client, "top-raises", "error('no config at the top')\nfunction handle_call(m, s) return 1, s end");
    BOOST_TEST(raises.status == 400, raises.body);
    BOOST_TEST(raises.body.find("no config at the top") != std::string::npos, raises.body);
    auto endless = deploy(client, "top-endless", "while true do end\nfunction handle_call(m, s) return 1, s end");
    BOOST_TEST(endless.status == 400, endless.body);
    BOOST_TEST(contains_any(endless.body, {"cpu time limit exceeded", "instruction budget exceeded"}), endless.body);
    auto hoard = deploy(client, "top-hoard", "local t = {} while true do t[#t + 1] = ('x'):rep(1024) .. #t end\n"
                                             "function handle_call(m, s) return 1, s end");
    BOOST_TEST(hoard.status == 400, hoard.body);
    for (const char* id : {"top-raises", "top-endless", "top-hoard"}) {
      BOOST_TEST(client.request("GET", std::string("/services/") + id).status == 404, id);
    }
    auto failed = parse_object(client.request("GET", "/events?type=service_deployment_failed").body);
    BOOST_TEST(failed.at("events").as_array().size() == 3u);
    auto list = parse_object(client.request("GET", "/services").body);
    BOOST_TEST(list.at("total").as_int64() == 1);  // the bystander only
    bystander.check("failing top levels");
    // A compile error is still refused before anything is written.
    auto unclosed = deploy(client, "unclosed", "function handle_call(");
    BOOST_TEST(unclosed.status == 400, unclosed.body);
    auto deployed = parse_object(client.request("GET", "/events?type=service_deployed").body);
    BOOST_TEST(deployed.at("events").as_array().size() == 4u);  // the bystander and the three
    deploy_ok(client, "top-raises", kCounter);  // the id is free
  }
  solo->kill9();
  solo.reset();
  solo.emplace(dir / "data");
  auto client = solo->client(20s);
  auto list = parse_object(client.request("GET", "/services").body);
  BOOST_TEST(list.at("total").as_int64() == 2);  // the bystander and the redeployed top-raises
  BOOST_TEST(client.request("GET", "/services/top-endless").status == 404);
  BOOST_TEST(client.request("GET", "/services/top-hoard").status == 404);
  BOOST_TEST(call(client, "top-raises", R"({"op":"inc"})").status == 200);
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(an_endless_terminate_does_not_stop_kill_or_shutdown) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(20s);
  Bystander bystander(client);
  const char* code = "function handle_call(m, s) return 1, s end\n"
                     "function terminate(reason, state) while true do end end";
  deploy_ok(client, "endless-terminate", code);
  auto started = std::chrono::steady_clock::now();
  auto killed = client.request("DELETE", "/services/endless-terminate");
  BOOST_TEST(killed.status == 202, killed.body);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));  // the service stop deadline
  BOOST_TEST(client.request("GET", "/services/endless-terminate").status == 404);
  bystander.check("endless terminate");

  // At shutdown too: the server still exits 0 within its deadline.
  deploy_ok(client, "endless-terminate", code);
  started = std::chrono::steady_clock::now();
  BOOST_TEST(solo.terminate(15s).value_or(-1) == 0);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
}

BOOST_AUTO_TEST_CASE(many_concurrent_calls_to_a_cpu_heavy_service_do_not_starve_health) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(60s);
  Bystander bystander(client);
  boost::json::object limits;
  limits["call_timeout_ms"] = 60000;
  // What is under test is /health beside the queue, not the time budget: a
  // generous one (the admin may raise it), so that a slow or loaded machine
  // cannot fail a call by its CPU time.
  limits["cpu_ms_per_message"] = 1000;
  // Each call does a few million instructions: tens of milliseconds of engine
  // time; 64 of them queue up at once.
  deploy_ok(client, "cpu",
            "function handle_call(msg, state)\n"
            "  local x = 0 for i = 1, 1000000 do x = x + i % 7 end\n"
            "  return x, state\n"
            "end",
            limits);
  HealthWatch health(solo.url());
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;  // what each failed call got, for the report
  std::vector<std::thread> callers;
  for (int t = 0; t < 16; ++t) {
    callers.emplace_back([&] {
      auto caller = solo.client(60s);
      for (int i = 0; i < 4; ++i) {
        std::string failure;
        try {
          auto response = call(caller, "cpu", "{}");
          if (response.status == 200) {
            ok++;
            continue;
          }
          failure = std::to_string(response.status) + " " + response.body;
        } catch (const std::exception& error) {
          failure = error.what();
        }
        failed++;
        std::lock_guard lock(failures_mutex);
        failures.push_back(std::move(failure));
      }
    });
  }
  for (auto& caller : callers) caller.join();
  BOOST_TEST(ok.load() == 64);
  BOOST_TEST(failed.load() == 0, joined(failures));
  bystander.check("the load");
  BOOST_TEST(health.failures().empty(), joined(health.failures()));
  BOOST_TEST(health.samples() > 3);
  BOOST_TEST((health.slowest() < kHealthBound), "slowest /health: " << health.slowest().count() << " ms");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
