#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kbuild-trixie.sh: build khv.ko for Debian 13's kernel (6.12) the way a
# trixie host would, with trixie's gcc and linux-headers-amd64, W=1 and
# sparse (C=1), inside the root scripts/trixie-root.sh makes.
#
#   scripts/kbuild-trixie.sh OUT_BASE
#
# Writes OUT_BASE-<kver>/khv.ko and build.log (make's whole output) and
# prints KVER=<kver>. Exits non-zero if khv.ko was not built; warnings are
# for the caller to judge from build.log.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
out_base=$1

eval "$("$HERE/trixie-root.sh" linux-headers-amd64 gcc make libc6-dev perl sparse)"
# the headers linux-headers-amd64 points at: the newest installed
kdir=$(ls -d "$ROOT"/usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)
kver=${kdir##*/linux-headers-}
out=$out_base-$kver
work=/tmp/khv-kbuild.$$

rm -rf "$out" "$ROOT$work" && mkdir -p "$out" "$ROOT$work"
trap 'rm -rf "$ROOT$work"' EXIT
(cd "$TOP" && cp -r Kbuild kmod uapi "$ROOT$work/")
find "$ROOT$work" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
chroot "$ROOT" make -C "/usr/src/linux-headers-$kver" M="$work" W=1 C=1 modules \
	> "$out/build.log" 2>&1 || true
[ -f "$ROOT$work/khv.ko" ] || {
	echo "kbuild-trixie: khv.ko for $kver did not build; see $out/build.log" >&2
	exit 1
}
cp "$ROOT$work/khv.ko" "$out/"
echo "KVER=$kver"
