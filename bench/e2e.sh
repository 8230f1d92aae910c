#!/usr/bin/env bash
# End-to-end, side by side: ONE private Prosody on loopback serving its own
# MUC (conference.localhost), mucd (chat.localhost) and the null component
# (null.localhost: a component that does no MUC work at all, the ceiling for
# any component behind Prosody), and the same workload through c2s against
# each in the same run: K clients in one room, messages fanned out as fast as
# the server takes them, then latency at a fixed offered rate. Prints
# deliveries/s, p50/p99, the ratio mucd/Prosody and mucd/ceiling.
#
#   bash bench/e2e.sh [K] [MESSAGES] [RATE] [SECONDS]     (default 100 300 20 5)
#   E2E_ORDER="null mucd prosody" bash bench/e2e.sh       (another run order)
#   E2E_ARCHIVE=1 bash bench/e2e.sh   the room is persistent and archived on
#                                     both sides (Prosody: mod_muc_mam, its
#                                     default internal storage; mucd: LMDB)
#
# Needs a build (cmake --build build) and scripts/deps.sh's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/e2e_common.sh
K=${1:-100}
MESSAGES=${2:-300}
RATE=${3:-20}
SECONDS_LAT=${4:-5}
BUILD=${MUCD_BUILD_DIR:-build}
DIR=$(mktemp -d /tmp/mucd-e2e-XXXXXX)
C2S=$((20000 + RANDOM % 10000))
COMP=$((C2S + 1))
PROSODY_PID=
MUCD_PID=
NULL_PID=

cleanup() {
  for pid in $MUCD_PID $NULL_PID $PROSODY_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

mkdir -p "$DIR/data" "$DIR/certs"
cat > "$DIR/prosody.cfg.lua" <<CFG
run_as_root = true
pidfile = "$DIR/prosody.pid"
data_path = "$DIR/data"
certificates = "$DIR/certs"
log = { warn = "$DIR/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { $C2S }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
component_ports = { $COMP }
component_interfaces = { "127.0.0.1" }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }
modules_disabled = { "s2s" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
VirtualHost "localhost"
Component "conference.localhost" "muc"
  muc_room_locking = false
  max_history_messages = 20
  modules_enabled = { $( [ -n "${E2E_ARCHIVE:-}" ] && echo '"muc_mam"' ) }
Component "chat.localhost"
  component_secret = "e2e-secret"
Component "null.localhost"
  component_secret = "e2e-secret"
CFG
cat > "$DIR/mucd.conf" <<CFG
[component]
server = 127.0.0.1
port = $COMP
domain = chat.localhost
secret = e2e-secret
[storage]
path = $DIR/store
[limits]
message_rate = 0
[log]
level = ${MUCD_LOG_LEVEL:-warn}
CFG

echo "registering $K users..." >&2
# prosodyctl takes ~0.2 s per call: write the accounts directly in Prosody's
# internal_plain store format instead (data/localhost/accounts/USER.dat).
mkdir -p "$DIR/data/localhost/accounts"
for i in $(seq "$K"); do
  printf 'return {\n\t["password"] = "u%s";\n};\n' "$i" > "$DIR/data/localhost/accounts/u$i.dat"
done

prosody --config "$DIR/prosody.cfg.lua" -F > "$DIR/prosody.out" 2>&1 &
PROSODY_PID=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$COMP) 2>/dev/null && break; sleep 0.1; done
"$BUILD/mucd" -c "$DIR/mucd.conf" 2> "$DIR/mucd.log" &
MUCD_PID=$!
"$BUILD/null-component" 127.0.0.1 "$COMP" null.localhost e2e-secret 2> "$DIR/null.log" &
NULL_PID=$!
sleep 1

if [ -n "${E2E_ARCHIVE:-}" ]; then
  export C2S_DRIVER_ROOM_FIELDS="<field var='muc#roomconfig_persistentroom'><value>1</value></field><field var='muc#roomconfig_enablearchiving'><value>1</value></field>"
  echo "archived rooms: persistent, archive on (Prosody: mod_muc_mam)" >&2
fi
run() { # domain room
  timeout 100 "$BUILD/c2s-driver" "$C2S" localhost "$1" "$2" "$K" "$MESSAGES" "$RATE" "$SECONDS_LAT"
}
# E2E_ORDER reorders the three runs (to check that order does not matter).
for who in ${E2E_ORDER:-prosody mucd null}; do
  case $who in
    prosody) echo "Prosody's own MUC..." >&2; P=$(run conference.localhost bench) ;;
    mucd) echo "mucd behind the same Prosody..." >&2; M=$(run chat.localhost bench) ;;
    null) echo "the null component (no MUC work) behind the same Prosody..." >&2
          N=$(run null.localhost bench) ;;
    *) echo "E2E_ORDER: unknown run $who" >&2; exit 2 ;;
  esac
done
print_e2e_table Prosody prosody "$P" "$M" "$N"
if [ -n "${E2E_ARCHIVE:-}" ]; then # both sides really archived
  echo "archived by Prosody: $(cat "$DIR"/data/conference%2elocalhost/muc_log/*.list \
       2>/dev/null | grep -c '\["name"\] = "body"' || true) messages" >&2
  echo "archived by mucd: $("$BUILD/mucctl" -c "$DIR/mucd.conf" archive bench | wc -l) messages" >&2
fi
