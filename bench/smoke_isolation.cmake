# ctest smoke test of `solo-bench isolation --quick --json`: it runs, exits 0
# and prints one JSON line per figure (idle, each attack, slicing, summary)
# with every key the reports rely on; every attack ended as documented. No
# timing assertions: the figures depend on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_isolation.cmake
execute_process(
  COMMAND ${SOLO_BENCH} isolation --quick --json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "solo-bench isolation exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
string(STRIP "${out}" out)
# One JSON object a line: split on newlines (a `;` inside a line would split
# it too, so the lines are counted by the figures they name instead).
string(REPLACE ";" "," safe "${out}")
string(REPLACE "\n" ";" lines "${safe}")
set(figures "")
foreach(line IN LISTS lines)
  string(JSON figure ERROR_VARIABLE json_error GET "${line}" figure)
  if(json_error)
    message(FATAL_ERROR "not a JSON line with a figure (${json_error}):\n${line}")
  endif()
  list(APPEND figures ${figure})
  if(figure STREQUAL "idle" OR figure STREQUAL "attack")
    set(keys health_p99_ms health_worst_ms bystander_p99_ms bystander_worst_ms health_samples bystander_samples)
    if(figure STREQUAL "attack")
      list(APPEND keys case error as_documented took_max_ms health_p99_over_idle_ms)
    endif()
  elseif(figure STREQUAL "slicing")
    set(keys sliced_call_p50_us unsliced_call_p50_us slicing_ratio_p50)
  elseif(figure STREQUAL "summary")
    set(keys attacks undocumented worst_health_ms worst_bystander_ms worst_p99_over_idle_ms worst_deadline_to_stop_ms)
    string(JSON undocumented GET "${line}" undocumented)
    if(NOT undocumented EQUAL 0)
      message(FATAL_ERROR "${undocumented} attack(s) did not end as documented:\n${out}")
    endif()
  else()
    message(FATAL_ERROR "unknown figure '${figure}' in:\n${line}")
  endif()
  foreach(key IN LISTS keys)
    string(JSON value ERROR_VARIABLE key_error GET "${line}" ${key})
    if(key_error)
      message(FATAL_ERROR "key '${key}' missing from:\n${line}")
    endif()
  endforeach()
endforeach()
foreach(figure idle attack slicing summary)
  list(FIND figures ${figure} found)
  if(found EQUAL -1)
    message(FATAL_ERROR "no '${figure}' line in:\n${out}")
  endif()
endforeach()
message(STATUS "solo-bench isolation:\n${out}")
