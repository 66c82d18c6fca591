# fangpin: the two commands are `make demo` and `make test`; each installs what is missing
# (Debian packages), builds, and starts its own private PostgreSQL. See README.md.
SHELL := /bin/bash
BUILD ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-build test-repeat fuzz fuzz-build fuzz-long up down demo demo-federation backup restore containers containers-test bench chaos soak rolling clean format format-check long-functions help

all: build

help:
	@echo "make demo   - start the stack (make up) and walk through it"
	@echo "make test   - unit, integration and fuzz tests under ASan+UBSan"
	@echo "make test-repeat N=20 - the whole suite N times; which tests ever failed, and how"
	@echo "make up     - PostgreSQL + the four services in the background (var/fangpin.env)"
	@echo "make down   - stop everything make up started"
	@echo "make demo-federation - two counties and their prefecture federated by logical replication (docs/federation.md)"
	@echo "make backup [BACKUP=DIR] - a consistent backup of make up's database and keys"
	@echo "make restore BACKUP=DIR  - restore one into a new cluster and start again"
	@echo "make containers - the base and service images, built with podman"
	@echo "make containers-test - the compose stack on podman: healthy, pinged, a database stop survived"
	@echo "make bench  - benchmarks (not part of make test)"
	@echo "make chaos  - faults under load: kill -9 of each service, PostgreSQL restarts; checks nothing lost"
	@echo "              (CHAOS_SECONDS=300 CHAOS_RATE=1000 CHAOS_SEED=random; not part of make test)"
	@echo "make soak   - SOAK_SECONDS=1800 at SOAK_RATE=1000 leads/s; memory, files, connections every 10 s"
	@echo "make rolling - each service restarted with SIGTERM in turn, ROLLING_ROUNDS=2 at ROLLING_RATE=1000 leads/s"
	@echo "make fuzz-long - every fuzz target for ten million inputs (not part of make test)"

deps:
	@tools/scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DFANGPIN_SANITIZE=OFF -DFANGPIN_WERROR=OFF -DFANGPIN_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Tests: sanitizers on, warnings are errors, then the fuzz targets built with clang run a
# bounded number of inputs each.
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-build: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFANGPIN_SANITIZE=ON -DFANGPIN_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j$(JOBS)

test: test-build
	cd $(TEST_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS)
	$(MAKE) fuzz

fuzz-build: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFANGPIN_SANITIZE=ON -DFANGPIN_FUZZ=ON \
	    -DFANGPIN_TESTS=OFF -DFANGPIN_FUZZ_RUNS=20000 >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS)

fuzz: fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j$(JOBS)

# Every fuzz target for ten million inputs (hours; not part of make test).
fuzz-long: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFANGPIN_SANITIZE=ON -DFANGPIN_FUZZ=ON \
	    -DFANGPIN_TESTS=OFF -DFANGPIN_FUZZ_RUNS=10000000 >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j$(JOBS)

# The whole suite (tests and fuzz targets) N times in a row, -j at the number of cores; prints
# which tests ever failed and how (logs in $(TEST_BUILD)/repeat/). Not part of make test.
N ?= 20
test-repeat: test-build fuzz-build
	@$(SANITIZER_ENV) tools/scripts/test-repeat.sh $(N) $(TEST_BUILD) $(FUZZ_BUILD) $(JOBS)

up: build
	@tools/scripts/up.sh $(BUILD)

down:
	@tools/scripts/down.sh

# The demo's lead files are for October 2026: its services take 2026-11-24 as today
# (FANGPIN_TODAY; set it to override) so that those dates stay valid whenever it runs.
demo: export FANGPIN_TODAY ?= 2026-11-24
demo: export FANGPIN_REPORTING_DEADLINES_FROM ?= 2026-10
demo: up
	@tools/scripts/demo.sh $(BUILD)

# two county clusters and their prefecture's on this machine, federated by logical replication
# (docs/federation.md): reports side by side, the prefecture's events, a person in both counties.
# Its own clusters and services on leased ports (not make up's), all stopped when it ends.
demo-federation: build
	@tools/scripts/demo-federation.sh $(BUILD)

# a consistent backup of make up's installation (tools/scripts/backup.sh; BACKUP=DIR to choose
# where), and its restore into a new cluster (BACKUP=DIR required)
backup:
	@tools/scripts/backup.sh $(BACKUP)

restore: build
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=DIR" >&2; exit 2; }
	@tools/scripts/restore.sh $(BUILD) $(BACKUP)

# container images with podman (base images made locally), and the compose stack run against them
# (docs/operations.md, "Containers"); neither is part of make test
containers: deps
	@tools/containers/build.sh

containers-test: build
	@FANGPIN_BUILD=$(BUILD) tools/containers/test.py

bench: build
	@bench/all.sh $(BUILD)

# Faults under load and the soak (tools/chaos/chaos.py; docs/operations.md): the optimised build,
# a private PostgreSQL under $(BUILD)/chaosvar; each prints a table and exits non-zero on a failed
# check. Not part of make test (tests/integration/test_chaos.py is the short chaos run in it).
chaos: build
	@tools/chaos/run.sh $(BUILD) chaos

soak: build
	@tools/chaos/run.sh $(BUILD) soak

rolling: build
	@tools/chaos/run.sh $(BUILD) rolling

# C functions over 80 lines (CONTRIBUTING.md; data tables are not functions); also a test, lint_long_functions
long-functions:
	@tools/scripts/long-functions.py --check

# The project's own C sources: what git tracks, or would (new files not ignored); never build*/,
# where protoc-c writes the generated code. make format rewrites them with .clang-format;
# make format-check changes nothing and fails, listing the files, when format would change any.
FORMAT_SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)

format:
	@test -n "$(FORMAT_SOURCES)" || { echo "make format: no C sources found (run it in a git checkout)" >&2; exit 2; }
	clang-format -i $(FORMAT_SOURCES)

format-check:
	@test -n "$(FORMAT_SOURCES)" || { echo "make format-check: no C sources found (run it in a git checkout)" >&2; exit 2; }
	@places=$$(clang-format --dry-run $(FORMAT_SOURCES) 2>&1 | grep -- '-Wclang-format-violations' | cut -d: -f1); \
	if [ -n "$$places" ]; then \
	    printf '%s\n' "$$places" | sort | uniq -c | sort -rn; \
	    echo "make format-check: $$(printf '%s\n' "$$places" | wc -l) places in $$(printf '%s\n' "$$places" | sort -u | wc -l) files would change (make format)"; \
	    exit 1; \
	fi

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)
