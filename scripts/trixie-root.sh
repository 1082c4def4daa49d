#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# trixie-root.sh: a Debian 13 (trixie) root filesystem made with
# debootstrap from the same apt registry, for the tools whose trixie
# versions the project needs (they need trixie's glibc, so they run from
# this tree, not from the host). Cached outside the repository.
#
#   scripts/trixie-root.sh [PACKAGE...]   make the root if missing, install
#                                         the packages if missing; print
#                                         ROOT=<path> on stdout
#
# Users: scripts/kbuild-trixie.sh (gcc 14, 6.12 headers, sparse: make
# check-kbuild), scripts/trixie-kernel.sh (apt, for the 6.12 kernel
# package) and scripts/trixie-qemu (QEMU 10.0, FUZZ_QEMU=scripts/trixie-qemu).
#
# The root lives in $KHV_TRIXIE_ROOT (default /var/cache/khv/trixie-root);
# a flock serializes concurrent runs. Needs root (debootstrap, chroot).
set -eu

ROOT=${KHV_TRIXIE_ROOT:-/var/cache/khv/trixie-root}
MIRROR=${KHV_TRIXIE_MIRROR:-http://deb.debian.org/debian}

log() { echo "trixie-root: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
mkdir -p "$(dirname "$ROOT")"
exec 9> "$ROOT.lock"
flock 9

if [ ! -f "$ROOT/.khv-complete" ]; then
	if ! command -v debootstrap > /dev/null; then
		log "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 ||
			die "apt-get install debootstrap failed"
	fi
	[ -f /usr/share/debootstrap/scripts/trixie ] ||
		die "this debootstrap does not know trixie"
	rm -rf "$ROOT"
	log "debootstrap trixie into $ROOT (about 2 minutes)"
	debootstrap --variant=minbase trixie "$ROOT" "$MIRROR" > "$ROOT.log" 2>&1 ||
		die "debootstrap failed; see $ROOT.log"
	touch "$ROOT/.khv-complete"
fi

missing=
for p in "$@"; do
	chroot "$ROOT" dpkg-query -W -f '${Status}' "$p" 2> /dev/null |
		grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing in trixie:$missing"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2> /dev/null || true
	chroot "$ROOT" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing" >> "$ROOT.log" 2>&1 ||
		die "apt-get install$missing failed; see $ROOT.log"
fi
echo "ROOT=$ROOT"
