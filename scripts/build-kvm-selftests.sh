#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-kvm-selftests.sh: Linux's own KVM selftests
# (tools/testing/selftests/kvm), built from Debian's linux-source-6.1 (the
# source of the stock kernel the test machine boots) as static programs,
# since the test machine's initramfs has no libc, and cached outside the
# repository.  make check-kvm runs them on stock KVM and on khv
# (Documentation/kvm-selftests.md).
#
#   scripts/build-kvm-selftests.sh          build if missing; print the paths
#   scripts/build-kvm-selftests.sh --print  print the paths; fail if not built
#   scripts/build-kvm-selftests.sh --force  rebuild
#
# The build lives in $KHV_KVM_SELFTESTS_CACHE (default
# /var/cache/khv/kvm-selftests) /<source version>-<hash>, <hash> covering
# this script's LAYOUT, the compiler and selftests/kvm-selftests/compat.h.
# In there:
#   bin/        every x86_64 program the selftests' Makefile builds, by its
#               base name, stripped (the tests load their own ELF segments
#               into the guest; symbols and DWARF are of no use in the test
#               machine, which has no addr2line, and would double the
#               initramfs)
#   programs    one line per program the Makefile wants:
#               NAME STATUS PATH, STATUS being
#                 built    built as shipped
#                 compat   built only with compat.h forced in (see there)
#                 missing  did not build at all
#                 script   a TEST_PROGS shell script (not copied: the
#                          test machine has no bash; see the plan)
#   build.log, info
# A new build removes the other builds nobody has used for a day.
# The paths go to stdout as KEY=VALUE lines (for `eval`), progress to
# stderr.  Needs root to install packages with apt and to write the
# cache.  A flock serializes concurrent builds.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
CACHE=${KHV_KVM_SELFTESTS_CACHE:-/var/cache/khv/kvm-selftests}
SRC_PKG=linux-source-6.1
SRC_TAR=/usr/src/$SRC_PKG.tar.xz
COMPAT=$TOP/selftests/kvm-selftests/compat.h
# Bump when the steps below change what ends up in the cache.
LAYOUT=2
JOBS=${JOBS:-2}

mode=build
for a in "$@"; do
	case $a in
	--print) mode=print ;;
	--force) mode=force ;;
	-h | --help) sed -n '4,/^# cache/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-kvm-selftests: unknown option $a" >&2; exit 2 ;;
	esac
done

log() { echo "build-kvm-selftests: $*" >&2; }
die() { log "$*"; exit 1; }
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

# deps.sh is quiet when everything is there.  xz-utils unpacks the source;
# the selftests need nothing beyond libc's static archives.
[ $mode = print ] || "$HERE/deps.sh" build-essential libc6-dev xz-utils $SRC_PKG >&2 ||
	die "could not install the build's packages"
[ -f "$SRC_TAR" ] || die "no $SRC_TAR (apt-get install $SRC_PKG)"

srcver=$(pkg_version $SRC_PKG)
stockver=$(pkg_version linux-image-amd64 || true)
[ -n "$srcver" ] || die "$SRC_PKG is not installed"
# The tests must be the stock kernel's own: Debian upgrades the two
# together, but say so when they have drifted apart.
if [ -n "$stockver" ] && [ "$stockver" != "$srcver" ]; then
	log "warning: $SRC_PKG is $srcver but linux-image-amd64 is $stockver"
fi

hash=$( { echo "layout $LAYOUT source $srcver"; gcc --version | head -n1;
	  cat "$COMPAT"; } | sha256sum | cut -c1-12)
D=$CACHE/$srcver-$hash

# Each call marks the build as used: a new build removes the others only
# when nobody has asked for them in a day (another checkout may be running
# an older layout right now).
print_paths() {
	touch "$D/last-used" 2>/dev/null || true
	echo "KVM_SELFTESTS_VERSION=$srcver"
	echo "KVM_SELFTESTS_BIN=$D/bin"
	echo "KVM_SELFTESTS_PROGRAMS=$D/programs"
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

if [ $mode = build ] && [ -f "$D/complete" ]; then
	print_paths
	exit 0
fi

start=$(date +%s)
rm -rf "$D"
mkdir -p "$D/bin"
SRC=$D/src/$SRC_PKG
BUILDLOG=$D/build.log

# Only what `make headers` and the selftests' build read: the top-level
# kbuild files and scripts, the uapi headers, arch/x86 (its uapi headers
# and the syscall tables they are generated from) and tools/.  xz has to
# decompress the whole archive all the same (about 15 s).
log "unpacking the KVM selftests of $SRC_TAR ($srcver)"
mkdir -p "$D/src"
tar -xJf "$SRC_TAR" -C "$D/src" $SRC_PKG/Makefile $SRC_PKG/Kbuild $SRC_PKG/Kconfig \
	$SRC_PKG/scripts $SRC_PKG/include/uapi $SRC_PKG/arch/x86 $SRC_PKG/tools ||
	die "could not unpack $SRC_TAR"

# The selftests include the kernel's exported uapi headers from usr/include
# of the tree (lib.mk's KHDR_INCLUDES), which `make headers` generates.
log "exporting the uapi headers"
make -C "$SRC" -s headers >"$BUILDLOG" 2>&1 ||
	{ tail -n 20 "$BUILDLOG" >&2; die "make headers failed; log in $BUILDLOG"; }

K=$SRC/tools/testing/selftests/kvm
# Static and not PIE: the test machine has no dynamic loader or libc.  An
# environment LDFLAGS is extended, not replaced, by the Makefile's own
# `LDFLAGS += -pthread -no-pie` (a command-line one would replace it).
# -k: one program that does not build must not stop the others.
log "building with -j$JOBS, log in $BUILDLOG"
(cd "$K" && LDFLAGS=-static nice -n 10 make -k -j"$JOBS") >>"$BUILDLOG" 2>&1 || true

# What the Makefile wanted for x86_64: the test programs, the programs a
# test script runs, and the scripts.
wanted() {	# wanted VAR: the Makefile's VAR after lib.mk, one per line
	make -s -C "$K" --no-print-directory \
		--eval "khv-print-var: ; @echo \$($1)" khv-print-var | tr ' ' '\n' | sed '/^$/d'
}
progs=$( { wanted TEST_GEN_PROGS; wanted TEST_GEN_PROGS_EXTENDED; } )
scripts=$(wanted TEST_PROGS)
[ -n "$progs" ] || die "the selftests' Makefile lists no programs (see $BUILDLOG)"

relpath() {	# relpath PATH: PATH (absolute, or relative to $K) relative to $K
	(cd "$K" && realpath -m --relative-to=. "$1")
}

# A program whose plain build failed gets one more try with compat.h forced
# in (a build fix, not a test change: see that header).
: >"$D/programs"
for p in $progs; do
	name=${p##*/}
	rel=$(relpath "$p")
	[ ! -e "$D/bin/$name" ] || die "two programs are called $name"
	status=built
	if [ ! -x "$p" ]; then
		log "$rel did not build; again with $(basename "$COMPAT")"
		echo "=== $rel again, with -include $COMPAT" >>"$BUILDLOG"
		(cd "$K" && LDFLAGS=-static make EXTRA_CFLAGS="-include $COMPAT" "$p") \
			>>"$BUILDLOG" 2>&1 || true
		status=compat
		[ -x "$p" ] || status=missing
	fi
	[ $status = missing ] || strip -o "$D/bin/$name" "$p" ||
		die "could not strip $p"
	echo "$name $status $rel" >>"$D/programs"
done
for s in $scripts; do
	echo "$(basename "$s") script $(relpath "$s")" >>"$D/programs"
done

# Every program must be static: a dynamic one fails in the test machine
# with a confusing "not found".
for f in "$D"/bin/*; do
	if readelf -l "$f" | grep -q INTERP; then
		die "$f is not statically linked"
	fi
done

rm -rf "$D/src"
secs=$(( $(date +%s) - start ))
n_built=$(grep -c ' built ' "$D/programs" || true)
n_compat=$(grep -c ' compat ' "$D/programs" || true)
n_missing=$(grep -c ' missing ' "$D/programs" || true)
cat >"$D/info" <<EOF
source $SRC_PKG $srcver
stock linux-image-amd64 ${stockver:-none}
compiler $(gcc --version | head -n1)
programs $n_built built, $n_compat built with compat.h, $n_missing missing
built $(date -u +%Y-%m-%dT%H:%M:%SZ) with -j$JOBS in ${secs}s
EOF
touch "$D/complete"
for old in "$CACHE"/*/; do
	old=${old%/}
	[ "$old" != "$D" ] || continue
	if [ -z "$(find "$old/" -maxdepth 1 -name last-used -mmin -1440)" ]; then
		log "removing $old (unused for a day)"
		rm -rf "$old"
	fi
done
log "built in ${secs}s: $n_built programs, $n_compat with compat.h, $n_missing missing"
print_paths
