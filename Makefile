# tcm-rs: the front door. Every target installs what it needs first
# (scripts/setup-host.sh, idempotent) and keeps heavy builds in the cache
# ($(TCM_CACHE), default ~/.cache/tcm-rs), outside the repository.
#
#   make run         boot the test VM with the modules loaded and show them working
#   make test        every test tier (static checks, host tests, module builds, VM)
#   make bench       the data path, the configuration plane and memory in the VM; a plot of the ratios
#   make modules     build the kernel modules (VARIANT=release|debug, CLIPPY=1)
#   make vm-shell    an interactive shell in the test VM (VARIANT=debug for the debug kernel)
#   make kernel      build the pinned test kernel (VARIANT=release|debug)
#   make setup       install packages and tools only
#   make help        this text

SHELL := /bin/bash
VARIANT ?= release
export TCM_CACHE ?= $(HOME)/.cache/tcm-rs
# One cargo target directory per checkout (as for the modules): checkouts
# that share one see each other's builds as up to date.
export CARGO_TARGET_DIR ?= $(TCM_CACHE)/cargo-target-$(shell printf %s "$(CURDIR)" | sha256sum | cut -c1-8)

.PHONY: help setup kernel modules run test bench vm-shell check host-test vm-test

help:
	@sed -n '5,12s/^# \{0,1\}//p' Makefile

setup:
	@scripts/setup-host.sh

kernel: setup
	@scripts/kernel-build.sh $(VARIANT)

modules: setup
	@scripts/modules-build.sh $(VARIANT)

run: setup
	@tests/vm/run $(if $(filter debug,$(VARIANT)),--debug-kernel) tests/vm/demo.sh

test: setup
	@scripts/test.sh

bench: setup
	@scripts/bench.sh

vm-shell: setup
	@tests/vm/run $(if $(filter debug,$(VARIANT)),--debug-kernel) --shell

# The tiers of `make test`, one at a time.
check: setup
	@scripts/test.sh static
host-test: setup
	@scripts/test.sh host
vm-test: setup
	@scripts/test.sh vm
