# ctest smoke test of `solo-bench services --quick --json`: it runs, exits 0
# and prints one JSON object with every key the reports rely on. No timing
# assertions: the figures depend on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_services.cmake
execute_process(
  COMMAND ${SOLO_BENCH} services --quick --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench services exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench services --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(key deploy_p50_us deploy_p99_us bare_create_load_p50_us fsync_p50_us deploy_target_us deploy_p50_over_target
            deploys_per_s bare_create_loads_per_s deploy_throughput_ratio
            deploy_engine_cpu_us deploy_engine_cpu_ratio bare_create_load_kept_mean_us deploy_engine_cpu_ratio_kept commits_per_round
            call_p50_us call_p99_us calls_per_s bare_pcall_p50_us bare_pcalls_per_s call_ratio_p50 call_ratio_throughput
            bare_sandboxed_call_p50_us bare_sandboxed_call_p99_us call_over_sandboxed_p50
            call_cpu_ns bare_sandboxed_call_cpu_ns sandbox_call_cpu_ns call_over_sandboxed_cpu
            http_call_p50_us http_call_p99_us http_calls_per_s http_health_p50_us http_health_p99_us http_health_per_s
            http_many_calls_per_s http_many_health_per_s
            idle_memory_bytes idle_rss_bytes_per_service bare_lua_heap_bytes bare_rss_bytes_per_state idle_memory_ratio)
  string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
  if(key_error)
    message(FATAL_ERROR "key '${key}' missing from:\n${out}")
  endif()
endforeach()
string(JSON idle GET "${out}" idle_services)
if(NOT idle EQUAL 50)
  message(FATAL_ERROR "expected idle_services=50 (--quick), got ${idle}")
endif()
message(STATUS "solo-bench services: ${out}")
