#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks a maintainer runs on the series:
#   check.sh checkpatch - scripts/checkpatch.pl --strict on every patch
#   check.sh builds     - every patch builds on its own, in order, in a
#                         worktree of the cache tree (O= build/check)
#   check.sh dirs       - the same, but only what the series touches is
#                         compiled after each patch (drivers/target,
#                         drivers/vhost, fs/configfs, the selftests) on a
#                         prepared tree, not the whole kernel: minutes
#                         instead of a cold kernel build (CI, for the LTS
#                         lines)
# KERNEL= picks the kernel line (scripts/lib.sh), as everywhere.
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

# reset_check_tree: the check worktree of the cache tree, at "base" with
# nothing applied (created the first time); prints its path.
reset_check_tree() {
	local dir
	dir=$(tree_of check)
	[ -d "$dir" ] || git -C "$BASE_TREE" worktree add -q --detach "$dir" base
	git -C "$dir" am --abort >/dev/null 2>&1 || true
	git -C "$dir" checkout -q --detach base
	git -C "$dir" reset -q --hard base
	echo "$dir"
}

builds() {
	local dir i=0 p
	dir=$(reset_check_tree)
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

# dirs: one configured, prepared build folder (O= build/check-dirs), and
# after each patch: the fragments merged again (a patch may add an option
# of series.config), the touched kernel folders built, and the selftests
# when the patch changes them.
dirs() {
	local dir O i=0 p frags logf
	dir=$(reset_check_tree)
	O=$BUILD_ROOT/check-dirs
	mkdir -p "$O"
	mapfile -t frags < <(config_fragments series)
	logf=$VCACHE/check-dirs-0.log
	log "preparing $O (tinyconfig + ${frags[*]##*/}, modules_prepare, headers)"
	{ configure_tree "$dir" "$O" "${frags[@]}" &&
	  make -C "$dir" O="$O" -j"$JOBS" modules_prepare; } >"$logf" 2>&1 ||
		{ tail -n 15 "$logf"; die "preparing the check build failed: $logf"; }
	for p in "${patches[@]}"; do
		i=$((i + 1))
		git -C "$dir" am -q "$p" || die "$(basename "$p") does not apply"
		logf=$VCACHE/check-dirs-$i.log
		if { merge_fragments "$dir" "$O" "${frags[@]}" &&
		     make -C "$dir" O="$O" -j"$JOBS" drivers/target/ drivers/vhost/ fs/configfs/ &&
		     if [ -n "$(git -C "$dir" diff --name-only HEAD~1 HEAD -- tools/testing/selftests)" ]; then
			make -C "$dir" O="$O" headers &&
			make -C "$dir/tools/testing/selftests" O="$O/kselftest" TARGETS=vhost_scsi \
				KHDR_INCLUDES="-isystem $O/usr/include"
		     fi; } >"$logf" 2>&1 &&
		   ! grep -E '(error|warning):' "$logf" >/dev/null; then
			echo "ok - the touched folders build after $(basename "$p")"
		else
			echo "not ok - the touched folders build after $(basename "$p") (log: $logf)"
			grep -E '(error|warning):' "$logf" | head -n 15 | sed 's/^/#   /'
			tail -n 5 "$logf" | sed 's/^/#   /'
			return 1
		fi
	done
}

rc=0
case "$what" in
checkpatch) checkpatch || rc=1 ;;
builds) builds || rc=1 ;;
dirs) dirs || rc=1 ;;
all) checkpatch || rc=1; builds || rc=1 ;;
*) die "usage: check.sh [checkpatch|builds|dirs|all]" ;;
esac
exit "$rc"
