#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make the source tree of a flavour match the repository:
#   series   - branch "series" in the cache tree: base + series/*.patch (git am)
#   debug    - the same tree as series (only its config and build folder differ)
#   baseline - a worktree detached at "base": unpatched 7.3
# Only files that differ are rewritten, so incremental builds stay small.
# Unexported commits or edits in the series tree are never thrown away:
# export them (make series-export) or discard them (FORCE=1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-series}
case "$flavour" in
series|debug|baseline) ;;
*) die "prepare.sh: unknown flavour '$flavour' (series, debug or baseline)" ;;
esac
"$TOP/scripts/fetch.sh"

if [ "$flavour" = baseline ]; then
	dir=$(tree_of baseline)
	if [ ! -d "$dir" ]; then
		log "creating the baseline worktree $dir"
		git -C "$BASE_TREE" worktree add -q --detach "$dir" base
	fi
	[ "$(git -C "$dir" rev-parse HEAD)" = "$(git -C "$BASE_TREE" rev-parse base)" ] ||
		git -C "$dir" checkout -q --detach base
	exit 0
fi

cd "$BASE_TREE"
stamp=$(git rev-parse --git-dir)/pscsi-vpd-applied
mapfile -t patches < <(series_patches)
want=$(cat "${patches[@]}" /dev/null | sha256sum | cut -c1-16)
had_hash='' had_commit=''
[ -f "$stamp" ] && read -r had_hash had_commit <"$stamp"

if [ "${FORCE:-0}" != 1 ] && [ -n "$had_commit" ]; then
	edited=
	if [ "$(git rev-parse HEAD)" != "$had_commit" ] ||
	   [ -n "$(git status --porcelain --untracked-files=no | head -n1)" ]; then
		edited=1
	fi
	if [ "$had_hash" = "$want" ]; then
		if [ -n "$edited" ]; then
			log "WARNING: building $BASE_TREE with edits not yet in series/ (make series-export)"
		else
			log "series tree up to date ($(git rev-list --count base..HEAD) patches)"
		fi
		exit 0
	fi
	[ -z "$edited" ] || die "series/ changed, and $BASE_TREE has edits not exported to series/.
  keep them:    make series-export   (then commit series/)
  discard them: FORCE=1 make prepare"
fi

[ -z "$(git status --porcelain --untracked-files=no)" ] || git reset -q --hard
git am --abort >/dev/null 2>&1 || true
git checkout -q -B series base
n=0
for p in $(series_patches); do
	git am -q --keep-cr "$p" || { git am --abort; die "patch $(basename "$p") does not apply"; }
	n=$((n + 1))
done
echo "$want $(git rev-parse HEAD)" >"$stamp"
log "series applied: $n patches on base"
