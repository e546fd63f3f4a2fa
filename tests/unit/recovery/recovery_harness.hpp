// The Replayer and Verifier tests' world: a real EventStore on SQLite in a
// temp dir, a real Tenants supervisor and Deployer, and a restart that stops
// the services, closes the store and opens everything again over the same
// file (what a new process finds). The tamper helpers write events and
// `services` rows the way the Deployer does, but leave out a step, so that
// the three views (running, table, log) disagree as after a bug or a lost
// write. No HTTP, no Kernel.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/security/crypto.hpp"
#include "engine/services/deployer.hpp"
#include "engine/services/log_book.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/supervision/supervisor.hpp"
#include "stores/event_store.hpp"
#include "stores/meta_store.hpp"
#include "stores/service_store.hpp"
#include "stores/sqlite.hpp"
#include "support/async_test.hpp"

namespace solo::test {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

// Answers with its version, so a test sees which code runs.
inline const char* kCounterV1 = R"lua(
function init(config) return { count = 0 } end
function handle_call(msg, state) state.count = state.count + 1; return { v = 1, count = state.count }, state end
)lua";
inline const char* kCounterV2 = R"lua(
function handle_call(msg, state) return { v = 2 }, state end
)lua";
// Compiles, but its init fails: it cannot be started.
inline const char* kInitFails = "function init(c) error('no db') end\nfunction handle_call(m, s) return 1, s end";

inline ServiceSpec make_spec(const std::string& id, const std::string& code) {
  json::object body;
  body["service_id"] = id;
  body["code"] = code;
  return parse_service_spec(body, "acme", ServiceLimitsMax{});
}

inline NewEvent service_event(std::string type, const std::string& service_id, json::object payload = {}) {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = "acme";
  event.service_id = service_id;
  event.payload = std::move(payload);
  return event;
}

// The services row of `spec`, as the Deployer writes it with its event.
inline ProjectionFn write_row(ServiceSpec spec) {
  auto spec_text = json::serialize(to_json(spec));
  return [spec = std::move(spec), spec_text = std::move(spec_text)](Database& db, const Event& event) {
    ServiceRow row{spec.tenant_id,        spec.service_id, spec.version,     spec.format,     spec.code,
                   crypto::sha256_hex(spec.code), spec_text,       event.wall_clock, event.wall_clock, event.id};
    upsert_service_row(db, row);
  };
}

inline ProjectionFn remove_row(const std::string& service_id) {
  return [service_id](Database& db, const Event&) { delete_service_row(db, "acme", service_id); };
}

struct RecoveryHarness {
  asio::io_context io;
  TempDir dir;
  std::shared_ptr<EventStore> events;
  std::shared_ptr<Supervisor> tenants;
  std::shared_ptr<Deployer> deployer;

  RecoveryHarness() { run(open()); }
  ~RecoveryHarness() {
    try {
      run(close());
    } catch (const std::exception& error) {
      BOOST_ERROR(std::string("closing the harness: ") + error.what());
    }
  }

  template <class T>
  T run(asio::awaitable<T> task) {
    return run_awaitable(io, std::move(task));
  }
  void run(asio::awaitable<void> task) { run_awaitable(io, std::move(task)); }

  std::filesystem::path db_path() const { return dir / "solo.db"; }

  // A new process over the same file: nothing runs, the store is reopened.
  // clean: the last event is system_shutdown_complete with the
  // verified_through mark, as the Kernel's shutdown writes it.
  void restart(bool clean) {
    run(stop(clean));
    run(open());
  }

  // Appends durably (a named local: no temporaries in co_await, GCC 12).
  int64_t append(NewEvent event, ProjectionFn projection = {}) {
    return run(append_durable(events, std::move(event), std::move(projection)));
  }

  // A service in the table (and its service_deployed in the log), never
  // started: what a deploy leaves when the process dies before the start.
  int64_t put_row(const ServiceSpec& spec) {
    return append(service_event("service_deployed", spec.service_id, to_json(spec)), write_row(spec));
  }

  json::object deploy(const std::string& id, const std::string& code) {
    return run(deploy_task(deployer, make_spec(id, code)));
  }

  // Calls a running service; its reply (throws when it does not answer).
  json::value call(const std::string& id) { return run(call_task(deployer, id)); }

  std::vector<ServiceRow> rows() {
    SqliteDatabase db(db_path(), OpenOptions{.read_only = true});
    return load_service_rows(db);
  }

  // Committed events of one type (flushed first), in id order.
  std::vector<Event> events_of(const std::string& type) {
    run(events->flush());
    EventQuery query;
    query.event_type = type;
    query.limit = 1000;
    return run(query_task(events, query));
  }

 private:
  asio::awaitable<void> open() {
    std::filesystem::path path = db_path();
    asio::any_io_executor executor = io.get_executor();
    OpenOptions options;
    events = co_await EventStore::open(executor, path, options);
    Intensity intensity{10, 10s};
    tenants = Supervisor::create(executor, "tenants", Strategy::one_for_one, intensity);
    co_await tenants->start();
    auto logs = std::make_shared<LogBook>();
    auto types = std::make_shared<NativeServiceTypes>();
    ServiceLimitsMax limits;
    deployer = std::make_shared<Deployer>(executor, events, tenants, std::make_shared<ServiceDirectory>(), logs, types,
                                          limits);
  }

  asio::awaitable<void> stop(bool clean) {
    co_await tenants->stop();
    if (clean) {
      NewEvent complete;
      complete.event_type = "system_shutdown_complete";
      co_await events->append_durable(std::move(complete), MetaStore::mark_verified_through());
    }
    co_await events->close();
  }

  asio::awaitable<void> close() {
    co_await tenants->stop();
    co_await events->close();
  }

  static asio::awaitable<int64_t> append_durable(std::shared_ptr<EventStore> store, NewEvent event,
                                                 ProjectionFn projection) {
    co_return co_await store->append_durable(std::move(event), std::move(projection));
  }

  static asio::awaitable<json::object> deploy_task(std::shared_ptr<Deployer> deployer, ServiceSpec spec) {
    co_return co_await deployer->deploy(std::move(spec));
  }

  static asio::awaitable<json::value> call_task(std::shared_ptr<Deployer> deployer, std::string id) {
    auto actor = deployer->directory()->find("acme", id);
    if (!actor) throw std::runtime_error("no actor " + id);
    json::value message = json::object();
    std::chrono::milliseconds timeout = 2s;
    CallChain chain;
    auto result = co_await actor->call(std::move(message), timeout, chain);
    if (!result.ok()) throw std::runtime_error("call failed: " + result.message());
    co_return result.value();
  }

  static asio::awaitable<std::vector<Event>> query_task(std::shared_ptr<EventStore> store, EventQuery query) {
    co_return co_await store->query(query);
  }
};

// True when some sentence starts with `prefix` and contains `part`.
inline bool has_sentence(const std::vector<std::string>& sentences, const std::string& prefix,
                         const std::string& part = "") {
  for (const auto& sentence : sentences) {
    if (sentence.rfind(prefix, 0) == 0 && sentence.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace solo::test
