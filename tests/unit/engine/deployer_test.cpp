// Tests for engine/services/deployer: durable deploy, kill, swap and rollback
// (the event and the `services` row in one transaction, read back through a
// second connection), the error kinds, a service that stays down past its
// restart intensity, solo.call between services (reply, self-call, cycle), and
// the inline call path of an idle service (ServiceActor::call): it runs without
// an engine turn, never overtakes a queued message, hands a step that cannot
// finish at once to the run loop and still times out. The per-service figures
// the actor counts (ServiceStats) across a swap and a restart, and the cap on
// services with per-service metric series.
// Real SQLite in a temp dir, a real EventStore and Supervisor; no HTTP.
#include "engine/services/deployer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/security/crypto.hpp"
#include "engine/services/log_book.hpp"
#include "engine/supervision/supervisor.hpp"
#include "engine/telemetry/service_metrics.hpp"
#include "stores/event_store.hpp"
#include "stores/service_store.hpp"
#include "stores/sqlite.hpp"
#include "support/async_test.hpp"
#include "support/engine_coro.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;
using solo::DeployError;
using solo::ServiceSpec;

namespace {

const char* kCounter = R"lua(
function init(config) return { count = config.start or 0 } end
function handle_call(msg, state)
  if msg.op == "inc" then state.count = state.count + 1 end
  if msg.op == "boom" then error("boom on purpose") end
  return { count = state.count, v = 1 }, state
end
)lua";

// Version 2 of the counter: keeps the count, answers with v = 2.
const char* kCounterV2 = R"lua(
function code_change(old, old_version) return { count = old.count, from = old_version } end
function handle_call(msg, state)
  if msg.op == "inc" then state.count = state.count + 1 end
  return { count = state.count, v = 2, from = state.from }, state
end
)lua";

// Version 2 that crashes on every call: inside the rollback window this
// brings back version 1 with its state.
const char* kCounterBroken = R"lua(
function handle_call(msg, state) error("v2 is broken") end
)lua";

// Calls msg.target with msg.inner through solo.call (protected), so a call
// error is a value in the reply rather than a crash.
const char* kCaller = R"lua(
function handle_call(msg, state)
  if msg.op == "relay" then
    local ok, reply = pcall(solo.call, msg.target, msg.inner)
    return { ok = ok, reply = reply }, state
  end
  return { me = solo.service_id }, state
end
)lua";

// Records the order of what it handles: casts append to `seen`, a call
// answers with everything seen so far, then appends itself; {"spin": N}
// first runs a loop of N iterations (many slices) and {"relay": id} first
// calls that service.
const char* kRecorder = R"lua(
function init(config) return { seen = {} } end
function handle_cast(msg, state)
  state.seen[#state.seen + 1] = msg.tag
  return state
end
function handle_call(msg, state)
  if msg.spin then local x = 0 for i = 1, msg.spin do x = x + i end end
  if msg.relay then solo.call(msg.relay, {}) end
  local reply = { seen = table.concat(state.seen, ",") }
  state.seen[#state.seen + 1] = msg.tag
  return reply, state
end
)lua";

const char* kUnclosed = "function handle_call(";
const char* kInitFails = "function init(c) error('no db') end\nfunction handle_call(m, s) return 1, s end";

struct Harness {
  asio::io_context io;
  solo::test::TempDir dir;
  std::shared_ptr<solo::EventStore> events;
  std::shared_ptr<solo::Supervisor> tenants;
  std::shared_ptr<solo::ServiceDirectory> services = std::make_shared<solo::ServiceDirectory>();
  std::shared_ptr<solo::Deployer> deployer;

  std::filesystem::path db_path() const { return dir / "solo.db"; }
};

asio::awaitable<void> open_harness(Harness* h) {
  // Named locals, never temporaries, in co_await expressions (GCC 12).
  std::filesystem::path path = h->db_path();
  asio::any_io_executor executor = h->io.get_executor();
  solo::OpenOptions options;
  h->events = co_await solo::EventStore::open(executor, path, options);
  solo::Intensity intensity{10, 10s};
  h->tenants = solo::Supervisor::create(executor, "tenants", solo::Strategy::one_for_one, intensity);
  co_await h->tenants->start();
  auto logs = std::make_shared<solo::LogBook>();
  auto types = std::make_shared<solo::NativeServiceTypes>();
  solo::ServiceLimitsMax limits;
  h->deployer = std::make_shared<solo::Deployer>(executor, h->events, h->tenants, h->services, logs, types, limits);
}

asio::awaitable<void> close_harness(Harness* h) {
  co_await h->tenants->stop();
  co_await h->events->close();
}

// Opens the store, deploys nothing, and closes it again around each test.
struct Fixture : Harness {
  Fixture() { solo::test::run_awaitable(io, open_harness(this)); }
  ~Fixture() {
    try {
      solo::test::run_awaitable(io, close_harness(this));
    } catch (const std::exception& error) {
      BOOST_ERROR(std::string("closing the harness: ") + error.what());
    }
  }
  template <class T>
  T run(asio::awaitable<T> task) {
    return solo::test::run_awaitable(io, std::move(task));
  }
  void run(asio::awaitable<void> task) { solo::test::run_awaitable(io, std::move(task)); }
};

json::object spec_body(const std::string& id, const std::string& code) {
  json::object body;
  body["service_id"] = id;
  body["code"] = code;
  return body;
}

ServiceSpec make_spec(const std::string& id, const std::string& code, int max_restarts = 3) {
  auto body = spec_body(id, code);
  json::object restart;
  restart["max_restarts"] = max_restarts;
  restart["max_seconds"] = 60;
  body["restart"] = restart;
  return solo::parse_service_spec(body, "acme", solo::ServiceLimitsMax{});
}

// The rows and events as a second connection sees them (what survives a crash).
std::vector<solo::ServiceRow> read_rows(const std::filesystem::path& path) {
  solo::SqliteDatabase db(path, solo::OpenOptions{.read_only = true});
  return solo::load_service_rows(db);
}

struct EventRow {
  int64_t id;
  std::string type;
  std::string service_id;
  json::object payload;
};

std::vector<EventRow> read_events(const std::filesystem::path& path, const std::string& type) {
  solo::SqliteDatabase db(path, solo::OpenOptions{.read_only = true});
  solo::SqliteStatement statement(db.handle(),
                            "SELECT id, event_type, service_id, payload FROM events ORDER BY id");
  std::vector<EventRow> rows;
  while (statement.step()) {
    if (statement.column_text(1) != type) continue;
    rows.push_back({statement.column_int(0), statement.column_text(1), statement.column_text(2),
                    json::parse(statement.column_text(3)).as_object()});
  }
  return rows;
}

std::optional<solo::ServiceRow> row_of(const std::filesystem::path& path, const std::string& id) {
  for (auto& row : read_rows(path)) {
    if (row.service_id == id) return row;
  }
  return std::nullopt;
}

// A call through the actor, parsed from text (a named local: see the GCC 12
// note in the brief; no temporaries inside co_await expressions).
// `timeout`: none, 2 s; the service's own call_timeout when `own_timeout`.
asio::awaitable<solo::CallResult<json::value>> call(std::shared_ptr<solo::Deployer> deployer, std::string id,
                                                     std::string message, bool own_timeout = false) {
  auto actor = deployer->directory()->find("acme", id);
  if (!actor) throw std::runtime_error("no actor " + id);
  json::value msg = json::parse(message);
  std::chrono::milliseconds timeout = own_timeout ? actor->spec().limits.call_timeout : 2s;
  solo::CallChain chain;
  auto result = co_await actor->call(std::move(msg), timeout, chain);
  co_return result;
}

asio::awaitable<json::object> deploy(std::shared_ptr<solo::Deployer> deployer, ServiceSpec spec) {
  auto reply = co_await deployer->deploy(std::move(spec));
  co_return reply;
}

// Waits until `predicate` holds, up to `limit`.
asio::awaitable<bool> eventually(std::function<bool()> predicate, std::chrono::milliseconds limit = 3s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await solo::test::sleep_for(5ms);
  }
  co_return true;
}

ServiceSpec spec_with_limits(const std::string& id, const std::string& code, json::object limits) {
  auto body = spec_body(id, code);
  body["limits"] = std::move(limits);
  return solo::parse_service_spec(body, "acme", solo::ServiceLimitsMax{});
}

// Counts the turns of the engine (io_context) while it runs: a call that
// completes with no turn in between never went through a mailbox.
struct TurnCounter {
  int64_t turns = 0;
  bool stop = false;
};

asio::awaitable<void> count_turns(std::shared_ptr<TurnCounter> counter) {
  while (!counter->stop) {
    ++counter->turns;
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  }
}

struct TimedCall {
  solo::CallResult<json::value> result;
  int64_t turns = 0;  // engine turns while it was in flight
};

asio::awaitable<TimedCall> call_counting_turns(std::shared_ptr<solo::Deployer> deployer, std::string id,
                                               std::string message) {
  auto counter = std::make_shared<TurnCounter>();
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, count_turns(counter), asio::detached);
  co_await asio::post(executor, asio::use_awaitable);  // the counter is running
  const int64_t before = counter->turns;
  TimedCall timed;
  timed.result = co_await call(deployer, id, message);
  timed.turns = counter->turns - before;
  counter->stop = true;
  co_return timed;
}

// Casts `tags` to `id` one after another, then calls it at once, with no
// engine turn in between: the casts are still queued when the call arrives.
asio::awaitable<solo::CallResult<json::value>> casts_then_call(std::shared_ptr<solo::Deployer> deployer,
                                                               std::string id, std::vector<std::string> tags) {
  auto actor = deployer->directory()->find("acme", id);
  if (!actor) throw std::runtime_error("no actor " + id);
  for (const auto& tag : tags) {
    json::object msg;
    msg["tag"] = tag;
    if (!actor->cast(std::move(msg))) throw std::runtime_error("cast refused");
  }
  auto result = co_await call(deployer, id, R"({"tag":"call"})");
  co_return result;
}

// Two calls to `id` started together; the first waits in solo.call for
// `relay_to`, so the second arrives while the first is in progress.
asio::awaitable<std::pair<solo::CallResult<json::value>, solo::CallResult<json::value>>> overlapping_calls(
    std::shared_ptr<solo::Deployer> deployer, std::string id, std::string relay_to) {
  auto executor = co_await asio::this_coro::executor;
  auto first = std::make_shared<std::optional<solo::CallResult<json::value>>>();
  std::string first_message = R"({"tag":"first","relay":")" + relay_to + R"("})";
  asio::co_spawn(executor, call(deployer, id, first_message),
                 [first](std::exception_ptr, solo::CallResult<json::value> result) { *first = std::move(result); });
  co_await asio::post(executor, asio::use_awaitable);  // the first has begun
  auto second = co_await call(deployer, id, R"({"tag":"second"})");
  while (!first->has_value()) co_await solo::test::sleep_for(1ms);
  co_return std::make_pair(std::move(**first), std::move(second));
}

template <class F>
DeployError::Kind deploy_error_kind(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const DeployError& error) {
    if (message) *message = error.what();
    return error.kind();
  }
  BOOST_FAIL("expected a DeployError");
  return DeployError::Kind::invalid;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(deployer, Fixture)

BOOST_AUTO_TEST_CASE(deploy_writes_service_deployed_and_the_row_in_one_transaction_before_the_ack) {
  auto reply = run(deploy(deployer, make_spec("counter", kCounter)));
  BOOST_TEST(reply.at("status").as_string() == "deployed");
  BOOST_TEST(reply.at("version").as_int64() == 1);

  // Durable at the ack: a second connection sees both.
  auto row = row_of(db_path(), "counter");
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->tenant_id == "acme");
  BOOST_TEST(row->version == 1);
  BOOST_TEST(row->code == kCounter);
  BOOST_TEST(row->code_sha256 == solo::crypto::sha256_hex(kCounter));
  auto deployed = read_events(db_path(), "service_deployed");
  BOOST_TEST_REQUIRE(deployed.size() == 1u);
  BOOST_TEST(deployed[0].payload.at("code").as_string() == kCounter);  // the full spec
  BOOST_TEST(deployed[0].payload.at("restart").at("max_restarts").as_int64() == 3);
  BOOST_TEST(row->last_event_id == deployed[0].id);  // written by that event's transaction
  BOOST_TEST(json::parse(row->spec).at("code").as_string() == kCounter);

  auto result = run(call(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST_REQUIRE(result.ok(), result.message());
  BOOST_TEST(result.value().at("count").as_int64() == 1);
  run(events->flush());
  BOOST_TEST(read_events(db_path(), "service_started").size() == 1u);
}

BOOST_AUTO_TEST_CASE(kill_removes_the_row_with_service_killed) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  run(deployer->kill("acme", "counter", false));
  BOOST_TEST(!deployer->directory()->find("acme", "counter"));
  BOOST_TEST(!row_of(db_path(), "counter").has_value());
  auto killed = read_events(db_path(), "service_killed");
  BOOST_TEST_REQUIRE(killed.size() == 1u);
  BOOST_TEST(killed[0].service_id == "counter");
  // The id is free again.
  run(deploy(deployer, make_spec("counter", kCounter)));
  BOOST_TEST(row_of(db_path(), "counter").has_value());
}

BOOST_AUTO_TEST_CASE(swap_migrates_the_state_and_updates_the_rows_version_and_code) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  run(call(deployer, "counter", R"({"op":"inc"})"));
  run(call(deployer, "counter", R"({"op":"inc"})"));
  auto version = run(deployer->swap("acme", "counter", kCounterV2, 0ms));
  BOOST_TEST(version == 2);
  auto row = row_of(db_path(), "counter");
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->version == 2);
  BOOST_TEST(row->code == kCounterV2);
  BOOST_TEST(read_events(db_path(), "hot_swap_succeeded").size() == 1u);

  auto result = run(call(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST_REQUIRE(result.ok(), result.message());
  BOOST_TEST(result.value().at("count").as_int64() == 3);  // the state came across
  BOOST_TEST(result.value().at("v").as_int64() == 2);
  BOOST_TEST(result.value().at("from").as_int64() == 1);
  BOOST_TEST(deployer->directory()->find("acme", "counter")->spec().version == 2);
}

BOOST_AUTO_TEST_CASE(a_swap_that_does_not_compile_is_invalid_names_the_line_and_leaves_v1_running) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  std::string message;
  auto kind = deploy_error_kind([&] { run(deployer->swap("acme", "counter", "x = = 1", 5s)); }, &message);
  BOOST_TEST((kind == DeployError::Kind::invalid));
  BOOST_TEST(message.find(":1:") != std::string::npos, message);
  BOOST_TEST(row_of(db_path(), "counter")->version == 1);
  auto result = run(call(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST(result.value().at("v").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(a_crash_inside_the_rollback_window_restores_the_old_code_state_and_row) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  run(call(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST(run(deployer->swap("acme", "counter", kCounterBroken, 10s)) == 2);
  BOOST_TEST(row_of(db_path(), "counter")->version == 2);

  auto crashed = run(call(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST(!crashed.ok());
  BOOST_TEST(crashed.message().find("v2 is broken") != std::string::npos, crashed.message());
  auto actor = deployer->directory()->find("acme", "counter");
  BOOST_TEST(run(eventually([actor] { return actor->spec().version == 1 && actor->alive(); })));
  auto result = run(call(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST_REQUIRE(result.ok(), result.message());
  BOOST_TEST(result.value().at("v").as_int64() == 1);
  BOOST_TEST(result.value().at("count").as_int64() == 2);  // the state from before the swap, plus this call

  run(events->flush());
  auto row = row_of(db_path(), "counter");
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->version == 1);
  BOOST_TEST(row->code == kCounter);
  auto rolled_back = read_events(db_path(), "hot_swap_rolled_back");
  BOOST_TEST_REQUIRE(rolled_back.size() == 1u);
  BOOST_TEST(rolled_back[0].payload.at("reason").as_string().find("v2 is broken") != json::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_are_values_of_the_right_kind) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  std::string message;
  BOOST_TEST((deploy_error_kind([&] { run(deploy(deployer, make_spec("counter", kCounter))); }, &message) ==
              DeployError::Kind::conflict));
  BOOST_TEST(message.find("already deployed") != std::string::npos, message);
  BOOST_TEST((deploy_error_kind([&] { run(deployer->kill("acme", "nobody", false)); }) ==
              DeployError::Kind::not_found));
  BOOST_TEST((deploy_error_kind([&] { run(deployer->swap("acme", "nobody", kCounter, 0ms)); }) ==
              DeployError::Kind::not_found));
  // Another tenant does not see acme's service.
  BOOST_TEST((deploy_error_kind([&] { run(deployer->kill("other", "counter", false)); }) ==
              DeployError::Kind::not_found));
  auto bad_kind = deploy_error_kind([&] { run(deploy(deployer, make_spec("bad", kUnclosed))); }, &message);
  BOOST_TEST((bad_kind == DeployError::Kind::invalid));
  BOOST_TEST(message.find(":1:") != std::string::npos, message);
  BOOST_TEST(!row_of(db_path(), "bad").has_value());
  BOOST_TEST(read_events(db_path(), "service_deployed").size() == 1u);  // a compile error writes nothing

  // An init failure: service_deployment_failed, and the row written by the
  // deploy is removed in the same log.
  auto init_kind = deploy_error_kind([&] { run(deploy(deployer, make_spec("init-fails", kInitFails))); }, &message);
  BOOST_TEST((init_kind == DeployError::Kind::invalid));
  BOOST_TEST(message.find("init failed") != std::string::npos, message);
  BOOST_TEST(message.find("no db") != std::string::npos, message);
  BOOST_TEST(!deployer->directory()->find("acme", "init-fails"));
  BOOST_TEST(!row_of(db_path(), "init-fails").has_value());
  BOOST_TEST(read_events(db_path(), "service_deployment_failed").size() == 1u);

  // A top level that raises: the sandbox is made while service_deployed
  // commits, so it fails as an init does, and the id is free again.
  auto top_kind = deploy_error_kind(
      [&] {
        run(deploy(deployer, make_spec("top-fails", "error('no config')\nfunction handle_call(m, s) return 1, s end")));
      },
      &message);
  BOOST_TEST((top_kind == DeployError::Kind::invalid));
  BOOST_TEST(message.find("no config") != std::string::npos, message);
  BOOST_TEST(!deployer->directory()->find("acme", "top-fails"));
  BOOST_TEST(!row_of(db_path(), "top-fails").has_value());
  BOOST_TEST(read_events(db_path(), "service_deployed").size() == 3u);
  BOOST_TEST(read_events(db_path(), "service_deployment_failed").size() == 2u);
  run(deploy(deployer, make_spec("top-fails", kCounter)));
  BOOST_TEST(deployer->directory()->find("acme", "top-fails"));
}

// A failed first start says which step failed (StartFailure), and the client
// reads the service's own words whole: no searching the supervisor's message.
// Here a compile error (recovery compiles while starting) whose text contains
// "init failed" is reported as it is, line number included.
BOOST_AUTO_TEST_CASE(a_failed_start_is_reported_by_its_step_in_the_services_own_words) {
  std::string message;
  auto compile = make_spec("stored", R"(x = 1 "init failed")");
  BOOST_TEST((deploy_error_kind([&] { run(deployer->recover(compile, "2026-01-01T00:00:00.000Z")); }, &message) ==
              DeployError::Kind::invalid));
  BOOST_TEST(message.rfind("[string \"service\"]:1:", 0) == 0u, message);
  BOOST_TEST(message.find("init failed") != std::string::npos, message);
  BOOST_TEST(!deployer->directory()->find("acme", "stored"));

  auto init = make_spec("init-fails", kInitFails);
  BOOST_TEST((deploy_error_kind([&] { run(deploy(deployer, init)); }, &message) == DeployError::Kind::invalid));
  BOOST_TEST(message.rfind("init failed: ", 0) == 0u, message);  // no supervisor prefix
  BOOST_TEST(message.find("no db") != std::string::npos, message);
}

// A swap queues in the mailbox behind the service's messages; a full mailbox
// refuses it as overloaded with a Retry-After (503 at the gateway), not as a
// fault of the code, and the running version is untouched.
BOOST_AUTO_TEST_CASE(a_swap_into_a_full_mailbox_is_overloaded_with_retry_after) {
  const char* jam = R"lua(
function handle_cast(msg, state)
  while pcall(solo.cast, solo.service_id, { op = "wait" }) do end
  local x = 0
  for i = 1, 4000000000 do x = x + i end
  return state
end
function handle_call(msg, state) return 1, state end
)lua";
  auto body = spec_body("jammed", jam);
  body["limits"] = json::object{{"mailbox", 2}, {"instructions_per_message", 10000000000}, {"cpu_ms_per_message", 10000}};
  run(deploy(deployer, solo::parse_service_spec(body, "acme", solo::ServiceLimitsMax{})));
  auto actor = deployer->directory()->find("acme", "jammed");
  BOOST_TEST_REQUIRE(actor->cast(json::object()));
  BOOST_TEST_REQUIRE(run(eventually([actor] { return actor->queue_length() == 2; })));
  try {
    run(deployer->swap("acme", "jammed", "function handle_call(m, s) return 2, s end", 0ms));
    BOOST_FAIL("the swap should have been refused");
  } catch (const solo::Error& error) {
    BOOST_TEST((error.kind() == solo::ErrorKind::overloaded), error.what());
    BOOST_TEST(error.retry_after().value_or(std::chrono::seconds(0)).count() == 1);
    BOOST_TEST(std::string(error.what()).find("mailbox full") != std::string::npos, error.what());
  }
  BOOST_TEST(actor->spec().version == 1);
  BOOST_TEST(read_events(db_path(), "hot_swap_failed").size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_service_crashing_past_its_intensity_reports_crashed_and_stays_down) {
  run(deploy(deployer, make_spec("fragile", kCounter, 1)));
  auto actor = deployer->directory()->find("acme", "fragile");
  auto first = run(call(deployer, "fragile", R"({"op":"boom"})"));
  BOOST_TEST(first.message().find("boom on purpose") != std::string::npos, first.message());
  BOOST_TEST(run(eventually([actor] { return actor->state() == solo::ServiceState::running; })));
  BOOST_TEST(actor->status_json().at("restarts").as_int64() == 1);
  run(call(deployer, "fragile", R"({"op":"boom"})"));
  BOOST_TEST(run(eventually([actor] { return actor->state() == solo::ServiceState::crashed; })));
  run(solo::test::sleep_for(50ms));
  BOOST_TEST(actor->status_json().at("status").as_string() == "crashed");
  BOOST_TEST(actor->status_json().at("last_error").as_string().find("boom on purpose") != json::string::npos);
  auto refused = run(call(deployer, "fragile", "{}"));
  BOOST_TEST((refused.error() == solo::ErrorKind::stopped));
  BOOST_TEST(refused.message().find("crashed") != std::string::npos, refused.message());
  BOOST_TEST(!actor->cast(json::object()));
  auto page = deployer->directory()->list("acme", "crashed", 10, 0);
  BOOST_TEST(page.total == 1u);
  run(events->flush());
  auto crashes = read_events(db_path(), "service_crashed");
  BOOST_TEST_REQUIRE(crashes.size() == 2u);
  BOOST_TEST(crashes[0].payload.at("will_restart").as_bool());
  BOOST_TEST(!crashes[1].payload.at("will_restart").as_bool());
  // A crashed service can be killed, and its id deployed again.
  run(deployer->kill("acme", "fragile", false));
  run(deploy(deployer, make_spec("fragile", kCounter, 1)));
}

BOOST_AUTO_TEST_CASE(solo_call_reaches_another_service_of_the_tenant) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  run(deploy(deployer, make_spec("caller", kCaller)));
  auto result = run(call(deployer, "caller", R"({"op":"relay","target":"counter","inner":{"op":"inc"}})"));
  BOOST_TEST_REQUIRE(result.ok(), result.message());
  BOOST_TEST(result.value().at("ok").as_bool());
  BOOST_TEST(result.value().at("reply").at("count").as_int64() == 1);
  auto missing = run(call(deployer, "caller", R"({"op":"relay","target":"nobody","inner":{}})"));
  BOOST_TEST(!missing.value().at("ok").as_bool());
  BOOST_TEST(missing.value().at("reply").as_string().find("no service 'nobody'") != json::string::npos);
}

BOOST_AUTO_TEST_CASE(a_self_call_and_a_call_cycle_fail_at_once) {
  run(deploy(deployer, make_spec("a", kCaller)));
  run(deploy(deployer, make_spec("b", kCaller)));
  auto started = std::chrono::steady_clock::now();
  auto self_call = run(call(deployer, "a", R"({"op":"relay","target":"a","inner":{}})"));
  BOOST_TEST_REQUIRE(self_call.ok(), self_call.message());
  BOOST_TEST(!self_call.value().at("ok").as_bool());
  BOOST_TEST(self_call.value().at("reply").as_string().find("call cycle") != json::string::npos,
             self_call.value());

  // a -> b -> a: b's call back into a (which waits for b) fails at once.
  auto cycle = run(call(deployer, "a",
                        R"({"op":"relay","target":"b","inner":{"op":"relay","target":"a","inner":{}}})"));
  BOOST_TEST_REQUIRE(cycle.ok(), cycle.message());
  BOOST_TEST(cycle.value().at("ok").as_bool());  // b answered ...
  const auto& inner = cycle.value().at("reply").as_object();
  BOOST_TEST(!inner.at("ok").as_bool());  // ... that its call to a would wait for itself
  BOOST_TEST(inner.at("reply").as_string().find("call cycle: a -> b -> a") != json::string::npos, inner);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 1s));  // not a timeout
  // Both still answer.
  BOOST_TEST(run(call(deployer, "a", "{}")).ok());
  BOOST_TEST(run(call(deployer, "b", "{}")).ok());
}

BOOST_AUTO_TEST_CASE(a_call_to_an_idle_service_runs_inline_without_an_engine_turn) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  auto timed = run(call_counting_turns(deployer, "counter", R"({"op":"inc"})"));
  BOOST_TEST_REQUIRE(timed.result.ok(), timed.result.message());
  BOOST_TEST(timed.result.value().at("count").as_int64() == 1);
  BOOST_TEST(timed.turns == 0);  // through the mailbox it takes several
  // Its error is still the service's error, and the service restarts as before.
  auto boom = run(call(deployer, "counter", R"({"op":"boom"})"));
  BOOST_TEST((boom.error() == solo::ErrorKind::service_error));
  BOOST_TEST(boom.message().find("boom on purpose") != std::string::npos, boom.message());
  BOOST_TEST(run(eventually([&] { return deployer->directory()->find("acme", "counter")->alive(); })));
  BOOST_TEST(run(call(deployer, "counter", R"({"op":"inc"})")).value().at("count").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(an_inline_call_never_overtakes_queued_messages) {
  run(deploy(deployer, make_spec("recorder", kRecorder)));
  auto result = run(casts_then_call(deployer, "recorder", {"a", "b", "c"}));
  BOOST_TEST_REQUIRE(result.ok(), result.message());
  BOOST_TEST(result.value().at("seen").as_string() == "a,b,c");
}

BOOST_AUTO_TEST_CASE(a_call_arriving_while_a_message_is_in_progress_waits_its_turn) {
  run(deploy(deployer, make_spec("recorder", kRecorder)));
  run(deploy(deployer, make_spec("other", kRecorder)));
  // The first call runs inline until its solo.call, then goes on in the run
  // loop; the second must not run beside it (the state would interleave).
  auto [first, second] = run(overlapping_calls(deployer, "recorder", "other"));
  BOOST_TEST_REQUIRE(first.ok(), first.message());
  BOOST_TEST_REQUIRE(second.ok(), second.message());
  BOOST_TEST(first.value().at("seen").as_string() == "");
  BOOST_TEST(second.value().at("seen").as_string() == "first");
}

BOOST_AUTO_TEST_CASE(an_inline_call_past_its_timeout_is_a_timeout_and_the_service_goes_on) {
  json::object limits{{"call_timeout_ms", 20}, {"cpu_ms_per_message", 5000}, {"instructions_per_message", 5000000000}};
  run(deploy(deployer, spec_with_limits("spinner", kRecorder, limits)));
  // Tens of millions of iterations: many slices, far past 20 ms of engine time.
  auto late = run(call(deployer, "spinner", R"({"tag":"slow","spin":50000000})", true));
  BOOST_TEST_REQUIRE(!late.ok(), "replied: " << (late.ok() ? json::serialize(late.value()) : ""));
  BOOST_TEST((late.error() == solo::ErrorKind::timeout), late.message());
  BOOST_TEST(late.message().find("20 ms") != std::string::npos, late.message());
  // The message itself finished in the run loop: the next call sees it.
  BOOST_TEST(run(eventually([&] {
    auto actor = deployer->directory()->find("acme", "spinner");
    return actor->queue_length() == 0;
  })));
  auto next = run(call(deployer, "spinner", R"({"tag":"next"})"));
  BOOST_TEST_REQUIRE(next.ok(), next.message());
  BOOST_TEST(next.value().at("seen").as_string() == "slow");
}

// The figures live with the deployment: a swap and a restart of the actor
// keep them; failures count by kind; the histogram holds every call the
// service took.
BOOST_AUTO_TEST_CASE(stats_count_calls_errors_and_latency_and_survive_a_swap_and_a_restart) {
  run(deploy(deployer, make_spec("counter", kCounter)));
  auto actor = deployer->directory()->find("acme", "counter");
  const auto since = actor->stats().since();
  for (int i = 0; i < 5; ++i) BOOST_TEST_REQUIRE(run(call(deployer, "counter", R"({"op":"inc"})")).ok());
  BOOST_TEST(actor->cast(json::object()));

  auto failed = run(call(deployer, "counter", R"({"op":"boom"})"));
  BOOST_TEST((failed.error() == solo::ErrorKind::service_error));
  BOOST_TEST(run(eventually([actor] { return actor->state() == solo::ServiceState::running; })));
  BOOST_TEST(run(deployer->swap("acme", "counter", kCounterV2, 0ms)) == 2);
  BOOST_TEST_REQUIRE(run(call(deployer, "counter", R"({"op":"inc"})")).ok());

  auto stats = actor->stats_json();
  BOOST_TEST(stats.at("calls").as_uint64() == 7u);
  BOOST_TEST(stats.at("casts").as_uint64() == 1u);
  BOOST_TEST(stats.at("errors").at("handler").as_uint64() == 1u);
  BOOST_TEST(stats.at("errors").at("timeout").as_uint64() == 0u);
  BOOST_TEST(stats.at("call_latency_us").at("count").as_uint64() == 7u);
  BOOST_TEST(stats.at("call_latency_us").at("p50").as_uint64() >= 1u);
  // Two crashes: kCounter has no handle_cast, so the cast crashed it too.
  BOOST_TEST(stats.at("restarts").as_int64() == 2);
  BOOST_TEST(stats.at("mailbox_depth").as_uint64() == 0u);
  BOOST_TEST(stats.at("timers").as_uint64() == 0u);
  BOOST_TEST(stats.at("storage").at("keys").as_uint64() == 0u);
  BOOST_TEST(stats.at("since").as_string() == since);

  // Instructions count in the hook's blocks of 1000 (lua_meter.hpp): a loop of
  // 10,000 additions runs 2-4 VM instructions an iteration (ADD, MMBIN, FORLOOP).
  run(deploy(deployer, make_spec("looper", kRecorder)));
  auto looper = deployer->directory()->find("acme", "looper");
  BOOST_TEST_REQUIRE(run(call(deployer, "looper", R"({"tag":"a","spin":10000})")).ok());
  const auto looped = looper->stats_json().at("instructions").as_uint64();
  BOOST_TEST(looped >= 20000u, looped);
  BOOST_TEST(looped <= 60000u, looped);

  // A call to a crashed service is refused at the door: counted, no latency.
  run(deployer->kill("acme", "counter", false));
  auto refused = run([](std::shared_ptr<solo::ServiceActor> a) -> asio::awaitable<solo::CallResult<json::value>> {
    json::value msg = json::object();
    auto result = co_await a->call(std::move(msg), 1s);
    co_return result;
  }(actor));
  BOOST_TEST((refused.error() == solo::ErrorKind::stopped));
  BOOST_TEST(actor->stats().errors(solo::CallFailure::crash) == 1u);
  BOOST_TEST(actor->stats().latency().count() == 7u);

  // A new deployment of the id starts at 0.
  run(deploy(deployer, make_spec("counter", kCounter)));
  BOOST_TEST(deployer->directory()->find("acme", "counter")->stats().calls() == 0u);
}

// "metrics": "per_service" is capped per tenant (the 21st is invalid: 400),
// and /metrics shows per-service series only for the services that opted in.
BOOST_AUTO_TEST_CASE(per_service_metrics_are_capped_per_tenant_and_shown_only_for_opted_in_services) {
  auto opted = [](const std::string& tenant, const std::string& id) {
    auto body = spec_body(id, kCounter);
    body["metrics"] = "per_service";
    return solo::parse_service_spec(body, tenant, solo::ServiceLimitsMax{});
  };
  for (size_t i = 0; i < solo::kMaxPerServiceMetrics; ++i) run(deploy(deployer, opted("acme", "s" + std::to_string(i))));
  std::string message;
  auto kind = deploy_error_kind([&] { run(deploy(deployer, opted("acme", "one-too-many"))); }, &message);
  BOOST_TEST((kind == DeployError::Kind::invalid));
  BOOST_TEST(message.find("limited to 20 services per tenant") != std::string::npos, message);
  BOOST_TEST(!deployer->directory()->find("acme", "one-too-many"));
  BOOST_TEST(read_events(db_path(), "service_deployed").size() == solo::kMaxPerServiceMetrics);  // nothing logged
  // Without the opt-in, and in another tenant, deploys go on.
  run(deploy(deployer, make_spec("plain", kCounter)));
  run(deploy(deployer, opted("other", "s0")));
  // A kill frees a slot.
  run(deployer->kill("acme", "s0", false));
  run(deploy(deployer, opted("acme", "one-more")));

  // The opt-in is part of the stored spec (recovery keeps it); the default is not written.
  BOOST_TEST(json::parse(row_of(db_path(), "one-more")->spec).at("metrics").as_string() == "per_service");
  BOOST_TEST(!json::parse(row_of(db_path(), "plain")->spec).as_object().contains("metrics"));

  BOOST_TEST_REQUIRE(run(call(deployer, "plain", R"({"op":"inc"})")).ok());
  BOOST_TEST_REQUIRE(run(call(deployer, "one-more", R"({"op":"inc"})")).ok());
  std::string metrics;
  solo::render_service_metrics(metrics, *deployer->directory());
  BOOST_TEST(metrics.find("solo_service_calls_total{tenant=\"acme\"} 2\n") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("solo_service_calls_total{tenant=\"acme\",service=\"one-more\"} 1\n") != std::string::npos);
  BOOST_TEST(metrics.find("service=\"plain\"") == std::string::npos);
  BOOST_TEST(metrics.find("solo_service_call_duration_seconds_count{tenant=\"acme\"} 2\n") != std::string::npos);
  BOOST_TEST(metrics.find("solo_service_errors_total{tenant=\"acme\",kind=\"handler\"} 0\n") != std::string::npos);
  BOOST_TEST(metrics.find("solo_tenant_services{tenant=\"other\",status=\"running\"} 1\n") != std::string::npos);

  // A bad value is refused with the allowed ones named.
  auto body = spec_body("bad", kCounter);
  body["metrics"] = "everything";
  try {
    solo::parse_service_spec(body, "acme", solo::ServiceLimitsMax{});
    BOOST_FAIL("'metrics': \"everything\" should be refused");
  } catch (const solo::SpecError& error) {
    BOOST_TEST(std::string(error.what()).find("per_service") != std::string::npos, error.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
