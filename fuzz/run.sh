#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each one for a
# set time, one after the other, starting from its committed seed corpus.
#
#   fuzz/run.sh [TARGET...]        default: every target under fuzz/
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   FUZZ_JOBS       parallel build jobs (default 2)
#   FUZZ_ARGS       extra libFuzzer arguments, e.g. "-max_len=8192"
#
# Each target's growing corpus is kept in $FUZZ_BUILD_DIR/fuzz/work/TARGET
# (so a second run goes on where the first stopped) and anything it finds
# (crash-*, leak-*, timeout-*, oom-*) in $FUZZ_BUILD_DIR/fuzz/findings/TARGET.
# A finding's input belongs in fuzz/corpus/TARGET/ once its cause is fixed,
# so that `make test` replays it. Exit status: 0 when nothing was found, 1
# when any target found something, 2 on a build failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
[[ "$build" = /* ]] || build="$root/$build"
jobs=${FUZZ_JOBS:-2}
read -r -a extra <<<"${FUZZ_ARGS:-}"

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in "$root"/fuzz/*_fuzzer.cc; do
    name=$(basename "$f" _fuzzer.cc)
    targets+=("$name")
  done
fi

CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S "$root" -B "$build" -DCORRAL_FUZZ=ON -DCORRAL_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 || {
  echo "fuzz: configure failed, see $build.configure.log" >&2
  exit 2
}
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "${t}_fuzzer"); done
cmake --build "$build" -j "$jobs" "${build_targets[@]}" >"$build.build.log" 2>&1 || {
  echo "fuzz: build failed, see $build.build.log" >&2
  exit 2
}

# Leaks are reported at exit by LeakSanitizer; UBSan stops at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

found=0
printf '%-20s %12s %10s %8s %s\n' target execs exec/s corpus result
for t in "${targets[@]}"; do
  work="$build/fuzz/work/$t"
  findings="$build/fuzz/findings/$t"
  log="$build/fuzz/logs/$t.log"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  dict=()
  [[ -f "$root/fuzz/dict/$t.dict" ]] && dict=(-dict="$root/fuzz/dict/$t.dict")
  before=$(find "$findings" -type f ! -name 'slow-unit-*' | wc -l)
  touch "$log.start"
  "$build/fuzz/${t}_fuzzer" "$work" "$root/fuzz/corpus/$t" -max_total_time="$seconds" -timeout=5 \
    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" \
    "${extra[@]}" >"$log" 2>&1
  rc=$?
  after=$(find "$findings" -type f ! -name 'slow-unit-*' | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(find "$work" -type f | wc -l)
  if ((after > before)); then
    found=1
    result="FOUND ($(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|runtime error|ERROR: libFuzzer: [a-z-]+|check failed' "$log" ||
      echo "exit $rc")): $(find "$findings" -type f ! -name 'slow-unit-*' -newer "$log.start" | head -1)"
  elif ((rc != 0)); then
    found=1
    result="did not run (exit $rc): see $log"
  else
    result="nothing found"
  fi
  printf '%-20s %12s %10s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$units" "$result"
done
exit $found
