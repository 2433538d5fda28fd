#!/usr/bin/env bash
# Benchmark: our shim against Go's containerd-shim-runc-v2, in the same run, on a private containerd.
#
#   scripts/bench.sh [--runs N] [--ours RUNTIME] [--release 1.6|1.7|2]
#
# For each shim it measures, exactly as a user would with ctr:
#   (a) `ctr run --rm IMAGE id true` latency, median of N;
#   (b) `ctr run -d IMAGE id sleep` latency, median of N;
#   (c) PSS per container with 10 tasks running: the Pss of their shim processes (smaps_rollup) / 10;
#   (d) kill + remove latency (`ctr task rm -f` + `ctr container rm`), median over the detached tasks;
# and prints a table with the figures and the ratio ours/Go.
#
# --release runs a containerd release from Debian's packages (scripts/containerd-release.sh: 1.7 is trixie's, 2 is
# sid's), with that release's ctr and its own containerd-shim-runc-v2 as Go's shim; the default is the installed one.
#
# Ours is jlink/target/image/bin/containerd-shim-jrunc-v2 (override the image with JRUNC_IMAGE, or the runtime
# with --ours, e.g. `--ours io.containerd.runc.v2` to check the script with Go's shim in both columns). When it is
# missing, only Go's shim is measured and ours shows n/a.
#
# Must run as root. Everything it makes lives under one temp dir, except what containerd 1.6 puts in shared
# places (shim sockets in /run/containerd/s, runc state, cgroups); those are removed by name from our own bundles,
# our own grpc address and our own uniquely named namespaces, never by pattern.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=10
OURS="${JRUNC_IMAGE:-$ROOT/jlink/target/image}/bin/containerd-shim-jrunc-v2"
GO_RUNTIME=io.containerd.runc.v2
IMAGE_NAME=jrunc.bench/busybox
IMAGE_REF=$IMAGE_NAME:latest
RUNNING_FOR_PSS=10
RELEASE=

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#--runs=}; shift ;;
    --ours) OURS=$2; shift 2 ;;
    --ours=*) OURS=${1#--ours=}; shift ;;
    --release) RELEASE=$2; shift 2 ;;
    --release=*) RELEASE=${1#--release=}; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs needs a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: must run as root (containerd, runc, cgroups)" >&2; exit 1; }

# shellcheck source=containerd-lib.sh
. "$ROOT/scripts/containerd-lib.sh"
if [ -n "$RELEASE" ]; then
  CTD_BIN=$("$ROOT/scripts/containerd-release.sh" "$RELEASE")/usr/bin
  CTD_BIN=${CTD_BIN#/}; CTD_BIN=/${CTD_BIN#/} # "/" + usr/bin for the installed one
  export PATH="$CTD_BIN:$PATH"
fi

log() { printf '[bench] %s\n' "$*" >&2; }

# --- the private containerd, and cleaning up after it on any exit ---------------------------------------------
DIR=$(mktemp -d /tmp/jrunc-bench-XXXXXX)
NAMESPACES=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  log "cleaning up $DIR"
  for ns in "${NAMESPACES[@]}"; do ctd_remove_namespace_tasks "$ns"; done
  ctd_stop
  ctd_sweep "${NAMESPACES[@]}"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctd_start "$DIR"
log "private containerd pid $CTD_PID, address $CTD_ADDRESS"
oci_busybox_archive "$DIR/image" >/dev/null
ARCHIVE=$DIR/image/busybox-oci.tar

# --- measurements ----------------------------------------------------------------------------------------------
# Samples are microseconds from ${EPOCHREALTIME/[.,]/}: bash itself, so no fork inside the timed interval.
# Median of microsecond samples on stdin, printed in milliseconds.
median_ms() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'; }

# The shim serving a task: the process whose argv names our containerd, the namespace and the task id. Each ctr
# container gets its own shim (no grouping annotation), so that is one process per task.
shim_pid_of() {
  local ns=$1 id=$2 pid args
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    args=" $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") " || continue
    if [[ $args == *" -namespace $ns "* && $args == *" -id $id "* && $args == *" -address $CTD_ADDRESS "* ]]; then
      echo "$pid"; return 0
    fi
  done
  return 1
}

pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }

# bench_shim LABEL RUNTIME: sets RESULT to "run_rm_ms run_d_ms pss_mib kill_rm_ms" (n/a where it could not
# measure). It runs in this shell, not a subshell, so the namespace it adds is known to the cleanup.
bench_shim() {
  local label=$1 runtime=$2 ns i id t0 t1 pss_total=0 pid started=()
  ns="bench-$label-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  NAMESPACES+=("$ns")
  ctr_ns() { ctr --address "$CTD_ADDRESS" -n "$ns" "$@"; }
  ctr_ns images import --base-name "$IMAGE_NAME" "$ARCHIVE" >/dev/null

  log "$label: warm-up run"
  ctr_ns run --rm --runtime "$runtime" "$IMAGE_REF" warmup true </dev/null

  log "$label: (a) $RUNS x run --rm true"
  local rm_times=()
  for ((i = 0; i < RUNS; i++)); do
    t0=${EPOCHREALTIME/[.,]/}
    ctr_ns run --rm --runtime "$runtime" "$IMAGE_REF" "rm-$i" true </dev/null
    t1=${EPOCHREALTIME/[.,]/}
    rm_times+=($((t1 - t0)))
  done

  local count=$(( RUNS > RUNNING_FOR_PSS ? RUNS : RUNNING_FOR_PSS ))
  log "$label: (b) $count x run -d sleep, (c) PSS when $RUNNING_FOR_PSS are running"
  local d_times=() pss_mib=n/a
  for ((i = 0; i < count; i++)); do
    id="d-$i"
    t0=${EPOCHREALTIME/[.,]/}
    ctr_ns run -d --runtime "$runtime" "$IMAGE_REF" "$id" sleep 3600 </dev/null >/dev/null
    t1=${EPOCHREALTIME/[.,]/}
    started+=("$id")
    # Only the first RUNS starts are timed; extra ones exist to have 10 running for the PSS figure.
    if ((i < RUNS)); then d_times+=($((t1 - t0))); fi
    if ((i + 1 == RUNNING_FOR_PSS)); then
      pss_total=0
      for id in "${started[@]}"; do
        if pid=$(shim_pid_of "$ns" "$id"); then
          pss_total=$(( pss_total + $(pss_kb "$pid") ))
        else
          log "$label: no shim process found for task $id; PSS not measured"; pss_total=-1; break
        fi
      done
      if ((pss_total >= 0)); then
        pss_mib=$(awk -v kb="$pss_total" -v n="$RUNNING_FOR_PSS" 'BEGIN { printf "%.2f", kb / n / 1024 }')
      fi
    fi
  done

  log "$label: (d) kill + rm of $count tasks"
  local kill_times=()
  for id in "${started[@]}"; do
    t0=${EPOCHREALTIME/[.,]/}
    # ctr warns about the 137 exit on stderr; keep that out of the report but not out of reach.
    ctr_ns task rm -f "$id" >/dev/null 2>>"$DIR/ctr-stderr.log"
    ctr_ns container rm "$id"
    t1=${EPOCHREALTIME/[.,]/}
    kill_times+=($((t1 - t0)))
  done

  RESULT=$(printf '%s %s %s %s' \
    "$(printf '%s\n' "${rm_times[@]}" | median_ms)" \
    "$(printf '%s\n' "${d_times[@]}" | median_ms)" \
    "$pss_mib" \
    "$(printf '%s\n' "${kill_times[@]}" | median_ms)")
}

bench_shim go "$GO_RUNTIME"
read -r GO_RM GO_D GO_PSS GO_KILL <<<"$RESULT"

OURS_LABEL="jrunc ($OURS)"
if [[ "$OURS" == /* && ! -x "$OURS" ]]; then
  log "our shim is not built: no executable $OURS — measuring only Go's (build the jlink image first)"
  OURS_RM=n/a OURS_D=n/a OURS_PSS=n/a OURS_KILL=n/a
  OURS_LABEL="jrunc (not built)"
else
  bench_shim ours "$OURS"
  read -r OURS_RM OURS_D OURS_PSS OURS_KILL <<<"$RESULT"
fi

# --- the table --------------------------------------------------------------------------------------------------
ratio() { awk -v o="$1" -v g="$2" 'BEGIN { if (o == "n/a" || g == "n/a" || g + 0 == 0) print "n/a"; else printf "%.2f", o / g }'; }
row() { printf '%-36s %14s %14s %10s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }

echo
echo "containerd $(containerd --version | awk '{ print $3 }'), runc $(runc --version | awk 'NR == 1 { print $3 }'), runs=$RUNS"
echo "go    = $GO_RUNTIME"
echo "ours  = $OURS_LABEL"
echo
printf '%-36s %14s %14s %10s\n' "measure" "go" "ours" "ours/go"
row "run --rm true, median ms" "$GO_RM" "$OURS_RM"
row "run -d, median ms" "$GO_D" "$OURS_D"
row "PSS per container, MiB ($RUNNING_FOR_PSS running)" "$GO_PSS" "$OURS_PSS"
row "kill + rm, median ms" "$GO_KILL" "$OURS_KILL"
