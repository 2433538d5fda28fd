#!/usr/bin/env bash
# The main job: builds the image, runs containers through a private containerd on jrunc's shim, then crashes that
# node (SIGKILL containerd and a shim) and lets shim-doctor find and clean what the crash left.
#
#   scripts/demo.sh            (as root; installs missing Debian packages, needs JDK 25)
#   SKIP_BUILD=1 scripts/demo.sh   reuse jlink/target/image
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. scripts/env.sh
jrunc_require_root
jrunc_find_jdk
jrunc_ensure_packages
. scripts/containerd-lib.sh

IMAGE_DIR=$ROOT/jlink/target/image
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "==> building the image: mvn package (compile, jlink, AOT caches trained on start/delete; a minute or two)"
  jrunc_mvn -q -DskipTests package
fi
SHIM=$IMAGE_DIR/bin/containerd-shim-jrunc-v2
DOCTOR=$IMAGE_DIR/bin/shim-doctor
NS=jrunc-demo-$$
REF=jrunc.demo/busybox:latest
work=$(mktemp -d /tmp/jrunc-demo.XXXXXX)
cleanup() {
  ctd_remove_namespace_tasks "$NS" 2>/dev/null || true
  ctd_stop || true
  ctd_sweep "$NS" || true
}
trap cleanup EXIT

echo "==> starting a private containerd in $work"
ctd_start "$work"
ctr_() { ctr --address "$CTD_ADDRESS" -n "$NS" "$@"; }
oci_busybox_archive "$work" >/dev/null
ctr_ images import --base-name jrunc.demo/busybox "$work/busybox-oci.tar" >/dev/null

echo "==> ctr run --rm --runtime $SHIM $REF hello echo ..."
ctr_ run --rm --runtime "$SHIM" "$REF" hello echo "hello from a container on jrunc"
set +e
ctr_ run --rm --runtime "$SHIM" "$REF" code sh -c 'echo "to stderr" >&2; exit 3'
echo "    (ctr exited with $? — the container's exit code)"
set -e

echo "==> two detached tasks, one daemon each"
ctr_ run -d --runtime "$SHIM" "$REF" web sleep 3600 >/dev/null
ctr_ run -d --runtime "$SHIM" "$REF" db sleep 3600 >/dev/null
ctr_ task ls

echo "==> crash: SIGKILL containerd, then the shim of 'db'"
# containerd first: a live containerd would notice the dead shim and clean its task up itself.
kill -KILL "$CTD_PID"; wait "$CTD_PID" 2>/dev/null || true
for p in /proc/[0-9]*; do
  if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "jrunc.cli.ShimMain -namespace $NS -id db "; then kill -KILL "${p#/proc/}"; fi
done

echo "==> shim-doctor scan (exit 1 = leftovers found)"
set +e
"$DOCTOR" scan --state "$CTD_DIR/state" --namespace "$NS"
echo "    (exit $?)"
echo "==> shim-doctor clean --yes"
"$DOCTOR" clean --yes --state "$CTD_DIR/state" --namespace "$NS"
echo "    (exit $?)"
echo "==> shim-doctor scan again (exit 0 = node clean)"
"$DOCTOR" scan --state "$CTD_DIR/state" --namespace "$NS"
rc=$?
set -e
echo "    (exit $rc)"

echo "==> containerd restarted: 'web' (its shim lived) is still running and manageable"
ctd_start "$work"
ctr_ task ls
ctr_ task kill -s KILL web
for _ in $(seq 50); do ctr_ task ls | grep -q 'web.*STOPPED' && break; sleep 0.1; done
ctr_ task rm web >/dev/null
ctr_ container rm web db >/dev/null 2>&1 || true
echo "==> done"
