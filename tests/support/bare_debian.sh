#!/usr/bin/env bash
# Re-check the bin/test contract on a bare Debian 12: debootstrap --variant=minbase bookworm, then only git
# inside; clone this repository's current branch (committed work only) and run bin/test there as root, with
# none of this machine's environment (SQLite and the embedded broker).
#
# Usage, as root:  [PYTEST_ADDOPTS="-n 2"] tests/support/bare_debian.sh [pytest arguments]
#   PELUIT_CHROOT   where the chroot lives (default /work/debian-chroot; made anew from the minbase tarball
#                   $PELUIT_CHROOT.minbase.tar on every run, debootstrapped once when that is missing)
#   PELUIT_MIRROR   Debian mirror (default http://deb.debian.org/debian)
# Needs the Debian package debootstrap on this machine. Takes long: the first run downloads the base system,
# the Debian packages of bin/bootstrap and the Python wheels.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${PELUIT_CHROOT:-/work/debian-chroot}
mirror=${PELUIT_MIRROR:-http://deb.debian.org/debian}
branch=$(git -C "$repo" rev-parse --abbrev-ref HEAD)
git_dir=$(cd "$repo" && cd "$(git rev-parse --git-common-dir)" && pwd)

log() { printf '\033[1m[bare-debian]\033[0m %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "run as root"; exit 2; }
command -v debootstrap >/dev/null || { log "apt-get install debootstrap first"; exit 2; }

# Every run starts from the untouched minbase system (kept as a tarball beside the chroot), so nothing an
# earlier run installed can hide a missing step.
base_tar="$root.minbase.tar"
if [ ! -f "$base_tar" ]; then
  log "debootstrap minbase bookworm (kept as $base_tar)"
  rm -rf --one-file-system "$root.new"
  debootstrap --variant=minbase bookworm "$root.new" "$mirror"
  tar -C "$root.new" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
  rm -rf --one-file-system "$root.new"
fi
if findmnt -rno TARGET | grep -q "^$root/"; then
  log "something is still mounted under $root: unmount it first"; exit 2
fi
rm -rf --one-file-system "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base_tar"
# As in every chroot or container image: packages may not start their services (nginx's would listen on this
# machine's port 80). Peluit's tests start their own nginx on a free port.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

mounted=()
mount_once() {  # mount_once TARGET mount-arguments...
  local target="$root/$1"; shift
  mkdir -p "$target"
  mountpoint -q "$target" || { mount "$@" "$target"; mounted=("$target" "${mounted[@]}"); }
}
cleanup() { for m in "${mounted[@]}"; do umount -l "$m" || true; done; }
trap cleanup EXIT
mount_once proc -t proc proc
mount_once sys -t sysfs sysfs
mount_once dev --bind /dev
mount_once dev/pts -t devpts devpts
mount_once dev/shm -t tmpfs -o mode=1777 shm
mount_once mnt/peluit.git --bind -o ro "$git_dir"
cp /etc/resolv.conf "$root/etc/resolv.conf"

chroot_env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
# Where this machine reaches PyPI through a TLS-inspecting proxy, pip needs the host's CA bundle (a public
# certificate, no secret); a real bare machine does not. Nothing else of the host's environment goes in.
if [ -n "${PIP_CERT:-}" ] && [ -r "$PIP_CERT" ]; then
  cp "$PIP_CERT" "$root/etc/host-ca-bundle.crt"
  chroot_env+=(PIP_CERT=/etc/host-ca-bundle.crt)
fi
# PYTEST_ADDOPTS (e.g. "-n 2 -q") passes through, so bin/test still runs whole (ruff, mypy, import boundary).
if [ -n "${PYTEST_ADDOPTS:-}" ]; then
  chroot_env+=("PYTEST_ADDOPTS=$PYTEST_ADDOPTS")
fi
in_chroot() { chroot "$root" /usr/bin/env -i "${chroot_env[@]}" "$@"; }

log "apt-get install git (nothing else)"
in_chroot apt-get update -qq
in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null

log "clone branch $branch and run bin/test"
in_chroot rm -rf /root/peluit
in_chroot git clone -q --branch "$branch" /mnt/peluit.git /root/peluit
in_chroot bash -c 'cd /root/peluit && git log -1 --format="commit %H" && exec bin/test "$@"' bin/test "$@"
