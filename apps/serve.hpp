// `solo serve`: runs a Kernel on one io_context until SIGTERM/SIGINT.
#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "apps/kernel.hpp"

namespace solo {

// Boots, prints `listening on URL` on stdout, waits for a signal (or for the
// tree to give up), runs the shutdown sequence. A second signal during the
// sequence flushes and exits at once (exit 1: the shutdown did not complete).
// Returns the process exit code.
int serve(KernelOptions options);

// The process-wide settings of a server process (not of an embedded Kernel):
// files it creates are private to its user (the data directory holds tokens
// and encrypted secrets), a file-size limit makes writes fail (the store then
// reports the failure and recovers) instead of killing the process with
// SIGXFSZ, and the descriptor limit is as high as allowed.
void prepare_process();

// Runs `main` on `io` (one thread) until it returns; its value is the exit
// code (1 when it throws, the reason printed on stderr).
int run_process_main(asio::io_context& io, asio::awaitable<int> main);

// Armed once the shutdown sequence runs: the next signal cuts it short
// (flushes what it can and exits at once).
asio::awaitable<void> on_second_signal(std::shared_ptr<asio::signal_set> signals, std::shared_ptr<Kernel> kernel);

}  // namespace solo
