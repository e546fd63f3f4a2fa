# Solo's front door, in the style of neovim's Makefile: thin wrappers around
# CMake + Ninja. `make run` and `make test` work on a fresh Debian 12 machine:
# they install what is missing (apt-get, as root or through sudo), configure,
# build, then serve or test.

BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
FUZZ_BUILD_DIR ?= build-fuzz
BUILD_TYPE     ?= RelWithDebInfo
DATA_DIR       ?= ./data
LISTEN         ?= 127.0.0.1:8080
CMAKE_FLAGS    ?=

# Debian 12 packages the build and the tests need (chromium: the dashboard
# browser test; clang, libclang-rt-14-dev and llvm (its
# symbolizer): the libFuzzer targets, tests/fuzz/; ccache: CMakeLists.txt uses
# it when present, so rebuilds and a second checkout compile only what changed).
PACKAGES := build-essential cmake ninja-build pkg-config sqlite3 libsqlite3-dev \
            libssl-dev openssl liblua5.4-dev libboost1.81-dev libboost-json1.81-dev \
            libboost-url1.81-dev libboost-test1.81-dev curl ca-certificates \
            chromium clang libclang-rt-14-dev llvm libjs-chart.js ccache \
            postgresql libpq-dev

SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: all deps configure build run test test-unit test-asan fuzz-build fuzz bench cluster-demo clean distclean

all: build

# deps also installs Debian's nodejs and npm for the MCP SDK test (tests/mcp,
# tests/integration/mcp_sdk_test.cpp), but only those missing from PATH: a
# Node.js from elsewhere (NodeSource's bundles npm) conflicts with Debian's npm
# package, so a node or npm already there is left alone.
deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; }; \
	fi
	@missing=""; command -v node >/dev/null 2>&1 || missing="nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing (MCP SDK test):$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; }; \
	fi

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR)

run: build
	$(BUILD_DIR)/apps/solo serve --data $(DATA_DIR) --listen $(LISTEN)

# A throwaway PostgreSQL server and three cluster nodes on 127.0.0.1:8081-8083
# (docs/cluster.md); Ctrl-C stops them all.
cluster-demo: build
	sh examples/cluster-demo.sh $(BUILD_DIR)/apps/solo

# Every test of the g++ build, then the short seeded pass of each libFuzzer
# target (ctest label `fuzz`, SOLO_FUZZ_SHORT_SECONDS each) in the clang build.
test: build fuzz-build
	ctest --test-dir $(BUILD_DIR) --output-on-failure
	ctest --test-dir $(FUZZ_BUILD_DIR) --output-on-failure -L fuzz

test-unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L unit

# The unit tests once more, built with AddressSanitizer and UBSan.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSOLO_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD_DIR) --target unit_tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -L unit

# The libFuzzer targets (tests/fuzz/, one per input surface: http, json_lua,
# websocket, service_spec, token, cli_args), built by clang++ with ASan + UBSan
# in FUZZ_BUILD_DIR. Only the libraries they need are built there.
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOLO_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++ $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD_DIR) --target fuzz_targets

# `make fuzz`: every libFuzzer target for FUZZ_SECONDS each (FUZZ_TARGETS picks
# some), from the committed seeds (tests/fuzz/corpus/<target>) plus what earlier
# runs kept in FUZZ_BUILD_DIR/fuzz-corpus/<target>; each prints its executions
# and stops at the first finding, whose input is written to
# FUZZ_BUILD_DIR/fuzz-findings/<target>-crash-* (rerun it: the target binary
# with that file as its argument; docs/operations.md, "Fuzzing"). Then the seeded sandbox fuzzer
# (tests/unit/engine/lua_sandbox_fuzz_test.cpp), long: FUZZ_PROGRAMS programs
# from seed FUZZ_SEED on (random unless given); `make test` runs a short
# fixed-seed pass of the same test. A failure prints the seed and the program;
# rerun one with FUZZ_PROGRAMS=1 FUZZ_SEED=<seed>.
FUZZ_SECONDS  ?= 180
FUZZ_TARGETS  ?= http json_lua websocket service_spec token cli_args
FUZZ_PROGRAMS ?= 20000
FUZZ_PROGRESS ?= 500
ifeq ($(origin FUZZ_SEED), undefined)
FUZZ_SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif

fuzz: configure fuzz-build
	@mkdir -p $(FUZZ_BUILD_DIR)/fuzz-findings
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD_DIR)/fuzz-corpus/$$t; \
	  dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  log=$(FUZZ_BUILD_DIR)/fuzz-findings/$$t.log; \
	  if $(FUZZ_BUILD_DIR)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
	       -print_final_stats=1 $$dict -artifact_prefix=$(FUZZ_BUILD_DIR)/fuzz-findings/$$t- \
	       $(FUZZ_BUILD_DIR)/fuzz-corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
	    grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" $$log; \
	  else \
	    tail -n 80 $$log; echo "fuzz: $$t found a problem (whole log: $$log)"; exit 1; \
	  fi; \
	done
	cmake --build $(BUILD_DIR) --target engine_tests
	@echo "fuzz: FUZZ_SEED=$(FUZZ_SEED) FUZZ_PROGRAMS=$(FUZZ_PROGRAMS)"
	SOLO_FUZZ_SEED=$(FUZZ_SEED) SOLO_FUZZ_PROGRAMS=$(FUZZ_PROGRAMS) SOLO_FUZZ_PROGRESS=$(FUZZ_PROGRESS) \
	  $(BUILD_DIR)/tests/engine_tests --run_test=lua_sandbox_fuzz --log_level=message

# `make bench`: every solo-bench scenario (each in its own process, each figure
# beside its baseline from the same run), then the table of every target.
# BENCH_ARGS passes options to `solo-bench all`: --runs 3, --only append,http,
# --quick, --json (one document on stdout), --dir DIR (docs/operations.md,
# "Benchmarks").
BENCH_ARGS ?=

bench: build
	$(BUILD_DIR)/bench/solo-bench all $(BENCH_ARGS)

clean:
	cmake --build $(BUILD_DIR) --target clean

distclean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR)
