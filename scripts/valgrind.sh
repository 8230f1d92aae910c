#!/usr/bin/env bash
# valgrind memcheck of mucd through the live-Prosody integration suite.
#
# Builds mucd without sanitizers (Debug, in build-vg), runs the integration
# suite with every mucd process under valgrind (one log per process), then
# scans every log: any memory error or leak (definite, indirect, possible)
# fails the run. Tests kill mucd with SIGKILL on purpose: valgrind cannot
# write a summary for such a process; those logs are counted and reported,
# and still scanned for errors found before the kill, but not counted as
# failures for lacking a summary.
#
#   scripts/valgrind.sh                       the whole suite
#   scripts/valgrind.sh test_faults.SigtermTest ...   only these (unittest names)
#
#   MUCD_VG_BUILD_DIR   build directory (default build-vg)
#   MUCD_VG_LOG_DIR     where the logs go (default <build>/valgrind-logs; emptied)
#   MUCD_VG_PATTERN     test file pattern (default test_*.py)
#   MUCD_TIMEOUT_SCALE  factor for the suite's waits on mucd (default 4)
#
# Exit code: 0 when the suite passed and valgrind found nothing, 1 when
# valgrind reported something, 2 when the suite failed (valgrind clean),
# 3 when both.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=${MUCD_VG_BUILD_DIR:-build-vg}
LOGDIR=${MUCD_VG_LOG_DIR:-$BUILD/valgrind-logs}
PATTERN=${MUCD_VG_PATTERN:-test_*.py}
export MUCD_TIMEOUT_SCALE=${MUCD_TIMEOUT_SCALE:-4}
VG_ERROR_EXIT=97

bash scripts/deps.sh || exit 1
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind: installing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq valgrind || exit 1
fi

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DMUCD_SANITIZE=OFF -DBUILD_TESTING=OFF \
  >/dev/null || exit 1
cmake --build "$BUILD" -j"$(nproc)" --target mucd mucctl || exit 1

mkdir -p "$LOGDIR"
LOGDIR=$(cd "$LOGDIR" && pwd)
rm -f "$LOGDIR"/mucd.*.log

SUPP=()
[ -f tests/valgrind.supp ] && SUPP=(--suppressions="$ROOT/tests/valgrind.supp")

# One log per mucd process (%p: its pid, which valgrind keeps).
export MUCD_WRAPPER="valgrind --tool=memcheck --leak-check=full \
--show-leak-kinds=definite,indirect,possible \
--errors-for-leak-kinds=definite,indirect,possible \
--error-exitcode=$VG_ERROR_EXIT --track-fds=no --num-callers=30 \
${SUPP[*]} --log-file=$LOGDIR/mucd.%p.log"
export MUCD_BIN=$(cd "$BUILD" && pwd)/mucd

echo "valgrind: running the integration suite (${*:-$PATTERN}), timeouts x$MUCD_TIMEOUT_SCALE"
echo "valgrind: logs in $LOGDIR"
started=$(date +%s)
if [ $# -gt 0 ]; then
  (cd tests/integration && /usr/bin/python3 -m unittest -v "$@")
else
  /usr/bin/python3 -m unittest discover -s tests/integration -p "$PATTERN" -v
fi
suite_rc=$?
took=$(( $(date +%s) - started ))

# ---- scan the logs ----------------------------------------------------------
total=0 clean=0 bad=0 killed=0
bad_logs=()
for log in "$LOGDIR"/mucd.*.log; do
  [ -e "$log" ] || continue
  total=$((total + 1))
  # Errors found while running (invalid reads/writes, uninitialised values,
  # bad frees, ...) are reported as they happen, with or without a summary.
  runtime_errors=$(grep -cE '^==[0-9]+== (Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function)' "$log")
  if grep -q 'ERROR SUMMARY:' "$log"; then
    errors=$(sed -nE 's/^==[0-9]+== ERROR SUMMARY: ([0-9]+) errors.*/\1/p' "$log" | tail -n1)
    leaks=$(grep -cE '^==[0-9]+== +(definitely|indirectly|possibly) lost: [1-9]' "$log")
    if [ "${errors:-1}" != 0 ] || [ "$leaks" != 0 ] || [ "$runtime_errors" != 0 ]; then
      bad=$((bad + 1)); bad_logs+=("$log")
      echo "valgrind: FAIL $log: ${errors:-?} errors, $leaks leak kinds with bytes lost"
    else
      clean=$((clean + 1))
    fi
  else
    killed=$((killed + 1))
    if [ "$runtime_errors" != 0 ]; then
      bad=$((bad + 1)); bad_logs+=("$log")
      echo "valgrind: FAIL $log (no summary: killed): $runtime_errors errors before the kill"
    fi
  fi
done

for log in "${bad_logs[@]}"; do
  echo
  echo "===== $log ====="
  # The reports themselves, without the start-up banner.
  sed -nE '/^==[0-9]+== (Invalid |Conditional|Use of|Syscall|Mismatched|Source and|Argument|[0-9,]+ (\(|bytes))/,/^==[0-9]+== $/p' "$log" | head -n 200
  grep -E 'ERROR SUMMARY|lost:' "$log"
done

echo
echo "valgrind: $total mucd processes: $clean clean, $bad with errors or leaks," \
     "$killed without a summary (killed with SIGKILL by the tests)"
echo "valgrind: the suite took ${took} s and $([ $suite_rc = 0 ] && echo passed || echo "FAILED ($suite_rc)")"
[ "$total" -gt 0 ] || { echo "valgrind: no mucd log at all: was mucd run under valgrind?"; bad=1; }

rc=0
[ "$bad" -eq 0 ] || rc=1
[ "$suite_rc" -eq 0 ] || rc=$((rc + 2))
exit $rc
