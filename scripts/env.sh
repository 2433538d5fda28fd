# Sourced by the project's scripts: finds JDK 25 (or any JDK >= 22) and installs the Debian packages jrunc needs.

# Sets JAVA_HOME to a JDK >= 22, or exits with a clear message.
jrunc_find_jdk() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/java-25-* \
               /usr/lib/jvm/temurin-2[2-9]-jdk-* /usr/lib/jvm/java-2[2-9]-* /usr/lib/jvm/*)
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/javac" ] && [ -x "$c/bin/jlink" ] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 22 ] 2>/dev/null; then
      export JAVA_HOME=$c
      return 0
    fi
  done
  echo "jrunc: no JDK >= 22 found (looked at \$JAVA_HOME and /usr/lib/jvm). jrunc needs JDK 25 (FFM, AOT cache):" >&2
  echo "       install Temurin 25 to /usr/lib/jvm/temurin-25-jdk-amd64 or set JAVA_HOME to a JDK 25." >&2
  exit 1
}

# Installs what is missing: containerd, runc, static busybox (the test image), Maven.
jrunc_ensure_packages() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /bin/busybox ] && file_is_static /bin/busybox || missing+=(busybox-static)
  command -v mvn >/dev/null || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "jrunc: missing packages: ${missing[*]} (run as root, or: apt-get install -y ${missing[*]})" >&2
      exit 1
    fi
    echo "jrunc: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

file_is_static() {
  # busybox (dynamic) and busybox-static both install /bin/busybox; only the static one runs in an empty rootfs.
  ! LC_ALL=C ldd "$1" >/dev/null 2>&1
}

jrunc_require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "jrunc: this needs root (containerd, runc and mounts)" >&2
    exit 1
  fi
}
