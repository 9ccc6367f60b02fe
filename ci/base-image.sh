#!/usr/bin/env bash
# Builds a local equivalent of debian:bookworm-slim with debootstrap and imports it as $1.
# Used where no container registry is reachable; the image tag carries this file's hash,
# so changing the recipe rebuilds the image and nothing else does.
set -euo pipefail

image=${1:?usage: base-image.sh IMAGE}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
work=$(mktemp -d)
rootfs=$work/rootfs

cleanup() {
  umount "$rootfs/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  echo "base-image: debootstrap failed (mirror $mirror)" >&2
  exit 1
}

# debootstrap only knows the release suite: security fixes live in two more.
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
SOURCES

# Keep the image slim the way the official one is: no docs, manuals or translations.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM

mount -t proc proc "$rootfs/proc"
chroot "$rootfs" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get -y -qq upgrade >/dev/null
chroot "$rootfs" apt-get clean
umount "$rootfs/proc"

find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/apt/*.bin
: >"$rootfs/etc/resolv.conf"

tar --numeric-owner -C "$rootfs" -c . |
  docker import --change 'CMD ["bash"]' --message "debootstrap bookworm minbase" - "$image" >/dev/null
