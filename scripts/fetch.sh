#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the pinned linux-source package and unpack it once into the cache as
# a git tree whose first commit, tagged "base", is the pristine source.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$VCACHE"
"$TOP/scripts/deps.sh"

if git -C "$BASE_TREE" rev-parse -q --verify base >/dev/null 2>&1; then
	log "base tree ready: $BASE_TREE"
	exit 0
fi

deb=$VCACHE/${KPKG}_${KVER_DEB}_all.deb
if [ ! -s "$deb" ]; then
	if ! archive_has_pin; then
		have=$(archive_versions | xargs)
		die "the archive no longer has $KPKG $KVER_DEB (it has: ${have:-nothing}). Rebase the series and bump KVER_DEB in scripts/lib.sh."
	fi
	log "downloading $KPKG $KVER_DEB"
	(cd "$VCACHE" && apt-get download -q "$KPKG=$KVER_DEB") >&2
	# apt-get download escapes ':' and '~' differently across versions.
	got=$(find "$VCACHE" -maxdepth 1 -name "${KPKG}_*_all.deb" | head -n1)
	[ "$got" = "$deb" ] || mv "$got" "$deb"
fi

tmp=$VCACHE/unpack.tmp
rm -rf "$tmp" "$BASE_TREE"
mkdir -p "$tmp"
log "unpacking $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/
tarball=$(find "$tmp/usr/src" -name 'linux-source-*.tar.xz' | head -n1)
[ -n "$tarball" ] || die "no source tarball inside $deb"
mkdir -p "$BASE_TREE"
tar -xJf "$tarball" -C "$BASE_TREE" --strip-components=1
rm -rf "$tmp"

cd "$BASE_TREE"
# Debian appends "/*" to the top-level .gitignore, which would make git
# ignore every file. Drop that one line so git sees the tree as upstream.
sed -i '/^\/\*$/d' .gitignore
git init -q
git config user.name "pscsi-vpd developers"
git config user.email "dev@pscsi-vpd.invalid"
git config gc.auto 0
log "committing the pristine source (takes a minute)"
git add -A
n=$(git diff --cached --name-only | wc -l)
[ "$n" -gt 50000 ] || die "only $n files staged: .gitignore still hides the tree"
git commit -q -m "Linux $KVER_DEB (Debian $KPKG, pristine)"
git tag base
log "base tree ready: $BASE_TREE ($n files)"
