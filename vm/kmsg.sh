# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Kernel log marks, for vm/run-tests and the tests (tests/common/target.sh):
# a line count would point at the wrong place once the log buffer wraps
# (a test that logs thousands of lines).

# kmsg_after TEXT: the kernel log after the last line containing TEXT (a
# mark set again, say for a second guest boot, starts again); status 1 if
# no line does (the log wrapped past it).
kmsg_after() {
	dmesg | awk -v m="$1" 'index($0, m) { n = 0; f = 1; next }
		f { line[n++] = $0 }
		END { for (i = 0; i < n; i++) print line[i]; exit !f }'
}
