# Corral's entry points. `make test` and `make demo` work on a fresh Debian
# machine: they install what is missing first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS ?= 2
# Extra ctest arguments for `make test`, e.g. CTEST_ARGS="-L unit".
CTEST_ARGS ?=

.PHONY: all deps configure build test unit integration containers bench demo demo-down clean fuzz test-sanitize

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest -j $(CTEST_JOBS) --output-on-failure $(CTEST_ARGS)

unit: build
	@cd $(BUILD_DIR) && ctest -j $(CTEST_JOBS) -L unit --output-on-failure

integration: build
	@cd $(BUILD_DIR) && ctest -j $(CTEST_JOBS) -L integration --output-on-failure

containers: build
	@cd $(BUILD_DIR) && ctest -L containers --output-on-failure

demo: build
	@bash scripts/demo.sh up

demo-down:
	@bash scripts/demo.sh down

bench: build
	@bash bench/run.sh

# Sanitizers: builds build-sanitize/ (SANITIZE_DIR) with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer (-DCORRAL_SANITIZE=ON, shared
# linking) and runs the unit, integration and e2e tests with every finding
# fatal, in the tests and in the servers, agents and CLIs they start; see
# tests/sanitize/run.sh. Not part of `make test`: sanitized code runs 2-3x
# slower and the extra build does not fit its time budget (on 2 cores: 27 min
# from an empty build directory without ccache, of which the 566 tests take
# 2-3 min).
SANITIZE_DIR ?= build-sanitize
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORRAL_SANITIZE=ON -DCORRAL_STATIC_LINK=OFF >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@CTEST_JOBS=$(CTEST_JOBS) bash tests/sanitize/run.sh $(SANITIZE_DIR) $(CTEST_ARGS)

# The libFuzzer targets under fuzz/, built with clang in build-fuzz/ and run
# one after the other for FUZZ_SECONDS each (FUZZ_TARGETS: a subset, e.g.
# "procfs statsd"). `make test` replays their committed corpora.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz:
	@bash scripts/install-deps.sh build fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh $(FUZZ_TARGETS)

clean:
	@rm -rf $(BUILD_DIR)
