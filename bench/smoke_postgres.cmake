# ctest smoke test of `solo-bench postgres`: it starts its own throwaway
# PostgreSQL server, runs, exits 0 and prints one JSON object with every key
# the reports rely on. No timing assertions: the figures depend on the
# machine. Usage: cmake -DSOLO_BENCH=<path> -P smoke_postgres.cmake
execute_process(
  COMMAND ${SOLO_BENCH} postgres --events 2000 --writers 64 --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench postgres exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench postgres --json did not print a JSON object (${json_error}):\n${out}")
endif()
foreach(key events_per_s raw_pipelined_events_per_s ratio raw_same_batch_events_per_s
            raw_same_batch_rows_per_transaction ack_p50_us ack_p99_us commits mean_batch commit_p50_us
            engine_cpu_us_per_event writer_cpu_us_per_event raw_cpu_us_per_event)
  string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
  if(key_error)
    message(FATAL_ERROR "key '${key}' missing from:\n${out}")
  endif()
endforeach()
string(JSON events GET "${out}" events)
if(NOT events EQUAL 2000)
  message(FATAL_ERROR "expected events=2000, got ${events}")
endif()
message(STATUS "solo-bench postgres: ${out}")
