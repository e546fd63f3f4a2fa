// `solo serve`: runs a Kernel on one io_context until SIGTERM/SIGINT.
#pragma once

#include "apps/kernel.hpp"

namespace solo {

// Boots, prints `listening on URL` on stdout, waits for a signal (or for the
// tree to give up), runs the shutdown sequence. A second signal during the
// sequence flushes and exits at once (exit 1: the shutdown did not complete).
// Returns the process exit code.
int serve(KernelOptions options);

}  // namespace solo
