#include "bench/kernel_thread.hpp"

#include <pthread.h>

#include <fstream>
#include <iostream>
#include <stdexcept>

#include "apps/kernel.hpp"
#include "stores/event_store.hpp"

namespace solo::bench {
namespace {

asio::awaitable<void> boot(std::shared_ptr<Kernel> kernel) { co_await kernel->boot(); }
asio::awaitable<std::shared_ptr<Deployer>> deployer_of(std::shared_ptr<Kernel> kernel) {
  co_return kernel->deployer();
}
asio::awaitable<uint64_t> commits_of(std::shared_ptr<Kernel> kernel) {
  co_return kernel->events()->writer().stats().commits;
}
asio::awaitable<int> shut_down(std::shared_ptr<Kernel> kernel) { co_return co_await kernel->shutdown(); }

}  // namespace

KernelThread::KernelThread(const std::filesystem::path& data_dir) : work_(io_.get_executor()) {
  KernelOptions options;
  options.data_dir = data_dir;
  options.http.host = "127.0.0.1";
  options.http.port = 0;
  kernel_ = Kernel::create(io_.get_executor(), std::move(options));
  thread_ = std::thread([this] { io_.run(); });
  // Named, so that a profile (perf report --comm engine) can pick out the engine thread.
  pthread_setname_np(thread_.native_handle(), "engine");
  try {
    run(boot(kernel_));
  } catch (...) {
    try {
      run(shut_down(kernel_));
    } catch (...) {
    }
    work_.reset();
    io_.stop();
    thread_.join();
    throw;
  }
  url_ = kernel_->url();
  auto colon = url_.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("unexpected kernel url " + url_);
  port_ = static_cast<unsigned short>(std::stoi(url_.substr(colon + 1)));
  // Read from the file rather than the kernel, so that this works with or
  // without the security layer compiled in.
  std::ifstream token_file(data_dir / "admin.token");
  std::getline(token_file, admin_token_);
}

std::shared_ptr<Deployer> KernelThread::deployer() { return run(deployer_of(kernel_)); }

uint64_t KernelThread::commits() { return run(commits_of(kernel_)); }

KernelThread::~KernelThread() {
  try {
    int code = run(shut_down(kernel_));
    if (code != 0) std::cerr << "solo-bench: kernel shutdown exited with " << code << "\n";
  } catch (const std::exception& error) {
    std::cerr << "solo-bench: kernel shutdown failed: " << error.what() << "\n";
  }
  // Whatever the kernel left behind (idle timers) is not ours to wait for.
  work_.reset();
  io_.stop();
  thread_.join();
  // The kernel's objects are released on this thread, with the loop stopped.
  kernel_.reset();
}

}  // namespace solo::bench
