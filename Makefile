# SPDX-License-Identifier: GPL-2.0-only
#
# kmbox: user entry points.
#   make            build kmod/kmbox.ko and the tests
#   make check      install what is missing, build, run every test in a VM
#   make demo       install what is missing, build, show mailboxes at work in a VM
#   make lint       checkpatch --strict, W=1 and sparse on the module
#
# KDIR picks the kernel to build against: the newest installed headers by
# default.  The VM boots the matching /boot/vmlinuz-$(KVER).

KDIR ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
KVER ?= $(notdir $(patsubst %/build,%,$(KDIR)))

.PHONY: all modules tests examples deps check demo lint clean

CFLAGS ?= -O2 -g
USER_CFLAGS := -Wall -Wextra -Werror -I$(CURDIR)/uapi

all: modules tests examples

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' (as root)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tests:
	$(MAKE) -C tests

# Static, like the tests: the VM has no shared libraries to offer.
examples: examples/kmbox-demo

examples/kmbox-demo: examples/demo.c uapi/linux/kmbox.h
	$(CC) $(CFLAGS) $(USER_CFLAGS) -static -o $@ $<

deps:
	scripts/install-deps

check: deps
	$(MAKE) all
	tests/vm/run --kver "$$($(MAKE) -s print-kver)" -- /kmbox/tests/run-all

demo: deps
	$(MAKE) all
	tests/vm/run --kver "$$($(MAKE) -s print-kver)" -- /kmbox/tests/demo

print-kver:
	@echo $(KVER)

lint: deps
	KDIR="$(KDIR)" scripts/lint

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tests clean
	rm -rf build examples/kmbox-demo
