#!/usr/bin/env bash
# Runs every test: unit tests of each module, kernel tests (root), and the end-to-end tests against the built
# image and a private containerd. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
jrunc_require_root
jrunc_ensure_packages
jrunc_find_jdk
echo "jrunc: JAVA_HOME=$JAVA_HOME" >&2
exec mvn -B -ntp verify "$@"
