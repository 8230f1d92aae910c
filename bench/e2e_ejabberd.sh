#!/usr/bin/env bash
# End-to-end against ejabberd, side by side: ONE private ejabberd node on
# loopback serving its own mod_muc (conference.localhost), mucd
# (chat.localhost) and the null component (null.localhost: no MUC work, the
# ceiling for any component behind ejabberd), with the workloads of
# bench/e2e.sh through c2s against each in the same run:
#   1. one room: K clients, MESSAGES fanned out as fast as the server takes
#      them, then latency at RATE msg/s for SECONDS (deliveries/s, p50/p99);
#   2. many rooms: ROOMS rooms x PER_ROOM occupants out of RK users, created,
#      joined all at once (joins/s = joins / time until every client saw its
#      own presence) and ROOM_MSGS messages per room in all rooms at once
#      (deliveries/s), against mod_muc, mucd (N=1) and mucd as N=2 processes
#      behind ejabberd's domain_balancing (bare_destination: each room goes
#      to one process; both share one LMDB directory).
# CPU use (percent of one core) of ejabberd, the component(s) and the driver
# during each timed phase comes from /proc/PID/stat.
#
#   bash bench/e2e_ejabberd.sh [K] [MESSAGES] [RATE] [SECONDS]   (default 100 300 20 5)
#   E2E_ORDER="null mucd ejabberd"       order of the one-room runs
#   E2E_ROOMS="40 10 20 100"             ROOMS PER_ROOM ROOM_MSGS RK ("" skips part 2)
#   E2E_ROOMS_ORDER="mucd2 mucd ejabberd" order of the many-rooms runs
#
# Needs a build (cmake --build build: mucd, c2s-driver, null-component) and
# ejabberd (Debian's package; scripts/deps.sh). Run as root or as the
# ejabberd user: the node runs as the ejabberd user.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/e2e_common.sh
K=${1:-100}
MESSAGES=${2:-300}
RATE=${3:-20}
SECONDS_LAT=${4:-5}
read -r ROOMS PER_ROOM ROOM_MSGS RK <<< "${E2E_ROOMS-40 10 20 100}" || true
BUILD=${MUCD_BUILD_DIR:-build}
BUILD=$(cd "$BUILD" && pwd)
DIR=$(mktemp -d /tmp/mucd-e2e-ejabberd-XXXXXX)
chmod 711 "$DIR" # the node runs as the ejabberd user
C2S=$((20000 + RANDOM % 10000))
COMP=$((C2S + 1))
DIST=$((C2S + 2))
NODE="mucde2e$$@localhost"
EJ_PID=
BEAM=
MUCD_PID=
MUCD2_PID=
NULL_PID=

ctl() { timeout 60 ejabberdctl --config-dir "$DIR/ej" --spool "$DIR/ej/spool" --logs "$DIR/ej" "$@"; }
stop_pid() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
EJ_MODE=
ej_stop() {
  [ -n "$EJ_PID" ] || return 0
  ctl stop > /dev/null 2>&1 || true
  for _ in $(seq 100); do kill -0 "$EJ_PID" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$BEAM"
  stop_pid "$EJ_PID"
  EJ_PID= BEAM=
}
cleanup() {
  for pid in $MUCD_PID $MUCD2_PID $NULL_PID; do stop_pid "$pid"; done
  ej_stop
  [ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

NUSERS=$K
[ -n "$ROOMS" ] && [ "${RK:-0}" -gt "$NUSERS" ] && NUSERS=$RK
mkdir -p "$DIR/ej/spool"
cat > "$DIR/ej/ejabberdctl.cfg" <<CFG
ERLANG_NODE=$NODE
ERL_DIST_PORT=$DIST
INET_DIST_INTERFACE=127.0.0.1
CFG
# backlog: ejabberd's default (5) drops most of K simultaneous logins' SYNs.
# No shaper anywhere (c2s listener, c2s_shaper, the component listener's
# shaper_rule), deep process queues (max_fsm_queue), no mod_muc limit below
# the workload (max_users, max_user_conferences, min_*_interval = 0) and the
# same history length as mucd's default (20; clients ask for none anyway).
write_yml() { # balanced: 1 = domain_balancing for chat.localhost
  cat > "$DIR/ej/ejabberd.yml" <<CFG
hosts: [localhost]
loglevel: warning
certfiles: []
max_fsm_queue: 1000000
listen:
  - port: $C2S
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: false
    shaper: none
    max_stanza_size: 1048576
    backlog: 1024
  - port: $COMP
    ip: "127.0.0.1"
    module: ejabberd_service
    shaper: none
    global_routes: false
    max_fsm_queue: 1000000
    hosts:
      chat.localhost: {password: e2e-secret}
      null.localhost: {password: e2e-secret}
auth_method: internal
auth_password_format: plain
acl: {local: {user_regexp: ""}}
access_rules:
  local: {allow: local}
  c2s: {allow: all}
  register: {deny: all}
  muc_create: {allow: all}
shaper_rules: {c2s_shaper: none, s2s_shaper: none}
modules:
  mod_disco: {}
  mod_ping: {}
  mod_muc:
    host: conference.localhost
    access_create: muc_create
    history_size: 20
    max_users: 10000
    max_user_conferences: 10000
    max_users_presence: 100000
    min_message_interval: 0
    min_presence_interval: 0
    default_room_options: {max_users: 5000}
CFG
  # N=2 only: with component_number 2 and one connection, ejabberd keeps a
  # placeholder route for the missing one and silently drops what hashes to
  # it, so the N=1 runs use a node without domain_balancing.
  [ "$1" = 1 ] && cat >> "$DIR/ej/ejabberd.yml" <<CFG
domain_balancing:
  chat.localhost: {type: bare_destination, component_number: 2}
CFG
  chown ejabberd:ejabberd "$DIR/ej/ejabberd.yml"
}
# Accounts in one go: a XEP-0227 file for import_piefxis (register is ~0.4 s each).
{
  echo "<?xml version='1.0' encoding='UTF-8'?>"
  echo "<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'>"
  for i in $(seq "$NUSERS"); do echo "<user name='u$i' password='u$i'/>"; done
  echo "</host></server-data>"
} > "$DIR/ej/users.xml"
for n in 1 2; do
  cat > "$DIR/mucd$n.conf" <<CFG
[component]
server = 127.0.0.1
port = $COMP
domain = chat.localhost
secret = e2e-secret
[storage]
path = $DIR/store
[limits]
message_rate = 0
max_rooms_per_creator = 0
[log]
level = ${MUCD_LOG_LEVEL:-warn}
CFG
done
# ejabberdctl reads ERL_INETRC from the config dir
echo '{lookup, [file, native]}.' > "$DIR/ej/inetrc"
write_yml 0
chown -R ejabberd:ejabberd "$DIR/ej"

# the node, in the foreground as the ejabberd user: keeps this shell's
# open-files limit (su's PAM session would reset it to 1024)
ej_start() { # balanced (0/1)
  write_yml "$1"
  echo "starting ejabberd (domain_balancing: $1)..." >&2
  (cd "$DIR/ej" && exec setpriv --reuid ejabberd --regid ejabberd --init-groups \
     env HOME="$(getent passwd ejabberd | cut -d: -f6)" \
     ejabberdctl --config-dir "$DIR/ej" --spool "$DIR/ej/spool" --logs "$DIR/ej" foreground \
     >> "$DIR/ejabberd.out" 2>&1) &
  EJ_PID=$!
  local up=
  for _ in $(seq 120); do
    if ctl status 2>/dev/null | grep -q "is running in that node"; then up=1; break; fi
    kill -0 "$EJ_PID" 2>/dev/null || break
    sleep 0.5
  done
  [ -n "$up" ] || { echo "ejabberd did not start:" >&2; tail -n 20 "$DIR/ejabberd.out" "$DIR"/ej/*.log >&2; exit 1; }
  # the Erlang VM: the descendant of our child that runs beam.smp
  for pid in $(pgrep -P "$EJ_PID") $(for c in $(pgrep -P "$EJ_PID"); do pgrep -P "$c"; done); do
    case $(cat "/proc/$pid/comm" 2>/dev/null) in beam*) BEAM=$pid ;; esac
  done
  [ -n "$BEAM" ] || { echo "cannot find ejabberd's Erlang VM" >&2; exit 1; }
  EJ_MODE=$1
}
ej_start 0
echo "registering $NUSERS users..." >&2
ctl import_piefxis "$DIR/ej/users.xml" > /dev/null

"$BUILD/mucd" -c "$DIR/mucd1.conf" 2> "$DIR/mucd.log" &
MUCD_PID=$!
"$BUILD/null-component" 127.0.0.1 "$COMP" null.localhost e2e-secret 2> "$DIR/null.log" &
NULL_PID=$!
sleep 1

run() { # domain room [cpu pids]
  C2S_DRIVER_CPU_PIDS=$3 timeout 150 "$BUILD/c2s-driver" "$C2S" localhost "$1" "$2" "$K" \
    "$MESSAGES" "$RATE" "$SECONDS_LAT"
}
for who in ${E2E_ORDER:-ejabberd mucd null}; do
  case $who in
    ejabberd) echo "ejabberd's own mod_muc..." >&2
              E=$(run conference.localhost bench "ejabberd=$BEAM") ;;
    mucd) echo "mucd behind the same ejabberd..." >&2
          M=$(run chat.localhost bench "ejabberd=$BEAM,comp=$MUCD_PID") ;;
    null) echo "the null component (no MUC work) behind the same ejabberd..." >&2
          N=$(run null.localhost bench "ejabberd=$BEAM,comp=$NULL_PID") ;;
    *) echo "E2E_ORDER: unknown run $who" >&2; exit 2 ;;
  esac
done
E=${E:-} M=${M:-} N=${N:-}
cpu() { local v; v=$(sed -n "s/.* cpu_$2=\([0-9]*\).*/\1/p" <<< "$1"); echo "${v:--}"; }

print_e2e_table ejabberd ejabberd "$E" "$M" "$N"
printf 'CPU during fan-out (%% of one core): %-9s %9s %9s %9s\n' "" ejabberd component driver
for row in "ejabberd mod_muc:$E" "mucd (component):$M" "null component:$N"; do
  name=${row%%:*} out=${row#*:}
  printf '  %-44s %9s %9s %9s\n' "$name" "$(cpu "$out" fan_ejabberd)" "$(cpu "$out" fan_comp)" "$(cpu "$out" fan_self)"
done

[ -n "$ROOMS" ] || exit 0
# Part 2: many rooms. Room names differ per run (no run sees another's rooms).
rooms() { # domain prefix cpu-pids
  C2S_DRIVER_CPU_PIDS=$3 timeout 200 "$BUILD/c2s-driver" rooms "$C2S" localhost "$1" "$2" \
    "$RK" "$ROOMS" "$PER_ROOM" "$ROOM_MSGS"
}
# switch the node between plain and domain_balancing (a restart: routes are
# in RAM, the accounts in the spool stay); mucd reconnects on its own.
ej_mode() {
  [ "$EJ_MODE" = "$1" ] && return 0
  stop_pid "$MUCD_PID"; MUCD_PID=
  ej_stop
  ej_start "$1"
  "$BUILD/mucd" -c "$DIR/mucd1.conf" 2>> "$DIR/mucd.log" &
  MUCD_PID=$!
  sleep 1.5
}
for who in ${E2E_ROOMS_ORDER:-ejabberd mucd mucd2}; do
  case $who in mucd) ej_mode 0 ;; mucd2) ej_mode 1 ;; esac
  case $who in
    ejabberd) echo "many rooms: ejabberd's mod_muc..." >&2
              RE=$(rooms conference.localhost ej "ejabberd=$BEAM") ;;
    mucd) echo "many rooms: mucd, one process..." >&2
          R1=$(rooms chat.localhost one "ejabberd=$BEAM,comp=$MUCD_PID") ;;
    mucd2) echo "many rooms: mucd, two processes behind domain_balancing..." >&2
           "$BUILD/mucd" -c "$DIR/mucd2.conf" 2> "$DIR/mucd2.log" &
           MUCD2_PID=$!
           sleep 1.5
           kill -0 "$MUCD2_PID" || { echo "the second mucd exited:" >&2; cat "$DIR/mucd2.log" >&2; exit 1; }
           R2=$(rooms chat.localhost two "ejabberd=$BEAM,comp=$MUCD_PID,comp2=$MUCD2_PID")
           stop_pid "$MUCD2_PID"; MUCD2_PID= ;;
    *) echo "E2E_ROOMS_ORDER: unknown run $who" >&2; exit 2 ;;
  esac
done
printf '\nMany rooms through the same ejabberd: %s rooms x %s occupants (%s users, each in ~%s rooms), %s messages per room\n' \
  "$ROOMS" "$PER_ROOM" "$RK" "$((ROOMS * PER_ROOM / RK))" "$ROOM_MSGS"
printf '%-28s %10s %10s %14s\n' "" "creates/s" "joins/s" "deliveries/s"
for row in "ejabberd mod_muc:${RE:-}" "mucd N=1:${R1:-}" "mucd N=2 (domain_balancing):${R2:-}"; do
  name=${row%%:*} out=${row#*:}
  [ -n "$out" ] || continue
  printf '%-28s %10s %10s %14s\n' "$name" "$(val "$out" creates_per_s)" "$(val "$out" joins_per_s)" "$(val "$out" deliveries_per_s)"
done
ratio() { # label a b field
  [ -n "$2" ] && [ -n "$3" ] || return 0
  awk -v a="$(val "$2" "$4")" -v b="$(val "$3" "$4")" -v l="$1" 'BEGIN { if (b > 0) printf "ratio %-22s %16.2f\n", l, a / b }'
}
ratio "mucd/ejabberd joins" "${R1:-}" "${RE:-}" joins_per_s
ratio "mucd/ejabberd deliv." "${R1:-}" "${RE:-}" deliveries_per_s
ratio "N=2/N=1 joins" "${R2:-}" "${R1:-}" joins_per_s
ratio "N=2/N=1 deliveries" "${R2:-}" "${R1:-}" deliveries_per_s
printf 'CPU (%% of one core)      %-12s %9s %9s %9s %9s\n' phase ejabberd mucd mucd#2 driver
for row in "ejabberd mod_muc:${RE:-}" "mucd N=1:${R1:-}" "mucd N=2:${R2:-}"; do
  name=${row%%:*} out=${row#*:}
  [ -n "$out" ] || continue
  for ph in join fan; do
    printf '  %-22s %-12s %9s %9s %9s %9s\n' "$name" "$ph" "$(cpu "$out" ${ph}_ejabberd)" \
      "$(cpu "$out" ${ph}_comp)" "$(cpu "$out" ${ph}_comp2)" "$(cpu "$out" ${ph}_self)"
  done
done
