#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove that the rig cannot report a broken run as a pass: a failing test,
# a kernel WARNING, a panicking kernel and a hung VM must each make
# scripts/vm.py exit non-zero and say which. Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pass=0 fail=0
n=0
# expect NAME PATTERN VM-ARGS...: the run must fail and its output match.
expect() {
	local name=$1 pattern=$2 out rc t0=$SECONDS
	shift 2
	n=$((n + 1))
	out=$("$TOP/scripts/vm.py" --groups rigcheck "$@" 2>&1)
	rc=$?
	if [ "$rc" != 0 ] && grep -qE "$pattern" <<<"$out" &&
	   grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' <<<"$out"; then
		echo "ok $n - $name: exit $rc, reported '$(grep -m1 -oE "$pattern" <<<"$out")' ($((SECONDS - t0))s)"
		pass=$((pass + 1))
	else
		echo "not ok $n - $name: exit $rc, expected a failure matching '$pattern'"
		sed 's/^/#   /' <<<"$out"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..4"
expect "failing test" 'FAILED: not ok rigcheck/001-fails' --only '001-*' --timeout 300
expect "kernel warning" 'FAILED: .*kernel.*WARNING: deliberate' --only '004-*' --timeout 300
expect "kernel panic" 'FAILED: kernel panic' --only '002-*' --timeout 300
expect "hung VM" 'FAILED: VM hung' --only '003-*' --timeout 30
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
