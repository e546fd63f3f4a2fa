# ctest smoke test of `solo-bench storage --quick --json`: it runs, exits 0
# and prints one JSON object with every key the reports rely on. No timing
# assertions: the figures depend on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_storage.cmake
execute_process(
  COMMAND ${SOLO_BENCH} storage --quick --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench storage exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench storage --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(key one_caller_calls_per_s raw_one_per_commit_per_s one_caller_mean_batch many_callers_calls_per_s
            raw_same_batch_per_s many_callers_mean_batch gate_added_p50_us gate_added_p99_us commit_p50_us commit_p99_us
            get_ns_per_op table_read_ns_per_op recovery_with_storage_s recovery_without_storage_s recovery_target_s)
  string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
  if(key_error)
    message(FATAL_ERROR "key '${key}' missing from:\n${out}")
  endif()
endforeach()
string(JSON running GET "${out}" recovery_running_with_storage)
if(NOT running EQUAL 100)
  message(FATAL_ERROR "expected 100 services back with their data (--quick), got ${running}")
endif()
message(STATUS "solo-bench storage: ${out}")
