#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks a maintainer runs on the series:
#   check.sh checkpatch - scripts/checkpatch.pl --strict on every patch
#   check.sh builds     - every patch builds on its own, in order, in a
#                         worktree of the cache tree (O= build/check)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:-all}
"$TOP/scripts/fetch.sh" 2>/dev/null
mapfile -t patches < <(series_patches)
[ ${#patches[@]} -gt 0 ] || die "series/ has no patches"

# checkpatch asks "does MAINTAINERS need updating?" of every patch that adds
# a file. Answer it: when an F: pattern of MAINTAINERS (after the patch)
# already covers each added file, the question is settled.
maintainers_cover() {
	local p=$1 f
	while read -r f; do
		python3 - "$BASE_TREE/MAINTAINERS" "$f" <<'PY' || return 1
import sys
pats = [l[2:].strip() for l in open(sys.argv[1], errors='replace') if l.startswith('F:')]
f = sys.argv[2]
sys.exit(0 if any(f == q or (q.endswith('/') and f.startswith(q)) for q in pats) else 1)
PY
	done < <(awk '/^diff --git /{f=$4} /^new file mode/{sub("^b/","",f); print f}' "$p")
}

checkpatch() {
	local p bad=0 out ignore
	for p in "${patches[@]}"; do
		# The cache tree is Debian's source package, without upstream
		# history: checkpatch cannot look up the commit a Fixes: tag
		# names (its format is still checked).
		ignore=--ignore=UNKNOWN_COMMIT_ID
		maintainers_cover "$p" && ignore="$ignore,FILE_PATH_CHANGES"
		# checkpatch runs spdxcheck.py with python3: Debian's has ply and git.
		out=$(cd "$BASE_TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl \
			--strict --quiet $ignore "$p" 2>&1) || true
		if [ -n "$out" ]; then
			echo "not ok - checkpatch $(basename "$p")"
			echo "$out" | sed 's/^/#   /'
			bad=1
		else
			echo "ok - checkpatch $(basename "$p")"
		fi
	done
	return "$bad"
}

builds() {
	local dir i=0 p
	dir=$(tree_of check)
	[ -d "$dir" ] || git -C "$BASE_TREE" worktree add -q --detach "$dir" base
	git -C "$dir" am --abort >/dev/null 2>&1 || true
	git -C "$dir" checkout -q --detach base
	git -C "$dir" reset -q --hard base
	for p in "${patches[@]}"; do
		i=$((i + 1))
		git -C "$dir" am -q "$p" || die "$(basename "$p") does not apply"
		if "$TOP/scripts/build.sh" check >"$VCACHE/check-build-$i.log" 2>&1; then
			echo "ok - builds after $(basename "$p")"
		else
			echo "not ok - builds after $(basename "$p") (log: $VCACHE/check-build-$i.log)"
			tail -n 15 "$VCACHE/check-build-$i.log" | sed 's/^/#   /'
			return 1
		fi
	done
}

rc=0
case "$what" in
checkpatch) checkpatch || rc=1 ;;
builds) builds || rc=1 ;;
all) checkpatch || rc=1; builds || rc=1 ;;
*) die "usage: check.sh [checkpatch|builds|all]" ;;
esac
exit "$rc"
