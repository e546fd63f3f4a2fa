// Embedding the engine (docs/services.md, "Native services"; issue 3 item 4): a
// Kernel on the test's own io_context with a registered native type, deployed
// through the Deployer and over HTTP, called, crashed and restarted, hot
// swapped between two native types, and shut down with exit code 0.
#include <atomic>
#include <functional>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "apps/kernel.hpp"
#include "engine/services/deployer.hpp"
#include "engine/services/log_book.hpp"
#include "examples/native/echo_service.hpp"
#include "net/http_client.hpp"
#include "stores/event_store.hpp"
#include "support/async_test.hpp"
#include "support/engine_coro.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

solo::ServiceSpec native_spec(const std::string& id, const std::string& type) {
  json::object body;
  body["service_id"] = id;
  body["format"] = "native";
  body["code"] = type;
  json::object config;
  config["prefix"] = "> ";
  body["config"] = std::move(config);
  return solo::parse_service_spec(body, "default", solo::ServiceLimitsMax{});
}

asio::awaitable<json::object> deploy(std::shared_ptr<solo::Kernel> kernel, solo::ServiceSpec spec) {
  auto reply = co_await kernel->deployer()->deploy(std::move(spec));
  co_return reply;
}

asio::awaitable<solo::CallResult<json::value>> call(std::shared_ptr<solo::Kernel> kernel, std::string id,
                                                     std::string text) {
  auto actor = kernel->services()->find("default", id);
  if (!actor) throw std::runtime_error("no service " + id);
  json::value msg = json::parse(text);
  std::chrono::milliseconds timeout = 2s;
  solo::CallChain chain;
  auto result = co_await actor->call(std::move(msg), timeout, chain);
  co_return result;
}

// The events of one type about the service "echo".
asio::awaitable<std::vector<solo::Event>> events_of(std::shared_ptr<solo::Kernel> kernel, std::string type) {
  co_await kernel->events()->flush();
  solo::EventQuery query;
  query.event_type = type;
  query.service_id = "echo";
  query.limit = 1000;
  auto events = co_await kernel->events()->query(query);
  co_return events;
}

asio::awaitable<bool> eventually(std::function<bool()> predicate) {
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await solo::test::sleep_for(5ms);
  }
  co_return true;
}

// The HTTP client blocks, so it runs on its own thread while this thread
// keeps running the engine's io_context.
void with_client_thread(asio::io_context& io, const std::function<void()>& work) {
  std::atomic<bool> done{false};
  std::exception_ptr failure;
  std::thread client([&] {
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
    }
    done = true;
  });
  while (!done) {
    io.restart();
    io.run_for(10ms);
  }
  client.join();
  if (failure) std::rethrow_exception(failure);
}

struct Embedded {
  asio::io_context io;
  solo::test::TempDir dir;
  std::shared_ptr<solo::Kernel> kernel;

  Embedded() {
    solo::KernelOptions options;
    options.data_dir = dir / "data";
    options.http.port = 0;
    solo::examples::register_echo_types(*options.native_types);
    kernel = solo::Kernel::create(io.get_executor(), std::move(options));
    solo::test::run_awaitable(io, kernel->boot());
  }
  template <class T>
  T run(asio::awaitable<T> task) {
    return solo::test::run_awaitable(io, std::move(task));
  }
};

std::string echo_of(const solo::CallResult<json::value>& result) {
  BOOST_TEST_REQUIRE(result.ok(), result.message());
  return std::string(result.value().at("echo").as_string());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(embed)

BOOST_AUTO_TEST_CASE(an_embedding_program_runs_a_native_service_through_its_whole_life) {
  Embedded e;
  auto& kernel = e.kernel;

  // Deploy through the Deployer and call in-process.
  auto deployed = e.run(deploy(kernel, native_spec("echo", "echo")));
  BOOST_TEST(deployed.at("status").as_string() == "deployed");
  auto first = e.run(call(kernel, "echo", R"({"op":"echo","text":"hello"})"));
  BOOST_TEST(echo_of(first) == "> hello");
  BOOST_TEST(first.value().at("count").as_int64() == 1);

  // Timers and emit: the reminder arrives in handle_info, which emits an event.
  e.run(call(kernel, "echo", R"({"op":"remind","ms":10,"text":"tea"})"));
  e.run(solo::test::sleep_for(50ms));
  auto counts = e.run(call(kernel, "echo", R"({"op":"count"})"));
  BOOST_TEST(counts.value().at("reminders").as_int64() == 1);
  auto emitted = e.run(events_of(kernel, "service_event"));
  BOOST_TEST_REQUIRE(emitted.size() == 1u);
  BOOST_TEST(json::parse(emitted[0].payload).at("kind").as_string() == "reminded");
  auto logs = kernel->logs()->read("default", "echo", "info", 0, 100);
  BOOST_TEST(std::any_of(logs.begin(), logs.end(), [](const solo::LogLine& l) { return l.message == "reminder: tea"; }));

  // Over HTTP, from a client thread: deploy another one, call it, read its status.
  std::string url = kernel->url();
  std::string token = kernel->admin_token();
  // Boost.Test is not thread-safe: the thread only collects, this thread checks.
  std::map<std::string, solo::net::ClientResponse> http;
  with_client_thread(e.io, [url, token, &http] {
    solo::net::HttpClient client(url, 10s);
    client.set_default_headers({{"authorization", "Bearer " + token}});
    http["deploy"] = client.request("POST", "/services",
                                    R"({"service_id":"echo-http","format":"native","code":"echo_upper"})");
    http["call"] = client.request("POST", "/services/echo-http/call", R"({"op":"echo","text":"over http"})");
    http["status"] = client.request("GET", "/services/echo-http");
    http["unknown"] = client.request("POST", "/services", R"({"service_id":"x","format":"native","code":"nope"})");
    http["bad_op"] = client.request("POST", "/services/echo-http/call", R"({"op":"dance"})");
  });
  BOOST_TEST(http["deploy"].status == 201, http["deploy"].body);
  BOOST_TEST(http["call"].status == 200, http["call"].body);
  BOOST_TEST(json::parse(http["call"].body).at("reply").at("echo").as_string() == "OVER HTTP");
  auto status = json::parse(http["status"].body);
  BOOST_TEST(status.at("format").as_string() == "native");
  BOOST_TEST(status.at("status").as_string() == "running");
  BOOST_TEST(http["unknown"].status == 400);
  BOOST_TEST(http["unknown"].body.find("no native service type named 'nope'") != std::string::npos,
             http["unknown"].body);
  BOOST_TEST(http["bad_op"].status == 500);
  BOOST_TEST(http["bad_op"].body.find("unknown op 'dance'") != std::string::npos, http["bad_op"].body);

  // A call that throws crashes the service; it restarts (init again, fresh state).
  auto crashed = e.run(call(kernel, "echo", R"({"op":"crash"})"));
  BOOST_TEST(!crashed.ok());
  BOOST_TEST(crashed.message().find("asked to crash") != std::string::npos, crashed.message());
  auto actor = kernel->services()->find("default", "echo");
  BOOST_TEST(e.run(eventually([actor] { return actor->state() == solo::ServiceState::running; })));
  BOOST_TEST(actor->status_json().at("restarts").as_int64() == 1);
  auto after_crash = e.run(call(kernel, "echo", R"({"op":"echo","text":"again"})"));
  BOOST_TEST(after_crash.value().at("count").as_int64() == 1);
  BOOST_TEST(e.run(events_of(kernel, "service_crashed")).size() == 1u);
  BOOST_TEST(e.run(events_of(kernel, "service_restarted")).size() == 1u);

  // Hot swap between the two native types carries the state across.
  e.run(call(kernel, "echo", R"({"op":"echo","text":"two"})"));
  BOOST_TEST(e.run(kernel->deployer()->swap("default", "echo", "echo_upper", 0ms)) == 2);
  auto upper = e.run(call(kernel, "echo", R"({"op":"echo","text":"shout"})"));
  BOOST_TEST(echo_of(upper) == "> SHOUT");
  BOOST_TEST(upper.value().at("count").as_int64() == 3);
  BOOST_TEST(e.run(kernel->deployer()->swap("default", "echo", "echo", 0ms)) == 3);
  auto lower = e.run(call(kernel, "echo", R"({"op":"echo","text":"Quiet"})"));
  BOOST_TEST(echo_of(lower) == "> Quiet");
  BOOST_TEST(lower.value().at("count").as_int64() == 4);
  BOOST_CHECK_THROW(e.run(kernel->deployer()->swap("default", "echo", "no_such_type", 0ms)), solo::DeployError);
  BOOST_TEST(actor->spec().version == 3);

  // Shutdown runs terminate and exits 0.
  BOOST_TEST(e.run(kernel->shutdown()) == 0);
  BOOST_TEST((actor->state() == solo::ServiceState::stopped));
  auto stopping = kernel->logs()->read("default", "echo", "info", 0, 1000);
  BOOST_TEST(std::any_of(stopping.begin(), stopping.end(), [](const solo::LogLine& l) {
    return l.message.find("echo service stopping") != std::string::npos;
  }));
}

BOOST_AUTO_TEST_SUITE_END()
