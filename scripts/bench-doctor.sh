#!/usr/bin/env bash
# How long `shim-doctor scan` takes on a node with many bundles (the goal: under 1 s for 1,000). A benchmark, not a test:
# it prints figures and asserts nothing.
#
# It lays out a fake node in a temp dir: N bundles under <state>/io.containerd.runtime.v2.task/bench/, half of them
# with a shim socket that accepts (one python3 process holds all those listeners, as cheap stand-ins for live
# shims), half dead (the socket file exists, nobody listens: what a SIGKILLed shim leaves). Then it runs
# `<image>/bin/shim-doctor scan --json` RUNS times and prints the median wall time and the scan's own time
# (summary.scanMillis: the scan and the diagnosis, without JVM start-up and printing). Everything is removed at exit.
#
# usage: scripts/bench-doctor.sh [IMAGE_DIR] (default jlink/target/image); env BUNDLES=1000 RUNS=7
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
image="${1:-$here/jlink/target/image}"
bundles="${BUNDLES:-1000}"
runs="${RUNS:-7}"
doctor="$image/bin/shim-doctor"
[ -x "$doctor" ] || { echo "no $doctor: build the image first (mvn -pl jlink -am package -DskipTests)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed for the live listeners" >&2; exit 2; }

# Short base path: Unix socket paths are limited to 108 bytes.
tmp="$(mktemp -d /tmp/jrunc-bench-XXXXXX)"
listener_pid=""
cleanup() {
  [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null && wait "$listener_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

state="$tmp/state" sockets="$tmp/s" runc="$tmp/runc"
mkdir -p "$state/io.containerd.runtime.v2.task/bench" "$sockets" "$runc"

# Lay out the node and hold the live listeners in one process; it prints "ready" once every socket listens.
python3 - "$state" "$sockets" "$bundles" > "$tmp/listener.out" <<'PY' &
import os, socket, sys, json, signal, time
state, sockets, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
live = []
for i in range(n):
    tid = "task-%04d" % i
    b = os.path.join(state, "io.containerd.runtime.v2.task", "bench", tid)
    os.makedirs(os.path.join(b, "rootfs"))
    path = os.path.join(sockets, "%064x" % i)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    if i % 2 == 0:
        s.listen(16)       # a live shim: accepts
        live.append(s)
    else:
        s.close()          # a dead shim: the file stays, connect is refused
    with open(os.path.join(b, "address"), "w") as f: f.write("unix://" + path)
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump({"ociVersion": "1.0.2", "linux": {"cgroupsPath": "/bench/" + tid}}, f)
    with open(os.path.join(b, "init.pid"), "w") as f: f.write("999999")
    with open(os.path.join(b, "runtime"), "w") as f: f.write("")
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
PY
listener_pid=$!
for _ in $(seq 1 600); do grep -q ready "$tmp/listener.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$tmp/listener.out" || { echo "the listener did not come up" >&2; exit 2; }

walls=() scans=() findings=""
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  set +e
  "$doctor" scan --json --state "$state" --socket-dir "$sockets" --runc-root "$runc" > "$tmp/scan.json"
  status=$?
  set -e
  end=$(date +%s%N)
  [ "$status" -eq 1 ] || { echo "scan exited $status (expected 1: leftovers found)" >&2; exit 2; }
  walls+=( $(( (end - start) / 1000000 )) )
  read -r scan_ms findings < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; print(s["scanMillis"], s["findings"])' "$tmp/scan.json")
  scans+=( "$scan_ms" )
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "shim-doctor scan, $bundles bundles ($((bundles / 2)) live, $((bundles - bundles / 2)) dead), $runs runs, $(nproc) cores"
echo "  findings per scan:           $findings (dead-shim-bundle + orphaned-socket + stale-init-pid per dead bundle)"
echo "  wall time, whole process:    median $(median "${walls[@]}") ms  (runs: ${walls[*]})"
echo "  scan + diagnosis (in-JVM):   median $(median "${scans[@]}") ms  (runs: ${scans[*]})"
