// MinimalBeastServer: the baseline of the `http` scenario — a Beast HTTP/1.1
// server that answers every request "ok" (keep-alive honoured), one
// coroutine per connection on one io_context run by its own thread, like
// Solo's single engine thread. Nothing else: no routing, no JSON, no auth.
#pragma once

#include <memory>

namespace solo::bench {

class MinimalBeastServer {
 public:
  // Listens on 127.0.0.1 and a free port, and starts its thread.
  MinimalBeastServer();
  // Stops the io_context and joins the thread.
  ~MinimalBeastServer();
  MinimalBeastServer(const MinimalBeastServer&) = delete;
  MinimalBeastServer& operator=(const MinimalBeastServer&) = delete;

  unsigned short port() const;
  // The CPU time (seconds) its thread has used so far; any thread.
  double cpu_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace solo::bench
