// The engine the http and token fuzz targets drive: one real Kernel (SQLite
// in a temp dir, the gateway on 127.0.0.1 with a free port, every System
// child) booted once per process on its own io_context, an admin token and a
// narrow tenant token (tenant "acme": call and status on services/fuzz-*).
//
// The state it accumulates across inputs (services, tokens, events) is part
// of what is fuzzed; reset_if_needed() keeps it bounded and keeps the two
// tokens alive, so that a long run does not drift into only-401 answers.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "apps/kernel.hpp"
#include "engine/security/capability_manager.hpp"
#include "engine/services/deployer.hpp"
#include "engine/services/service_actor.hpp"
#include "stores/event_store.hpp"
#include "support/async_test.hpp"

namespace solo::fuzz {

class FuzzKernel {
 public:
  static FuzzKernel& get() {
    static FuzzKernel* instance = new FuzzKernel();  // lives until exit; never torn down mid-run
    return *instance;
  }

  boost::asio::io_context& io() { return io_; }
  Kernel& kernel() { return *kernel_; }
  const std::string& admin_token() const { return kernel_->admin_token(); }
  const std::string& tenant_token() const { return tenant_token_; }

  template <class T>
  T run(boost::asio::awaitable<T> task) {
    return test::run_awaitable(io_, std::move(task));
  }

  // After an input: too many services are killed, and a tenant token an
  // input revoked (DELETE /tokens/{its id}) is minted again.
  void reset_if_needed() {
    auto& deployer = *kernel_->deployer();
    if (kernel_->services()->count() > 16) {
      for (const auto& actor : kernel_->services()->all()) {
        try {
          run(deployer.kill(actor->tenant_id(), actor->service_id(), true));
        } catch (const std::exception&) {
          // Already gone (an input killed it meanwhile): nothing to do.
        }
      }
    }
    if (!kernel_->capabilities()->authenticate(tenant_token_)) mint_tenant_token();
    if (!kernel_->capabilities()->authenticate(admin_token())) {
      std::fprintf(stderr, "fuzz: the admin token stopped authenticating\n");
      std::abort();
    }
  }

 private:
  FuzzKernel() {
    // A fresh directory per process, removed at exit.
    dir_ = std::filesystem::temp_directory_path() / ("solo-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    static std::filesystem::path cleanup_dir = dir_;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(cleanup_dir, ec);
    });
    KernelOptions options;
    options.data_dir = dir_ / "data";
    options.http.host = "127.0.0.1";
    options.http.port = 0;
    options.synchronous = "OFF";  // no fsync: the log's durability is not what is fuzzed here
    options.http.read_timeout = std::chrono::seconds(2);
    kernel_ = Kernel::create(io_.get_executor(), std::move(options));
    run(kernel_->boot());
    mint_tenant_token();
    // libFuzzer ends a run with exit(). Inputs append some events without
    // waiting (capability_denied, service_crashed, ...), and the Writer's
    // thread does its idle work (the event index) 100 ms after the last
    // commit, so it may still be running while exit handlers destroy the
    // statics it uses (the cached SQL text). Registered after boot, this
    // handler runs before those are destroyed and closes the store, which
    // stops the Writer's threads.
    std::atexit([] { get().close_store(); });
  }

  void close_store() {
    try {
      run(kernel_->events()->close());
    } catch (const std::exception& error) {
      std::fprintf(stderr, "fuzz: closing the store failed: %s\n", error.what());
    }
  }

  void mint_tenant_token() {
    GrantRequest request;
    request.tenant_id = "acme";
    request.permissions = {"call", "status"};
    request.resource = "services/fuzz-*";
    auto granted = run(kernel_->capabilities()->grant(std::move(request), nullptr));
    tenant_token_ = granted.value().token;
  }

  boost::asio::io_context io_{1};
  std::filesystem::path dir_;
  std::shared_ptr<Kernel> kernel_;
  std::string tenant_token_;
};

}  // namespace solo::fuzz
