#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the commits of the cache tree's "series" branch (base..series) back
# to the kernel line's series folder (series/, lts/6.12/ or lts/6.1/) as
# git format-patch files with stable names and contents, plus the cover
# letter built from its cover-letter.txt (first paragraph: the subject;
# the rest: the body).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$BASE_TREE"
[ "$(git rev-parse --abbrev-ref HEAD)" = series ] || die "the tree is not on branch series"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "uncommitted changes in $BASE_TREE: commit them first (git commit / git commit --amend)"
n=$(git rev-list --count base..series)
[ "$n" -gt 0 ] || die "no commits on series"

git config branch.series.description "$(cat "$SERIES_DIR/cover-letter.txt")"
# The LTS lines name their kernel line: "PATCH 6.12 v2" (backports for
# Debian's kernels; their cover letters say why they are not for stable@).
prefix="PATCH v2"
[ "$KERNEL" = 7.3 ] || prefix="PATCH $KERNEL v2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git format-patch -q --cover-letter --cover-from-description=subject \
	--zero-commit --no-signature --subject-prefix="$prefix" \
	-o "$tmp" base..series
find "$SERIES_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
cp "$tmp"/*.patch "$SERIES_DIR/"
# The tree now matches the series again: record that for prepare.sh.
mapfile -t patches < <(series_patches)
want=$(cat "${patches[@]}" /dev/null | sha256sum | cut -c1-16)
echo "$want $(git rev-parse HEAD)" >"$(git rev-parse --git-dir)/pscsi-vpd-applied"
log "exported $n patches and the cover letter to ${SERIES_DIR#"$TOP"/}/"
git -C "$TOP" status --short "$SERIES_DIR"
