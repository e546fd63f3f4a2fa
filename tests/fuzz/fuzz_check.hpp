// FUZZ_CHECK: an invariant a fuzz target asserts. A violation prints what
// broke and aborts, so libFuzzer records the input as a crash (like a
// sanitizer report) and `make fuzz` stops on it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(condition, what)                                                         \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__,     \
                   #condition, std::string(what).c_str());                                  \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
