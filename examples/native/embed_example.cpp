// embed_example: a complete program that embeds Solo on its own io_context,
// registers a native service type, deploys it, calls it and shuts down.
//
//   solo-embed-example [DATA_DIR]        (default: ./embed-data)
//
// The engine is the same one `solo serve` runs: the Kernel boots the standard
// supervision tree and the HTTP API (here on a port the OS picks; its URL is
// printed, so `curl URL/services` works while the program runs), and the
// program talks to it in-process through the Deployer.
#include <iostream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "apps/kernel.hpp"
#include "engine/services/deployer.hpp"
#include "examples/native/echo_service.hpp"

namespace asio = boost::asio;

namespace {

// Built outside the coroutine (see GCC 12 notes: no initializer lists with
// string literals, no temporaries inside co_await expressions).
solo::ServiceSpec echo_spec() {
  boost::json::object body;
  body["service_id"] = "echo";
  body["format"] = "native";
  body["code"] = "echo";
  boost::json::object config;
  config["prefix"] = "> ";
  body["config"] = std::move(config);
  return solo::parse_service_spec(body, "default", solo::ServiceLimitsMax{});
}

constexpr const char* kCalls[] = {R"({"op":"echo","text":"hello"})", R"({"op":"echo","text":"world"})",
                                  R"({"op":"remind","ms":50,"text":"tea"})"};

boost::json::value message(const char* text) { return boost::json::parse(text); }

asio::awaitable<boost::json::value> call(std::shared_ptr<solo::Kernel> kernel, std::string id,
                                         boost::json::value msg) {
  auto actor = kernel->services()->find("default", id);
  if (!actor) throw std::runtime_error("no service " + id);
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  solo::CallChain chain;
  auto result = co_await actor->call(std::move(msg), timeout, chain);
  if (!result.ok()) throw std::runtime_error(id + ": " + result.message());
  co_return std::move(result.value());
}

asio::awaitable<int> run(std::shared_ptr<solo::Kernel> kernel) {
  int code = 0;
  try {
    co_await kernel->boot();
    std::cout << "solo embedded, API on " << kernel->url() << "\n";

    // Every argument of a co_await'ed call is a named local (GCC 12 may
    // destroy a temporary there twice).
    std::string tenant = "default";
    std::string id = "echo";
    auto spec = echo_spec();
    auto deployed = co_await kernel->deployer()->deploy(std::move(spec));
    std::cout << "deployed: " << boost::json::serialize(deployed) << "\n";

    for (const char* text : kCalls) {
      auto msg = message(text);
      auto reply = co_await call(kernel, id, std::move(msg));
      std::cout << "call " << text << " -> " << boost::json::serialize(reply) << "\n";
    }
    asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
    co_await wait.async_wait(asio::use_awaitable);  // the reminder arrives in handle_info
    auto count = message(R"({"op":"count"})");
    auto counts = co_await call(kernel, id, std::move(count));
    std::cout << "counts: " << boost::json::serialize(counts) << "\n";

    std::string upper = "echo_upper";
    std::chrono::milliseconds rollback_window = std::chrono::seconds(1);
    auto version = co_await kernel->deployer()->swap(tenant, id, upper, rollback_window);
    auto shout = message(R"({"op":"echo","text":"swapped"})");
    auto reply = co_await call(kernel, id, std::move(shout));
    std::cout << "after the swap to v" << version << ": " << boost::json::serialize(reply) << "\n";

    // Killed before shutdown, so the next run of the example starts afresh
    // (a service left running would be recovered at the next boot).
    co_await kernel->deployer()->kill(tenant, id, false);
    std::cout << "killed echo\n";
  } catch (const std::exception& error) {
    std::cerr << "embed_example: " << error.what() << "\n";
    code = 1;
  }
  int shutdown = co_await kernel->shutdown();
  std::cout << "shut down with exit code " << shutdown << "\n";
  co_return code ? code : shutdown;
}

}  // namespace

int main(int argc, char** argv) {
  solo::KernelOptions options;
  options.data_dir = argc > 1 ? argv[1] : "embed-data";
  options.http.port = 0;  // any free port
  solo::examples::register_echo_types(*options.native_types);

  asio::io_context io;
  auto kernel = solo::Kernel::create(io.get_executor(), std::move(options));
  int exit_code = 1;
  asio::co_spawn(io, run(kernel), [&](std::exception_ptr error, int code) {
    exit_code = error ? 1 : code;
    io.stop();  // shutdown is complete; nothing else should run
  });
  io.run();
  return exit_code;
}
