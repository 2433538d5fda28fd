#!/usr/bin/env bash
# Runs every test: unit tests of each module, kernel tests (root), mutation testing of shim.core (pitest; the
# scores are printed and held by scripts/mutation-report.sh), and the end-to-end tests against the built image
# and a private containerd of each release (1.6 installed, 1.7 and 2.x fetched into a cache by
# scripts/containerd-release.sh), ctr and CRI alike. Checks for JDK 25 first, then installs missing Debian packages.
#
#   scripts/test.sh [MAVEN ARGS...]     e.g. -Djrunc.e2e.skipMatrix=true (1.6 only), -Dit.test=CriJruncIT,
#                                       -DskipPitest (no mutation testing)
#
# Maven runs quietly: test output goes to the reports, and a failing class's output is printed in full at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
jrunc_require_root
jrunc_find_jdk
jrunc_ensure_packages
echo "jrunc: JDK at $JAVA_HOME"
echo "jrunc: mvn verify: build, unit tests, the jlink image, end-to-end tests on containerd 1.6, 1.7 and 2.x"
start=$SECONDS
# the summary below reads the reports: none may be left from an earlier build
rm -rf --one-file-system modules/*/target/surefire-reports modules/*/target/pit-reports jlink/target/failsafe-reports*
# what the tests may leave on the host, to compare afterwards: shim sockets (the directory is every containerd's)
# and mounts under the private containerds' directories
# (absent on a fresh /run/containerd, as in a private namespace: then there are none)
shim_sockets() { [ -d /run/containerd/s ] || return 0; find /run/containerd/s -mindepth 1 -maxdepth 1 -type s | sort; }
test_mounts() { awk '$5 ~ "^/tmp/jrunc-" { print $5 }' /proc/self/mountinfo | sort; }
sockets_before=$(shim_sockets)
set +e
jrunc_mvn -q -Dmaven.test.redirectTestOutputToFile=true verify "$@"
rc=$?
set -e
echo "jrunc: mvn verify finished in $((SECONDS - start)) s with exit status $rc"
scripts/test-report.sh . || rc=${rc/#0/1}
case " $* " in
  *" -DskipPitest "*|*" -DskipPitest=true "*|*" -DskipTests "*|*" -DskipTests=true "*)
    echo "mutation: not run (-DskipPitest or -DskipTests)" ;;
  *) scripts/mutation-report.sh || rc=${rc/#0/1} ;;
esac
# a socket that appeared during the run and that nothing serves is one a test (or a shim) left behind
leaked=()
listening=$(ss -xlH 2>/dev/null | awk '{ print $5 }')
for socket in $(comm -13 <(echo "$sockets_before") <(shim_sockets)); do
  grep -qxF "$socket" <<<"$listening" || leaked+=("$socket")
done
if [ ${#leaked[@]} -gt 0 ]; then
  echo "jrunc: FAILED: the tests left ${#leaked[@]} dead shim socket(s) in /run/containerd/s: ${leaked[*]}"
  rc=${rc/#0/1}
fi
if [ -n "$(test_mounts)" ]; then
  echo "jrunc: FAILED: the tests left mounts behind: $(test_mounts | tr '\n' ' ')"
  rc=${rc/#0/1}
fi
exit "$rc"
