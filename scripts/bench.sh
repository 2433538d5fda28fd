#!/usr/bin/env bash
# Benchmark: our shim against Go's containerd-shim-runc-v2, in the same run, on one private containerd.
#
#   scripts/bench.sh [--runs N] [--ours RUNTIME] [--release 1.6|1.7|2] [--dense "20 100"]
#
# For each shim, exactly as a user would with ctr:
#   per pod (every container its own daemon, as Go's shim gives a pod without the group annotation):
#     (a) `ctr run --rm IMAGE id true` latency, median of N;
#     (b) `ctr run -d IMAGE id sleep` latency, median of N;
#     (c) with 10 tasks running, 10 s after the last start: PSS per container (Pss of their shim processes, smaps_rollup, / 10), and one
#         daemon's RSS and thread count (medians);
#     (d) kill + remove latency (`ctr task rm -f` + `ctr container rm`), median over the detached tasks;
#   dense (every container in one group, io.containerd.runc.v2.group, so one daemon serves them all), for each
#   count in --dense, 10 s after the last start: PSS per container (the one daemon's Pss / count), the daemon's RSS and threads;
#   start-up, without ctr (scripts/bench-startup.java, run with the JDK): the binary's `start` wall time, and how
#   long after `start` has exited its daemon answers the first ttrpc Connect (what containerd waits for before
#   Create); `delete` wall time on a bundle whose container runc does not know (the whole Stop path);
#   jrunc with a warm spare ([jrunc] spare = true in the handler's ConfigPath file, given with ctr run
#   --runtime-config-path): (a) and (b) back to back as above, start wall and first Connect with a 1 s pause before
#   each start (the spare booted by the previous one is ready), and the idle spare's own PSS and RSS (what it costs);
# and prints a table with the figures and the ratios ours/Go and ours-with-spare/Go.
#
# --release runs a containerd release from Debian's packages (scripts/containerd-release.sh: 1.7 is trixie's, 2 is
# sid's), with that release's ctr and its own containerd-shim-runc-v2 as Go's shim; the default is the installed one.
#
# Ours is jlink/target/image/bin/containerd-shim-jrunc-v2 (override the image with JRUNC_IMAGE, or the runtime
# with --ours, e.g. `--ours io.containerd.runc.v2` to check the script with Go's shim in both columns). When it is
# missing, only Go's shim is measured and ours shows n/a. The start-up figures need --ours to be a path.
#
# Must run as root. Everything it makes lives under one temp dir, except what containerd 1.6 puts in shared
# places (shim sockets in /run/containerd/s, runc state, cgroups); those are removed by name from our own bundles,
# our own grpc address and our own uniquely named namespaces, never by pattern. Takes about 5 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=10
OURS="${JRUNC_IMAGE:-$ROOT/jlink/target/image}/bin/containerd-shim-jrunc-v2"
GO_RUNTIME=io.containerd.runc.v2
IMAGE_NAME=jrunc.bench/busybox
IMAGE_REF=$IMAGE_NAME:latest
RUNNING_FOR_PSS=10
# Memory is read this long after the last start: a daemon is resident for its pod's life, and a JVM returns what
# its boot used (jvm-flags: TrimNativeHeapInterval) within seconds.
SETTLE_SECONDS=10
RELEASE=
DENSE="20 100"

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#--runs=}; shift ;;
    --ours) OURS=$2; shift 2 ;;
    --ours=*) OURS=${1#--ours=}; shift ;;
    --release) RELEASE=$2; shift 2 ;;
    --release=*) RELEASE=${1#--release=}; shift ;;
    --dense) DENSE=$2; shift 2 ;;
    --dense=*) DENSE=${1#--dense=}; shift ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs needs a positive number" >&2; exit 2; }
for n in $DENSE; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --dense needs positive numbers" >&2; exit 2; }; done
[ "$(id -u)" -eq 0 ] || { echo "bench: must run as root (containerd, runc, cgroups)" >&2; exit 1; }

# shellcheck source=containerd-lib.sh
. "$ROOT/scripts/containerd-lib.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
jrunc_find_jdk # for bench-startup.java
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
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'; }
mib() { awk -v kb="$1" -v n="${2:-1}" 'BEGIN { printf "%.2f", kb / n / 1024 }'; }

# The shim daemons of a namespace of our containerd: not a passing `start` or `delete`.
daemons_of() {
  local ns=$1 pid args
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    args=" $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") " || continue
    if [[ $args == *" -namespace $ns "* && $args == *" -address $CTD_ADDRESS "* && $args != *" start "* &&
          $args != *" delete "* ]]; then
      echo "$pid"
    fi
  done
}

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
  local d_times=() pss_mib=n/a rss=() threads=()
  for ((i = 0; i < count; i++)); do
    id="d-$i"
    t0=${EPOCHREALTIME/[.,]/}
    ctr_ns run -d --runtime "$runtime" "$IMAGE_REF" "$id" sleep 3600 </dev/null >/dev/null
    t1=${EPOCHREALTIME/[.,]/}
    started+=("$id")
    # Only the first RUNS starts are timed; extra ones exist to have 10 running for the PSS figure.
    if ((i < RUNS)); then d_times+=($((t1 - t0))); fi
    if ((i + 1 == RUNNING_FOR_PSS)); then
      sleep "$SETTLE_SECONDS"
      pss_total=0
      for id in "${started[@]}"; do
        if pid=$(shim_pid_of "$ns" "$id"); then
          pss_total=$(( pss_total + $(pss_kb "$pid") ))
          rss+=("$(rss_kb "$pid")"); threads+=("$(threads_of "$pid")")
        else
          log "$label: no shim process found for task $id; PSS not measured"; pss_total=-1; break
        fi
      done
      if ((pss_total >= 0)); then
        pss_mib=$(mib "$pss_total" "$RUNNING_FOR_PSS")
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

  local rss_mib=n/a threads_med=n/a
  if ((${#rss[@]} > 0)); then
    rss_mib=$(mib "$(printf '%s\n' "${rss[@]}" | median)"); threads_med=$(printf '%s\n' "${threads[@]}" | median)
  fi
  RESULT=$(printf '%s %s %s %s %s %s' \
    "$(printf '%s\n' "${rm_times[@]}" | median_ms)" \
    "$(printf '%s\n' "${d_times[@]}" | median_ms)" \
    "$pss_mib" \
    "$(printf '%s\n' "${kill_times[@]}" | median_ms)" \
    "$rss_mib" "$threads_med")
}

# bench_dense LABEL RUNTIME COUNT: COUNT tasks in one group; sets RESULT to "pss_per_container_mib rss_mib threads"
# of the one daemon serving them (n/a when there is not exactly one).
bench_dense() {
  local label=$1 runtime=$2 count=$3 ns i pids pid result="n/a n/a n/a"
  ns="bench-$label-dense$count-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  NAMESPACES+=("$ns")
  ctr_ns() { ctr --address "$CTD_ADDRESS" -n "$ns" "$@"; }
  ctr_ns images import --base-name "$IMAGE_NAME" "$ARCHIVE" >/dev/null
  log "$label: dense, $count x run -d in one group"
  for ((i = 0; i < count; i++)); do
    ctr_ns run -d --runtime "$runtime" --annotation io.containerd.runc.v2.group=dense "$IMAGE_REF" "t-$i" \
      sleep 3600 </dev/null >/dev/null
  done
  sleep "$SETTLE_SECONDS"
  mapfile -t pids < <(daemons_of "$ns")
  if ((${#pids[@]} == 1)); then
    pid=${pids[0]}
    result="$(mib "$(pss_kb "$pid")" "$count") $(mib "$(rss_kb "$pid")") $(threads_of "$pid")"
  else
    log "$label: dense $count: ${#pids[@]} daemons (${pids[*]}), not one; not measured"
  fi
  log "$label: dense, kill + rm of $count tasks"
  ctd_remove_namespace_tasks "$ns"
  RESULT=$result
}

# bench_startup LABEL BINARY: sets RESULT to "start_ms connect_ms delete_ms" (medians of RUNS).
bench_startup() {
  local label=$1 shim=$2 ns i b t0 t1 delete_times=() figures
  ns="bench-$label-startup-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  NAMESPACES+=("$ns")
  log "$label: $RUNS x start (and the first Connect)"
  figures=$("$JAVA_HOME/bin/java" "$ROOT/scripts/bench-startup.java" "$shim" "$ns" "$CTD_ADDRESS" "$DIR/startup-$label" "$RUNS")
  log "$label: $RUNS x delete"
  for ((i = 0; i < RUNS; i++)); do
    # Go's shim finds the bundle as <cwd>/../<id>, so the directory is named after the id.
    b=$DIR/delete-$label/gone-$i
    mkdir -p "$b"
    : >"$b/runtime"
    echo "{\"root\":\"$DIR/runc\"}" >"$b/options.json"
    printf 4242 >"$b/init.pid" # as runc writes it: no newline
    t0=${EPOCHREALTIME/[.,]/}
    (cd "$b" && "$shim" -namespace "$ns" -address "$CTD_ADDRESS" -id "gone-$i" -bundle "$b" delete >"$b/out" 2>"$b/err")
    t1=${EPOCHREALTIME/[.,]/}
    [ "$(head -c 3 "$b/out" | od -An -tx1 | tr -d ' ')" = 089221 ] ||
      { log "$label delete: no DeleteResponse for pid 4242: $(cat "$b/err")"; return 1; }
    delete_times+=($((t1 - t0)))
  done
  RESULT="$figures $(printf '%s\n' "${delete_times[@]}" | median_ms)"
}

# bench_spare LABEL BINARY: our shim with the warm spare on; RESULTS[LABEL:rm|d|start|connect|sparepss|sparerss].
bench_spare() {
  local label=$1 runtime=$2 ns i t0 t1 rm_times=() d_times=() config=$DIR/spare.toml pid figures
  printf '[jrunc]\nspare = true\n' >"$config"
  ns="bench-$label-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  NAMESPACES+=("$ns")
  ctr_ns() { ctr --address "$CTD_ADDRESS" -n "$ns" "$@"; }
  ctr_ns images import --base-name "$IMAGE_NAME" "$ARCHIVE" >/dev/null
  log "$label: warm-up run (boots the first spare)"
  ctr_ns run --rm --runtime "$runtime" --runtime-config-path "$config" "$IMAGE_REF" warmup true </dev/null
  log "$label: (a) $RUNS x run --rm true"
  for ((i = 0; i < RUNS; i++)); do
    t0=${EPOCHREALTIME/[.,]/}
    ctr_ns run --rm --runtime "$runtime" --runtime-config-path "$config" "$IMAGE_REF" "rm-$i" true </dev/null
    t1=${EPOCHREALTIME/[.,]/}
    rm_times+=($((t1 - t0)))
  done
  log "$label: (b) $RUNS x run -d sleep"
  for ((i = 0; i < RUNS; i++)); do
    t0=${EPOCHREALTIME/[.,]/}
    ctr_ns run -d --runtime "$runtime" --runtime-config-path "$config" "$IMAGE_REF" "d-$i" sleep 3600 </dev/null >/dev/null
    t1=${EPOCHREALTIME/[.,]/}
    d_times+=($((t1 - t0)))
  done
  sleep "$SETTLE_SECONDS"
  RESULTS[$label:sparepss]=n/a RESULTS[$label:sparerss]=n/a
  pid=$(spare_of "$ns" | head -1)
  if [ -n "$pid" ]; then
    RESULTS[$label:sparepss]=$(mib "$(pss_kb "$pid")"); RESULTS[$label:sparerss]=$(mib "$(rss_kb "$pid")")
  else
    log "$label: no idle spare found; its memory not measured"
  fi
  ctd_remove_namespace_tasks "$ns"
  RESULTS[$label:rm]=$(printf '%s\n' "${rm_times[@]}" | median_ms)
  RESULTS[$label:d]=$(printf '%s\n' "${d_times[@]}" | median_ms)
  if [[ "$runtime" == /* ]]; then
    log "$label: $RUNS x start (and the first Connect), 1 s apart"
    figures=$("$JAVA_HOME/bin/java" "$ROOT/scripts/bench-startup.java" "$runtime" "$ns-startup" "$CTD_ADDRESS" \
      "$DIR/startup-$label" "$RUNS" 1000 "$config")
    NAMESPACES+=("$ns-startup")
    read -r "RESULTS[$label:start]" "RESULTS[$label:connect]" <<<"$figures"
  fi
  spare_of "$ns" | xargs -r kill -TERM 2>/dev/null || true
  spare_of "$ns-startup" | xargs -r kill -TERM 2>/dev/null || true
}

# spare_of NS: pids of jrunc warm spares of our containerd and namespace NS (argv -spare).
spare_of() {
  local p args
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    case "$args" in
      *" -namespace $1 "*" -address $CTD_ADDRESS "*"-spare "*) echo "${p#/proc/}" ;;
    esac
  done
}

# bench_all LABEL RUNTIME: every figure of one shim, into RESULTS[LABEL:name].
declare -A RESULTS
bench_all() {
  local label=$1 runtime=$2 n binary=$2
  bench_shim "$label" "$runtime"
  read -r "RESULTS[$label:rm]" "RESULTS[$label:d]" "RESULTS[$label:pss]" "RESULTS[$label:kill]" \
    "RESULTS[$label:rss]" "RESULTS[$label:threads]" <<<"$RESULT"
  for n in $DENSE; do
    bench_dense "$label" "$runtime" "$n"
    read -r "RESULTS[$label:dpss$n]" "RESULTS[$label:drss$n]" "RESULTS[$label:dthreads$n]" <<<"$RESULT"
  done
  if [[ "$binary" != /* ]]; then # io.containerd.runc.v2 is containerd-shim-runc-v2 on PATH
    binary=${binary#io.containerd.}; binary=$(command -v "containerd-shim-${binary%.v2}-v2" || true)
  fi
  if [ -x "$binary" ]; then
    bench_startup "$label" "$binary"
    read -r "RESULTS[$label:start]" "RESULTS[$label:connect]" "RESULTS[$label:delete]" <<<"$RESULT"
  fi
}

bench_all go "$GO_RUNTIME"

OURS_LABEL="jrunc ($OURS)"
if [[ "$OURS" == /* && ! -x "$OURS" ]]; then
  log "our shim is not built: no executable $OURS — measuring only Go's (build the jlink image first)"
  OURS_LABEL="jrunc (not built)"
else
  bench_all ours "$OURS"
  bench_spare spare "$OURS"
fi

# --- the table --------------------------------------------------------------------------------------------------
ratio() { awk -v o="$1" -v g="$2" 'BEGIN { if (o == "n/a" || g == "n/a" || g + 0 == 0) print "n/a"; else printf "%.2f", o / g }'; }
row() { # title, key
  local go=${RESULTS[go:$2]:-n/a} ours=${RESULTS[ours:$2]:-n/a} spare=${RESULTS[spare:$2]:-n/a}
  printf '%-52s %10s %10s %10s %8s %8s\n' "$1" "$go" "$ours" "$spare" "$(ratio "$ours" "$go")" "$(ratio "$spare" "$go")"
}

echo
echo "containerd $(containerd --version | awk '{ print $3 }'), runc $(runc --version | awk 'NR == 1 { print $3 }'), runs=$RUNS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go    = $GO_RUNTIME"
echo "ours  = $OURS_LABEL"
echo "spare = ours, with [jrunc] spare = true (a warm spare daemon takes each new task over)"
echo
printf '%-52s %10s %10s %10s %8s %8s\n' "measure" "go" "ours" "spare" "ours/go" "spare/go"
row "run --rm true, median ms" rm
row "run -d, median ms" d
row "kill + rm, median ms" kill
row "PSS per container, MiB ($RUNNING_FOR_PSS running, a daemon each)" pss
row "  one daemon's RSS, MiB (1 task)" rss
row "  one daemon's threads (1 task)" threads
for n in $DENSE; do
  row "dense $n (one daemon): PSS per container, MiB" "dpss$n"
  row "  the daemon's RSS, MiB ($n tasks)" "drss$n"
  row "  the daemon's threads ($n tasks)" "dthreads$n"
done
row "start wall, median ms" start
row "first Connect answered after start exits, median ms" connect
row "delete wall, median ms" delete
row "the idle spare's own PSS, MiB (its cost)" sparepss
row "the idle spare's own RSS, MiB" sparerss
for n in $DENSE; do
  printf '%-52s %10s %10s %10s %8s\n' "dense $n PSS per container vs Go's per pod" "" "" "" \
    "$(ratio "${RESULTS[ours:dpss$n]:-n/a}" "${RESULTS[go:pss]:-n/a}")"
done
