// The calling thread's CPU time: a figure that time the OS gives to other
// processes does not inflate (wall time is noisy on a shared machine).
#pragma once

#include <time.h>

namespace solo::bench {

inline double this_thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace solo::bench
