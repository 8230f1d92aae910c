#!/usr/bin/env bash
# Regenerates fuzz/corpus/ from the unit tests: builds them with
# dump_seeds.c wrapped around service_handle and config_load, runs them,
# splits the recording into raw seeds (split_seeds.py) and merges those into
# fuzz/corpus/TARGET with libFuzzer (-merge=1 keeps only inputs that add
# coverage). Needs the fuzz targets built in build-fuzz/ (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${MUCD_FUZZ_BUILD_DIR:-build-fuzz}
WORK=$(mktemp -d /tmp/mucd-seeds.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

gcc -c -O1 -D_DEFAULT_SOURCE -I. $(pkg-config --cflags libstrophe) \
  fuzz/tools/dump_seeds.c -o "$WORK/dump.o"
# Configure once plainly (the compiler check cannot link the wrapper), then
# add the wrapper to every program's link.
cmake -S . -B "$WORK/build" -DMUCD_INTEGRATION=OFF >/dev/null
cmake -S . -B "$WORK/build" >/dev/null \
  "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--wrap=service_handle,--wrap=config_load $WORK/dump.o"
tests=$(ls tests/unit/test_*.c | xargs -n1 basename | sed 's/\.c$//')
# shellcheck disable=SC2086
nice -n 10 cmake --build "$WORK/build" -j2 --target $tests >/dev/null

mkdir -p "$WORK/dump"
for t in $tests; do
  MUCD_SOURCE_DIR=$PWD MUCD_SEED_DIR="$WORK/dump" "$WORK/build/tests/$t" >/dev/null 2>&1 || true
done
python3 fuzz/tools/split_seeds.py "$WORK/dump" "$WORK/raw" muc.conf.example

for t in fuzz_stanza fuzz_config fuzz_form fuzz_rsm; do
  mkdir -p "fuzz/corpus/$t"
  nice -n 10 "$FUZZ_BUILD/fuzz/$t" -merge=1 -use_counters=0 "fuzz/corpus/$t" "$WORK/raw/$t" \
    2>&1 | grep -E "MERGE-OUTER: [0-9]+ new" | sed "s/^/$t: /"
done
