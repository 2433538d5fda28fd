#!/usr/bin/env bash
# Wall time of the shim binary's `start` and `delete` — what containerd pays per container before and after the
# task — for jrunc and Go's containerd-shim-runc-v2, on the same inputs, in the same run. No containerd needed.
#
#   scripts/bench-manager.sh [--runs N]      (root; needs jlink/target/image and /usr/bin/containerd-shim-runc-v2)
#
# start: a bundle with config.json and a `log` FIFO held open (as containerd holds it), a fresh id each run, so
#        each start binds a socket and spawns a daemon; the daemon is killed and its socket removed afterwards.
# delete: a bundle with runtime, options.json and init.pid whose container runc does not know (runc delete --force
#        answers "does not exist"): the whole Stop path, JVM start included.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=10
[ "${1:-}" = --runs ] && RUNS=$2
OURS=${JRUNC_IMAGE:-$ROOT/jlink/target/image}/bin/containerd-shim-jrunc-v2
GO=/usr/bin/containerd-shim-runc-v2
[ -x "$OURS" ] || { echo "no image at $OURS: build it first (mvn -DskipTests package)" >&2; exit 1; }
[ -x "$GO" ] || { echo "$GO missing: apt-get install containerd" >&2; exit 1; }
work=$(mktemp -d /tmp/jrunc-bench-manager.XXXXXX)
NS=bench-manager-$$
# FIFO holders are started inside the measuring pipelines (subshells), so their pids go to a file, not a variable.
holders=$work/holders
cleanup() {
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-namespace $NS "; then kill -KILL "${p#/proc/}" 2>/dev/null || true; fi
  done
  for a in "$work"/*/b*/address; do [ -f "$a" ] && rm -f "$(sed 's|^unix://||' "$a")"; done
  [ -f "$holders" ] && while read -r p; do kill "$p" 2>/dev/null || true; done <"$holders"
  rmdir /run/containerd/runc/$NS 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bench_start() { # shim label
  local shim=$1 label=$2 i b t0 t1
  mkdir -p "$work/$label"
  for ((i = 0; i < RUNS; i++)); do
    b=$work/$label/b$i
    mkdir -p "$b"
    echo '{"ociVersion":"1.0.2","annotations":{}}' >"$b/config.json"
    mkfifo -m 0700 "$b/log"
    sleep 3600 <>"$b/log" >/dev/null 2>&1 &
    echo $! >>"$holders"
    t0=$(now_ms)
    (cd "$b" && TTRPC_ADDRESS=$work/none.ttrpc "$shim" -namespace "$NS" -address "$work/containerd.sock" \
        -publish-binary /usr/bin/containerd -id "$label-$i" start </dev/null >"$b/out" 2>&1)
    t1=$(now_ms)
    grep -q '^unix:///run/containerd/s/' "$b/out" || { echo "$label start failed: $(cat "$b/out")" >&2; exit 1; }
    echo $((t1 - t0))
  done | median
}

bench_delete() {
  local shim=$1 label=$2 i b t0 t1
  for ((i = 0; i < RUNS; i++)); do
    # Go's shim finds the bundle as <cwd>/../<id>, so the directory is named after the id.
    b=$work/$label-delete/gone-$i
    mkdir -p "$b"
    : >"$b/runtime"
    echo "{\"root\":\"$work/runc\"}" >"$b/options.json"
    printf 4242 >"$b/init.pid"  # as runc writes it: no newline (Go's shim does not trim)
    t0=$(now_ms)
    (cd "$b" && "$shim" -namespace "$NS" -address "$work/containerd.sock" -id "gone-$i" -bundle "$b" delete >"$b/out" 2>"$b/err")
    t1=$(now_ms)
    [ "$(head -c 3 "$b/out" | od -An -tx1 | tr -d ' ')" = 089221 ] || { echo "$label delete: no DeleteResponse for pid 4242: $(cat "$b/err")" >&2; exit 1; }
    echo $((t1 - t0))
  done | median
}

echo "runs per figure: $RUNS (median wall time, ms)"
go_start=$(bench_start "$GO" go); ours_start=$(bench_start "$OURS" jrunc)
go_delete=$(bench_delete "$GO" go); ours_delete=$(bench_delete "$OURS" jrunc)
printf '%-8s %12s %12s %8s\n' action runc-v2 jrunc ratio
printf '%-8s %12s %12s %8.2f\n' start "$go_start" "$ours_start" "$(echo "$ours_start / $go_start" | bc -l)"
printf '%-8s %12s %12s %8.2f\n' delete "$go_delete" "$ours_delete" "$(echo "$ours_delete / $go_delete" | bc -l)"
