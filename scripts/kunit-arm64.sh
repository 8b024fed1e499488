#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the series' KUnit suite (drivers/target/.kunitconfig) on an arm64
# kernel with 64 KiB pages under QEMU (TCG), with the kernel's own
# tools/testing/kunit/kunit.py: the limit cases must hold for any
# PAGE_SIZE, not only x86's 4 KiB. Prints KTAP and ends with the rig's
# "N passed, N failed" line; exits non-zero on any failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" gcc-aarch64-linux-gnu qemu-system-arm >&2
"$TOP/scripts/prepare.sh" series >&2
O=$BUILD_ROOT/kunit-arm64
mkdir -p "$O"
log "kunit.py: arm64, 64 KiB pages, build in $O (progress every 20 s; log $O/kunit.log)"
cd "$BASE_TREE"
start=$SECONDS
python3 tools/testing/kunit/kunit.py run --arch arm64 \
	--cross_compile aarch64-linux-gnu- --build_dir "$O" --jobs "$JOBS" \
	--kunitconfig drivers/target --kconfig_add CONFIG_ARM64_64K_PAGES=y \
	--timeout 900 --raw_output=kunit >"$O/kunit.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 20
	kill -0 "$pid" 2>/dev/null &&
		printf '[%s]   kunit-arm64: %4ds, %s\n' "$(date +%H:%M:%S)" $((SECONDS - start)) \
			"$(tail -n1 "$O/kunit.log" | cut -c1-100)" >&2
done
rc=0
wait "$pid" || rc=$?
grep -q '^CONFIG_ARM64_64K_PAGES=y' "$O/.config" || die "the arm64 kernel was not built with 64 KiB pages ($O/.config)"
# KTAP from the kernel's console; the rig flattens it to one line a case.
grep -E '^\s*(KTAP|TAP|#|ok|not ok|[0-9]+\.\.[0-9]+)' "$O/kunit.log" >"$O/kunit.ktap" || true
python3 "$TOP/vm/ktap.py" kunit-arm64 <"$O/kunit.ktap" >"$O/flat.tap" || true
pass=$(grep -c '^ok ' "$O/flat.tap" || true)
fail=$(grep -c '^not ok ' "$O/flat.tap" || true)
cat "$O/flat.tap"
if [ "$rc" != 0 ] || [ "$pass" = 0 ]; then
	tail -n 30 "$O/kunit.log" >&2
	fail=$((fail + 1))
	echo "not ok kunit-arm64/run # kunit.py exit $rc, $pass cases passed; log $O/kunit.log"
fi
log "kunit-arm64: $((SECONDS - start))s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
