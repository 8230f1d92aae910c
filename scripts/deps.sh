#!/usr/bin/env bash
# Installs everything mucd needs to build, run and test on Debian 12.
# Run as root. Packages that ship a system service (prosody) are installed
# without starting it: mucd's scripts run their own private Prosody.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libstrophe-dev libexpat1-dev libinih-dev liblmdb-dev lmdb-utils libcmocka-dev
      prosody python3 python3-slixmpp)

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
# Keep apt from starting the system Prosody (policy-rc.d 101 = "not allowed").
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq "${missing[@]}"
