#include "apps/serve.hpp"

#include "apps/exit_codes.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <sys/resource.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace solo {

asio::awaitable<void> on_second_signal(std::shared_ptr<asio::signal_set> signals, std::shared_ptr<Kernel> kernel) {
  co_await signals->async_wait(asio::use_awaitable);
  std::cerr << "solo: second signal, flushing and exiting now\n";
  bool flushed = co_await kernel->emergency_flush();
  std::cout.flush();
  std::_Exit(flushed ? exit_codes::cut_short_flushed : exit_codes::cut_short_not_flushed);
}

namespace {

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
    co_return exit_codes::failed;
  }
  auto outcome = co_await (signals->async_wait(asio::use_awaitable) || kernel->wait_failed());
  bool gave_up = false;
  if (outcome.index() == 1) {
    std::cerr << "solo: " << std::get<1>(outcome) << "; shutting down\n";
    gave_up = true;
  } else {
    std::cerr << "solo: signal " << std::get<0>(outcome) << ", shutting down\n";
  }
  asio::co_spawn(executor, on_second_signal(signals, kernel), asio::detached);
  int code = co_await kernel->shutdown();
  for (const auto& step : kernel->shutdown_results()) {
    if (step.outcome != "ok") std::cerr << "solo: shutdown step " << step.name << ": " << step.outcome << "\n";
  }
  co_return gave_up ? exit_codes::failed : code;
}

// Every connection is a descriptor: the soft limit (often 1024) would make
// accept fail long before the connection caps are reached, so take the hard
// limit at start.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const auto before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    std::cerr << "solo: descriptor limit raised from " << before << " to " << limit.rlim_max << "\n";
  }
}

}  // namespace

void prepare_process() {
  ::umask(077);
  std::signal(SIGXFSZ, SIG_IGN);
  raise_descriptor_limit();
}

int serve(KernelOptions options) {
  prepare_process();
  asio::io_context io(1);
  // Printed as soon as the gateway accepts; /health says "starting" until
  // recovery is done, then "healthy".
  options.on_listening = [](const std::string& url) { std::cout << "solo: listening on " << url << std::endl; };
  auto kernel = Kernel::create(io.get_executor(), std::move(options));
  return run_process_main(io, serve_main(kernel));
}

int run_process_main(asio::io_context& io, asio::awaitable<int> main) {
  int exit_code = exit_codes::failed;
  asio::co_spawn(io, std::move(main), [&](std::exception_ptr error, int code) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::cerr << "solo: " << e.what() << "\n";
      }
      exit_code = exit_codes::failed;
    } else {
      exit_code = code;
    }
    io.stop();
  });
  io.run();
  return exit_code;
}

}  // namespace solo
