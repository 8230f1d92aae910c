#!/usr/bin/env bash
# Installs everything mucd needs to build, run and test on Debian 12.
# Run as root. Packages that ship a system service (prosody, ejabberd) are
# installed without starting it: mucd's scripts run their own private Prosody
# and ejabberd nodes (tests/integration/harness.py).
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libstrophe-dev libexpat1-dev libinih-dev liblmdb-dev lmdb-utils libcmocka-dev
      prosody ejabberd python3 python3-slixmpp)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Keep apt from starting the system Prosody/ejabberd (policy-rc.d 101 = "not
# allowed"); ejabberd's epmd is not started either.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq "${missing[@]}"

# Check that the install left no system ejabberd node and no epmd running (a
# system node would hold the default ports; the harness runs private nodes
# without epmd). ejabberd's postinst runs `ejabberdctl status` for the system
# node even when the node is not started, and that leaves an idle epmd
# daemon behind; it is stopped here only when no node is registered in it.
# Detection only looks at processes (asking the system node would start an
# epmd again).
if pgrep -u ejabberd -f 'beam\.smp .*-sname ejabberd@' >/dev/null 2>&1; then
  echo "deps: stopping the system ejabberd node started by the install"
  timeout 60 ejabberdctl stop >/dev/null 2>&1 || true
fi
if pgrep -x epmd >/dev/null 2>&1 && command -v epmd >/dev/null 2>&1 \
   && ! epmd -names 2>/dev/null | grep -q '^name '; then
  echo "deps: stopping the idle epmd started by the install"
  epmd -kill >/dev/null 2>&1 || true
fi
