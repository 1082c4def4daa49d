#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-rootfs.sh: the Debian root filesystem images the QEMU/libvirt tests
# boot into (see Documentation/qemu-libvirt.md), built with Debian's own tools
# and cached outside the repository.
#
#   selftests/rootfs/build-rootfs.sh            build if missing; print the path
#   selftests/rootfs/build-rootfs.sh --path     print the path it would have
#   selftests/rootfs/build-rootfs.sh --force    rebuild even if cached
#   selftests/rootfs/build-rootfs.sh --prune    also delete other rootfs-*.img
#
#   --suite SUITE  the Debian release: bookworm (Debian 12, the default:
#       libvirt 9.0's image) or trixie (Debian 13: QEMU 10.0's image), or
#       any other suite this debootstrap knows. Another suite than bookworm
#       takes packages-SUITE.list and rootfs-setup-SUITE.sh by default and
#       is cached as rootfs-SUITE-<hash>.img.
#
# Another kind of image from the same builder (selftests/deb does this):
#   --name NAME --packages FILE --setup FILE
#       FILE's packages instead of packages.list and that setup script
#       instead of rootfs-setup.sh, cached as rootfs-NAME-<hash>.img;
#       --prune then deletes only other rootfs-NAME-*.img.
#
# The image is $KHV_ROOTFS_CACHE (default /var/cache/khv) /rootfs-<hash>.img,
# <hash> covering the suite, packages.list, this script, rootfs-setup.sh and
# the apt sources: changing any of them makes a new image. Built as
#   debootstrap --variant=minbase SUITE (from the mirror of this machine's
#   apt sources), those sources copied in (this machine's release name
#   replaced by SUITE: the same mirrors, the suite's updates and security),
#   apt-get install --no-install-recommends of packages.list inside a chroot
#   (after a dist-upgrade from those sources), rootfs-setup.sh inside the
#   chroot, then `mke2fs -t ext4 -d DIR` (no loop mount).
# Only the progress lines go to stderr; the image path is the one stdout line.
# Needs root (debootstrap, chroot). A flock serializes concurrent builds.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KHV_ROOTFS_CACHE:-/var/cache/khv}
SUITE=bookworm
SOURCES_DIR=/etc/apt/sources.list.d
PKGLIST= SETUP=

mode=build prune=0 NAME=
while [ $# -gt 0 ]; do
	case $1 in
	--path) mode=path ;;
	--force) mode=force ;;
	--prune) prune=1 ;;
	--name | --packages | --setup | --suite)
		[ $# -gt 1 ] || { echo "build-rootfs: $1 needs a value" >&2; exit 2; }
		case $1 in
		--name) NAME=$2 ;;
		--suite) SUITE=$2 ;;
		--packages) PKGLIST=$(realpath "$2") ;;
		--setup) SETUP=$(realpath "$2") ;;
		esac
		shift ;;
	-h | --help) sed -n '3,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-rootfs: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case $NAME in
"" | [a-z0-9]*) ;;
*) echo "build-rootfs: --name wants lower-case letters, digits and -" >&2; exit 2 ;;
esac
[[ $SUITE =~ ^[a-z]+$ ]] || { echo "build-rootfs: --suite wants a release name" >&2; exit 2; }
# bookworm's files keep their names; another suite's carry it
if [ "$SUITE" = bookworm ]; then VARIANT=; else VARIANT=-$SUITE; fi
: "${PKGLIST:=$HERE/packages$VARIANT.list}" "${SETUP:=$HERE/rootfs-setup$VARIANT.sh}"
[ -f "$PKGLIST" ] && [ -f "$SETUP" ] || { echo "build-rootfs: no $PKGLIST or $SETUP" >&2; exit 2; }

log() { echo "build-rootfs: $*" >&2; }

packages() { sed -e 's/#.*//' "$PKGLIST" | tr -s ' \t\n' ' '; }

# Debian's .sources (deb822) and .list files of this machine, enabled only.
sources_files() {
	local f
	for f in "$SOURCES_DIR"/*.sources "$SOURCES_DIR"/*.list /etc/apt/sources.list; do
		[ -f "$f" ] || continue
		grep -qE 'deb\.debian\.org|/debian(-security)?/?( |$)' "$f" || continue
		echo "$f"
	done
}

# A sources file as the image gets it: in its Suites: and deb lines this
# machine's release name (bookworm, bookworm-updates, bookworm-security)
# becomes $SUITE's, so another suite comes from the same mirrors and keys.
HOST_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
suite_source() {
	if [ -z "$HOST_SUITE" ] || [ "$HOST_SUITE" = "$SUITE" ]; then
		cat "$1"
	else
		sed -E "/^(Suites:|deb(-src)?[[:space:]])/ s/\b$HOST_SUITE\b/$SUITE/g" "$1"
	fi
}

# The mirror debootstrap uses: the first URI serving $SUITE.
mirror() {
	local f
	for f in $(sources_files); do
		case $f in
		*.sources)
			suite_source "$f" | awk -v s="$SUITE" '
				/^URIs:/ { u = $2 }
				/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print u; exit } }
				/^$/ { u = "" }' ;;
		*) suite_source "$f" | awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }' ;;
		esac
	done | head -n1
}

hash=$( { echo "layout 1 $SUITE"; cat "$0" "$PKGLIST" "$SETUP";
	  for f in $(sources_files); do echo "== $f"; suite_source "$f"; done; } |
	sha256sum | cut -c1-16)
STEM=rootfs${NAME:+-$NAME}$VARIANT
IMG=$CACHE/$STEM-$hash.img

if [ $mode = path ]; then echo "$IMG"; exit 0; fi

mkdir -p "$CACHE"
exec 9>"$CACHE/rootfs.lock"
flock 9

prune_others() {
	[ $prune = 1 ] || return 0
	local f
	for f in "$CACHE"/"$STEM"-*.img; do
		# this kind's images only: rootfs-<hash>.img is not rootfs-NAME-<hash>.img
		[[ ${f##*/} =~ ^$STEM-[0-9a-f]{16}\.img$ ]] || continue
		[ "$f" = "$IMG" ] || { log "pruning $f"; rm -f "$f" "${f%.img}.info" "${f%.img}.log"; }
	done
}

if [ -f "$IMG" ] && [ $mode != force ]; then
	prune_others
	echo "$IMG"
	exit 0
fi

[ "$(id -u)" = 0 ] || { log "needs root (debootstrap, chroot)"; exit 1; }
command -v debootstrap >/dev/null && command -v mke2fs >/dev/null || {
	log "installing debootstrap e2fsprogs"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		debootstrap e2fsprogs >/dev/null
}

MIRROR=$(mirror)
[ -n "$MIRROR" ] || { log "no Debian mirror for $SUITE in $SOURCES_DIR"; exit 1; }
[ -f "/usr/share/debootstrap/scripts/$SUITE" ] ||
	{ log "this machine's debootstrap does not know $SUITE"; exit 1; }
WORK=$CACHE/$STEM-$hash.work
DIR=$WORK/root
LOGF=$CACHE/$STEM-$hash.log
MOUNTS=()

cleanup() {
	local m
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[i]}" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"
: >"$LOGF"

t0=$(date +%s)
log "debootstrap --variant=minbase $SUITE from $MIRROR (log: $LOGF)"
debootstrap --variant=minbase "$SUITE" "$DIR" "$MIRROR" >>"$LOGF" 2>&1 ||
	{ tail -n 30 "$LOGF" >&2; log "debootstrap failed"; exit 1; }
t1=$(date +%s)

# This machine's apt sources, for $SUITE, replace debootstrap's sources.list.
rm -f "$DIR/etc/apt/sources.list"
for f in $(sources_files); do suite_source "$f" >"$DIR/etc/apt/sources.list.d/${f##*/}"; done
# No service may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$DIR/usr/sbin/policy-rc.d"
chmod 755 "$DIR/usr/sbin/policy-rc.d"
cat >"$DIR/etc/apt/apt.conf.d/90khv" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
# Keep docs, man pages and translations out of the image.
cat >"$DIR/etc/dpkg/dpkg.cfg.d/90khv-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF

mount -t proc proc "$DIR/proc" && MOUNTS+=("$DIR/proc")
mount --bind /dev "$DIR/dev" && MOUNTS+=("$DIR/dev")

in_root() { chroot "$DIR" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

PKGS=$(packages)
log "apt-get dist-upgrade; apt-get install $PKGS"
{ in_root apt-get update -q &&
  in_root apt-get dist-upgrade -y -q &&
  in_root apt-get install -y -q --no-install-recommends $PKGS; } >>"$LOGF" 2>&1 ||
	{ tail -n 30 "$LOGF" >&2; log "apt-get failed"; exit 1; }
t2=$(date +%s)

cp "$SETUP" "$DIR/tmp/rootfs-setup.sh"
in_root sh /tmp/rootfs-setup.sh >>"$LOGF" 2>&1 ||
	{ tail -n 30 "$LOGF" >&2; log "rootfs-setup.sh failed"; exit 1; }
rm -f "$DIR/tmp/rootfs-setup.sh" "$DIR/usr/sbin/policy-rc.d"
in_root apt-get clean >>"$LOGF" 2>&1
rm -rf "$DIR"/var/lib/apt/lists/* "$DIR"/var/cache/apt/*.bin "$DIR"/var/log/*.log \
	"$DIR"/var/cache/debconf/*-old "$DIR"/var/lib/dpkg/*-old
{ echo "image $IMG"; echo "built $(date -u +%FT%TZ) from $MIRROR";
  echo "packages: $PKGS"; in_root dpkg-query -W -f='${Package} ${Version}\n'; } \
	>"$WORK/info"
for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[i]}"; done
MOUNTS=()

# The ext4 image: what is there plus 512 MiB free (libvirt's state, logs,
# the tests' disk images), made from the directory without mounting it.
used_mb=$(du -sm "$DIR" | cut -f1)
size_mb=$((used_mb * 11 / 10 + 512))
log "mke2fs -t ext4 -d ($used_mb MiB) ${size_mb}M"
mke2fs -q -F -t ext4 -L khv-rootfs -m 0 -E root_owner=0:0 -d "$DIR" \
	"$WORK/img" "${size_mb}M" >>"$LOGF" 2>&1 ||
	{ tail -n 30 "$LOGF" >&2; log "mke2fs failed"; exit 1; }
t3=$(date +%s)
{ echo "timing: debootstrap $((t1 - t0))s, apt $((t2 - t1))s, image $((t3 - t2))s," \
	"total $((t3 - t0))s"; echo "size: ${used_mb} MiB of files, ${size_mb} MiB image"; } |
	tee -a "$WORK/info" >&2
mv "$WORK/info" "${IMG%.img}.info"
mv "$WORK/img" "$IMG"
prune_others
echo "$IMG"
