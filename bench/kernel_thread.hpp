// KernelThread: a whole Solo kernel (event log, supervision tree, Deployer,
// HTTP gateway on 127.0.0.1 and a free port) booted on its own io_context,
// run by its own std::thread, as an embedding program would run it.
//
// The benchmark thread hands it coroutines with run(): they execute on the
// kernel's thread (the engine thread, where the Deployer and the actors
// live), and run() blocks until they finish, rethrowing their exception.
// Timing done inside such a coroutine sees only the engine's work, not the
// hand-over between the threads.
//
// Thread safety: construct, run() and destroy from one benchmark thread;
// HTTP clients on other threads only talk to url().
#pragma once

#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace solo {
class Deployer;
class Kernel;
}

namespace solo::bench {

class KernelThread {
 public:
  // Boots a kernel with its data in data_dir (synchronous=FULL, the default).
  explicit KernelThread(const std::filesystem::path& data_dir);
  // Shuts the kernel down (its timed sequence) and joins the thread.
  ~KernelThread();
  KernelThread(const KernelThread&) = delete;
  KernelThread& operator=(const KernelThread&) = delete;

  template <class T>
  T run(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future).get();
  }

  // The kernel itself: use it only inside coroutines handed to run().
  const std::shared_ptr<Kernel>& kernel() const { return kernel_; }
  // The kernel's Deployer, read on the engine thread.
  std::shared_ptr<Deployer> deployer();
  // Commits of the event log's writer so far.
  uint64_t commits();
  // "http://127.0.0.1:PORT"; any thread once constructed.
  const std::string& url() const { return url_; }
  unsigned short port() const { return port_; }
  // The admin bearer token the kernel wrote to <data>/admin.token, or empty
  // when this build has no authentication.
  const std::string& admin_token() const { return admin_token_; }

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<Kernel> kernel_;
  std::string url_;
  unsigned short port_ = 0;
  std::string admin_token_;
};

}  // namespace solo::bench
