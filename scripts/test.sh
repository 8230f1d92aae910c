#!/usr/bin/env bash
# Installs dependencies, builds mucd with AddressSanitizer + UndefinedBehavior-
# Sanitizer and warnings as errors, and runs every test: the cmocka unit tests
# and the live integration suite, once against a private Prosody (ctest test
# `integration`) and once against a private ejabberd node
# (`integration_ejabberd`), all through ctest; then fuzzes each
# libFuzzer target for FUZZ_SECONDS (default 20), and runs the integration
# suite once more with mucd under valgrind memcheck.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

BUILD=${MUCD_BUILD_DIR:-build-test}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DMUCD_SANITIZE=ON -DMUCD_WERROR=ON
cmake --build "$BUILD" -j"$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$BUILD" && ctest --output-on-failure --timeout 900 "$@")

# Fuzzing (issue 7): every libFuzzer target for a short, bounded time on a
# copy of its seed corpus, after replaying the regression inputs. Long runs:
# FUZZ_SECONDS=3600 bash scripts/fuzz.sh (see fuzz/README.md).
FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash scripts/fuzz.sh

# valgrind memcheck (issue 7): the integration suite again, with mucd built
# without sanitizers and run under memcheck; any error or leak fails.
bash scripts/valgrind.sh
