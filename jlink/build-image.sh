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
# No --compress: an uncompressed jimage starts 10–30 ms faster (java-stack-measurements §6), paid per container.
"$java_home/bin/jlink" \
  --module-path "$modules" \
  --add-modules shim.cli,shim.doctor,shim.linux,org.jline.terminal.ffm \
  --strip-debug --no-header-files --no-man-pages \
  --generate-cds-archive \
  --output "$image"

install -m 0755 "$here/src/bin/containerd-shim-jrunc-v2" "$here/src/bin/shim-doctor" "$image/bin/"
install -m 0644 "$here/src/bin/jvm-flags" "$image/bin/"
. "$here/src/bin/jvm-flags"

# AOT caches (JEP 483/514): trained on work that needs no containerd and changes nothing outside a scratch dir.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bundle" "$scratch/runc"
echo '{"root":"'"$scratch/runc"'"}' > "$scratch/bundle/options.json"
echo 4242 > "$scratch/bundle/init.pid"
train() { # name, module/main, args...
  local name=$1 main=$2; shift 2
  # shellcheck disable=SC2086
  (cd "$scratch/bundle" && "$image/bin/java" $JRUNC_JVM_FLAGS -XX:AOTCacheOutput="$image/lib/$name.aot" \
      -Xlog:disable -Xlog:all=off --enable-native-access=shim.linux,org.jline.terminal.ffm \
      -m "$main" "$@" >/dev/null 2>&1) || true
  [ -f "$image/lib/$name.aot" ] || echo "build-image: no AOT cache for $name (the launcher runs without one)" >&2
}
train shim shim.cli/jrunc.cli.ShimMain -namespace jrunc-aot-training -id training -bundle "$scratch/bundle" delete
train doctor shim.doctor/jrunc.doctor.DoctorMain --version
echo "build-image: $(du -sh "$image" | cut -f1) at $image; modules: $("$image/bin/java" --list-modules | tr '\n' ' ')"
