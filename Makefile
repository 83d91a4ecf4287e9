# SPOOL: top-level targets (see DESIGN.md, "Make targets").
#
#   make setup        install what the machine lacks (Debian packages)
#   make              build spool.ko, its selftests and the provider jar
#   make check        every test; the last line is "N passed, N failed"
#   make check-kmod   the module's tests in a QEMU VM; TESTS="name..." filters
#                     the selftests
#   make install      (as root) spool.ko for KVER, depmod, the udev rule, the
#                     modules-load.d file and the group spool; make uninstall
#   make clean

SHELL := /bin/bash
BUILD := $(CURDIR)/build
# Deferred (=): evaluated after `setup` may have installed the kernel.
KVER = $(shell $(CURDIR)/scripts/vm/kver)
# Boots the VM for one suite, keeps its log, prints its wall time and its
# "N passed, N failed" line (scripts/vm-suite.sh).
VM_SUITE := $(CURDIR)/scripts/vm-suite.sh
MVN := mvn -B -q -Dstyle.color=never -f $(CURDIR)/pom.xml

# The parts of `make check` (scripts/check.sh): first the host's, one after
# another; then the VM's, in two lanes at once ("+" joins a lane's parts, run
# in order). A VM is one host thread (single-threaded TCG), so two lanes keep
# CI's two cores busy: about 21 minutes for what took 40 in a row. The lanes
# load what check-vm-build built once; each part's own build steps ($(call
# build,...)) are skipped there (CHECK_BUILT=1), as a build in one lane would
# replace files the other lane's VM is reading.
CHECK_PARTS := check-build check-provider-host check-packaging check-readme
CHECK_LANES := check-kmod+compat check-provider+check-fuzz+check-soak+check-soak-host

# $(call build,COMMAND): a build step of a part; a no-op under CHECK_BUILT=1.
build = $(if $(CHECK_BUILT),@: built by check-vm-build: $(1),$(1))

.PHONY: all setup kmod provider check check-vm-build check-build check-kmod \
	check-provider-host check-packaging check-readme check-provider clean \
	install uninstall

all: kmod provider

# The provider jar and its runtime class path (provider/target/lib/), also
# installed into the local Maven repository with the parent POM, its sources
# and javadoc, for projects that depend on io.spool:spool-provider.
provider:
	$(MVN) -DskipTests install

setup:
	@scripts/setup.sh

kmod:
	$(MAKE) -C kmod KVER=$(KVER)

# The module, installed for the kernel it was built for (kmod/Makefile's
# install; DESTDIR, SIGN_KEY and SIGN_CERT pass through). Builds nothing:
# `make` first, as yourself.
install uninstall:
	$(MAKE) -C kmod KVER=$(KVER) $@

check: setup
	@scripts/check.sh $(CHECK_PARTS) -- $(CHECK_LANES)

# Everything the VM parts of `make check` load, built before they start.
check-vm-build: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	kmod/build-variant.sh $(KVER) debug SPOOL_DEBUG=1
	$(MAKE) -C kmod/fuzz
	$(MVN) -DskipTests package

# Host-side: every build configuration, and the ABI's 32/64-bit layout.
check-build: setup
	@kmod/check-build.sh $(KVER)

# The provider's tests on the host, where there is no module, in three runs:
# every test on the backend auto picks here (uring: io_uring is native on
# this kernel), each conformance scenario on the JDK's provider and on
# SPOOL; the "spool"-tagged batching and reliability tests on uring; and
# the conformance, race and real-server tests again on plain epoll, the
# fallback where neither the module nor io_uring is to be had.
PROVIDER_REPORTS := $(CURDIR)/provider/target/surefire-reports
check-provider-host: setup
	@rm -rf $(PROVIDER_REPORTS) $(PROVIDER_REPORTS)-uring $(PROVIDER_REPORTS)-epoll; \
	$(MVN) verify; rc=$$?; \
	echo "=== the batching tests on the uring backend"; \
	$(MVN) -pl provider surefire:test -Dgroups=spool -Dspool.test.excludedGroups=host \
		-Dspool.backend=uring -Dspool.expectBackend=uring \
		-Dspool.test.reports=$(PROVIDER_REPORTS)-uring || rc=1; \
	echo "=== conformance, races and real servers on the epoll backend"; \
	$(MVN) -pl provider surefire:test -Dtest='ConformanceTest,InterruptCloseRacesTest,RealServersTest' \
		-Dspool.backend=epoll -Dspool.expectBackend=epoll \
		-Dspool.test.reports=$(PROVIDER_REPORTS)-epoll || rc=1; \
	echo; scripts/junit-summary.sh $(PROVIDER_REPORTS) $(PROVIDER_REPORTS)-uring $(PROVIDER_REPORTS)-epoll || rc=1; \
	exit $$rc

# The provider as users get it: `mvn install` installs only the parent POM
# and spool-provider (with sources and javadoc); a Maven project outside the
# clone built from the README's dependency snippet; the README's java lines
# run as written on JDK 17 and 25, class path and module path, on SPOOL
# (backend HOST_BACKEND), and each of their flags shown to be needed.
check-packaging: setup
	@EXPECT_BACKEND=$(HOST_BACKEND) scripts/check-packaging.sh

# The README works as written: every fenced block tagged with how it is
# checked (scripts/readme-blocks.sh), run or compiled; every make target,
# spool.* property, io.spool name and path it names exists.
check-readme: setup
	@scripts/check-readme.sh

# The module is built with statistics so the VM can check its gauges; a
# debug build is loaded too, to see that it prints. Then the install test:
# its host half (dkms build into a tree of its own, make install into a
# DESTDIR) runs here, also under CHECK_BUILT, as nothing but this suite reads
# what it writes; the guest half reports its results with its own.
check-kmod: setup
	$(call build,$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1)
	$(call build,kmod/build-variant.sh $(KVER) debug SPOOL_DEBUG=1)
	@kmod/check-install-host.sh $(KVER) $(BUILD)/check-kmod/install-host || true
	@$(VM_SUITE) check-kmod $(BUILD)/check-kmod 1500 "kernel log in build/check-kmod/dmesg.txt" \
		--env SPOOL_DEBUG_KO=$(BUILD)/kmod-variants/debug/spool.ko \
		--env INSTALL_HOST_OUT=$(BUILD)/check-kmod/install-host -- \
		kmod/vm/check-kmod.sh $(CURDIR)/kmod/spool.ko $(TESTS)

# The provider's whole suite in the VM, on the spool backend (module loaded,
# -Dspool.backend=spool), with the "spool"-tagged batching tests the host
# run excludes; JUnit console launcher, no Maven in the guest.
check-provider: setup
	$(call build,$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1)
	$(call build,$(MVN) -pl provider -am -DskipTests package)
	@$(VM_SUITE) check-provider $(BUILD)/check-provider 2400 "JUnit log in build/check-provider/junit.log" -- \
		provider/vm/check-provider.sh $(CURDIR)/kmod/spool.ko $(BUILD)/check-provider

clean:
	$(MAKE) -C kmod KVER=$(KVER) clean
	rm -rf $(BUILD)
	$(MVN) clean

# --- compat-tests/: real servers on the default provider and on SPOOL ------
# `make compat`: in the VM with spool.ko loaded; SPOOL runs must use the
# backend EXPECT_BACKEND. `make compat-host`: the same on this machine, where
# there is no module: SPOOL on HOST_BACKEND (uring; epoll for the plain
# fallback). Table in build/compat*/compat.md.
.PHONY: compat compat-host demo bench
EXPECT_BACKEND ?= spool
HOST_BACKEND ?= uring
COMPAT_CP := compat-tests/target/compat-tests.jar:compat-tests/target/lib/*

compat: setup
	$(call build,$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1)
	$(call build,$(MVN) -DskipTests package)
	@$(VM_SUITE) compat $(BUILD)/compat 2700 "table in build/compat/compat.md" \
		--env EXPECT_BACKEND=$(EXPECT_BACKEND) -- \
		compat-tests/vm/compat.sh $(CURDIR)/kmod/spool.ko $(COMPAT_ARGS)

compat-host:
	$(MVN) -DskipTests package
	@mkdir -p $(BUILD)/compat-host
	SPOOL_BACKEND=$(HOST_BACKEND) java -cp '$(COMPAT_CP)' io.spool.compat.CompatDriver \
		--out $(BUILD)/compat-host --expect-backend $(HOST_BACKEND) $(COMPAT_ARGS)

# The main job: the JDK HttpServer and Netty on both providers under wrk in
# the VM, side by side.
demo: setup
	@scripts/demo.sh

# The benchmarks: three unmodified servers on both providers, A B A B, in
# the VM; on the host, the servers on every configuration (default provider,
# SPOOL's backends, Netty's native anchors), A B C ...; tables and charts in
# compat-tests/bench/results/. BENCH_PAIRS, BENCH_CONNS, BENCH_HOST_CONFIGS,
# BENCH_SKIP_VM, ... (scripts/bench.sh).
bench: setup
	@scripts/bench.sh

# Blocking channels on virtual threads, on this host: the JDK's provider
# against SPOOL (epoll), A B A B; compat-tests/bench/results/vthreads.md.
# BENCH_VT_PAIRS, BENCH_VT_SECONDS (scripts/bench-vthreads.sh).
.PHONY: bench-vthreads
bench-vthreads: setup
	@scripts/bench-vthreads.sh

# The C experiment: kmod/httpd's small HTTP server on epoll and on the cycle
# call, under wrk in the VM (kmod/vm/bench-c.sh); table in build/bench-c/.
# BENCH_C_CONNS, BENCH_C_PAIRS, BENCH_C_DURATION change it (the script's
# CONNS, PAIRS, DURATION).
.PHONY: bench-c
bench-c: setup
	$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1
	$(MAKE) -C kmod/httpd
	@$(VM_SUITE) bench-c $(BUILD)/bench-c 3600 "table in build/bench-c/bench-c.md" \
		--env OUT_DIR=$(BUILD)/bench-c \
		$(foreach v,CONNS PAIRS DURATION,$(if $(BENCH_C_$(v)),--env $(v)=$(BENCH_C_$(v)))) -- \
		kmod/vm/bench-c.sh $(CURDIR)/kmod/spool.ko

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

fuzz: setup
	$(call build,$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1)
	$(call build,$(MAKE) -C kmod/fuzz)
	@$(VM_SUITE) fuzz $(FUZZ_OUT) $$(( $(DURATION) + 900 )) "kernel log in $(FUZZ_OUT)/dmesg.txt" \
		--env SEED=$(SEED) --env DURATION=$(DURATION) --env THREADS=$(THREADS) -- \
		kmod/vm/fuzz.sh $(CURDIR)/kmod/spool.ko

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

soak: setup
	$(call build,$(MAKE) -C kmod KVER=$(KVER) SPOOL_PROC_STAT=1)
	$(call build,$(MAKE) -C kmod/fuzz cycles)
	$(call build,$(MVN) -DskipTests package)
	@$(VM_SUITE) soak $(SOAK_OUT) $(SOAK_TIMEOUT) "logs in $(SOAK_OUT)/, kernel log in $(SOAK_OUT)/dmesg.txt" \
		--env SOAK_BYTES=$(SOAK_BYTES) --env SOAK_CONNS=$(SOAK_CONNS) \
		--env SOAK_KILLS=$(SOAK_KILLS) --env SOAK_CLIENT=$(SOAK_CLIENT) \
		--env CYCLES=$(CYCLES) --env CYCLES_TW_WAIT=$(CYCLES_TW_WAIT) \
		--env SOAK_OUT=$(SOAK_OUT) -- \
		compat-tests/vm/soak.sh $(CURDIR)/kmod/spool.ko

check-soak:
	@$(MAKE) --no-print-directory soak SOAK_BYTES=32M SOAK_KILLS=10 CYCLES=20000 \
		CYCLES_TW_WAIT=0 SOAK_TIMEOUT=900 SOAK_OUT=$(BUILD)/check-soak

# The soak on this host, natively, on the uring backend: 1 GiB echoed and
# verified through 1,000 connections at once, 100 peers reset mid-transfer
# (about 30 s), with the SPOOL client too.
check-soak-host:
	@$(MAKE) --no-print-directory soak-host SOAK_BYTES=1G SOAK_KILLS=100 SOAK_CLIENT=spool

soak-host:
	$(call build,$(MVN) -DskipTests package)
	java -Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider \
		-Dspool.backend=$(HOST_BACKEND) --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
		-cp '$(COMPAT_CP):provider/target/spool-provider.jar:provider/target/lib/*' \
		io.spool.compat.soak.SoakMain --conns $(SOAK_CONNS) --bytes $(SOAK_BYTES) \
		--kills $(SOAK_KILLS) --client $(SOAK_CLIENT) --expect-backend $(HOST_BACKEND)
