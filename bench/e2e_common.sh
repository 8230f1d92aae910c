# e2e_common.sh - what bench/e2e.sh and bench/e2e_ejabberd.sh share: reading
# c2s-driver's "key=value" lines and printing the side-by-side table.
# Sourced, not run.

# val LINE KEY: the number after KEY= in LINE.
val() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<< "$1"; }

# print_e2e_table SERVER PACKAGE OWN MUCD NULL: the table and the ratios, with
# SERVER's own MUC (driver output OWN), mucd and the null component;
# PACKAGE is the Debian package whose version is shown. Uses K, MESSAGES,
# RATE and SECONDS_LAT.
print_e2e_table() {
  local server=$1 pkg=$2 own=$3 m=$4 n=$5
  printf '\nEnd-to-end through %s %s, K=%s occupants, %s messages; latency at %s msg/s for %s s\n' \
    "$server" "$(dpkg-query -W -f='${Version}' "$pkg")" "$K" "$MESSAGES" "$RATE" "$SECONDS_LAT"
  printf '%-24s %16s %10s %10s\n' "" "deliveries/s" "p50 ms" "p99 ms"
  local row name out
  for row in "$server MUC:$own" "mucd (component):$m" "null component:$n"; do
    name=${row%%:*} out=${row#*:}
    printf '%-24s %16s %10s %10s\n' "$name" "$(val "$out" deliveries_per_s)" \
      "$(val "$out" p50_ms)" "$(val "$out" p99_ms)"
  done
  awk -v m="$(val "$m" deliveries_per_s)" -v p="$(val "$own" deliveries_per_s)" \
      -v n="$(val "$n" deliveries_per_s)" -v s="$server" 'BEGIN {
    printf "ratio mucd/%-12s %16.2f\n", s, m / p
    printf "ratio ceiling/%-9s %16.2f   (null component: no MUC work)\n", s, n / p
    printf "ratio mucd/ceiling      %16.2f\n", m / n }'
}
