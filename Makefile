# Convenience wrapper around meson/ninja. `make demo` and `make check` work on
# a fresh Debian machine as root: missing packages are installed with apt-get.
#
#   make demo      install what is missing, build, diagnose the bundled demo capture
#   make check     install what is missing, build, run the whole test suite
#                  (unit, golden, rule examples, corpus accuracy, then the suite
#                  again under ASan+UBSan, and a fuzz smoke run when clang exists)
#   make accuracy  per-class accuracy on corpora/
#   make bench     the benchmark of tests/bench (not part of check)
#   make fuzz      build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
#   make format    clang-format every C file in place (`make check` fails on unformatted code)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
SMOKE_SECONDS ?= 5

DEB_PACKAGES = gcc pkg-config meson ninja-build python3 libpcre2-dev libjansson-dev \
               libyaml-dev libzstd-dev libarchive-dev libcmocka-dev zstd gzip
DEB_OPTIONAL = clang libclang-rt-14-dev clang-format

TEDIAG = $(BUILD)/src/cli/tediag

.PHONY: all deps build demo check test asan-check fuzz-smoke accuracy bench fuzz golden-accept format clean

all: build

deps:
	@sh tests/scripts/install-deps.sh $(DEB_PACKAGES) -- $(DEB_OPTIONAL)

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dbuildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@echo "== tediag corpora/demo/launch-failure.log"
	-$(TEDIAG) --color=always corpora/demo/launch-failure.log

# The whole suite; the last line is "N passed, N failed" over every run.
check: build
	@rm -f $(BUILD)/check-results.txt
	-meson test -C $(BUILD) --print-errorlogs --num-processes 2
	@python3 tests/scripts/count-results.py $(BUILD)/meson-logs/testlog.json >> $(BUILD)/check-results.txt
	-$(MAKE) --no-print-directory asan-check
	-$(MAKE) --no-print-directory fuzz-smoke
	@python3 tests/scripts/count-results.py --total $(BUILD)/check-results.txt

test: build
	meson test -C $(BUILD) --print-errorlogs

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

asan-check: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	-ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 --no-suite accuracy
	@python3 tests/scripts/count-results.py --label asan $(ASAN_BUILD)/meson-logs/testlog.json >> $(BUILD)/check-results.txt

fuzz-smoke:
	@if command -v clang >/dev/null 2>&1; then \
	  sh tests/scripts/fuzz.sh $(FUZZ_BUILD) $(SMOKE_SECONDS) >> $(BUILD)/check-results.txt; \
	else echo "fuzz smoke skipped: clang not installed"; fi

fuzz:
	sh tests/scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

accuracy: build
	python3 tests/accuracy.py --tediag $(TEDIAG) corpora

bench: build
	sh tests/bench/run.sh $(TEDIAG)

golden-accept: build
	python3 tests/golden/golden.py --tediag $(TEDIAG) --accept

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

format:
	find src include tests -name '*.[ch]' -not -path '*/out/*' | xargs clang-format -i
