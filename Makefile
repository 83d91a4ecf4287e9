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
# Later: compat.
CHECK_PARTS := check-build check-provider-host check-kmod check-provider compat

.PHONY: all setup kmod provider check check-build check-kmod \
	check-provider-host check-provider clean

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
	@rm -rf provider/target/surefire-reports; \
	$(MVN) verify; rc=$$?; \
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

# The provider's whole suite in the VM, on the spool backend (module loaded,
# -Dspool.backend=spool), with the "spool"-tagged batching tests the host
# run excludes; JUnit console launcher, no Maven in the guest.
check-provider: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	$(MVN) -pl provider -am -DskipTests package
	@mkdir -p $(BUILD)/check-provider
	@start=$$(date +%s); \
	$(VM) --timeout 900 --out $(BUILD)/check-provider -- \
		kmod/vm/check-provider.sh $(CURDIR)/kmod/spool.ko $(BUILD)/check-provider \
		| tee $(BUILD)/check-provider/log.txt; \
	rc=$${PIPESTATUS[0]}; \
	echo "check-provider: $$(( $$(date +%s) - start )) s wall, exit $$rc;" \
	     "JUnit log in build/check-provider/junit.log"; \
	summary=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' \
		$(BUILD)/check-provider/log.txt | tail -n 1); \
	echo "$${summary:-0 passed, 1 failed}"; \
	exit $$rc

clean:
	$(MAKE) -C kmod KVER=$(KVER) clean
	rm -rf $(BUILD)
	$(MVN) clean

# --- compat-tests/: real servers on the default provider and on SPOOL ------
# `make compat`: in the VM with spool.ko loaded; SPOOL runs must use the
# backend EXPECT_BACKEND. `make compat-host`: the same on this machine, where
# SPOOL falls back to epoll. Table in build/compat*/compat.md.
.PHONY: compat compat-host demo bench
EXPECT_BACKEND ?= spool
COMPAT_CP := compat-tests/target/compat-tests.jar:compat-tests/target/lib/*

compat: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	$(MVN) -DskipTests package
	@mkdir -p $(BUILD)/compat
	@start=$$(date +%s); \
	$(VM) --timeout 1800 --out $(BUILD)/compat \
		--env EXPECT_BACKEND=$(EXPECT_BACKEND) -- \
		compat-tests/vm/compat.sh $(CURDIR)/kmod/spool.ko $(COMPAT_ARGS) \
		| tee $(BUILD)/compat/log.txt; \
	rc=$${PIPESTATUS[0]}; \
	echo "compat: $$(( $$(date +%s) - start )) s wall, exit $$rc;" \
	     "table in build/compat/compat.md"; \
	summary=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' \
		$(BUILD)/compat/log.txt | tail -n 1); \
	echo "$${summary:-0 passed, 1 failed}"; \
	exit $$rc

compat-host:
	$(MVN) -DskipTests package
	@mkdir -p $(BUILD)/compat-host
	java -cp '$(COMPAT_CP)' io.spool.compat.CompatDriver \
		--out $(BUILD)/compat-host --expect-backend epoll $(COMPAT_ARGS)

# The main job: the JDK HttpServer and Netty on both providers under wrk in
# the VM, side by side.
demo: setup
	@scripts/demo.sh

# The benchmarks: three unmodified servers on both providers, A B A B, in
# the VM and (epoll fallback) on the host; table and chart in
# compat-tests/bench/results/. BENCH_PAIRS, BENCH_CONNS, ... (scripts/bench.sh).
bench: setup
	@scripts/bench.sh

# --- kmod/fuzz/: the module under hostile input ------------------------------
# `make fuzz [SEED=1] [DURATION=600] [THREADS=4]`: the fuzzer in the VM, then
# the gauge, socket, kernel-log and unload checks, the isolation tests and the
# regression tests of bugs fuzzing found (kmod/vm/fuzz.sh). `make check-fuzz`:
# the fixed-seed run of 2 minutes that `make check` includes.
.PHONY: fuzz check-fuzz
SEED ?= 1
DURATION ?= 600
THREADS ?= 4
FUZZ_OUT ?= $(BUILD)/fuzz
CHECK_PARTS += check-fuzz

fuzz: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	$(MAKE) -C kmod/fuzz
	@mkdir -p $(FUZZ_OUT)
	@start=$$(date +%s); \
	$(VM) --timeout $$(( $(DURATION) + 900 )) --out $(FUZZ_OUT) \
		--env SEED=$(SEED) --env DURATION=$(DURATION) --env THREADS=$(THREADS) -- \
		kmod/vm/fuzz.sh $(CURDIR)/kmod/spool.ko \
		| tee $(FUZZ_OUT)/log.txt; \
	rc=$${PIPESTATUS[0]}; \
	echo "fuzz: $$(( $$(date +%s) - start )) s wall, exit $$rc;" \
	     "kernel log in $(FUZZ_OUT)/dmesg.txt"; \
	summary=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' \
		$(FUZZ_OUT)/log.txt | tail -n 1); \
	echo "$${summary:-0 passed, 1 failed}"; \
	exit $$rc

check-fuzz:
	@$(MAKE) --no-print-directory fuzz SEED=1 DURATION=120 THREADS=4 \
		FUZZ_OUT=$(BUILD)/check-fuzz

# --- the soak: long runs that look for leaks -----------------------------------
# `make soak`: in the VM, (A) 1 GiB through 1,000 connections of an NIO echo
# server on SPOOL (io.spool.compat.soak.SoakMain), every byte verified, 100
# peers reset mid-transfer, then fds, direct memory and the module's gauges
# back to their baseline; (B) 100,000 connect/close cycles through one pool
# (kmod/fuzz/cycles), then gauges, sockstat and slab back; then a clean kernel
# log and rmmod (compat-tests/vm/soak.sh). `make check-soak`: 32 MiB, 10
# resets and 20,000 cycles, the part of `make check`. `make soak-host`: (A)
# on this machine, where SPOOL falls back to epoll.
.PHONY: soak check-soak soak-host
SOAK_BYTES ?= 1G
SOAK_CONNS ?= 1000
SOAK_KILLS ?= 100
SOAK_CLIENT ?= jdk
CYCLES ?= 100000
CYCLES_TW_WAIT ?= 70
SOAK_TIMEOUT ?= 3600
SOAK_OUT ?= $(BUILD)/soak
CHECK_PARTS += check-soak

soak: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	$(MAKE) -C kmod/fuzz cycles
	$(MVN) -DskipTests package
	@mkdir -p $(SOAK_OUT)
	@start=$$(date +%s); \
	$(VM) --timeout $(SOAK_TIMEOUT) --out $(SOAK_OUT) \
		--env SOAK_BYTES=$(SOAK_BYTES) --env SOAK_CONNS=$(SOAK_CONNS) \
		--env SOAK_KILLS=$(SOAK_KILLS) --env SOAK_CLIENT=$(SOAK_CLIENT) \
		--env CYCLES=$(CYCLES) --env CYCLES_TW_WAIT=$(CYCLES_TW_WAIT) \
		--env SOAK_OUT=$(SOAK_OUT) -- \
		compat-tests/vm/soak.sh $(CURDIR)/kmod/spool.ko \
		| tee $(SOAK_OUT)/log.txt; \
	rc=$${PIPESTATUS[0]}; \
	echo "soak: $$(( $$(date +%s) - start )) s wall, exit $$rc;" \
	     "logs in $(SOAK_OUT)/, kernel log in $(SOAK_OUT)/dmesg.txt"; \
	summary=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' \
		$(SOAK_OUT)/log.txt | tail -n 1); \
	echo "$${summary:-0 passed, 1 failed}"; \
	exit $$rc

check-soak:
	@$(MAKE) --no-print-directory soak SOAK_BYTES=32M SOAK_KILLS=10 CYCLES=20000 \
		CYCLES_TW_WAIT=0 SOAK_TIMEOUT=900 SOAK_OUT=$(BUILD)/check-soak

soak-host:
	$(MVN) -DskipTests package
	java -Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider \
		--add-exports java.base/sun.nio.ch=ALL-UNNAMED \
		-cp '$(COMPAT_CP):provider/target/spool-provider.jar:provider/target/lib/*' \
		io.spool.compat.soak.SoakMain --conns $(SOAK_CONNS) --bytes $(SOAK_BYTES) \
		--kills $(SOAK_KILLS) --client $(SOAK_CLIENT) --expect-backend epoll
