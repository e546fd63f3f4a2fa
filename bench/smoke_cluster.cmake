# ctest smoke test of `solo-bench cluster`, twice on a throwaway PostgreSQL
# server each: with one shard (two `solo serve --node` processes, one active)
# and with two shards (one on each node). Each run does the append
# comparison, calls an echo service through one node and through both (and,
# with shards, through each tenant's node), kills a node and waits for the
# survivor; it exits 0 and prints one JSON object with every key the reports
# rely on. No timing assertions: the figures depend on the machine.
# Usage: cmake -DSOLO_BENCH=<path> -P smoke_cluster.cmake
foreach(shards 1 2)
  execute_process(
    COMMAND ${SOLO_BENCH} cluster --nodes 2 --shards ${shards} --clients 2 --seconds 1 --events 2000 --lease-ttl-ms 1000 --json
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    TIMEOUT 140)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "solo-bench cluster --shards ${shards} exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
  endif()
  string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
  if(json_error OR NOT type STREQUAL "OBJECT")
    message(FATAL_ERROR "solo-bench cluster --json did not print a JSON object (${json_error}):\n${out}")
  endif()
  set(keys nodes shards clients seconds calls_per_s_one_node calls_per_s_every_node every_over_one call_p50_us_one_node
           call_p99_us_one_node call_p50_us_every_node call_p99_us_every_node failover_ms failover_failed_probes
           lease_ttl_ms append_events_per_s append_raw_pipelined_events_per_s append_ratio
           append_raw_same_batch_events_per_s append_ack_p50_us append_ack_p99_us append_commits)
  if(shards GREATER 1)
    list(APPEND keys calls_per_s_owner_node owner_over_one call_p50_us_owner_node call_p99_us_owner_node)
  endif()
  foreach(key ${keys})
    string(JSON value ERROR_VARIABLE key_error GET "${out}" ${key})
    if(key_error)
      message(FATAL_ERROR "key '${key}' missing from:\n${out}")
    endif()
  endforeach()
  string(JSON nodes GET "${out}" nodes)
  string(JSON got_shards GET "${out}" shards)
  string(JSON events GET "${out}" append_events)
  if(NOT nodes EQUAL 2 OR NOT got_shards EQUAL shards OR NOT events EQUAL 2000)
    message(FATAL_ERROR "expected nodes=2, shards=${shards} and append_events=2000, got ${nodes}, ${got_shards} and ${events}")
  endif()
  message(STATUS "solo-bench cluster --shards ${shards}: ${out}")
endforeach()
