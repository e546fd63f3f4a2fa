// SoloProcess: the real `solo` binary started by a test, on a port the OS
// picks, with its data in a directory the test owns; stopped with SIGTERM or
// killed with SIGKILL. stdout/stderr go to files in the data directory's
// parent, so a failing test can show them.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "net/http_client.hpp"

namespace solo::test {

class SoloProcess {
 public:
  // Starts `solo serve --data DATA --listen 127.0.0.1:0 EXTRA...` and waits
  // (up to 20 s) for its `listening on URL` line and then for /health to say
  // "healthy" (recovery done). Throws on failure. With wait_healthy false it
  // returns right after `listening on` (recovery may still run: /health then
  // says "starting" and other requests get 503). `tls` (the CA to trust, a
  // client certificate) is used when the URL is https://: for the wait and by
  // client(). `own_session`: the process starts a session of its own (as a
  // service manager starts a server, or a machine of its own): Linux's
  // autogroup scheduling then shares the CPU between it and the test's
  // threads as between two programs, not thread by thread (docs/cluster.md,
  // Capacity: a cluster node starved of CPU loses its leases).
  SoloProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args = {}, bool wait_healthy = true,
              net::TlsClientOptions tls = {}, bool own_session = false);
  ~SoloProcess();
  SoloProcess(const SoloProcess&) = delete;
  SoloProcess& operator=(const SoloProcess&) = delete;

  const std::string& url() const { return url_; }
  // The admin token solo wrote to <data>/admin.token at its first start.
  std::string admin_token() const;
  // A client that sends the admin token (as `Authorization: Bearer`) with
  // every request, optionally acting for `tenant` (X-Tenant-ID).
  net::HttpClient client(std::chrono::milliseconds timeout = std::chrono::seconds(30),
                         const std::string& tenant = "") const;
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits up to `timeout`; returns the exit code, or nullopt
  // when it did not exit in time (it is then killed).
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Sends a signal without waiting.
  void signal(int signo);
  // SIGKILL and reap.
  void kill9();
  // Waits for exit; returns the code or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  std::string output() const;  // stdout so far
  std::string errors() const;  // stderr so far

 private:
  bool await_healthy(std::chrono::steady_clock::time_point deadline);

  std::filesystem::path data_dir_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  pid_t pid_ = -1;
  std::string url_;
  net::TlsClientOptions tls_;
};

// One request to `solo` with `token` as the bearer (and X-Tenant-ID when
// `tenant` is not empty), on a fresh connection.
net::ClientResponse send(const SoloProcess& solo, const std::string& method, const std::string& target,
                         const std::string& body, const std::string& token, const std::string& tenant = "");

// A token of `tenant` with `permissions` (JSON strings), valid 10 minutes,
// minted by the admin through POST /tokens. Throws when the grant fails.
std::string grant_token(const SoloProcess& solo, const std::string& tenant, const std::vector<std::string>& permissions);

}  // namespace solo::test
