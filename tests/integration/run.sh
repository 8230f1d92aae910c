#!/usr/bin/env bash
# Runs the live integration suite (stdlib unittest, Debian's python3 with
# python3-slixmpp) against a private Prosody or a private ejabberd node.
# Exits non-zero if any test fails.
#
#   MUCD_BIN=/path/to/mucd     binary under test (default: <repo>/build/mucd)
#   MUCD_TEST_SERVER=prosody   the XMPP server to run: prosody (default) or
#                              ejabberd (Debian's ejabberd package)
#   MUCD_KEEP_TMP=1            keep every temporary directory for inspection
set -euo pipefail
cd "$(dirname "$0")"
echo "integration: XMPP server ${MUCD_TEST_SERVER:-prosody}"
exec /usr/bin/python3 -m unittest discover -s . -p 'test_*.py' -v "$@"
