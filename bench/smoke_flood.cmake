# ctest smoke test of `solo-bench flood --quick --json`: it runs, exits 0,
# prints one JSON object with every key the reports rely on, and every probe
# of /health was answered 200 in every case (a flood from one or two
# addresses holds at most their per-address share). No timing assertions.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_flood.cmake
execute_process(
  COMMAND ${SOLO_BENCH} flood --quick --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench flood exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON probes ERROR_VARIABLE json_error GET "${out}" probes)
if(json_error)
  message(FATAL_ERROR "solo-bench flood --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(name quiet one spread)
  foreach(key ok 503 closed timeout p50_us p99_us)
    string(JSON value ERROR_VARIABLE key_error GET "${out}" ${name}_${key})
    if(key_error)
      message(FATAL_ERROR "key '${name}_${key}' missing from:\n${out}")
    endif()
  endforeach()
  string(JSON ok GET "${out}" ${name}_ok)
  if(NOT ok EQUAL probes)
    message(FATAL_ERROR "/health answered 200 to ${ok} of ${probes} probes in case '${name}':\n${out}")
  endif()
endforeach()
message(STATUS "solo-bench flood: ${out}")
