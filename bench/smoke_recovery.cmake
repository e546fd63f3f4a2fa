# ctest smoke test of `solo-bench recovery` with a tiny N and M: it runs,
# exits 0 (every service came back after the clean stop and after the crash)
# and prints one JSON object with the keys the reports rely on. No timing
# assertions: the figures depend on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_recovery.cmake
execute_process(
  COMMAND ${SOLO_BENCH} recovery --services 40 --events 3000 --tenants 2 --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench recovery exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench recovery --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(key services events db_bytes bare_s target_s clean_ready_s crash_ready_s clean_redeploy_ms crash_redeploy_ms
            clean_within_target crash_within_target bare_cpu_s clean_engine_cpu_s clean_process_cpu_s
            crash_engine_cpu_s crash_process_cpu_s)
  string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
  if(key_error)
    message(FATAL_ERROR "key '${key}' missing from:\n${out}")
  endif()
endforeach()
foreach(pair "clean_previous_shutdown;clean" "crash_previous_shutdown;crash" "crash_integrity_check;ok"
             "clean_recovered;40" "crash_recovered;40")
  list(GET pair 0 key)
  list(GET pair 1 expected)
  string(JSON value GET "${out}" ${key})
  if(NOT value STREQUAL expected)
    message(FATAL_ERROR "expected ${key}=${expected}, got ${value}:\n${out}")
  endif()
endforeach()
message(STATUS "solo-bench recovery: ${out}")
