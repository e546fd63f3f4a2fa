// "A reply released means its writes are durable; a message's writes are all
// there or none" (issue 13, docs/guarantees.md "Service storage"), proved on
// the real binary: kServices services each write three keys per message
// (a:<n> = n, b:<n> = n and the counter "count" = messages so far), under
// kCallers concurrent HTTP callers; the server is killed with SIGKILL
// mid-load, restarted on the same data directory, and every service's
// storage is read back through GET /services/{id}/storage, over kRounds
// rounds. After each restart:
//   - every n whose call was answered 200 is there, under a: and b: with the
//     value n (no reply released before its writes were durable);
//   - a: and b: hold the same n's (all or nothing per message: an n whose
//     reply was never released may be there, but only whole);
//   - "count" equals the number of n's there (the counter of a message
//     commits with that message's keys, and messages commit in order);
//   - nothing is there that no caller sent.
// Bounded: each round's load stops after kAckedPerRound replies or
// kRoundLoad, whichever comes first.
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

constexpr int kServices = 8;
constexpr int kCallers = 16;
constexpr int kRounds = 5;
constexpr int kAckedPerRound = 1200;
constexpr auto kRoundLoad = std::chrono::seconds(6);

// "write" puts a message's three keys; "count" is the counter as the
// service itself reads it.
const char* kWriter = R"(
function init(config) return {} end
function handle_call(msg, state)
  if msg.op == "write" then
    local n = msg.n
    solo.storage.put("a:" .. n, n)
    solo.storage.put("b:" .. n, n)
    solo.storage.put("count", (solo.storage.get("count") or 0) + 1)
    return { n = n }, state
  elseif msg.op == "count" then
    local count = solo.storage.get("count")
    if count == nil then count = 0 end
    return { count = count }, state
  end
  error("unknown op")
end
)";

std::string service_id(int i) { return "w" + std::to_string(i); }

// What the callers were told, per service: the n's sent, and those answered 200.
struct Ledger {
  std::mutex mutex;
  std::vector<int64_t> next_n = std::vector<int64_t>(kServices, 1);
  std::vector<std::set<int64_t>> acked = std::vector<std::set<int64_t>>(kServices);
  std::atomic<int> acked_this_round{0};
  std::vector<std::string> failures;  // Boost.Test is not thread-safe: the main thread reports

  int64_t take_n(int service) {
    std::lock_guard lock(mutex);
    return next_n[static_cast<size_t>(service)]++;
  }
  void ack(int service, int64_t n) {
    std::lock_guard lock(mutex);
    acked[static_cast<size_t>(service)].insert(n);
    acked_this_round.fetch_add(1);
  }
};

// One caller: writes to services in turn until the server stops answering.
// A 503 (overload, shed) is no acknowledgement and no failure; an answer
// that is neither 200 nor 503 while the server runs is a failure.
void run_caller(const std::string& url, const std::string& token, int caller, Ledger& ledger,
                std::atomic<bool>& stop) {
  net::HttpClient client(url, std::chrono::seconds(10));
  net::HeaderList headers{{"Authorization", "Bearer " + token}};
  for (int turn = 0; !stop.load(); ++turn) {
    int service = (caller + turn) % kServices;
    int64_t n = ledger.take_n(service);
    json::object msg{{"op", "write"}, {"n", n}};
    try {
      auto response = client.request("POST", "/services/" + service_id(service) + "/call", json::serialize(msg),
                                     headers);
      if (response.status == 200) {
        auto reply = json::parse(response.body).at("reply").at("n").as_int64();
        if (reply != n) {
          std::lock_guard lock(ledger.mutex);
          ledger.failures.push_back(service_id(service) + " answered n " + std::to_string(reply) + " to n " +
                                    std::to_string(n));
        }
        ledger.ack(service, n);
      } else if (response.status != 503 && !stop.load()) {
        std::lock_guard lock(ledger.mutex);
        ledger.failures.push_back(service_id(service) + ": " + std::to_string(response.status) + " " +
                                  response.body);
      }
    } catch (const std::exception&) {
      return;  // the server is gone (killed): this n stays unacknowledged
    }
  }
}

// What a service holds after the restart.
struct Stored {
  std::map<int64_t, int64_t> a, b;  // n -> value
  int64_t count = 0;
};

// Every n under `prefix`, page by page through GET /services/{id}/storage
// (the operator's view of the durable data).
std::map<int64_t, int64_t> list_prefix(net::HttpClient& client, const std::string& id, const std::string& prefix) {
  std::map<int64_t, int64_t> out;
  std::string cursor;
  for (;;) {
    std::string target = "/services/" + id + "/storage?limit=1000&prefix=" + prefix;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto response = client.request("GET", target);
    BOOST_TEST_REQUIRE(response.status == 200, id << " list " << prefix << ": " << response.body);
    auto page = json::parse(response.body).as_object();
    for (const auto& entry : page.at("entries").as_array()) {
      std::string key(entry.at("key").as_string());
      BOOST_TEST_REQUIRE(key.rfind(prefix, 0) == 0u, key);
      out[std::stoll(key.substr(prefix.size()))] = entry.at("value").as_int64();
    }
    if (page.at("next_cursor").is_null()) return out;
    cursor = std::string(page.at("next_cursor").as_string());  // "a:123": no character to escape
  }
}

// The storage of `id` through the REST routes, and its count as the service
// itself reads it (the service's view and the operator's must agree).
Stored read_back(const SoloProcess& solo, const std::string& id) {
  auto client = solo.client(std::chrono::seconds(30));
  Stored stored;
  stored.a = list_prefix(client, id, "a:");
  stored.b = list_prefix(client, id, "b:");
  auto count = client.request("GET", "/services/" + id + "/storage/count");
  if (count.status == 200) {
    stored.count = json::parse(count.body).at("value").as_int64();
  } else {
    BOOST_TEST_REQUIRE(count.status == 404, id << " count: " << count.body);  // no message committed yet
  }
  auto seen = client.request("POST", "/services/" + id + "/call", R"({"op": "count"})");
  BOOST_TEST_REQUIRE(seen.status == 200, id << ": " << seen.body);
  BOOST_TEST(json::parse(seen.body).at("reply").at("count").as_int64() == stored.count, id << ": " << seen.body);
  return stored;
}

void check_service(int service, const Stored& stored, const Ledger& ledger, int round) {
  auto id = service_id(service);
  const auto& acked = ledger.acked[static_cast<size_t>(service)];
  size_t lost = 0;
  for (int64_t n : acked) {
    auto a = stored.a.find(n);
    auto b = stored.b.find(n);
    bool whole = a != stored.a.end() && a->second == n && b != stored.b.end() && b->second == n;
    if (!whole) ++lost;
  }
  BOOST_TEST(lost == 0u, "round " << round << " " << id << ": " << lost << " of " << acked.size()
                                  << " acknowledged messages lost a write");
  std::set<int64_t> only_a, only_b;
  for (const auto& [n, value] : stored.a)
    if (!stored.b.count(n)) only_a.insert(n);
  for (const auto& [n, value] : stored.b)
    if (!stored.a.count(n)) only_b.insert(n);
  BOOST_TEST(only_a.empty(), "round " << round << " " << id << ": " << only_a.size() << " messages half there (a: only)");
  BOOST_TEST(only_b.empty(), "round " << round << " " << id << ": " << only_b.size() << " messages half there (b: only)");
  BOOST_TEST(stored.count == static_cast<int64_t>(stored.a.size()),
             "round " << round << " " << id << ": count " << stored.count << " but " << stored.a.size()
                      << " messages there");
  int64_t sent = ledger.next_n[static_cast<size_t>(service)];
  for (const auto& [n, value] : stored.a) BOOST_TEST_REQUIRE((n >= 1 && n < sent && value == n), id << " holds a:" << n);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_durability)

BOOST_AUTO_TEST_CASE(sigkill_under_concurrent_writers_loses_no_acknowledged_write_and_no_message_is_half_there) {
  test::TempDir dir;
  auto data = dir / "data";
  Ledger ledger;
  size_t acked_total = 0;
  {
    SoloProcess solo(data);
    auto client = solo.client();
    for (int i = 0; i < kServices; ++i) {
      json::object body{{"service_id", service_id(i)}, {"code", kWriter}};
      auto deployed = client.request("POST", "/services", json::serialize(body));
      BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
    }
    solo.terminate();
  }
  for (int round = 0; round < kRounds; ++round) {
    std::optional<SoloProcess> solo(std::in_place, data);
    ledger.acked_this_round = 0;
    std::atomic<bool> stop{false};
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back(run_caller, solo->url(), solo->admin_token(), c, std::ref(ledger), std::ref(stop));
    }
    // Kill it at a different point each round, mid-load.
    int wanted = kAckedPerRound / 2 + round * kAckedPerRound / 4;
    auto deadline = std::chrono::steady_clock::now() + kRoundLoad;
    while (ledger.acked_this_round.load() < wanted && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    solo->kill9();
    stop = true;
    for (auto& caller : callers) caller.join();
    solo.reset();
    BOOST_TEST_MESSAGE("round " << round << ": " << ledger.acked_this_round.load() << " replies acknowledged");
    for (const auto& failure : ledger.failures) BOOST_TEST(false, failure);
    ledger.failures.clear();

    SoloProcess restarted(data);
    for (int i = 0; i < kServices; ++i) check_service(i, read_back(restarted, service_id(i)), ledger, round);
    restarted.terminate();
  }
  for (const auto& acked : ledger.acked) acked_total += acked.size();
  // The load ran: a test that acknowledged nothing proves nothing.
  BOOST_TEST(acked_total >= static_cast<size_t>(kRounds * 20));
}

BOOST_AUTO_TEST_SUITE_END()
