# Installs the MCP SDK test's dependencies (package-lock.json) into DIR with
# `npm ci`, run by the build (tests/CMakeLists.txt, target mcp_sdk_deps).
# Without npm, or offline, it says so and the build goes on: the SDK test
# (tests/integration/mcp_sdk_test.cpp) then fails naming what is missing, and
# the next build tries again. `make deps` installs Node.js and npm.
find_program(NPM npm)
if(NOT NPM)
  message(WARNING "npm not found: the MCP SDK test cannot run (make deps installs nodejs and npm)")
  return()
endif()
execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(WARNING "npm ci in ${DIR} failed (offline?): the MCP SDK test cannot run until it succeeds")
endif()
