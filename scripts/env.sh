# Sourced by the project's scripts: finds JDK 25 first (before anything is installed), then installs the Debian
# packages jrunc needs, and keeps Maven's output to what a person needs to see.

JRUNC_JDK_RELEASE=25

# The feature release of a JDK directory ("25"), or nothing when it holds no usable java.
jrunc_jdk_release() {
  local v
  [ -x "$1/bin/java" ] || return 1
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ -n "$v" ] && echo "${v%%.*}"
}

# Sets JAVA_HOME to a JDK 25 (with javac and jlink), or exits saying which JDKs exist and what to do.
jrunc_find_jdk() {
  local candidates=() c v seen=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/java-25-* /usr/lib/jvm/*)
  for c in "${candidates[@]}"; do
    [ -d "$c" ] || continue
    v=$(jrunc_jdk_release "$c") || continue
    if [ "$v" = "$JRUNC_JDK_RELEASE" ] && [ -x "$c/bin/javac" ] && [ -x "$c/bin/jlink" ]; then
      export JAVA_HOME=$c
      return 0
    fi
    seen+=("$c (Java $v$([ -x "$c/bin/jlink" ] || echo ', no jlink'))")
  done
  {
    echo "jrunc: no JDK $JRUNC_JDK_RELEASE found; jrunc builds with release $JRUNC_JDK_RELEASE (FFM, AOT caches, jlink)."
    if [ ${#seen[@]} -gt 0 ]; then
      echo "       found instead: ${seen[*]}"
    else
      echo "       found no JDK in \$JAVA_HOME or /usr/lib/jvm."
    fi
    echo "       Install a JDK $JRUNC_JDK_RELEASE (Temurin: /usr/lib/jvm/temurin-25-jdk-amd64) or set JAVA_HOME to one;"
    echo "       nothing has been installed yet."
  } >&2
  exit 1
}

# Installs what is missing: containerd, runc, static busybox (the test image), Maven, and binutils (jlink's
# --strip-debug runs objcopy).
jrunc_ensure_packages() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /bin/busybox ] && file_is_static /bin/busybox || missing+=(busybox-static)
  command -v mvn >/dev/null || missing+=(maven)
  command -v objcopy >/dev/null || missing+=(binutils)
  command -v script >/dev/null || missing+=(bsdutils) # the terminal tests run ctr -t under script(1)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "jrunc: missing packages: ${missing[*]} (run as root, or: apt-get install -y ${missing[*]})" >&2
      exit 1
    fi
    echo "jrunc: installing ${missing[*]} (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    # --no-install-recommends: Maven's recommends would pull in a second JDK (OpenJDK 17) that nothing uses
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Maven as the scripts run it: batch mode, no download progress, no colour codes, and no sun.misc.Unsafe warnings
# (Debian's Maven 3.8 ships a Guava that JDK 25 warns about; the warnings say nothing about jrunc). Maven 3.8 still
# writes ESC[0m resets on exit even with colour off, so those are stripped. Returns Maven's exit status.
jrunc_mvn() {
  MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -B -ntp -Dstyle.color=never "$@" 2>&1 |
    sed -u 's/\x1b\[[0-9;]*m//g'
  return "${PIPESTATUS[0]}"
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

# The first Debian mirror apt is configured with (deb822 .sources files, else one-line .list files), without a
# trailing slash. Read from /etc/apt each time: the project's files never name a mirror.
jrunc_apt_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk 'BEGIN { IGNORECASE = 1 } /^Types:/ { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
         /^URIs:/ && deb { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }') || true
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } break } }') || true
  fi
  [ -n "$uri" ] || { echo "jrunc: no Debian mirror found in /etc/apt (sources.list, sources.list.d)" >&2; return 1; }
  echo "${uri%/}"
}

# The keyring apt verifies Debian's suites with.
jrunc_debian_keyring() {
  local k
  for k in /usr/share/keyrings/debian-archive-keyring.gpg /etc/apt/trusted.gpg.d/debian-archive-keyring.gpg; do
    [ -f "$k" ] && { echo "$k"; return 0; }
  done
  echo "jrunc: no debian-archive-keyring found (apt-get install debian-archive-keyring)" >&2
  return 1
}
