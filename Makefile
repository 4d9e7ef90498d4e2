# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# porttrace build, in the libbpf-bootstrap mould: clang -target bpf, bpftool
# skeleton, system libbpf via pkg-config. `make V=1` shows the commands.

OUTPUT    := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
PKG_CONFIG ?= pkg-config
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   := 0.1.0

ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/' \
	| sed 's/ppc64le/powerpc/' | sed 's/mips.*/mips/' | sed 's/riscv64/riscv/' \
	| sed 's/loongarch64/loongarch/')

LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -lnettle -lpthread

# user/: main.c and the options at the top; one folder per pipeline stage
USER_DIRS := user user/trace user/output user/audit user/util
INCLUDES := -I$(OUTPUT) -Iinclude $(addprefix -I,$(USER_DIRS))
CFLAGS   ?= -g -O2
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -DPORTTRACE_VERSION='"$(VERSION)"' $(INCLUDES) $(LIBBPF_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -I. -Iinclude -Ibpf

# every user-space unit but main.c; unit tests link against these
USER_SRCS := $(filter-out user/main.c,$(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c)))
USER_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(notdir $(USER_SRCS)))
vpath %.c $(USER_DIRS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
TOOLS     := $(OUTPUT)/tools/churn $(OUTPUT)/tools/format-bench $(OUTPUT)/tools/floor \
	     $(OUTPUT)/tests/peer $(OUTPUT)/tests/hold

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all deps run test test-kernels unit e2e bench install uninstall clean vmlinux deb
.DELETE_ON_ERROR:

all: porttrace

deps:
	$(Q)tools/install-deps

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./porttrace $(ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory all unit-bins tools-bins
	$(Q)tests/run-tests

# the kernel matrix: Debian's 6.1 and 6.12 under qemu, 5.10's refusal, and
# the smoke subset on this machine's kernel, in both attach modes
test-kernels: deps
	$(Q)$(MAKE) --no-print-directory all tools-bins
	$(Q)tests/run-tests kernels

unit-bins: $(UNIT_BINS)
tools-bins: $(TOOLS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all tools-bins
	$(Q)tools/bench $(BENCH_ARGS)

$(OUTPUT) $(OUTPUT)/tests $(OUTPUT)/tools:
	$(Q)mkdir -p $@

# -MMD: each object depends on the headers it includes, as the compiler saw
# them (the .d files); the first build needs none
DEPFLAGS = -MMD -MP

$(OUTPUT)/porttrace.bpf.o: bpf/porttrace.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(OUTPUT)/porttrace.bpf.d -MT $@ \
		-c $< -o $(OUTPUT)/porttrace.tmp.bpf.o
	$(Q)$(BPFTOOL) gen object $@ $(OUTPUT)/porttrace.tmp.bpf.o

$(OUTPUT)/porttrace.skel.h: $(OUTPUT)/porttrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name porttrace_bpf > $@

$(OUTPUT)/%.o: %.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# only the loader includes the skeleton
$(OUTPUT)/loader.o $(OUTPUT)/main.o: $(OUTPUT)/porttrace.skel.h

porttrace: $(OUTPUT)/main.o $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(USER_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -MT $@ -MF $@.d $(filter %.c %.o,$^) -lcmocka $(LIBBPF_LIBS) -o $@

$(OUTPUT)/tests/peer: tests/e2e/peer.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DHAVE_LIBURING $< -o $@ -luring -lpthread

$(OUTPUT)/tests/hold: tests/e2e/hold.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# the tracer's formatting alone, through the real objects (tools/bench)
$(OUTPUT)/tools/format-bench: tools/bench.d/format.c $(USER_OBJS) | $(OUTPUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -MT $@ -MF $@.d $(filter %.c %.o,$^) $(LIBBPF_LIBS) -o $@

# the floor under porttrace's kernel side (tools/bench): its own BPF object
$(OUTPUT)/tools/floor.bpf.o: tools/bench.d/floor.bpf.c include/porttrace.h | $(OUTPUT)/tools
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tools/floor.skel.h: $(OUTPUT)/tools/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(OUTPUT)/tools/floor: tools/bench.d/floor.c $(OUTPUT)/tools/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/tools $< $(LIBBPF_LIBS) -o $@

$(OUTPUT)/tools/churn: tools/churn.c | $(OUTPUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lpthread -o $@

vmlinux:
	tools/gen-vmlinux-h > vmlinux.h

install: porttrace
	install -D -m 0755 porttrace $(DESTDIR)$(PREFIX)/sbin/porttrace
	install -D -m 0644 doc/porttrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/porttrace.8

# A Debian package (debhelper) of the tree as committed or not: binary, man
# page, porttrace.service and /etc/default/porttrace (tools/systemd), built
# in $(OUTPUT)/deb from a copy with tools/debian as its debian/.
DEB_DIR := $(OUTPUT)/deb
deb:
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/porttrace-$(VERSION)
	$(Q)cp -r Makefile vmlinux.h bpf include user doc tools $(DEB_DIR)/porttrace-$(VERSION)/
	$(Q)cp -r tools/debian $(DEB_DIR)/porttrace-$(VERSION)/debian
	$(Q)cp tools/systemd/porttrace.service tools/systemd/porttrace.default \
		$(DEB_DIR)/porttrace-$(VERSION)/debian/
	$(Q)cd $(DEB_DIR)/porttrace-$(VERSION) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log; echo "make deb: dpkg-buildpackage failed: $(DEB_DIR)/build.log"; exit 1; }
	$(Q)ls $(DEB_DIR)/porttrace_$(VERSION)-*.deb

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/porttrace $(DESTDIR)$(PREFIX)/share/man/man8/porttrace.8

clean:
	rm -rf $(OUTPUT) porttrace

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/tests/*.d)
