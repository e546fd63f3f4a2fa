#include "apps/serve.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace solo {

namespace {

// Armed once the shutdown sequence runs: the next signal cuts it short.
asio::awaitable<void> on_second_signal(std::shared_ptr<asio::signal_set> signals, std::shared_ptr<Kernel> kernel) {
  co_await signals->async_wait(asio::use_awaitable);
  std::cerr << "solo: second signal, flushing and exiting now\n";
  bool flushed = co_await kernel->emergency_flush();
  std::cout.flush();
  std::_Exit(flushed ? 1 : 2);
}

asio::awaitable<int> serve_main(std::shared_ptr<Kernel> kernel) {
  using namespace asio::experimental::awaitable_operators;
  auto executor = co_await asio::this_coro::executor;
  auto signals = std::make_shared<asio::signal_set>(executor, SIGINT, SIGTERM);
  // POST /system/shutdown takes the same path as SIGTERM.
  kernel->on_shutdown_requested([] { ::raise(SIGTERM); });
  std::string boot_error;
  try {
    co_await kernel->boot();
  } catch (const std::exception& error) {
    boot_error = error.what();
  }
  if (!boot_error.empty()) {
    std::cerr << "solo: cannot start: " << boot_error << "\n";
    co_await kernel->shutdown();
    co_return 1;
  }
  auto outcome = co_await (signals->async_wait(asio::use_awaitable) || kernel->wait_failed());
  int failed = 0;
  if (outcome.index() == 1) {
    std::cerr << "solo: " << std::get<1>(outcome) << "; shutting down\n";
    failed = 1;
  } else {
    std::cerr << "solo: signal " << std::get<0>(outcome) << ", shutting down\n";
  }
  asio::co_spawn(executor, on_second_signal(signals, kernel), asio::detached);
  int code = co_await kernel->shutdown();
  for (const auto& step : kernel->shutdown_results()) {
    if (step.outcome != "ok") std::cerr << "solo: shutdown step " << step.name << ": " << step.outcome << "\n";
  }
  co_return code ? code : failed;
}

}  // namespace

int serve(KernelOptions options) {
  asio::io_context io(1);
  // Printed as soon as the gateway accepts; /health says "starting" until
  // recovery is done, then "healthy".
  options.on_listening = [](const std::string& url) { std::cout << "solo: listening on " << url << std::endl; };
  auto kernel = Kernel::create(io.get_executor(), std::move(options));
  int exit_code = 1;
  asio::co_spawn(io, serve_main(kernel), [&](std::exception_ptr error, int code) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::cerr << "solo: " << e.what() << "\n";
      }
      exit_code = 1;
    } else {
      exit_code = code;
    }
    io.stop();
  });
  io.run();
  return exit_code;
}

}  // namespace solo
