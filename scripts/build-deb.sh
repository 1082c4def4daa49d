#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh [--head] [OUTDIR]: khv's Debian source and binary packages
# (`make deb`), built with dpkg-buildpackage and debhelper (debian/), then
# checked with lintian. See Documentation/packaging.md.
#
#   OUTDIR   where the .dsc, .tar.xz, .deb, .buildinfo and .changes go
#            (default build/deb); the source tree is unpacked beside them
#            in OUTDIR/khv-VERSION and built there.
#   --head   package the last commit (git archive HEAD) instead of the
#            working tree. By default the working tree goes in as git sees
#            it: tracked files as they are now, plus untracked files git
#            does not ignore (build output never goes in).
#
# Installs with apt what is missing: debian/control's Build-Depends
# (apt-get build-dep) and lintian. The version comes from debian/changelog
# alone. Exits non-zero if the build fails or lintian reports an error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
from=worktree
OUT=
for a in "$@"; do
	case $a in
	--head) from=head ;;
	-h | --help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "build-deb: unknown option $a" >&2; exit 2 ;;
	*) OUT=$a ;;
	esac
done
OUT=$(mkdir -p "${OUT:-$ROOT/build/deb}" && cd "${OUT:-$ROOT/build/deb}" && pwd)

log() { echo "build-deb: $*" >&2; }

"$ROOT/scripts/deps.sh" dpkg-dev lintian

version=$(cd "$ROOT" && dpkg-parsechangelog -S Version)
SRC=$OUT/khv-$version
log "khv $version from the $from into $OUT"
rm -rf "$SRC" "$OUT"/khv_* "$OUT"/khv-dkms_* "$OUT"/khv-tools_* "$OUT"/lintian.txt
mkdir -p "$SRC"
if [ $from = head ]; then
	git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$SRC"
else
	# Files deleted in the working tree but still in the index are skipped.
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -c) | tar -x -C "$SRC"
fi

if ! (cd "$SRC" && dpkg-checkbuilddeps >/dev/null 2>&1); then
	[ "$(id -u)" = 0 ] || { log "missing build dependencies; run 'make deb' as root"; exit 1; }
	log "installing the build dependencies of debian/control"
	export DEBIAN_FRONTEND=noninteractive
	apt-get build-dep -y -qq --no-install-recommends "$SRC" >/dev/null ||
		{ apt-get update -qq && apt-get build-dep -y -qq --no-install-recommends "$SRC" >/dev/null; }
fi

t0=$(date +%s)
# -us -uc: nothing to sign with; the packages are checked by lintian below.
(cd "$SRC" && dpkg-buildpackage -us -uc -j"$(nproc)") >"$OUT/build.log" 2>&1 ||
	{ tail -n 40 "$OUT/build.log" >&2; log "dpkg-buildpackage failed; log: $OUT/build.log"; exit 1; }
log "built in $(($(date +%s) - t0))s (log: $OUT/build.log)"

changes=$OUT/khv_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
# --fail-on error: warnings are listed (and explained in packaging.md),
# errors fail the build.
rc=0
lintian --display-info --fail-on error "$changes" >"$OUT/lintian.txt" 2>&1 || rc=$?
sed 's/^/lintian: /' "$OUT/lintian.txt" >&2
[ $rc = 0 ] || { log "lintian found errors"; exit 1; }
(cd "$OUT" && ls -1 ./*.dsc ./*.deb)
