#!/usr/bin/env bash
# Fetches one containerd release from Debian's packages into a cache, without installing anything:
#
#   scripts/containerd-release.sh RELEASE     prints the directory holding usr/bin/{containerd,ctr,containerd-shim-runc-v2}
#   scripts/containerd-release.sh --list      prints the releases this script knows, one a line
#
# RELEASE is 1.6 (Debian bookworm: the installed /usr/bin/containerd, nothing fetched), 1.7 (trixie) or 2 (sid).
# The package comes from the mirror this machine's apt is configured with (read from /etc/apt, never written down
# here), through a temporary sources list and apt state of our own: `apt-get download` into the cache, then
# `dpkg -x`. The cache is ${JRUNC_CACHE:-/var/cache/jrunc}/containerd/<suite>-<version>; a second call finds it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

suite_of() {
  case "$1" in
    1.6) echo bookworm ;;
    1.7) echo trixie ;;
    2 | 2.x) echo sid ;;
    *) echo "containerd-release: unknown release '$1' (known: 1.6, 1.7, 2)" >&2; return 2 ;;
  esac
}

say() { printf 'containerd-release: %s\n' "$*" >&2; }

fetch() {
  local release=$1 suite cache_root apt_dir mirror keyring deb version dir
  suite=$(suite_of "$release")
  if [ "$suite" = bookworm ] && [ -x /usr/bin/containerd ] &&
     dpkg-query -W -f '${Version}' containerd 2>/dev/null | grep -q '^1\.6\.'; then
    echo /            # the installed one: /usr/bin/containerd, /usr/bin/ctr, /usr/bin/containerd-shim-runc-v2
    return 0
  fi
  cache_root=${JRUNC_CACHE:-/var/cache/jrunc}/containerd
  mkdir -p "$cache_root"
  # A finished unpack is marked by its .done file; the newest one of the suite is reused.
  dir=$(ls -1d "$cache_root/$suite"-*/ 2>/dev/null | sort -V | tail -n 1) || true
  if [ -n "$dir" ] && [ -f "${dir%/}/.done" ]; then echo "${dir%/}"; return 0; fi

  mirror=$(jrunc_apt_mirror); keyring=$(jrunc_debian_keyring)
  apt_dir=$(mktemp -d /tmp/jrunc-apt-XXXXXX)
  trap 'rm -rf --one-file-system "$apt_dir"' RETURN
  mkdir -p "$apt_dir"/{lists/partial,archives/partial,etc/preferences.d}
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$mirror" "$suite" "$keyring" \
    >"$apt_dir/etc/jrunc.sources"
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/etc"
              -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
              -o "Dir::State::status=/dev/null" -o "APT::Architecture=amd64" -o "Acquire::Languages=none"
              -o "APT::Get::List-Cleanup=false" -o "Debug::NoLocking=true")
  say "fetching containerd from Debian $suite (apt-get update on a temporary sources list)"
  apt-get "${opts[@]}" -qq update >"$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log" >&2; return 1; }
  (cd "$apt_dir/archives" && apt-get "${opts[@]}" -qq download containerd) >"$apt_dir/download.log" 2>&1 ||
    { cat "$apt_dir/download.log" >&2; return 1; }
  deb=$(ls "$apt_dir"/archives/containerd_*.deb | head -n 1)
  version=$(dpkg-deb -f "$deb" Version)
  dir=$cache_root/$suite-$version
  rm -rf --one-file-system "$dir.partial"
  mkdir -p "$dir.partial"
  dpkg -x "$deb" "$dir.partial"
  cp "$deb" "$dir.partial/"
  for bin in containerd ctr containerd-shim-runc-v2; do
    [ -x "$dir.partial/usr/bin/$bin" ] || { say "$deb has no usr/bin/$bin"; return 1; }
  done
  "$dir.partial/usr/bin/containerd" --version >/dev/null || { say "$deb's containerd does not run here"; return 1; }
  touch "$dir.partial/.done"
  rm -rf --one-file-system "$dir"
  mv "$dir.partial" "$dir"
  say "containerd $version ($suite) in $dir"
  echo "$dir"
}

case "${1:-}" in
  --list) printf '%s\n' 1.6 1.7 2 ;;
  "" | -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ] ;;
  *) fetch "$1" ;;
esac
