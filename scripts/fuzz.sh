#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan + UBSan) in their own
# build directory and fuzzes each of them for FUZZ_SECONDS (default 20) on a
# COPY of its seed corpus, replaying fuzz/regressions/ first. Exits non-zero
# when any target crashes, leaks, hits UB, runs out of memory or hangs on an
# input for FUZZ_TIMEOUT seconds. Installs what it needs on Debian 12 (root).
#
#   scripts/fuzz.sh                      every target, FUZZ_SECONDS each
#   scripts/fuzz.sh fuzz_stanza          only the targets named
#   FUZZ_SECONDS=3600 scripts/fuzz.sh    long runs
#   scripts/fuzz.sh --replay [TARGET...] no fuzzing: runs every corpus and
#                                        regression input once (a quick check)
#
# Crashes are written to $BUILD/artifacts/TARGET/ (crash-*, leak-*,
# timeout-*, oom-*); the seed corpus in the repository is never written.
# Set FUZZ_KEEP_CORPUS=DIR to keep the grown corpora in DIR/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${FUZZ_SECONDS:-20}
TIMEOUT=${FUZZ_TIMEOUT:-10}
BUILD=${MUCD_FUZZ_BUILD_DIR:-build-fuzz}
ALL=(fuzz_stanza fuzz_config fuzz_form fuzz_rsm)

# Installs the compiler, libFuzzer (libclang-rt-14-dev on Debian 12) and the
# libraries mucd builds against, when missing.
install_deps() {
  local pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
              libstrophe-dev libexpat1-dev libinih-dev liblmdb-dev libcmocka-dev)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "fuzz: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
}

# Configures and builds the targets (-j2: the fuzzers want the cores).
build() {
  CC=clang cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DMUCD_FUZZ=ON \
    -DMUCD_INTEGRATION=OFF -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  nice -n 10 cmake --build "$BUILD" -j2 --target fuzz
}

# The per-target libFuzzer flags: dictionary and input size.
target_flags() {
  case "$1" in
    fuzz_stanza) echo "-dict=fuzz/xmpp.dict -max_len=16384" ;;
    fuzz_config) echo "-dict=fuzz/config.dict -max_len=4096" ;;
    *)           echo "-dict=fuzz/xmpp.dict -max_len=8192" ;;
  esac
}

# Runs every seed and regression input of target $1 once.
replay() {
  local t=$1 bin="$BUILD/fuzz/$1" files=()
  mapfile -t files < <(find "fuzz/corpus/$t" "fuzz/regressions/$t" -type f 2>/dev/null | sort)
  [ ${#files[@]} -eq 0 ] && return 0
  echo "fuzz: $t: replaying ${#files[@]} inputs"
  timeout 600 nice -n 10 "$bin" -timeout="$TIMEOUT" -rss_limit_mb=2048 "${files[@]}" \
    >"$WORK/$t.replay.log" 2>&1 || { tail -n 60 "$WORK/$t.replay.log"; return 1; }
}

# Fuzzes target $1 for $SECS seconds on a copy of its corpus.
fuzz() {
  local t=$1 bin="$BUILD/fuzz/$1" corpus="$WORK/$1" art="$BUILD/artifacts/$1/" rc=0
  mkdir -p "$corpus" "$art"
  cp -r "fuzz/corpus/$t/." "$corpus/"
  local regs=()
  [ -d "fuzz/regressions/$t" ] && regs=("fuzz/regressions/$t")
  echo "fuzz: $t: ${SECS}s"
  # shellcheck disable=SC2046
  timeout $((SECS + 300)) nice -n 10 "$bin" -max_total_time="$SECS" \
    -timeout="$TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art" $(target_flags "$t") "$corpus" "${regs[@]}" \
    >"$WORK/$t.log" 2>&1 || rc=$?
  grep -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)" "$WORK/$t.log" | tail -n 1 | sed "s/^/fuzz: $t: /"
  grep -E "stat::(number_of_executed_units|average_exec_per_sec)" "$WORK/$t.log" |
    sed "s/^/fuzz: $t: /"
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS/$t" && cp -r "$corpus/." "$FUZZ_KEEP_CORPUS/$t/"
  fi
  if [ $rc -ne 0 ]; then
    tail -n 80 "$WORK/$t.log"
    echo "fuzz: $t FAILED (exit $rc); inputs in $art" >&2
    return 1
  fi
}

mode=fuzz
if [ "${1:-}" = "--replay" ]; then mode=replay; shift; fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")

install_deps
build
WORK=$(mktemp -d /tmp/mucd-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
  [ -x "$BUILD/fuzz/$t" ] || { echo "fuzz: no target $t (have: ${ALL[*]})" >&2; exit 2; }
  "$mode" "$t" || failed+=("$t")
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed ($mode)"
