# The short seeded pass of one fuzz target (ctest fuzz_<name>): the committed
# seeds, then new inputs from a fixed seed for SECONDS seconds. New inputs go
# to SCRATCH (emptied first), never into the committed corpus. Any crash,
# sanitizer report, timeout or out-of-memory fails the test; the reproducer
# is written to SCRATCH/ (its path is in the output).
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH}/new)
set(args -seed=1 -max_total_time=${SECONDS} -timeout=20 -rss_limit_mb=4096 -print_final_stats=1
         -artifact_prefix=${SCRATCH}/)
if(DICT)
  list(APPEND args -dict=${DICT})
endif()
execute_process(COMMAND ${FUZZER} ${args} ${SCRATCH}/new ${CORPUS} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}); the input is in ${SCRATCH}/")
endif()
