#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove that the rig cannot report a broken run as a pass: a failing test,
# a kernel WARNING, a panicking kernel and a hung VM must each make
# scripts/vm.py exit non-zero and say which. On the debug flavour
# (check-rig.sh debug) also: KASAN and UBSAN reports, each named after the
# test that provoked it, and a memory leak found by kmemleak. Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-series}
tree_of "$flavour" >/dev/null

pass=0 fail=0
n=0
# expect NAME PATTERNS VM-ARGS...: the run must fail and its output match
# every pattern (one a line).
expect() {
	local name=$1 patterns=$2 out rc t0=$SECONDS p missing='' seen=''
	shift 2
	n=$((n + 1))
	out=$("$TOP/scripts/vm.py" --flavour "$flavour" --groups rigcheck "$@" 2>&1)
	rc=$?
	while IFS= read -r p; do
		if grep -qE "$p" <<<"$out"; then
			seen+="${seen:+; }'$(grep -m1 -oE "$p" <<<"$out")'"
		else
			missing+="${missing:+, }'$p'"
		fi
	done <<<"$patterns"
	if [ "$rc" != 0 ] && [ -z "$missing" ] &&
	   grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' <<<"$out"; then
		echo "ok $n - $name: exit $rc, reported $seen ($((SECONDS - t0))s)"
		pass=$((pass + 1))
	else
		echo "not ok $n - $name: exit $rc, expected a failure matching ${missing:-all of it}"
		sed 's/^/#   /' <<<"$out"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..$([ "$flavour" = debug ] && echo 6 || echo 4)"
# --timeout is for the series kernel; vm.py stretches it for a slower one.
expect "failing test" 'FAILED: not ok rigcheck/001-fails' --only '001-*' --timeout 300
expect "kernel warning" 'FAILED: .*kernel.*WARNING: deliberate' --only '004-*' --timeout 300
expect "kernel panic" 'FAILED: kernel panic' --only '002-*' --timeout 300
expect "hung VM" 'FAILED: VM hung' --only '003-*' --timeout 30
if [ "$flavour" = debug ]; then
	# One VM: two reports from two tests in a row, each named after its own.
	expect "KASAN and UBSAN reports, each named after its test" \
		"FAILED: kernel report: (KASAN: slab-use-after-free|KFENCE: use-after-free).* during rigcheck/005-kasan-report
FAILED: kernel report: UBSAN: array-index-out-of-bounds.* during rigcheck/006-ubsan-report" \
		--only '00[56]-*' --timeout 300
	expect "memory leak (kmemleak)" \
		'FAILED: not ok rig/kmemleak # [0-9]+ unreferenced objects, first after group rigcheck' \
		--only '007-*' --timeout 300
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
