# ctest smoke test of `solo-bench http --quick --json`: it runs, exits 0 and
# prints one JSON object with every key the reports rely on. No timing
# assertions: the figures depend on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_http.cmake
execute_process(
  COMMAND ${SOLO_BENCH} http --quick --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench http exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench http --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(key baseline_per_s baseline_p50_us baseline_p99_us health_per_s health_p50_us health_p99_us
            call_per_s call_p50_us call_p99_us baseline_1_per_s health_1_per_s call_1_per_s
            health_over_baseline call_over_health health_target_met call_target_met
            baseline_server_cpu_us health_server_cpu_us call_server_cpu_us health_client_cpu_us
            health_over_baseline_server_cpu)
  string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
  if(key_error)
    message(FATAL_ERROR "key '${key}' missing from:\n${out}")
  endif()
endforeach()
message(STATUS "solo-bench http: ${out}")
