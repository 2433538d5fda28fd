#!/usr/bin/env bash
# Proves the README's first command works from nothing: builds a fresh Debian 12 root (debootstrap minbase from the
# mirror this machine's apt is configured with, plus git and ca-certificates), copies in the host's CA certificates
# and resolv.conf, bind-mounts the JDK 25 directory read-only (the README assumes one is installed), copies this
# working tree in, and runs `scripts/demo.sh` there as root: it installs containerd, runc, busybox-static, Maven and
# binutils with apt, downloads the build's artifacts from Maven Central, builds the image and runs the demo.
#
#   scripts/fresh-host-check.sh            (as root; needs debootstrap, installed when missing)
#   JRUNC_FRESH_KEEP_LOG=FILE …            keep the run's full log there
#
# Built so it cannot harm the machine: it runs in a private mount and PID namespace; no host directory is
# bind-mounted but the JDK, read-only; the root uses the device nodes debootstrap made in its own /dev; /proc,
# /sys, the cgroup hierarchies, /dev/pts, /dev/shm and /run are fresh kernel mounts inside the namespace. The root
# is bind-mounted onto itself so runc can pivot_root inside it. Before the root is removed every process left in
# the namespace is killed, everything mounted under the root is unmounted, and /proc/self/mountinfo must show
# nothing under it; otherwise it is left in place and the check fails.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/env.sh"
say() { printf 'fresh-host: %s\n' "$*" >&2; }

if [ -z "${JRUNC_FRESH_INNER:-}" ]; then
  jrunc_require_root
  jrunc_find_jdk
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  # PID 1 of the new namespace is this script again; when it exits, the kernel ends whatever is left in there.
  exec unshare --mount --pid --fork --mount-proc --propagation private \
    env JRUNC_FRESH_INNER=1 JAVA_HOME="$JAVA_HOME" bash "$0" "$@"
fi

work=$(mktemp -d /var/tmp/jrunc-fresh-XXXXXX)
rootfs=$work/root
log=$work/run.log
mirror=$(jrunc_apt_mirror)
started=$SECONDS

mounted_under() { awk -v dir="$1" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo; }

cleanup() {
  local rc=$? left
  trap - EXIT
  # Everything in this PID namespace but us is ours: containerd, shims, containers, Maven.
  kill -KILL -1 2>/dev/null || true
  local i pids
  for ((i = 0; i < 100; i++)); do # until only we are left (10 s at most); globbing forks nothing
    pids=(/proc/[0-9]*)
    [ "${#pids[@]}" -le 1 ] && break
    wait -n 2>/dev/null || sleep 0.1
  done
  if [ -n "${JRUNC_FRESH_KEEP_LOG:-}" ] && [ -f "$log" ]; then cp "$log" "$JRUNC_FRESH_KEEP_LOG"; fi
  mounted_under "$rootfs" | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  left=$(mounted_under "$rootfs")
  if [ -n "$left" ]; then
    say "still mounted under $rootfs, leaving $work in place:"; echo "$left" >&2
    exit 1
  fi
  rm -rf --one-file-system "$work"
  exit "$rc"
}
trap cleanup EXIT

say "debootstrap --variant=minbase bookworm into $rootfs"
debootstrap --variant=minbase --include=git,ca-certificates bookworm "$rootfs" "$mirror" >"$log" 2>&1 ||
  { tail -n 30 "$log" >&2; say "debootstrap failed"; exit 1; }
say "fresh root ready after $((SECONDS - started)) s"

# The host's CA certificates (a proxy's among them) and name servers; nothing else of the host's. The local CAs go
# through the root's own update-ca-certificates, so packages installed later (ca-certificates-java) include them;
# the host's Java keystore is copied too, as a JDK package links its cacerts to /etc/ssl/certs/java/cacerts.
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then
  cp -a /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
fi
chroot "$rootfs" update-ca-certificates >>"$log" 2>&1
if [ -f /etc/ssl/certs/java/cacerts ]; then
  mkdir -p "$rootfs/etc/ssl/certs/java"
  cp /etc/ssl/certs/java/cacerts "$rootfs/etc/ssl/certs/java/cacerts"
fi

# This working tree as a clone would have it (tracked and untracked files, not what .gitignore leaves out).
mkdir -p "$rootfs/root/jrunc"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
  tar -C "$rootfs/root/jrunc" -xf -

# The root onto itself (runc pivots into container roots below a mount point), then fresh kernel mounts.
mount --bind "$rootfs" "$rootfs"
mount -t proc proc "$rootfs/proc"
mount -t sysfs sysfs "$rootfs/sys"
# The host's cgroup hierarchies, mounted afresh inside (v1 controllers, named ones, the unified tree), and their
# symlinks (cpu -> cpu,cpuacct and the like): runc and containerd find them where they are on the host.
if grep -q ' /sys/fs/cgroup [^ ]* [^-]*- cgroup2 ' /proc/self/mountinfo; then
  mount -t cgroup2 cgroup2 "$rootfs/sys/fs/cgroup"
else
  mount -t tmpfs -o mode=0755 cgroup "$rootfs/sys/fs/cgroup"
  awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $5, $(i + 1), $(i + 3); break } }' /proc/self/mountinfo |
    while read -r point fstype opts; do
      case "$point" in /sys/fs/cgroup/*) ;; *) continue ;; esac
      mkdir -p "$rootfs$point"
      if [ "$fstype" = cgroup2 ]; then
        mount -t cgroup2 cgroup2 "$rootfs$point"
      elif [ "$fstype" = cgroup ]; then
        # the super block's controllers and name=, without the generic flags
        o=$(tr ',' '\n' <<<"$opts" | grep -v -E '^(rw|ro|nosuid|nodev|noexec|relatime|clone_children|xattr)$' | paste -sd, -)
        mount -t cgroup -o "$o" cgroup "$rootfs$point"
      fi
    done
  for link in /sys/fs/cgroup/*; do
    [ -L "$link" ] && ln -sfn "$(readlink "$link")" "$rootfs$link"
  done
fi
mkdir -p "$rootfs/dev/pts" "$rootfs/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$rootfs/dev/pts"
mount -t tmpfs -o mode=1777 shm "$rootfs/dev/shm"
mount -t tmpfs -o mode=0755 run "$rootfs/run"
mkdir -p "$rootfs$JAVA_HOME"
mount --bind "$JAVA_HOME" "$rootfs$JAVA_HOME"
mount -o remount,bind,ro "$rootfs$JAVA_HOME"

say "running scripts/demo.sh in the fresh root (apt-get, Maven Central, the image build, the demo)"
set +e
chroot "$rootfs" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 ${http_proxy:+http_proxy=$http_proxy} ${https_proxy:+https_proxy=$https_proxy} \
  bash -c 'cd /root/jrunc && scripts/demo.sh' >>"$log" 2>&1 </dev/null
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  say "scripts/demo.sh failed in the fresh root (exit $rc); the last 60 lines:"
  tail -n 60 "$log" >&2
  exit 1
fi
grep -q '^hello from a container on jrunc$' "$log" || { say "the demo ran, but no container greeted"; tail -n 60 "$log" >&2; exit 1; }
sed -n '/^==> /p' "$log" | sed 's/^/fresh-host:   /' >&2
say "the README's first command works on a fresh Debian 12 root ($((SECONDS - started)) s in all)"
