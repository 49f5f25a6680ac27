# slugc - plain make.  `make`, `make check`, `make check-san`, `make bench`,
# `make install PREFIX=...`.  See README.md.

PREFIX  ?= /usr/local
CC      ?= cc
PKGS     = libcurl libarchive yaml-0.1 libcrypto zlib libzstd libisal hiredis \
           json-c libxml-2.0

# SAN=1 builds everything with AddressSanitizer and UBSan into build/san, with
# its own copy of the buildpack directories, so both builds can be tested.
# BPDIR is the Mono buildpack's, NODE_BPDIR the Node.js buildpack's.
ifeq ($(SAN),1)
O       ?= build/san
BPDIR   ?= $(O)/buildpacks/mono
NODE_BPDIR ?= $(O)/buildpacks/nodejs
BINDIR  ?= $(O)/bin
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer
OPT     ?= -O1 -g
else
O       ?= build
BPDIR   ?= buildpacks/mono
NODE_BPDIR ?= buildpacks/nodejs
BINDIR  ?= bin
OPT     ?= -O2 -g
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

CFLAGS  ?= $(OPT)
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
           -iquote src/lib $(PKG_CFLAGS) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS  += $(PKG_LIBS)

# The library's modules, and its layers' folders (src/lib/runtime: the
# runtimes the buildpacks install; src/lib/monoapp: a Mono app's files).
LIB_SRC    := $(wildcard src/lib/*.c src/lib/*/*.c)
LIB_OBJ    := $(LIB_SRC:src/%.c=$(O)/%.o)
LIB        := $(O)/libslugc.a

# What the buildpacks' mains share (they print: not library code):
# bpmain_compile.o goes into compile, bpmain_release.o into release.
BPMAIN_OBJ := $(O)/bpmain/bpmain_compile.o $(O)/bpmain/bpmain_release.o

MONO_PROGS := detect compile release
MONO_BINS  := $(MONO_PROGS:%=$(BPDIR)/bin/%)

NODE_PROGS := detect compile release
NODE_BINS  := $(NODE_PROGS:%=$(NODE_BPDIR)/bin/%)

SLUGC_SRC  := $(wildcard src/slugc/*.c)
SLUGC_OBJ  := $(SLUGC_SRC:src/%.c=$(O)/%.o)
SLUGC_BIN  := $(if $(SLUGC_SRC),$(BINDIR)/slugc)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

SERVER_SRC  := $(wildcard tests/servers/*.c)
SERVER_BINS := $(SERVER_SRC:tests/servers/%.c=$(O)/servers/%)

BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

# libFuzzer targets: built with clang, each linked with the library's
# sources compiled for fuzzing (coverage + ASan + UBSan).
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CC    ?= clang
FUZZ_O     := build/fuzz
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_O)/%)
FUZZ_CFLAGS = -g -O1 -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
              -iquote src/lib $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_SECONDS ?= 60

ALL_OBJ := $(LIB_OBJ) $(SLUGC_OBJ) $(MONO_PROGS:%=$(O)/mono/%.o) \
           $(NODE_PROGS:%=$(O)/nodejs/%.o) $(BPMAIN_OBJ)

# The runtime downloader (fetch, download, unpack: libcurl, libarchive and
# the ~40 libraries they load) as a shared object beside the buildpack's
# programs, which load it only on a cache miss (runtime/downloader.h), so a
# warm compile starts without them.  The library is built -fPIC with hidden
# symbols for it; runtime_downloader_linked is the one symbol it exports.
DOWNLOADER_SO := $(BPDIR)/bin/slugc-install.so
NODE_DOWNLOADER_SO := $(NODE_BPDIR)/bin/slugc-install.so
WARM_LIBS    := $(shell pkg-config --libs yaml-0.1)
JSON_LIBS    := $(shell pkg-config --libs json-c)

.PHONY: all tests check check-san check-all runtime node-runtime deps install \
        clean bench demo fuzz format print-test-env
all: $(MONO_BINS) $(DOWNLOADER_SO) $(SLUGC_BIN) $(if $(filter $(BPDIR),buildpacks/mono),,$(BPDIR)/buildpack.yml) \
     $(NODE_BINS) $(NODE_DOWNLOADER_SO) $(if $(filter $(NODE_BPDIR),buildpacks/nodejs),,$(NODE_BPDIR)/buildpack.yml)

$(O)/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB_OBJ): CFLAGS += -fPIC -fvisibility=hidden

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(O)/mono/%.o $(O)/nodejs/%.o: CFLAGS += -iquote src/bpmain

$(BPDIR)/bin/%: $(O)/mono/%.o $(O)/bpmain/bpmain_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(NODE_BPDIR)/bin/compile $(NODE_BPDIR)/bin/release: $(NODE_BPDIR)/bin/%: \
    $(O)/nodejs/%.o $(O)/bpmain/bpmain_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# detect runs on every push and needs only libc: it is linked statically
# against musl, whose start-up is cheaper than glibc's (bench/README.md has
# the figures), from its few modules compiled again with musl's headers.
# Under SAN=1 it is a sanitized glibc program like the others; without
# musl-gcc (Debian's musl-tools) it is linked statically against glibc.
ifeq ($(origin MUSL_CC),undefined)
MUSL_CC     := $(shell command -v musl-gcc 2>/dev/null)
endif
ifeq ($(MUSL_CC),)
override MUSL_CC := $(CC)
$(warning musl-gcc not found (apt-get install musl-tools): detect is linked statically against glibc)
endif
DETECT_SRC  := src/mono/detect.c src/lib/monoapp/solution.c src/lib/strlist.c \
               src/lib/fsutil.c src/lib/err.c
DETECT_OBJ  := $(DETECT_SRC:src/%.c=$(O)/musl/%.o)
# The Node.js buildpack's needs libc alone: one stat.
NODE_DETECT_OBJ := $(O)/musl/nodejs/detect.o
MUSL_CFLAGS  = $(OPT) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE \
               -iquote src/lib -MMD -MP

$(O)/musl/%.o: src/%.c
	@mkdir -p $(@D)
	$(MUSL_CC) $(MUSL_CFLAGS) -c -o $@ $<

# The benchmark times detect's scan in process as detect runs it: on musl.
$(O)/bench/detect_scan: bench/detect_scan.c \
    $(filter-out $(O)/musl/mono/%,$(DETECT_OBJ))
	@mkdir -p $(@D)
	$(MUSL_CC) $(MUSL_CFLAGS) -static -o $@ $(filter %.c %.o,$^)

ifeq ($(SAN),1)
$(BPDIR)/bin/detect: $(O)/mono/detect.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
$(NODE_BPDIR)/bin/detect: $(O)/nodejs/detect.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
else
$(BPDIR)/bin/detect: $(DETECT_OBJ)
	@mkdir -p $(@D)
	$(MUSL_CC) -static -o $@ $^
$(NODE_BPDIR)/bin/detect: $(NODE_DETECT_OBJ)
	@mkdir -p $(@D)
	$(MUSL_CC) -static -o $@ $^
endif

$(DOWNLOADER_SO): $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -Wl,--undefined=runtime_downloader_linked \
	    -o $@ $(LIB) -Wl,--as-needed $(LDLIBS)

# The same shared object beside the Node.js buildpack's programs: each
# buildpack directory is published on its own.
$(NODE_DOWNLOADER_SO): $(DOWNLOADER_SO)
	@mkdir -p $(@D)
	cp $< $@

# Neither libcurl nor libarchive (see DOWNLOADER_SO); release needs libyaml
# alone, and runs on every push too.  compile reads project files (profile.c)
# with libxml2.
$(BPDIR)/bin/release $(O)/bench/runtime_install: private LDLIBS = $(WARM_LIBS)
$(BPDIR)/bin/compile: private LDLIBS = $(WARM_LIBS) $(shell pkg-config --libs libxml-2.0)
# The Node.js buildpack's read package.json with json-c.
$(NODE_BPDIR)/bin/compile $(NODE_BPDIR)/bin/release: private LDLIBS = $(WARM_LIBS) $(JSON_LIBS)
$(O)/bench/runtime_install: $(O)/bench/slugc-install.so
$(O)/bench/slugc-install.so: $(DOWNLOADER_SO)
	@mkdir -p $(@D)
	cp $< $@

$(BPDIR)/buildpack.yml: buildpacks/mono/buildpack.yml
	@mkdir -p $(@D)
	cp $< $@

$(NODE_BPDIR)/buildpack.yml: buildpacks/nodejs/buildpack.yml
	@mkdir -p $(@D)
	cp $< $@

$(BINDIR)/slugc: $(SLUGC_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# test_runtime_downloader loads the real shared object and checks what compile links.
$(O)/tests/test_runtime_downloader: $(DOWNLOADER_SO) $(BPDIR)/bin/compile
$(O)/tests/test_runtime_downloader: private CFLAGS += \
    -DDOWNLOADER_SO_PATH='"$(abspath $(DOWNLOADER_SO))"' \
    -DCOMPILE_PATH='"$(abspath $(BPDIR)/bin/compile)"'

$(O)/servers/%: tests/servers/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# tests/run runs every $(O)/tests/test_*: one whose source is gone (renamed,
# removed) goes too.
STALE_UNIT := $(filter-out $(UNIT_BINS) %.d,$(wildcard $(O)/tests/test_*))

tests: all $(UNIT_BINS) $(SERVER_BINS)
	$(if $(STALE_UNIT),rm -f $(STALE_UNIT) $(STALE_UNIT:=.d))

$(O)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(FUZZ_O)/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard src/lib/*.h src/lib/*/*.h tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS)

# Runs every fuzz target for FUZZ_SECONDS on its corpus (tests/fuzz/corpus).
fuzz: $(FUZZ_BINS)
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

# The relocatable Mono runtime the tests and the demo serve over HTTP, packed
# from Debian's installed Mono (see tests/fixtures/make-mono-tarball.sh).
RUNTIME_DIR := build/runtime
# It also becomes the buildpack's local runtime (buildpack.local.yml), so
# a local build needs no MONO_URL.
runtime:
	tests/fixtures/make-mono-tarball.sh $(RUNTIME_DIR)
	@mkdir -p $(BPDIR)
	tests/fixtures/local-runtime.sh $(RUNTIME_DIR)/mono.env $(BPDIR)

# A relocatable Node.js runtime, from the npm registry's official binaries
# (see tests/fixtures/make-node-tarball.sh); it becomes the Node.js
# buildpack's local runtime the same way.
NODE_RUNTIME_DIR := build/node-runtime
node-runtime:
	tests/fixtures/make-node-tarball.sh $(NODE_RUNTIME_DIR)
	@mkdir -p $(NODE_BPDIR)
	tests/fixtures/local-runtime.sh $(NODE_RUNTIME_DIR)/node.env $(NODE_BPDIR)

TEST_ENV = SLUGC_O=$(O) SLUGC_BPDIR=$(BPDIR) SLUGC_BINDIR=$(BINDIR) \
           SLUGC_RUNTIME_DIR=$(RUNTIME_DIR) SLUGC_NODE_BPDIR=$(NODE_BPDIR) \
           SLUGC_NODE_RUNTIME_DIR=$(NODE_RUNTIME_DIR)

check: tests runtime node-runtime
	$(TEST_ENV) tests/run

print-test-env:
	@echo $(TEST_ENV)

check-san:
	$(MAKE) SAN=1 check

# Every test, plain and under ASan+UBSan; the last line is the grand total.
check-all:
	tests/run-all

# The demo serves the runtime with faultd: build it too.
demo: all runtime $(O)/servers/faultd
	tests/demo.sh

bench: all tests runtime node-runtime $(BENCH_BINS)
	bench/run

deps:
	tests/fixtures/install-deps.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/mono/bin
	$(if $(SLUGC_BIN),install -m 755 $(SLUGC_BIN) $(DESTDIR)$(PREFIX)/bin/slugc)
	install -m 755 $(MONO_BINS) $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/mono/bin/
	install -m 644 $(DOWNLOADER_SO) $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/mono/bin/
	install -m 644 buildpacks/mono/buildpack.yml $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/mono/
	if [ -f $(RUNTIME_DIR)/mono.env ]; then \
	    tests/fixtures/local-runtime.sh $(RUNTIME_DIR)/mono.env \
	        $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/mono \
	        $(DESTDIR)$(PREFIX)/lib/slugc/runtimes; \
	fi
	install -d $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/nodejs/bin
	install -m 755 $(NODE_BINS) $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/nodejs/bin/
	install -m 644 $(NODE_DOWNLOADER_SO) $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/nodejs/bin/
	install -m 644 buildpacks/nodejs/buildpack.yml $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/nodejs/
	if [ -f $(NODE_RUNTIME_DIR)/node.env ]; then \
	    tests/fixtures/local-runtime.sh $(NODE_RUNTIME_DIR)/node.env \
	        $(DESTDIR)$(PREFIX)/lib/slugc/buildpacks/nodejs \
	        $(DESTDIR)$(PREFIX)/lib/slugc/runtimes; \
	fi

format:
	clang-format -i src/*/*.c src/*/*.h src/lib/*/*.c src/lib/*/*.h tests/unit/*.c tests/unit/*.h \
	    tests/servers/*.c bench/*.c

clean:
	rm -rf build bin $(MONO_BINS) $(DOWNLOADER_SO) $(NODE_BINS) $(NODE_DOWNLOADER_SO)

-include $(ALL_OBJ:.o=.d) $(UNIT_BINS:=.d) $(SERVER_BINS:=.d) $(BENCH_BINS:=.d) $(DETECT_OBJ:.o=.d) \
         $(NODE_DETECT_OBJ:.o=.d)
