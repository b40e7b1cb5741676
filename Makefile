# tcpdwell build. `make` builds ./tcpdwell; `make run`, `make test` and `make bench` first
# install missing Debian packages. V=1 shows full commands.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUTPUT    := .output
CLANG     ?= clang
CC        ?= gcc
BPFTOOL   ?= bpftool
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# BPF_EXTRA: -D knobs that compile steps out of the kernel side, for the
# bench's variants (VARIANTS= in scripts/bench.sh); empty for every real build.
BPF_EXTRA  ?=
BPF_CFLAGS := -target bpf -mcpu=v3 -g -O2 -Wall -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf $(BPF_EXTRA)
CFLAGS     ?= -O2 -g
USER_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -Ibpf -Iuser -I$(OUTPUT) -DTD_VERSION='"$(VERSION)"'
LDLIBS     := -lbpf -lelf -lz -lm -lmicrohttpd -lcap-ng -lseccomp
# What the pure modules link against (zlib: kfacts reads /proc/config.gz).
PURE_LIBS  := -lz -lm
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Userspace modules sort themselves: one that includes the skeleton talks to
# BPF (built after it, linked into the tool and the integration tests); the
# system-library ones below need libraries the unit tests do not link; every
# other module is pure and unit-tested, plain and sanitized. A new module
# needs no line here.
SYS_SRCS   := user/main.c user/http.c user/privs.c user/rings.c
BPF_SRCS   := $(shell grep -l '"tcpdwell.skel.h"' user/*.c)
LIB_SRCS   := $(filter-out $(SYS_SRCS) $(BPF_SRCS),$(wildcard user/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
SAN_OBJS   := $(patsubst user/%.c,$(OUTPUT)/san/%.o,$(LIB_SRCS))
TRACER_OBJ := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(BPF_SRCS) user/privs.c user/rings.c)
BPF_HDRS   := $(wildcard bpf/*.h)
UNIT_SRCS  := $(wildcard tests/unit/*.c)
INTEG_SRCS := $(wildcard tests/integration/*.c)
USER_HDRS  := $(wildcard user/*.h) bpf/tcpdwell.h
BENCH_OUT  := $(OUTPUT)/bench
BENCH_BINS := $(BENCH_OUT)/churn $(BENCH_OUT)/floor $(BENCH_OUT)/sysloop $(BENCH_OUT)/mapfill $(BENCH_OUT)/fill

.PHONY: all run test shape unit-test integration-test bench bench-bins deps clean vmlinux soak

all: tcpdwell

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/san $(OUTPUT)/tests $(BENCH_OUT):
	$(Q)mkdir -p $@

$(OUTPUT)/tcpdwell.bpf.o: bpf/tcpdwell.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tcpdwell.skel.h: $(OUTPUT)/tcpdwell.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcpdwell_bpf > $@

$(TRACER_OBJ): $(OUTPUT)/user/%.o: user/%.c $(OUTPUT)/tcpdwell.skel.h $(USER_HDRS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/san/%.o: user/%.c $(USER_HDRS) | $(OUTPUT)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -c $< -o $@

tcpdwell: $(OUTPUT)/user/main.o $(OUTPUT)/user/http.o $(TRACER_OBJ) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Unit tests: the pure modules, plain and under ASan+UBSan.
$(OUTPUT)/tests/unit: $(UNIT_SRCS) $(LIB_OBJS) $(USER_HDRS) $(wildcard tests/unit/*.h) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/unit $(UNIT_SRCS) $(LIB_OBJS) -lcriterion $(PURE_LIBS) -o $@

$(OUTPUT)/tests/unit-san: $(UNIT_SRCS) $(SAN_OBJS) $(USER_HDRS) $(wildcard tests/unit/*.h) | $(OUTPUT)/tests
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -Itests/unit $(UNIT_SRCS) $(SAN_OBJS) -lcriterion $(PURE_LIBS) -o $@

# Integration tests load the real BPF program and need root.
$(OUTPUT)/tests/integration: $(INTEG_SRCS) $(wildcard tests/integration/*.h) $(TRACER_OBJ) $(LIB_OBJS) tcpdwell | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/integration $(INTEG_SRCS) $(TRACER_OBJ) $(LIB_OBJS) -lcriterion -lpthread $(LDLIBS) -o $@

# Benchmark (issue 4): a churn load and the floor probes, driven by scripts/bench.sh.
$(BENCH_OUT)/floor.bpf.o: tests/bench/floor.bpf.c tests/bench/floor.h bpf/tcpdwell.h vmlinux/vmlinux.h | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Itests/bench -c $< -o $@

$(BENCH_OUT)/floor.skel.h: $(BENCH_OUT)/floor.bpf.o | $(BENCH_OUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BENCH_OUT)/floor.o: tests/bench/floor.c tests/bench/floor.h $(BENCH_OUT)/floor.skel.h bpf/tcpdwell.h user/ringsize.h user/rings.h | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/bench -I$(BENCH_OUT) -c $< -o $@

# The floor makes its per-CPU rings as tcpdwell does (user/rings.c, ringsize.c).
$(BENCH_OUT)/floor: $(BENCH_OUT)/floor.o $(OUTPUT)/user/rings.o $(OUTPUT)/user/ringsize.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_OUT)/churn.o: tests/bench/churn.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -pthread -c $< -o $@

$(BENCH_OUT)/churn: $(BENCH_OUT)/churn.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $^ -o $@

$(BENCH_OUT)/sysloop: tests/bench/sysloop.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@

$(BENCH_OUT)/mapfill: tests/bench/mapfill.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(LDLIBS) -o $@

# The scale case's socket table (SCALE=1 make bench).
$(BENCH_OUT)/fill: tests/bench/fill.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@

bench-bins: tcpdwell $(BENCH_BINS)

deps:
	$(Q)scripts/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./tcpdwell $(ARGS)

unit-test: $(OUTPUT)/tests/unit $(OUTPUT)/tests/unit-san
	$(call msg,TEST,unit)
	$(Q)$(OUTPUT)/tests/unit --jobs 2
	$(call msg,TEST,unit under ASan+UBSan)
	$(Q)ASAN_OPTIONS=detect_leaks=1 $(OUTPUT)/tests/unit-san --jobs 2

# Two at a time on the two CPUs: timing tests compare against clocks the
# test reads, and four at once made rare overruns.
integration-test: $(OUTPUT)/tests/integration tcpdwell
	$(call msg,TEST,integration)
	$(Q)$(OUTPUT)/tests/integration --jobs 2

# The shape rule (issue 8): no function over 80 lines, no file over 600.
shape:
	$(call msg,SHAPE,bpf/ user/)
	$(Q)scripts/shape.sh

test: deps
	$(Q)$(MAKE) --no-print-directory shape unit-test integration-test

# Needs root. DURATION, REPEATS, MODES...: see scripts/bench.sh.
bench: deps
	$(Q)scripts/bench.sh

# Needs root. SECS (default 600), EVERY...: see scripts/soak.sh.
soak: deps
	$(Q)scripts/soak.sh

vmlinux:
	$(Q)scripts/gen-vmlinux.sh

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) tcpdwell

# Fuzzing (libFuzzer, clang): the parsers and the record decoder, each run
# for FUZZ_SECONDS (default 20) from a seed corpus in tests/fuzz/corpus.
FUZZ_SECONDS ?= 20
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -Ibpf -Iuser -I$(OUTPUT) -DTD_VERSION='"fuzz"'

$(OUTPUT)/tests/fuzz_input: tests/fuzz/fuzz_input.c $(LIB_SRCS) $(USER_HDRS) | $(OUTPUT)/tests
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) tests/fuzz/fuzz_input.c $(LIB_SRCS) $(PURE_LIBS) -o $@

.PHONY: fuzz
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/tests/fuzz_input
	$(call msg,FUZZ,$(FUZZ_SECONDS)s)
	$(Q)mkdir -p $(OUTPUT)/fuzz-corpus && cp -n tests/fuzz/corpus/* $(OUTPUT)/fuzz-corpus/ 2>/dev/null; \
	$(OUTPUT)/tests/fuzz_input -max_total_time=$(FUZZ_SECONDS) -max_len=512 -print_final_stats=1 \
		$(OUTPUT)/fuzz-corpus

# Install the binary, the systemd unit (written from its template with this
# PREFIX's bin), the man page, the bash completion and the Grafana dashboard;
# `make uninstall` with the same PREFIX and DESTDIR removes exactly those.
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
MAN8DIR := $(PREFIX)/share/man/man8
COMPDIR := $(PREFIX)/share/bash-completion/completions
DATADIR := $(PREFIX)/share/tcpdwell
UNITDIR ?= /etc/systemd/system
INSTALLED := $(BINDIR)/tcpdwell $(UNITDIR)/tcpdwell.service $(MAN8DIR)/tcpdwell.8 \
	     $(COMPDIR)/tcpdwell $(DATADIR)/grafana-dashboard.json
.PHONY: install uninstall
install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 tcpdwell $(DESTDIR)$(BINDIR)/tcpdwell
	$(Q)install -d -m 0755 $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|@BINDIR@|$(BINDIR)|g' scripts/tcpdwell.service.in > $(DESTDIR)$(UNITDIR)/tcpdwell.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/tcpdwell.service
	$(Q)install -D -m 0644 doc/tcpdwell.8 $(DESTDIR)$(MAN8DIR)/tcpdwell.8
	$(Q)install -D -m 0644 scripts/tcpdwell.bash-completion $(DESTDIR)$(COMPDIR)/tcpdwell
	$(Q)install -D -m 0644 scripts/grafana-dashboard.json $(DESTDIR)$(DATADIR)/grafana-dashboard.json

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)if [ -d $(DESTDIR)$(DATADIR) ]; then rmdir $(DESTDIR)$(DATADIR); fi
