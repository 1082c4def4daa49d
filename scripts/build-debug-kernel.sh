#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh: the debug test kernel, built from Debian's own
# linux-source-6.1 (the source of the stock kernel the test machine boots)
# with KASAN, UBSAN, lockdep, kmemleak, KCOV and KUnit, and cached outside
# the repository.
#
#   scripts/build-debug-kernel.sh          build if missing; print the paths
#   scripts/build-debug-kernel.sh --print  print the paths; fail if not built
#   scripts/build-debug-kernel.sh --force  rebuild from a fresh source tree
#   scripts/build-debug-kernel.sh --config configure and check the config only
#   scripts/build-debug-kernel.sh --prune  also delete other cached builds
#                                          unused for a day
#   scripts/build-debug-kernel.sh --deps   only install what the build needs
#                                          (make check does, then builds in
#                                          the background: no apt there)
#
# The build lives in $KHV_DEBUG_KERNEL_CACHE (default
# /var/cache/khv/debug-kernel) /<source version>-<hash>, <hash> covering
# the settings in scripts/debug-kernel.config (not its comments), the base
# config, this script's LAYOUT and the compiler: changing any of them makes
# a new build.  In there:
#   bzImage, System.map, config     the kernel, its symbols and .config
#   modules/lib/modules/<kver>/     `make modules_install` (kernel/..., the
#                                   stock lane's modules at stock's paths)
#   linux/                          the build tree: KDIR for external modules
#   build.log, info                 make's output; versions and build time
# The paths go to stdout as KEY=VALUE lines (for `eval`), progress to
# stderr.  Needs root to install build tools with apt and to write the
# cache.  A flock serializes concurrent builds.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
FRAGMENT=$HERE/debug-kernel.config
CACHE=${KHV_DEBUG_KERNEL_CACHE:-/var/cache/khv/debug-kernel}
SRC_PKG=linux-source-6.1
SRC_TAR=/usr/src/$SRC_PKG.tar.xz
# defconfig rather than tinyconfig: it already boots on QEMU's `-M pc` and
# makes the stock kernel's broad choices (ACPI, NUMA, cgroups, IPv6), and
# once the fragment has trimmed the drivers a test machine never sees,
# about 1900 objects are left; tinyconfig would save little of the build
# and need every symbol the machine relies on spelled out.
BASE=x86_64_defconfig
# Bump when the steps below change what ends up in the cache.
LAYOUT=1
JOBS=${JOBS:-$(nproc)}

mode=build prune=0
for a in "$@"; do
	case $a in
	--print) mode=print ;;
	--deps) mode=deps ;;
	--force) mode=force ;;
	--config) mode=config ;;
	--prune) prune=1 ;;
	-h | --help) sed -n '4,/^# cache/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-debug-kernel: unknown option $a" >&2; exit 2 ;;
	esac
done

log() { echo "build-debug-kernel: $*" >&2; }
die() { log "$*"; exit 1; }

# --- Build tools, installed only when missing (as scripts/deps.sh does).
# No dwarves: without DEBUG_INFO there is no BTF for pahole to make.
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

need_packages() {
	local need="" p
	for p in "$@"; do
		installed "$p" || need="$need $p"
	done
	[ -n "$need" ] || return 0
	[ "$(id -u)" = 0 ] || die "missing$need; run as root"
	log "installing$need"
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ] ||
		apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null ||
		{ apt-get update -qq &&
		  apt-get install -y -qq --no-install-recommends $need >/dev/null; }
}

pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

[ $mode = print ] ||
	need_packages build-essential flex bison bc libssl-dev libelf-dev cpio \
		xz-utils kmod $SRC_PKG
[ -f "$SRC_TAR" ] || die "no $SRC_TAR (apt-get install $SRC_PKG)"
[ $mode != deps ] || exit 0

# The source must be the stock kernel's: Debian upgrades linux-source-6.1
# and linux-image-amd64 together, but say so when they have drifted apart.
srcver=$(pkg_version $SRC_PKG)
stockver=$(pkg_version linux-image-amd64 || true)
[ -n "$srcver" ] || die "$SRC_PKG is not installed"
if [ -n "$stockver" ] && [ "$stockver" != "$srcver" ]; then
	log "warning: $SRC_PKG is $srcver but linux-image-amd64 is $stockver"
fi

# fragment_settings: `SYMBOL VALUE` per line of the fragment, VALUE being
# y, m, n (for `is not set`) or the literal right-hand side.
fragment_settings() {
	sed -n -e 's/^CONFIG_\([A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
		-e 's/^# CONFIG_\([A-Za-z0-9_]*\) is not set$/\1 n/p' "$FRAGMENT"
}

# The settings, not the fragment's comments, make the key: a comment edit
# must not cost a 20-minute rebuild.
hash=$( { echo "layout $LAYOUT base $BASE source $srcver"; gcc --version | head -n1;
	  fragment_settings; } | sha256sum | cut -c1-12)
D=$CACHE/$srcver-$hash
KDIR=$D/linux

# KEY=VALUE lines for the caller: what to boot and what to build against.
# Each call marks the build as used, so that --prune spares it.
print_paths() {
	local kver
	kver=$(cat "$D/kernel.release")
	touch "$D/last-used" 2>/dev/null || true
	echo "KVER=$kver"
	echo "BZIMAGE=$D/bzImage"
	echo "MODULES_DIR=$D/modules/lib/modules/$kver"
	echo "KDIR=$KDIR"
	echo "SYSTEM_MAP=$D/System.map"
}

if [ $mode = print ]; then
	[ -f "$D/complete" ] || die "not built: $D (run $0)"
	print_paths
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
if ! flock -n 9; then
	log "waiting for another build ($CACHE/lock)"
	flock 9
fi

# Other checkouts (an older commit, a clean clone running make check) may
# be using another build right now, by path: only builds nobody has asked
# for in a day go.
if [ $prune = 1 ]; then
	for old in "$CACHE"/*/; do
		old=${old%/}
		[ "$old" != "$D" ] || continue
		if [ -n "$(find "$old/" -maxdepth 1 -name last-used -mmin -1440)" ]; then
			log "keeping $old (used in the last day)"
		else
			log "pruning $old"
			rm -rf "$old"
		fi
	done
fi

if [ $mode = force ]; then
	rm -rf "$D"
elif [ $mode = build ] && [ -f "$D/complete" ]; then
	print_paths
	exit 0
fi

start=$(date +%s)
mkdir -p "$D"

# A tree whose unpacking was interrupted is thrown away; one whose build
# was interrupted is kept, and make carries on where it stopped.
if [ ! -f "$KDIR/.khv-unpacked" ]; then
	log "unpacking $SRC_TAR ($srcver) into $KDIR"
	rm -rf "$KDIR" "$D/unpack"
	mkdir -p "$D/unpack"
	tar -xJf "$SRC_TAR" -C "$D/unpack"
	mv "$D/unpack/$SRC_PKG" "$KDIR"
	rmdir "$D/unpack"
	touch "$KDIR/.khv-unpacked"
fi
cd "$KDIR"

# --- The config: base, then the fragment through scripts/config, then
# olddefconfig to settle dependencies.  Done every time (cheap): kbuild
# only rebuilds what a changed symbol touches.
log "configuring: $BASE + $FRAGMENT"
make -s $BASE >/dev/null

fragment_settings | while read -r sym val; do
	case $val in
	y) scripts/config --enable "$sym" ;;
	m) scripts/config --module "$sym" ;;
	n) scripts/config --disable "$sym" ;;
	\"*) scripts/config --set-str "$sym" "$(echo "$val" | sed 's/^"\(.*\)"$/\1/')" ;;
	*) scripts/config --set-val "$sym" "$val" ;;
	esac
done
make -s olddefconfig >/dev/null

# Every line of the fragment must have survived olddefconfig: a symbol
# whose dependencies are not met is silently dropped by kconfig, and a
# debug kernel without its KASAN would pass every test for nothing.
bad=$(fragment_settings | while read -r sym val; do
	got=$(sed -n -e "s/^CONFIG_$sym=\(.*\)$/\1/p" .config)
	case $val in
	n) [ -z "$got" ] || [ "$got" = n ] || echo "CONFIG_$sym=$got (wanted unset)" ;;
	*) [ "$got" = "$val" ] || echo "CONFIG_$sym=${got:-unset} (wanted $val)" ;;
	esac
done)
if [ -n "$bad" ]; then
	log "the config did not come out as $FRAGMENT asks:"
	echo "$bad" | sed 's/^/    /' >&2
	exit 1
fi
cp .config "$D/config"
if [ $mode = config ]; then
	log "config checked: $KDIR/.config"
	exit 0
fi

# --- The build: kernel, modules, and with them everything an external
# module build needs (scripts/, Module.symvers, objtool).
log "building with -j$JOBS, log in $D/build.log"
if ! nice -n 10 make -j"$JOBS" all >"$D/build.log" 2>&1; then
	tail -n 40 "$D/build.log" >&2
	die "build failed; log in $D/build.log"
fi
nice -n 10 make -j"$JOBS" modules_prepare >>"$D/build.log" 2>&1 ||
	die "modules_prepare failed; log in $D/build.log"
make -s kernelrelease >"$D/kernel.release"
kver=$(cat "$D/kernel.release")

rm -rf "$D/modules"
make -s INSTALL_MOD_PATH="$D/modules" modules_install >>"$D/build.log" 2>&1 ||
	die "modules_install failed; log in $D/build.log"

# The test machine's stock lane insmods these, by these paths, and nothing
# else (selftests/testvm STOCK_MODULES): each must be there and depend
# only on the others, or the lane fails inside the machine much later.
LANE_MODULES="virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko
arch/x86/kvm/kvm-amd.ko arch/x86/kvm/kvm-intel.ko arch/x86/kernel/msr.ko"
names=$(for m in $LANE_MODULES; do basename "$m" .ko | tr - _; done)
for m in $LANE_MODULES; do
	f=$D/modules/lib/modules/$kver/kernel/$m
	[ -f "$f" ] || die "the stock lane's $m was not built"
	for dep in $(modinfo -F depends "$f" | tr , ' '); do
		echo "$names" | grep -qx "$dep" ||
			die "$m depends on $dep, which the stock lane does not load"
	done
done

cp arch/x86/boot/bzImage "$D/bzImage"
cp System.map "$D/System.map"

secs=$(( $(date +%s) - start ))
cat >"$D/info" <<EOF
source $SRC_PKG $srcver
stock linux-image-amd64 ${stockver:-none}
kernelrelease $kver
base $BASE + $(basename "$FRAGMENT") (hash $hash)
compiler $(gcc --version | head -n1)
built $(date -u +%Y-%m-%dT%H:%M:%SZ) with -j$JOBS in ${secs}s
EOF
touch "$D/complete"
log "built $kver in $((secs / 60))m$((secs % 60))s"
print_paths
