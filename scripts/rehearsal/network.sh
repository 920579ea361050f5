#!/usr/bin/env bash
# Several "hosts" on one Linux machine: a network namespace per host (gateway, users,
# inventory, orders, notifications, postgres), each joined by a veth pair to a router
# namespace that forwards between them and holds every packet for the latency configured
# between the two hosts (scripts/rehearsal/delay.py). Nothing is connected to the machine's
# own network: traffic stays inside the namespaces made here. Root only.
#
#   network.sh up                 make the namespaces, links, routes and the delay
#   network.sh down               remove everything `up` made (safe to run twice, or after a crash)
#   network.sh delay FILE         load one-way delays (JSON, see delay.py) and wait until they apply
#   network.sh cut HOST           drop every packet to and from HOST (a pulled cable, not a refusal)
#   network.sh restore HOST       undo cut
#   network.sh exec HOST CMD...   run CMD on HOST (e.g. `exec users ping 198.18.3.2`)
#   network.sh address HOST       print HOST's address
#
# REHEARSAL_PREFIX (default `sg`) prefixes every name, so two rehearsals can run at once.
# Addresses come from 198.18.0.0/15, the range set aside for benchmarking networks (RFC 2544),
# so they cannot clash with a real network: host n is 198.18.n.2, its router side 198.18.n.1.
set -euo pipefail

PREFIX="${REHEARSAL_PREFIX:-sg}"
HOSTS=(gateway users inventory orders notifications postgres)
ROUTER="${PREFIX}-net"
STATE="/run/supergraph-rehearsal-${PREFIX}"
HERE="$(cd "$(dirname "$0")" && pwd)"

number_of() {
  local i
  for i in "${!HOSTS[@]}"; do [ "${HOSTS[$i]}" = "$1" ] && { echo $((i + 1)); return; }; done
  echo "network.sh: unknown host '$1' (one of: ${HOSTS[*]})" >&2
  exit 2
}
address() { echo "198.18.$(number_of "$1").2"; }

down() {
  # The delayer first (it is ours: its pid file), then whatever still runs in our namespaces
  # (started by whoever used them), then the namespaces, which takes their links along.
  if [ -f "$STATE/delay.pid" ]; then kill "$(cat "$STATE/delay.pid")" 2>/dev/null || true; fi
  local ns pid
  for ns in "$ROUTER" "${HOSTS[@]/#/${PREFIX}-}"; do
    if ip netns list | grep -qw "^$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns delete "$ns"
    fi
  done
  rm -rf "$STATE"
}

up() {
  for tool in ip iptables python3; do
    command -v "$tool" >/dev/null || { echo "network.sh: needs $tool (Debian: iproute2, iptables, python3)" >&2; exit 1; }
  done
  [ "$(id -u)" = 0 ] || { echo "network.sh: needs root (network namespaces)" >&2; exit 1; }
  down
  # Whatever fails from here on leaves nothing behind.
  trap 'down; exit 1' ERR
  mkdir -p "$STATE"
  ip netns add "$ROUTER"
  ip -n "$ROUTER" link set lo up
  ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
  local host n ns
  for host in "${HOSTS[@]}"; do
    n=$(number_of "$host")
    ns="${PREFIX}-${host}"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # veth names are per namespace, so each end can keep a short fixed name.
    ip link add "${PREFIX}h$n" netns "$ns" type veth peer name "${PREFIX}r$n" netns "$ROUTER"
    ip -n "$ns" link set "${PREFIX}h$n" name eth0
    ip -n "$ns" addr add "198.18.$n.2/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "198.18.$n.1"
    ip -n "$ROUTER" addr add "198.18.$n.1/24" dev "${PREFIX}r$n"
    ip -n "$ROUTER" link set "${PREFIX}r$n" up
  done
  # Every forwarded packet goes through the delayer (queue 0, no bypass: with the delayer
  # gone nothing passes, rather than everything passing undelayed). iptables' NFQUEUE target,
  # not nftables' `queue`: some kernels carry only the former (CONFIG_NFT_QUEUE unset here).
  ip netns exec "$ROUTER" iptables -A FORWARD -j NFQUEUE --queue-num 0
  echo '{"generation": 0, "default_ms": 0, "pairs": []}' >"$STATE/delays.json"
  ip netns exec "$ROUTER" python3 -u "$HERE/delay.py" --queue 0 --config "$STATE/delays.json" >"$STATE/delay.log" 2>&1 &
  echo $! >"$STATE/delay.pid"
  wait_for_log "ready on queue 0" "the delayer to start"
  trap - ERR
  echo "rehearsal network up: ${HOSTS[*]} (${PREFIX}-<host>), router ${ROUTER}"
}

# Waits until the delayer has printed `$1` (or has died, or 10 s went by).
wait_for_log() {
  local i
  for i in $(seq 1 200); do
    grep -qF "$1" "$STATE/delay.log" 2>/dev/null && return 0
    kill -0 "$(cat "$STATE/delay.pid")" 2>/dev/null || break
    sleep 0.05
  done
  echo "network.sh: no sign of $2; the delayer said:" >&2
  cat "$STATE/delay.log" >&2
  return 1
}

delay() {
  local generation
  generation=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("generation", 0))' "$1")
  cp "$1" "$STATE/delays.json"
  kill -HUP "$(cat "$STATE/delay.pid")"
  wait_for_log "loaded $generation" "the delays of generation $generation"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  delay) delay "$2" ;;
  # Dropped before the delayer sees them, in both directions.
  cut) for way in -s -d; do ip netns exec "$ROUTER" iptables -I FORWARD 1 "$way" "$(address "$2")" -j DROP; done ;;
  restore) for way in -s -d; do ip netns exec "$ROUTER" iptables -D FORWARD "$way" "$(address "$2")" -j DROP; done ;;
  exec) host="$2"; number_of "$host" >/dev/null; shift 2; exec ip netns exec "${PREFIX}-${host}" "$@" ;;
  address) address "$2" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
