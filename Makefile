# SPOOL: top-level targets (see DESIGN.md, "Make targets").
#
#   make setup        install what the machine lacks (Debian packages)
#   make              build spool.ko, its selftests and the provider jar
#   make check        every test; the last line is "N passed, N failed"
#   make check-kmod   the module's tests in a QEMU VM; TESTS="name..." filters
#                     the selftests
#   make clean

SHELL := /bin/bash
BUILD := $(CURDIR)/build
# Deferred (=): evaluated after `setup` may have installed the kernel.
KVER = $(shell $(CURDIR)/kmod/vm/kver)
VM := $(CURDIR)/kmod/vm/run
MVN := mvn -B -q -Dstyle.color=never -f $(CURDIR)/pom.xml

# The parts of `make check`, run in this order by scripts/check.sh.
# Later: check-provider (the spool backend in the VM) and compat.
CHECK_PARTS := check-build check-provider-host check-kmod

.PHONY: all setup kmod provider check check-build check-kmod \
	check-provider-host clean

all: kmod provider

# The provider jar and its runtime class path (provider/target/lib/).
provider:
	$(MVN) -DskipTests package

setup:
	@scripts/setup.sh

kmod:
	$(MAKE) -C kmod KVER=$(KVER)

check: setup
	@scripts/check.sh $(CHECK_PARTS)

# Host-side: every build configuration, and the ABI's 32/64-bit layout.
check-build: setup
	@kmod/check-build.sh $(KVER)

# The provider's tests on the host, where there is no module: the epoll
# backend, each conformance scenario on the JDK's provider and on SPOOL.
check-provider-host: setup
	@$(MVN) verify; rc=$$?; \
	echo; scripts/junit-summary.sh provider/target/surefire-reports || rc=1; \
	exit $$rc

# The module is built with statistics so the VM can check its gauges; a
# debug build is loaded too, to see that it prints.
check-kmod: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	kmod/build-variant.sh $(KVER) debug SPOOL_DEBUG=1
	@mkdir -p $(BUILD)/check-kmod
	@start=$$(date +%s); \
	$(VM) --timeout 1500 --out $(BUILD)/check-kmod \
		--env SPOOL_DEBUG_KO=$(BUILD)/kmod-variants/debug/spool.ko -- \
		kmod/vm/check-kmod.sh $(CURDIR)/kmod/spool.ko $(TESTS) \
		| tee $(BUILD)/check-kmod/log.txt; \
	rc=$${PIPESTATUS[0]}; \
	echo "check-kmod: $$(( $$(date +%s) - start )) s wall, exit $$rc;" \
	     "kernel log in build/check-kmod/dmesg.txt"; \
	summary=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' \
		$(BUILD)/check-kmod/log.txt | tail -n 1); \
	echo "$${summary:-0 passed, 1 failed}"; \
	exit $$rc

clean:
	$(MAKE) -C kmod KVER=$(KVER) clean
	rm -rf $(BUILD)
	$(MVN) clean
