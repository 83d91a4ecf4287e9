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
#
# KVER=6.12 (or 6.1, the default, or a full version as uname -r prints it)
# picks the kernel every target builds spool.ko for and boots in the VM
# (scripts/vm/kver). Given, it names the results too: build/check-kmod-6.12/.

SHELL := /bin/bash
BUILD := $(CURDIR)/build
# KREL: the kernel KVER names, in full (6.1.0-57-amd64). Deferred (=):
# evaluated after `setup` may have installed it. KSUF: "-KVER" when KVER is
# given, for the VM suites' result directories.
KREL = $(shell $(CURDIR)/scripts/vm/kver $(KVER))
KSUF = $(if $(KVER),-$(KVER))
# The module the VM targets load, as users build it, and its debug build: one
# directory per kernel (kmod/build-variant.sh), so that two kernels' VMs can
# run at once. `make kmod` still builds kmod/spool.ko, which make install takes.
KO = $(BUILD)/kmod-variants/stat-$(KREL)/spool.ko
DEBUG_KO = $(BUILD)/kmod-variants/debug-$(KREL)/spool.ko
build_ko = kmod/build-variant.sh $(KREL) stat-$(KREL)
build_debug_ko = kmod/build-variant.sh $(KREL) debug-$(KREL) SPOOL_DEBUG=1
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
# replace files the other lane's VM is reading. PART@K is PART run with
# KVER=K; the module's builds and checks run on every kernel of CHECK_KVERS,
# the rest on the default. The 6.12 parts are split between the lanes to keep
# them even.
CHECK_KVERS := 6.1 6.12
CHECK_PARTS := check-build@6.1 check-build@6.12 check-provider-host check-packaging check-readme
CHECK_LANES := check-kmod@6.1+check-kmod@6.12+compat@6.1 \
	check-provider@6.1+check-fuzz@6.1+check-fuzz@6.12+check-soak@6.1+check-soak-host

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
	$(MAKE) -C kmod KVER=$(KREL)

# The module, installed for the kernel it was built for (kmod/Makefile's
# install; DESTDIR, SIGN_KEY and SIGN_CERT pass through). Builds nothing:
# `make` first, as yourself.
install uninstall:
	$(MAKE) -C kmod KVER=$(KREL) $@

check: setup
	@scripts/check.sh $(CHECK_PARTS) -- $(CHECK_LANES)

# Everything the VM parts of `make check` load, built before they start:
# the module and its debug build for each kernel of CHECK_KVERS.
check-vm-build: setup
	$(foreach k,$(CHECK_KVERS),$(MAKE) --no-print-directory kmod-vm KVER=$(k) &&) true
	$(MAKE) -C kmod/fuzz
	$(MVN) -DskipTests package

# The module the VM targets load (KO, DEBUG_KO) and the selftests, for KVER.
.PHONY: kmod-vm
kmod-vm: setup
	$(build_ko)
	$(build_debug_ko)
	$(MAKE) -C kmod selftests

# Host-side: every build configuration, and the ABI's 32/64-bit layout.
check-build: setup
	@kmod/check-build.sh $(KREL)

# The provider's tests on the host, where there is no module, in three runs:
# every test on the backend auto picks here (uring: io_uring is native on
# this kernel), each conformance scenario on the JDK's provider and on
# SPOOL; the "spool"-tagged batching and reliability tests on uring (not
# those also tagged "module", which test the module itself); and
# the conformance, race and real-server tests again on plain epoll, the
# fallback where neither the module nor io_uring is to be had.
PROVIDER_REPORTS := $(CURDIR)/provider/target/surefire-reports
check-provider-host: setup
	@rm -rf $(PROVIDER_REPORTS) $(PROVIDER_REPORTS)-uring $(PROVIDER_REPORTS)-epoll; \
	$(MVN) verify; rc=$$?; \
	echo "=== the batching tests on the uring backend"; \
	$(MVN) -pl provider surefire:test -Dgroups=spool -Dspool.test.excludedGroups=host,module \
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

# The module as users build it (statistics are in every build); a
# debug build is loaded too, to see that it prints. Then the install test:
# its host half (dkms build into a tree of its own, make install into a
# DESTDIR) runs here, also under CHECK_BUILT, as nothing but this suite reads
# what it writes; the guest half reports its results with its own.
check-kmod: setup
	$(call build,$(MAKE) --no-print-directory kmod-vm)
	@kmod/check-install-host.sh $(KREL) $(BUILD)/check-kmod$(KSUF)/install-host $(KO) || true
	@$(VM_SUITE) check-kmod $(BUILD)/check-kmod$(KSUF) 1500 "kernel log in build/check-kmod$(KSUF)/dmesg.txt" \
		--env SPOOL_DEBUG_KO=$(DEBUG_KO) \
		--env INSTALL_HOST_OUT=$(BUILD)/check-kmod$(KSUF)/install-host -- \
		kmod/vm/check-kmod.sh $(KO) $(TESTS)

# The provider's whole suite in the VM, on the spool backend (module loaded,
# -Dspool.backend=spool), with the "spool"-tagged batching tests the host
# run excludes; JUnit console launcher, no Maven in the guest.
check-provider: setup
	$(call build,$(build_ko))
	$(call build,$(MVN) -pl provider -am -DskipTests package)
	@$(VM_SUITE) check-provider $(BUILD)/check-provider$(KSUF) 2400 "JUnit log in build/check-provider$(KSUF)/junit.log" -- \
		provider/vm/check-provider.sh $(KO) $(BUILD)/check-provider$(KSUF)

clean:
	$(MAKE) -C kmod KVER=$(KREL) clean
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
	$(call build,$(build_ko))
	$(call build,$(MVN) -DskipTests package)
	@$(VM_SUITE) compat $(BUILD)/compat$(KSUF) 2700 "table in build/compat$(KSUF)/compat.md" \
		--env EXPECT_BACKEND=$(EXPECT_BACKEND) --env COMPAT_OUT=$(BUILD)/compat$(KSUF) -- \
		compat-tests/vm/compat.sh $(KO) $(COMPAT_ARGS)

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
	$(build_ko)
	$(MAKE) -C kmod/httpd
	@$(VM_SUITE) bench-c $(BUILD)/bench-c$(KSUF) 3600 "table in build/bench-c$(KSUF)/bench-c.md" \
		--env OUT_DIR=$(BUILD)/bench-c$(KSUF) \
		$(foreach v,CONNS PAIRS DURATION,$(if $(BENCH_C_$(v)),--env $(v)=$(BENCH_C_$(v)))) -- \
		kmod/vm/bench-c.sh $(KO)

# --- kmod/fuzz/: the module under hostile input ------------------------------
# `make fuzz [SEED=1] [DURATION=600] [THREADS=4]`: the fuzzer in the VM, then
# the gauge, socket, kernel-log and unload checks, the isolation tests and the
# regression tests of bugs fuzzing found (kmod/vm/fuzz.sh). `make check-fuzz`:
# the fixed-seed run of 2 minutes that `make check` includes.
.PHONY: fuzz check-fuzz
SEED ?= 1
DURATION ?= 600
THREADS ?= 4
FUZZ_OUT ?= $(BUILD)/fuzz$(KSUF)

fuzz: setup
	$(call build,$(build_ko))
	$(call build,$(MAKE) -C kmod/fuzz)
	$(call build,$(MAKE) -C kmod selftests)
	@$(VM_SUITE) fuzz $(FUZZ_OUT) $$(( $(DURATION) + 900 )) "kernel log in $(FUZZ_OUT)/dmesg.txt" \
		--env SEED=$(SEED) --env DURATION=$(DURATION) --env THREADS=$(THREADS) -- \
		kmod/vm/fuzz.sh $(KO)

check-fuzz:
	@$(MAKE) --no-print-directory fuzz SEED=1 DURATION=120 THREADS=4 \
		FUZZ_OUT=$(BUILD)/check-fuzz$(KSUF)

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
SOAK_OUT ?= $(BUILD)/soak$(KSUF)

soak: setup
	$(call build,$(build_ko))
	$(call build,$(MAKE) -C kmod/fuzz cycles)
	$(call build,$(MVN) -DskipTests package)
	@$(VM_SUITE) soak $(SOAK_OUT) $(SOAK_TIMEOUT) "logs in $(SOAK_OUT)/, kernel log in $(SOAK_OUT)/dmesg.txt" \
		--env SOAK_BYTES=$(SOAK_BYTES) --env SOAK_CONNS=$(SOAK_CONNS) \
		--env SOAK_KILLS=$(SOAK_KILLS) --env SOAK_CLIENT=$(SOAK_CLIENT) \
		--env CYCLES=$(CYCLES) --env CYCLES_TW_WAIT=$(CYCLES_TW_WAIT) \
		--env SOAK_OUT=$(SOAK_OUT) -- \
		compat-tests/vm/soak.sh $(KO)

check-soak:
	@$(MAKE) --no-print-directory soak SOAK_BYTES=32M SOAK_KILLS=10 CYCLES=20000 \
		CYCLES_TW_WAIT=0 SOAK_TIMEOUT=900 SOAK_OUT=$(BUILD)/check-soak$(KSUF)

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

# --- the sanitizer kernel (kmod/sanitize/README.md) ----------------------------
# `make sanitizer-kernel`: Debian's linux-source-6.12 with KASAN, lockdep,
# DEBUG_ATOMIC_SLEEP, kmemleak and UBSAN, the VM's drivers built in; cached
# under ~/.cache/spool/sanitizer-kernel/, rebuilt only when its inputs change
# (scripts/sanitizer-kernel.sh). `make check-sanitize`: the selftests, the
# fuzzer (several seeds), the connect/close cycles and the provider's suite
# on it, failing on any sanitizer report (scripts/check-sanitize.sh). Not in
# `make check`: it takes longer than CI's budget. SANITIZER=kcsan: the same
# on a second kernel with KCSAN in place of KASAN (kmod/sanitize/kcsan.config).
# KVER=6.1: built from linux-source-6.1; unset, the sanitizer kernel is 6.12.
SANITIZER ?= kasan
SANITIZE_ENV = SANITIZER=$(SANITIZER) SANITIZE_KVER=$(or $(KVER),6.12)
.PHONY: sanitizer-kernel check-sanitize
sanitizer-kernel: setup
	@$(SANITIZE_ENV) scripts/sanitizer-kernel.sh

check-sanitize: setup
	@$(SANITIZE_ENV) scripts/check-sanitize.sh
