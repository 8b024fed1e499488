# SPDX-License-Identifier: GPL-2.0
# Entry points of the rig. "make help" lists them.

GROUPS  ?= kunit,kselftest,scenario,guest
ONLY    ?=
FLAVOUR ?= series
TIMEOUT ?= 2400
VMARGS  ?=

VM = scripts/vm.py --flavour $(FLAVOUR) --groups $(GROUPS) --timeout $(TIMEOUT) \
	$(if $(ONLY),--only '$(ONLY)') $(VMARGS)

.PHONY: help test baseline-test demo build baseline vm shell prepare series-export \
	check checkpatch check-builds check-rig lint clean-runs

help:
	@echo "make test            build the series kernel and run all test groups"
	@echo "make test GROUPS=scenario ONLY='001*'   one group, one test (glob)"
	@echo "make baseline-test   the same tests on unpatched 7.3 (they should fail)"
	@echo "make demo            a guest behind vhost-scsi: fails with the feature off, works with it on"
	@echo "make shell           interactive shell in the test VM (FLAVOUR=baseline too)"
	@echo "make build           build only; make vm: run only (no build)"
	@echo "make prepare         apply series/ to the cache tree (prints its path)"
	@echo "make series-export   write the tree's commits back to series/"
	@echo "make check           checkpatch --strict on every patch, each patch builds"
	@echo "make check-rig       prove the rig catches a failure, a panic and a hang"
	@echo "make lint            shellcheck the rig's scripts"

test: build vm

baseline-test:
	$(MAKE) test FLAVOUR=baseline

demo:
	scripts/build.sh series
	scripts/vm.py --flavour series --groups demo --timeout 1800 $(VMARGS)

build:
	scripts/build.sh $(FLAVOUR)

vm:
	$(VM)

shell: build
	scripts/vm.py --flavour $(FLAVOUR) --shell $(VMARGS)

prepare:
	scripts/prepare.sh series
	@. scripts/lib.sh && echo "series tree: $$BASE_TREE (branch series; edit, commit, make series-export)"

series-export:
	scripts/series-export.sh

check: checkpatch check-builds

checkpatch:
	scripts/check.sh checkpatch

check-builds:
	scripts/check.sh builds

check-rig: build
	scripts/check-rig.sh

SHELL_SOURCES = scripts/*.sh vm/init vm/run-tests tests/common/*.sh \
	tests/scenario/* tests/rigcheck/* tests/guest/* tests/demo/* .ci/run

lint:
	scripts/deps.sh
	shellcheck -x -S warning $(SHELL_SOURCES)
	python3 -m py_compile scripts/vm.py vm/ktap.py
	@echo "lint: shellcheck and python compile clean"

clean-runs:
	@. scripts/lib.sh && rm -rf "$$VCACHE/runs" && echo "removed $$VCACHE/runs"
