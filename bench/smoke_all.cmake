# ctest smoke test of `solo-bench all --quick --json` over two scenarios: it
# runs each in a child process, collects the report each one publishes, and
# prints one JSON document with every report and every target row. No timing
# assertions: whether a target is met depends on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_all.cmake
execute_process(
  COMMAND ${SOLO_BENCH} all --quick --json --only append,http
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench all exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "solo-bench all --json did not print one JSON object (${json_error}):\n${out}")
endif()
# The children's reports arrived (read back through SOLO_BENCH_REPORT).
string(JSON events GET "${out}" runs 0 reports append events)
if(NOT events EQUAL 2000)
  message(FATAL_ERROR "expected the append report of a 2000-event run, got '${events}':\n${out}")
endif()
string(JSON health ERROR_VARIABLE key_error GET "${out}" runs 0 reports http health_per_s)
if(key_error)
  message(FATAL_ERROR "the http report is missing from:\n${out}")
endif()
# Five target rows (three of append, two of http), each complete.
string(JSON rows LENGTH "${out}" targets)
if(NOT rows EQUAL 5)
  message(FATAL_ERROR "expected 5 target rows, got ${rows}:\n${out}")
endif()
math(EXPR last "${rows} - 1")
foreach(i RANGE ${last})
  foreach(key solo baseline ratio target met)
    string(JSON value ERROR_VARIABLE key_error GET "${out}" runs 0 targets ${i} ${key})
    if(key_error)
      message(FATAL_ERROR "target row ${i} has no '${key}':\n${out}")
    endif()
  endforeach()
endforeach()
string(JSON failed LENGTH "${out}" failed)
if(NOT failed EQUAL 0)
  message(FATAL_ERROR "a scenario failed:\n${out}")
endif()
message(STATUS "solo-bench all: ${out}")
