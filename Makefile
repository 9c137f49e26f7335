# SPDX-License-Identifier: GPL-2.0-only
#
# kmbox: user entry points.
#   make            build kmod/kmbox.ko and the tests
#   make check      install what is missing, build, run every test in a VM
#   make demo       install what is missing, build, show mailboxes at work in a VM
#   make lint       checkpatch --strict, W=1 and sparse on the module
#   make check-debug  the suite, kmemleak and failslab passes on a debug kernel
#                     (KASAN, lockdep, UBSAN...) built once by scripts/debug-kernel
#   make matrix     make check on every installed kernel (scripts/install-kernels)
#
# KDIR picks the kernel to build against: by default Debian's own kernel
# (the headers linux-headers-amd64 depends on), else the newest installed
# headers.  The VM boots the matching /boot/vmlinuz-$(KVER).

DEBIAN_KVER := $(shell dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
	sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p')
KDIR ?= $(or $(wildcard $(DEBIAN_KVER:%=/lib/modules/%/build)),\
	$(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1))
KVER ?= $(notdir $(patsubst %/build,%,$(KDIR)))

.PHONY: all modules lib tests examples deps check demo lint clean \
	install-kernels debug-kernel check-debug matrix

CFLAGS ?= -O2 -g
USER_CFLAGS := -Wall -Wextra -Werror -I$(CURDIR)/uapi

all: modules lib tests examples

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' (as root)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	$(MAKE) -C libipc

tests: lib
	$(MAKE) -C tests
	$(MAKE) -C tests/libipc all san

# Static, like the tests: the VM has no shared libraries to offer.
examples: examples/kmbox-demo lib
	$(MAKE) -C examples

examples/kmbox-demo: examples/demo.c uapi/linux/kmbox.h
	$(CC) $(CFLAGS) $(USER_CFLAGS) -static -o $@ $<

deps:
	scripts/install-deps

check: deps
	$(MAKE) all
	scripts/check --kver "$(KVER)"

demo: deps
	$(MAKE) all
	tests/vm/run --kver "$$($(MAKE) -s print-kver)" -- /kmbox/tests/demo

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
	scripts/check-debug

# 'make check' on each installed kernel; KERNELS="KVER..." picks some.
matrix: deps
	$(MAKE) tests examples
	scripts/matrix $(KERNELS)

lint: deps
	KDIR="$(KDIR)" scripts/lint

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tests clean
	$(MAKE) -C tests/libipc clean
	$(MAKE) -C libipc clean
	$(MAKE) -C examples clean
	rm -rf build examples/kmbox-demo
