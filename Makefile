# SPDX-License-Identifier: GPL-2.0
# Entry points of the rig. "make help" lists them.

GROUPS  ?= kunit,kselftest,scenario,guest
ONLY    ?=
# A glob for the guest group alone, e.g. GUESTS='002*'
GUESTS  ?=
FLAVOUR ?= series
# The kernel line: 7.3 (series/, the upstream submission), 6.12 or 6.1
# (lts/<line>/). Each has its own cache folder; scripts/lib.sh maps it.
KERNEL  ?= 7.3
export KERNEL
# Seconds for the whole VM on the series kernel; scripts/vm.py stretches it
# (and every test's own timeout) for a slower flavour: x3 for debug.
TIMEOUT ?= 2400
VMARGS  ?=
# Arguments for the vhost_scsi kselftest binary, e.g. harness filters:
# KSFT_ARGS='-f hostile -f vhost' runs those fixtures only, '-F pscsi'
# all but that one.
KSFT_ARGS ?=

# Which tests of the groups run: vm.py's --only and --guests.
SELECT = $(if $(ONLY),--only '$(ONLY)') $(if $(GUESTS),--guests '$(GUESTS)')
VM = scripts/vm.py --flavour $(FLAVOUR) --groups $(GROUPS) --timeout $(TIMEOUT) \
	$(SELECT) $(if $(KSFT_ARGS),--ksft-args '$(KSFT_ARGS)') $(VMARGS)

.PHONY: help test test-all baseline-test debug-test demo bench build baseline vm shell prepare \
	series-export check checkpatch check-builds check-dirs check-rig lint clean-runs kunit-arm64 \
	dkms stock stock-test stock-baseline

help:
	@echo "make test            build the series kernel and run all test groups"
	@echo "make test GROUPS=scenario ONLY='001*'   one group, one test (glob)"
	@echo "make test GROUPS=kselftest KSFT_ARGS='-F pscsi'   kselftest harness filters"
	@echo "make test GUESTS='002*'   of the guest group, only the nested guests that match"
	@echo "make baseline-test   the same tests on unpatched 7.3, each held to tests/baseline.expect"
	@echo "make debug-test      the same tests on the debug kernel (KASAN, UBSAN, KFENCE, lockdep,"
	@echo "                     kmemleak...): any kernel report fails the run and names its test"
	@echo "make demo            a guest behind vhost-scsi: fails with the feature off, works with it on"
	@echo "make bench           the data path's cost: unpatched, block_limits off and on, host O_DIRECT"
	@echo "make shell           interactive shell in the test VM (FLAVOUR=baseline or debug too)"
	@echo "make build           build only; make vm: run only (no build)"
	@echo "make prepare         apply series/ to the cache tree (prints its path)"
	@echo "make series-export   write the tree's commits back to series/"
	@echo "make check           checkpatch --strict on every patch, each patch builds"
	@echo "make check-rig       prove the rig catches a failure, a panic and a hang"
	@echo "make check-rig FLAVOUR=debug   and that KASAN, UBSAN and kmemleak reports are caught"
	@echo "make lint            shellcheck the rig's scripts"
	@echo "make kunit-arm64     the KUnit suite on arm64 with 64 KiB pages (QEMU, kunit.py)"
	@echo "make test KERNEL=6.12   the same on a kernel line's backport (6.12, 6.1; default 7.3)"
	@echo "make dkms            pscsi-vpd-dkms_*.deb for Debian's kernels of the three lines (prints its path)"
	@echo "make stock-test KERNEL=6.12   Debian's own image: dpkg -i headers and pscsi-vpd-dkms in"
	@echo "                     the VM, dkms builds, then the kselftest, scenario and guest groups"
	@echo "make stock-baseline KERNEL=6.12   the same image without the package: held to"
	@echo "                     tests/baseline.expect"
	@echo "make test-all        everything: lint, check, check-rig (both), demo, test, bench, debug-test,"
	@echo "                     kunit-arm64, then test, stock-test and stock-baseline for 6.12 and 6.1"
	@echo "                     (CI runs what fits in its time: see .ci/run)"

test: build vm

# Unpatched 7.3 fails the tests: held to tests/baseline.expect, test by test.
baseline-test:
	$(MAKE) build FLAVOUR=baseline
	-$(MAKE) vm FLAVOUR=baseline
	scripts/baseline-check.py

# Every group on the debug kernel: about 3 hours with guest 001 (TIMEOUT x3).
debug-test:
	$(MAKE) test FLAVOUR=debug TIMEOUT=3600

# The whole matrix; each step stops the run on failure.
test-all:
	$(MAKE) lint
	$(MAKE) check
	$(MAKE) check-rig
	$(MAKE) demo
	$(MAKE) test
	$(MAKE) baseline-test
	$(MAKE) bench
	$(MAKE) check-rig FLAVOUR=debug
	$(MAKE) debug-test
	$(MAKE) kunit-arm64
	$(MAKE) test KERNEL=6.12
	$(MAKE) stock-test KERNEL=6.12
	$(MAKE) stock-baseline KERNEL=6.12
	$(MAKE) test KERNEL=6.1
	$(MAKE) stock-test KERNEL=6.1
	$(MAKE) stock-baseline KERNEL=6.1

dkms:
	scripts/dkms.sh

# Debian's own kernel image of the line, with the package installed in the
# VM by tests/stock (GROUPS=stock first), then the groups that need no KUnit,
# and removed by tests/unstock at the end.
STOCK_GROUPS ?= stock,kselftest,scenario,guest,unstock
# Seconds for the whole stock VM: dkms builds in it (8-15 min under TCG)
# before the groups a series VM runs in TIMEOUT.
STOCK_TIMEOUT ?= 5400
stock:
	$(MAKE) build FLAVOUR=series
	scripts/stock.sh

stock-test: stock
	scripts/vm.py --flavour stock --groups $(STOCK_GROUPS) --timeout $(STOCK_TIMEOUT) \
		$(SELECT) $(if $(KSFT_ARGS),--ksft-args '$(KSFT_ARGS)') $(VMARGS)

# The same image without the package: the tests fail as on the baseline.
stock-baseline: stock
	-scripts/vm.py --flavour stock --groups kselftest,scenario --timeout $(TIMEOUT) \
		$(SELECT) $(VMARGS)
	scripts/baseline-check.py

# BENCH_REPS=5 BENCH_SECONDS=3: repetitions of each kernel, seconds a measurement
bench:
	scripts/bench.sh

demo:
	scripts/build.sh series
	scripts/vm.py --flavour series --groups demo --timeout 2400 $(VMARGS)

build:
	scripts/build.sh $(FLAVOUR)

vm:
	$(VM)

shell: build
	scripts/vm.py --flavour $(FLAVOUR) --shell $(VMARGS)

prepare:
	scripts/prepare.sh series
	@bash -c '. scripts/lib.sh && echo "series tree: $$BASE_TREE (branch series; edit, commit, make series-export)"'

series-export:
	scripts/series-export.sh

check: checkpatch check-builds

checkpatch:
	scripts/check.sh checkpatch

check-builds:
	scripts/check.sh builds

# Each patch builds, compiling only the folders the series touches (CI).
check-dirs:
	scripts/check.sh dirs

check-rig: build
	scripts/check-rig.sh $(FLAVOUR)

kunit-arm64:
	scripts/kunit-arm64.sh

SHELL_SOURCES = scripts/*.sh vm/init vm/run-tests tests/common/*.sh \
	tests/scenario/* tests/rigcheck/* tests/guest/[0-9]* tests/guest/guest-init tests/demo/* tests/bench/* \
	tests/stock/* tests/unstock/* vm/stock-init dkms/postinst.in dkms/prerm.in dkms/release.sh dkms/post-build.sh dkms/post-install.sh dkms/kernel-prerm .ci/run

lint:
	scripts/deps.sh
	shellcheck -x -S warning $(SHELL_SOURCES)
	python3 -m py_compile scripts/vm.py scripts/baseline-check.py scripts/bench-report.py vm/ktap.py
	@echo "lint: shellcheck and python compile clean"

clean-runs:
	@. scripts/lib.sh && rm -rf "$$VCACHE/runs" && echo "removed $$VCACHE/runs"
