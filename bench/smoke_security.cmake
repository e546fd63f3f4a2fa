# ctest smoke test of `solo-bench security`: a tiny run exits 0 and prints one
# JSON object with every key the reports rely on. No timing assertions: the
# figures depend on the machine. Usage: cmake -DSOLO_BENCH=<path> -P smoke_security.cmake
execute_process(
  COMMAND ${SOLO_BENCH} security --tokens 200 --verifies 2000 --sequential 10 --secrets 100 --gets 1000
          --concurrency 8 --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench security exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench security --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(key verify_per_s verify_p50_us verify_p99_us bare_per_s bare_p50_us verify_ratio_p50
            verify_ratio_throughput grant_sequential_per_s grant_concurrent_per_s grant_concurrent_p99_us
            put_sequential_per_s put_concurrent_per_s get_reveal_per_s decrypt_per_s tokens)
  string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
  if(key_error)
    message(FATAL_ERROR "key '${key}' missing from:\n${out}")
  endif()
endforeach()
string(JSON tokens GET "${out}" tokens)
if(NOT tokens EQUAL 200)
  message(FATAL_ERROR "expected tokens=200, got ${tokens}")
endif()
message(STATUS "solo-bench security: ${out}")
