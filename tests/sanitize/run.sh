#!/usr/bin/env bash
# Runs the unit, integration and end-to-end tests of a -DCORRAL_SANITIZE=ON
# build (`make test-sanitize`) with every sanitizer finding fatal:
#
#   tests/sanitize/run.sh BUILD_DIR [ctest arguments...]
#
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer abort the
# process at the first finding. The options travel in the environment, so
# they reach every corral, corral-agent and corral-server a test starts (the
# test harness passes its environment on). A finding in such a child does not
# always fail its test -- many tests stop their server with SIGTERM and never
# look at how it exited -- so the run also fails on any report left behind:
# - AddressSanitizer and LeakSanitizer write theirs to
#   BUILD_DIR/sanitizer-reports/ (one file per process, named after the
#   executable);
# - GCC's UndefinedBehaviorSanitizer ignores log_path when AddressSanitizer
#   is linked too, so its reports stay on the process's stderr; children log
#   their stderr under the tests' temporary directory (TEST_TMPDIR, a fresh one
#   per run), which is searched for them afterwards.
#
# LeakSanitizer ignores only what tests/sanitize/lsan.supp lists: memory that
# gRPC and protobuf keep for the whole process by design.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: run.sh BUILD_DIR [ctest arguments...]}
shift
root=$(pwd)
reports="$root/$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
TEST_TMPDIR=$(mktemp -d /tmp/corral-sanitize.XXXXXX)
chmod 755 "$TEST_TMPDIR"  # some tests run Gunicorn as nobody, in there
export TEST_TMPDIR

# abort_on_error: a finding ends the process with SIGABRT, which no test
# mistakes for one of the CLI's documented exit codes.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1:disable_coredump=1:log_path=$reports/report:log_exe_name=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:report_error_type=1:log_path=$reports/report:log_exe_name=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"

started=$(date +%s)
(cd "$build" && ctest -j "${CTEST_JOBS:-2}" -L '^(unit|integration|e2e)$' --output-on-failure "$@")
status=$?

found=0
for report in "$reports"/*; do
  [[ -e "$report" ]] || continue
  found=$((found + 1))
  echo "==== sanitizer report: $report"
  cat "$report"
done
while IFS= read -r log; do
  found=$((found + 1))
  echo "==== sanitizer report in a child's log: $log"
  grep -B2 -A30 -E 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$log" | head -80
done < <(grep -rlsI -E 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$TEST_TMPDIR")
echo "sanitizers: $found report(s); tests took $(($(date +%s) - started)) s"
if [[ $found -gt 0 && $status -eq 0 ]]; then
  status=1
fi
if [[ $status -eq 0 ]]; then
  rm -rf "$TEST_TMPDIR"
else
  echo "the tests' files are kept in $TEST_TMPDIR"
fi
exit "$status"
