#!/usr/bin/env bash
# Runs the live-Prosody integration suite (stdlib unittest, Debian's python3
# with python3-slixmpp). Exits non-zero if any test fails.
#
#   MUCD_BIN=/path/to/mucd   binary under test (default: <repo>/build/mucd)
#   MUCD_KEEP_TMP=1          keep every temporary directory for inspection
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/python3 -m unittest discover -s . -p 'test_*.py' -v "$@"
