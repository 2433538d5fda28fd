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
exit "$rc"
