# Sourced by bench.sh and demo.sh: a private containerd and a busybox OCI image, as shell functions.
# The same recipe as the Java e2e harness (jlink/src/test/java/jrunc/e2e/{ContainerdConfig,PrivateContainerd,
# LeftoverSweep,BusyboxImage}.java); keep the two in step.

SHIM_SOCKET_DIR=/run/containerd/s
RUNC_ROOT=/run/containerd/runc

# ctd_start DIR: writes DIR/config.toml, starts containerd on it and waits (20 s at most) until it answers.
# Sets CTD_DIR, CTD_PID, CTD_ADDRESS. containerd is ${CTD_BIN:-/usr/bin}/containerd; a caller that sets CTD_BIN to
# another release's usr/bin (scripts/containerd-release.sh) puts it first on PATH too, for ctr and Go's shim.
ctd_start() {
  CTD_DIR=$1
  CTD_ADDRESS=$CTD_DIR/containerd.sock
  # CRI is not driven here (2.x splits it into three plugins); the snapshotters cannot work on this host and only
  # log errors; `opt` would create /opt/containerd outside our directory, NRI (2.x) listen on /var/run/nri.
  cat >"$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.nri.v1.nri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$CTD_ADDRESS"

[ttrpc]
  address = "$CTD_ADDRESS.ttrpc"

[debug]
  level = "info"
EOF
  "${CTD_BIN:-/usr/bin}/containerd" --config "$CTD_DIR/config.toml" </dev/null >>"$CTD_DIR/containerd.log" 2>&1 &
  CTD_PID=$!
  local deadline=$((SECONDS + 20))
  until ctr --address "$CTD_ADDRESS" version >/dev/null 2>&1; do
    if ! kill -0 "$CTD_PID" 2>/dev/null; then
      echo "containerd exited while starting; log tail:" >&2; tail -n 30 "$CTD_DIR/containerd.log" >&2; return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "containerd did not answer within 20 s; log tail:" >&2; tail -n 30 "$CTD_DIR/containerd.log" >&2
      return 1
    fi
    sleep 0.1
  done
}

# ctd_remove_namespace_tasks NS: best effort, SIGKILL and delete every task, then delete every container.
ctd_remove_namespace_tasks() {
  [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null || return 0
  local ns=$1 id
  for id in $(ctr --address "$CTD_ADDRESS" -n "$ns" task ls -q 2>/dev/null); do
    ctr --address "$CTD_ADDRESS" -n "$ns" task rm -f "$id" >/dev/null 2>&1 || true
  done
  for id in $(ctr --address "$CTD_ADDRESS" -n "$ns" containers ls -q 2>/dev/null); do
    ctr --address "$CTD_ADDRESS" -n "$ns" containers rm "$id" >/dev/null 2>&1 || true
  done
}

# ctd_stop: stops containerd by its own pid, TERM and then KILL after 10 s.
ctd_stop() {
  [ -n "${CTD_PID:-}" ] || return 0
  kill -TERM "$CTD_PID" 2>/dev/null || return 0
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$CTD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$CTD_PID" 2>/dev/null || true
  wait "$CTD_PID" 2>/dev/null || true
}

# ctd_sweep NS...: after containerd has stopped, removes what its shims left, found only through our own
# bundles, our own grpc address and the given (uniquely named) namespaces; then removes CTD_DIR.
ctd_sweep() {
  local bundle sock pid args ns id mnt hierarchy i
  # jrunc's warm spares of our containerd end on SIGTERM and remove their rendezvous socket as they go.
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    case "$args" in
      *" -address $CTD_ADDRESS "*"-spare "*)
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done ;;
    esac
  done
  # Shims that outlived containerd: their argv names our grpc socket.
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue # ends with a space
    case "$args" in
      *containerd-shim*" -address $CTD_ADDRESS "*) kill -KILL "$pid" 2>/dev/null || true ;;
    esac
  done
  for bundle in "$CTD_DIR"/state/io.containerd.runtime.v2.task/*/* "$CTD_DIR"/state/io.containerd.runtime.v2.task/*/.[!.]*; do
    [ -d "$bundle" ] || continue
    # The socket named in the bundle's address file, and only that one.
    if [ -f "$bundle/address" ]; then
      sock=$(<"$bundle/address"); sock=${sock#unix://}
      if [ "$(dirname "$sock")" = "$SHIM_SOCKET_DIR" ] && [ -S "$sock" ]; then rm -f "$sock"; fi
    fi
    ns=$(basename "$(dirname "$bundle")"); id=$(basename "$bundle"); id=${id#.}
    if [ -d "$RUNC_ROOT/$ns/$id" ]; then runc --root "$RUNC_ROOT/$ns" delete --force "$id" >/dev/null 2>&1 || true; fi
  done
  # Mounts under our directory, deepest first.
  awk -v dir="$CTD_DIR" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mnt; do umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; done
  for ns in "$@"; do
    rmdir "$RUNC_ROOT/$ns" 2>/dev/null || true
    for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do rmdir "$hierarchy$ns" 2>/dev/null || true; done
  done
  if awk -v dir="$CTD_DIR" 'index($5, dir "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "still mounted under $CTD_DIR; leaving it in place" >&2
  else
    rm -rf --one-file-system "$CTD_DIR"
  fi
}

# oci_busybox_archive DIR: builds DIR/busybox-oci.tar, a one-layer OCI image layout made from /bin/busybox,
# to import with `ctr images import --base-name NAME` (the index names the manifest "latest").
oci_busybox_archive() {
  local dir=$1 rootfs blobs applet layer layer_size config config_size manifest manifest_size
  rootfs=$dir/rootfs; blobs=$dir/oci/blobs/sha256
  mkdir -p "$rootfs"/{bin,dev,etc,proc,root,sys,tmp} "$blobs"
  chmod 1777 "$rootfs/tmp"; chmod 0700 "$rootfs/root"; chmod 0555 "$rootfs/proc" "$rootfs/sys"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh echo true false sleep cat ps ls id env kill top; do ln -sf busybox "$rootfs/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

  # Uncompressed layer, so its digest is also its diff_id; fixed owner and mtime for a stable digest.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
  layer=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1); layer_size=$(stat -c %s "$dir/layer.tar")
  mv "$dir/layer.tar" "$blobs/$layer"

  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$layer" >"$dir/config.json"
  config=$(sha256sum "$dir/config.json" | cut -d' ' -f1); config_size=$(stat -c %s "$dir/config.json")
  mv "$dir/config.json" "$blobs/$config"

  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$dir/manifest.json"
  manifest=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1); manifest_size=$(stat -c %s "$dir/manifest.json")
  mv "$dir/manifest.json" "$blobs/$manifest"

  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
    "$manifest" "$manifest_size" >"$dir/oci/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci/oci-layout"
  tar --owner=0 --group=0 --numeric-owner -C "$dir/oci" -cf "$dir/busybox-oci.tar" oci-layout index.json blobs
  rm -rf "$rootfs" "$dir/oci"
  echo "$dir/busybox-oci.tar"
}
