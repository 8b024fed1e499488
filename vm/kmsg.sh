# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Kernel log marks, for vm/run-tests and the tests (tests/common/target.sh):
# a line count would point at the wrong place once the log buffer wraps
# (a test that logs thousands of lines).

# kmsg_after TEXT: the kernel log after the first line containing TEXT;
# status 1 if no line does (the log wrapped past it).
kmsg_after() {
	dmesg | awk -v m="$1" 'f { print } index($0, m) { f = 1 } END { exit !f }'
}
