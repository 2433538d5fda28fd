#!/usr/bin/env bash
# Builds the one runtime image: jlink of our modules (no jdk.compiler, no java.desktop), our launchers, the default
# CDS archive, and an AOT cache per launcher trained with the launcher's own flags.
# Usage: build-image.sh <jlink/target> <java.home of the JDK running the build>
set -euo pipefail
target=$1
java_home=$2
here=$(cd "$(dirname "$0")" && pwd)
image=$target/image
modules=$target/modules

rm -rf "$image"
echo "build-image: jlink: a trimmed runtime with our modules at $image"
# No --compress: an uncompressed jimage starts 10–30 ms faster (measured with scripts/bench-manager.sh), paid per container.
"$java_home/bin/jlink" \
  --module-path "$modules" \
  --add-modules shim.cli,shim.doctor,shim.linux,org.jline.terminal.ffm \
  --strip-debug --no-header-files --no-man-pages \
  --generate-cds-archive \
  --output "$image" | sed '/^Created CDS archive successfully$/d'

install -m 0755 "$here/src/bin/containerd-shim-jrunc-v2" "$here/src/bin/shim-doctor" "$image/bin/"
install -m 0644 "$here/src/bin/jvm-flags" "$image/bin/"
. "$here/src/bin/jvm-flags"

# AOT caches (JEP 483/514): trained on work that needs no containerd and changes nothing outside a scratch dir.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bundle"
train() { # name, launcher flags, module/main, args...
  local name=$1 flags=$2 main=$3; shift 3
  # shellcheck disable=SC2086
  (cd "$scratch/bundle" && "$image/bin/java" $JRUNC_JVM_FLAGS $flags -XX:AOTCacheOutput="$image/lib/$name.aot" \
      -Xlog:disable -Xlog:all=off -m "$main" "$@" </dev/null >/dev/null 2>&1) || true
  [ -f "$image/lib/$name.aot" ] || { echo "build-image: training produced no AOT cache for $name" >&2; exit 1; }
}
# -XX:AOTMode=on refuses to start when a cache cannot be used: what the launchers' -Xlog:disable would hide.
verify() { # name, launcher flags, module/main, args...
  local name=$1 flags=$2 main=$3; shift 3
  # shellcheck disable=SC2086
  if ! "$image/bin/java" $JRUNC_JVM_FLAGS $flags -XX:AOTCache="$image/lib/$name.aot" -XX:AOTMode=on \
      -m "$main" "$@" </dev/null >"$scratch/verify.out" 2>&1; then
    echo "build-image: the $name launcher cannot use its AOT cache:" >&2; cat "$scratch/verify.out" >&2; exit 1
  fi
}
echo "build-image: training the launchers' AOT caches (start, delete, the daemon's first calls; shim-doctor scan)"
train shim "$JRUNC_SHIM_FLAGS" shim.cli/jrunc.cli.AotTraining "$scratch/shim"
mkdir -p "$scratch/doctor/state" "$scratch/doctor/s" "$scratch/doctor/runc"
train doctor "$JRUNC_DOCTOR_FLAGS" shim.doctor/jrunc.doctor.DoctorMain scan --json --state "$scratch/doctor/state" \
  --socket-dir "$scratch/doctor/s" --runc-root "$scratch/doctor/runc"
verify shim "$JRUNC_SHIM_FLAGS" shim.cli/jrunc.cli.ShimMain -v
verify doctor "$JRUNC_DOCTOR_FLAGS" shim.doctor/jrunc.doctor.DoctorMain --version
echo "build-image: $(du -sh "$image" | cut -f1) at $image; modules: $("$image/bin/java" --list-modules | tr '\n' ' ')"
