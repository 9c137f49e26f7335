# SPDX-License-Identifier: GPL-2.0-only
#
# kmbox: user entry points.
#   make            build kmbox.ko (in build/kmod/KVER/kmod/, out of the source
#                   tree), libipc, libipc-rpc, tools/kmbox, the tests, examples
#   make check      install what is missing, build, run every test in a VM
#   make demo       install what is missing, build, show mailboxes at work in a VM,
#                   then here on libipc's posix backend
#   make kselftest-install  the tests laid out by the kernel's
#                   kselftest_install.sh (KSRC=kernel tree, KSFT_INSTALL=dir)
#   make lint       the module: checkpatch --strict, W=1 + sparse (C=2), the
#                   kernel's coccinelle checks; libipc, tool and examples:
#                   cppcheck, clang-tidy; man-check (installs the tools)
#   make man-check  every man page formats without a warning
#   make install    module, libipc, <linux/kmbox.h>, kmbox tool, man pages
#                   (PREFIX=/usr/local, DESTDIR); make dkms-install: via DKMS
#   make check-debug  the suite, kmemleak and failslab passes on a debug kernel
#                     (KASAN, lockdep, UBSAN...) built once by scripts/debug-kernel
#   make matrix     make check on every installed kernel (scripts/install-kernels)
#   make check-fresh  make demo and make check in a fresh Debian 12 root that
#                   has only git and make (debootstrap, chroot; as root)
#   make fuzz       the fuzzer and stress test in a VM for FUZZ_SECONDS (60),
#                   with seed FUZZ_SEED (random, printed) and FUZZ_ARGS
#   make fuzz-debug the same on the debug kernel, FUZZ_DEBUG_SECONDS (300)
#   make bench      kmbox-bench here (libipc's posix backend) and in a VM (the
#                   module), against pipe, AF_UNIX, POSIX mq, SysV msg: ratios,
#                   JSON and a plot in build/bench/ (docs/performance.md);
#                   BENCH_QUICK=1 for a short run (under 10 minutes)
#
# KDIR picks the kernel to build against: by default Debian's own kernel
# (the headers linux-headers-amd64 depends on), else the newest installed
# headers.  The VM boots the matching /boot/vmlinuz-$(KVER).

# Recursive (=), not :=, so that they are read when used: on a fresh
# machine 'make check' installs the headers after this file is parsed.
DEBIAN_KVER = $(shell dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
	sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p')
KDIR ?= $(or $(wildcard $(DEBIAN_KVER:%=/lib/modules/%/build)),\
	$(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1))
KVER ?= $(notdir $(patsubst %/build,%,$(KDIR)))
# Built in a copy of the sources (scripts/build-kmod), so that kmod/ holds
# only what checkpatch reads, not kbuild's generated kmbox.mod.c.
MODULE = build/kmod/$(KVER)/kmod/kmbox.ko

.PHONY: all modules lib rpc tools tests examples deps check demo lint clean kselftest-install \
	install-kernels debug-kernel check-debug matrix check-fresh fuzz fuzz-debug man-check \
	install install-module install-user uninstall dkms-install dkms-uninstall bench

all: modules lib rpc tools tests examples

# A '+' marks each recipe line that runs make from a script, so that the
# jobserver of 'make -jN' reaches that make too (and, as for $(MAKE),
# 'make -n' runs such a line all the same).
modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' (as root)"; exit 1; }
	+scripts/build-kmod $(KDIR) build/kmod/$(KVER) >/dev/null

lib:
	$(MAKE) -C libipc

# libipc-rpc: protobuf-c services over kmbox calls (libipc-rpc/), a library
# of its own so that libipc needs no protobuf-c.
rpc: lib
	$(MAKE) -C libipc-rpc

# The kmbox command-line tool; cli_test runs it, so the tests need it.
tools: lib
	$(MAKE) -C tools

tests: lib tools
	$(MAKE) -C tests
	$(MAKE) -C tests/libipc all san

# examples/kmbox-demo (demo.c) among them, and examples/rpc/ (libipc-rpc).
# tests/vm/run copies a dynamic program into the VM with the libraries ldd
# names.
examples: lib rpc
	$(MAKE) -C examples

deps:
	scripts/install-deps

check: deps
	$(MAKE) all kselftest-install
	+scripts/check --kver "$(KVER)" --kselftest $(KSFT_INSTALL)

# The demo in the VM (kernel backend), then here on the posix backend: it
# needs the module, the kmbox tool and examples/kmbox-demo, no tests.
demo: deps
	$(MAKE) modules tools examples
	tests/vm/run --no-tests --kver "$(KVER)" -- /kmbox/tests/demo
	@echo
	@echo "== the same demo on this machine, without the module: LIBIPC_BACKEND=posix"
	LIBIPC_BACKEND=posix examples/kmbox-demo

# The tests the kernel's way (scripts/kselftest-tree): placed as KSRC's
# tools/testing/selftests/kmbox (KSRC: a kernel source tree; by default the
# few kselftest files of the linux-source the tests build with, in
# build/kselftest/), then kselftest_install.sh lays them out in
# KSFT_INSTALL, to run with ./run_kselftest.sh where kmbox.ko is loaded.
KSRC ?=
KSFT_INSTALL ?= build/kselftest/install
kselftest-install: tools
	+scripts/kselftest-tree $(if $(KSRC),--ksrc $(KSRC)) --install $(KSFT_INSTALL)

print-kver:
	@echo $(KVER)

# Debian's 6.1, 6.12 and 6.12 PREEMPT_RT, images and headers, for 'make matrix'.
install-kernels:
	scripts/install-kernels

# The debug kernel's tree (built once, cached in /var/cache/kmbox).
debug-kernel:
	scripts/debug-kernel

# The suite, then kmemleak, then the suite under failslab, on the debug
# kernel; kmbox.ko for it is built in build/debug-kmod.
check-debug: deps
	$(MAKE) tests examples
	+scripts/check-debug

# 'make check' on each installed kernel; KERNELS="KVER..." picks some.
matrix: deps
	$(MAKE) tests examples
	+scripts/matrix $(KERNELS)

# The README's two commands on a new Debian 12 machine: a debootstrapped
# root with only git and make, a clone of HEAD, then 'make demo' and
# 'make check' in it.  It installs the rest itself, as a new user's would.
# No '+': the makes in the root get a clean environment, no jobserver.
check-fresh:
	scripts/check-fresh

# tests/run-fuzz in the VM: tests/fuzz for FUZZ_SECONDS, an unload race,
# then what it left behind (processes, module references, memory, dmesg).
# Replay a failure with FUZZ_SEED=N; FUZZ_ARGS passes more options
# (tests/fuzzer/main.c lists them, e.g. --procs 8 --threads 4).
FUZZ_SECONDS ?= 60
FUZZ_SEED ?=
FUZZ_ARGS ?=
fuzz: deps
	$(MAKE) modules tests
	tests/vm/run --kver "$(KVER)" --timeout $$(($(FUZZ_SECONDS) + 1200)) -- \
		/kmbox/tests/run-fuzz --seconds $(FUZZ_SECONDS) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(FUZZ_ARGS)

# The same on the debug kernel (scripts/debug-kernel): KASAN, lockdep,
# kmemleak judge what the fuzzer does; FUZZ_DEBUG_SECONDS (300) of it.
# Timing checks get the debug kernel's slack (--slack 60).
FUZZ_DEBUG_SECONDS ?= 300
fuzz-debug: deps
	$(MAKE) tests
	+scripts/check-debug --fuzz --seconds $(FUZZ_DEBUG_SECONDS) --slack 60 \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(FUZZ_ARGS)

# Benchmarks, never assertions: figures are reported, not judged by the
# exit status (which fails only if a run fails or a sequence check does).
BENCH_QUICK ?=
bench: deps
	scripts/install-deps bench
	$(MAKE) modules lib
	$(MAKE) -C bench
	+scripts/bench --kver "$(KVER)" $(if $(BENCH_QUICK),--quick)

lint:
	scripts/install-deps lint
	+KDIR="$(KDIR)" scripts/lint

# ---- installing ---------------------------------------------------------
#   make install        the module (for KVER) and everything below
#   make install-user   libipc (.so, .a, ipc.h, libipc.pc), libipc-rpc (.so,
#                       .a, ipc-rpc.h, libipc-rpc.pc), the uapi header
#                       as <linux/kmbox.h>, tools/kmbox, the man pages
#   make uninstall      removes what those put there
#   make dkms-install   the module's sources to /usr/src/kmbox-VERSION, then
#                       dkms add, build and install for KVER: rebuilt by dkms
#                       for every kernel installed later
#   make dkms-uninstall dkms remove, and the sources
# PREFIX (/usr/local), DESTDIR (empty: this system), BINDIR, LIBDIR,
# INCLUDEDIR, MANDIR, MODDIR.  With DESTDIR set, depmod and ldconfig are
# left to whoever installs the staged files.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
MODDIR ?= /lib/modules/$(KVER)/updates
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/kmbox-$(VERSION)

MAN_PAGES := $(wildcard man/*.[1-8])
# Functions documented on another one's page: installed as symlinks.
MAN_LINKS := ipc_sendv.3:ipc_send.3 ipc_recvv.3:ipc_recv.3 ipc_list.3:ipc_stat.3 \
	ipc_stat_id.3:ipc_stat.3 ipc_destroy_id.3:ipc_destroy.3 ipc_recv_batch.3:ipc_send_batch.3 \
	ipc_port_open.3:ipc_port_create.3 ipc_port_open_pidfd.3:ipc_port_create.3 \
	ipc_send_to.3:ipc_port_create.3 ipc_reply.3:ipc_call.3 ipc_reply_recv.3:ipc_call.3 \
	ipc_rpc_client_create.3:ipc_rpc.3 ipc_rpc_call.3:ipc_rpc.3 ipc_rpc_last_error.3:ipc_rpc.3 \
	ipc_rpc_serve.3:ipc_rpc.3 ipc_rpc_dispatch.3:ipc_rpc.3 ipc_rpc_caller.3:ipc_rpc.3

install: install-module install-user

install-module: modules
	install -D -m 644 $(MODULE) $(DESTDIR)$(MODDIR)/kmbox.ko
	$(if $(DESTDIR),@echo "install: run 'depmod $(KVER)' where it is installed",depmod -a $(KVER))

install-user: lib rpc tools
	$(MAKE) -C libipc install PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
		INCLUDEDIR=$(INCLUDEDIR) DESTDIR=$(DESTDIR)
	$(MAKE) -C libipc-rpc install PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
		INCLUDEDIR=$(INCLUDEDIR) DESTDIR=$(DESTDIR)
	install -D -m 644 uapi/linux/kmbox.h $(DESTDIR)$(INCLUDEDIR)/linux/kmbox.h
	install -D -m 755 tools/kmbox $(DESTDIR)$(BINDIR)/kmbox
	for f in $(MAN_PAGES); do \
		s=$${f##*.}; install -D -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/$${f##*/} || exit 1; \
	done
	for l in $(MAN_LINKS); do \
		ln -sf $${l#*:} $(DESTDIR)$(MANDIR)/man3/$${l%%:*} || exit 1; \
	done
	$(if $(DESTDIR),,ldconfig)

uninstall:
	rm -f $(DESTDIR)$(MODDIR)/kmbox.ko $(DESTDIR)$(BINDIR)/kmbox \
		$(DESTDIR)$(INCLUDEDIR)/linux/kmbox.h $(DESTDIR)$(INCLUDEDIR)/ipc.h \
		$(DESTDIR)$(LIBDIR)/libipc.so* $(DESTDIR)$(LIBDIR)/libipc.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libipc.pc \
		$(DESTDIR)$(INCLUDEDIR)/ipc-rpc.h $(DESTDIR)$(LIBDIR)/libipc-rpc.so* \
		$(DESTDIR)$(LIBDIR)/libipc-rpc.a $(DESTDIR)$(LIBDIR)/pkgconfig/libipc-rpc.pc
	for f in $(MAN_PAGES) $(foreach l,$(MAN_LINKS),man/$(firstword $(subst :, ,$(l)))); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/}; \
	done
	$(if $(DESTDIR),,depmod -a $(KVER); ldconfig)

dkms-install:
	@command -v dkms >/dev/null || { echo "no dkms: apt-get install dkms"; exit 1; }
	@test -n "$(VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf"; exit 1; }
	if dkms status -m kmbox -v $(VERSION) | grep -q .; then \
		dkms remove kmbox/$(VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 644 Kbuild dkms.conf $(DKMS_SRC)/
	install -m 644 kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) \
		$(wildcard kmod/*.h) $(DKMS_SRC)/kmod/
	install -m 644 uapi/linux/kmbox.h $(DKMS_SRC)/uapi/linux/
	dkms add kmbox/$(VERSION)
	dkms build kmbox/$(VERSION) -k $(KVER)
	dkms install kmbox/$(VERSION) -k $(KVER)

dkms-uninstall:
	if dkms status -m kmbox -v $(VERSION) | grep -q .; then \
		dkms remove kmbox/$(VERSION) --all; fi
	rm -rf $(DKMS_SRC)

# Every man page formats without a warning (man-db's man, groff).
man-check:
	@fail=0; for f in $(MAN_PAGES); do \
		out=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l $$f 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "$$f:"; echo "$$out" | sed 's/^/  /'; fail=1; fi; \
	done; \
	[ $$fail -eq 0 ] && echo "man-check: $(words $(MAN_PAGES)) pages, no warnings"

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean
	$(MAKE) -C tests/libipc clean
	$(MAKE) -C libipc clean
	$(MAKE) -C libipc-rpc clean
	$(MAKE) -C examples clean
	$(MAKE) -C bench clean
	rm -rf build
