# Vireo — build, run and test. `make run` and `make test` do their own
# set-up on a fresh Debian 12 host (as root): see packaging/deps.sh.

PREFIX   ?= /usr/local
DESTDIR  ?=
LISTEN   ?= 127.0.0.1:8080
CONNECT  ?= qemu:///system
DB       ?= /var/lib/vireo/vireo.db
VERSION  := 0.1.0

PKGS     := libmicrohttpd jansson sqlite3 libvirt libxml-2.0 glib-2.0 gio-2.0 libsodium gnutls libpng zlib libxcrypt
LIBS_EXTRA := -lpam -lm
CC       ?= cc
CFLAGS   ?= -O2 -g
# Warnings, all errors. Beyond -Wall -Wextra -Wshadow:
#   -Wformat=2 -Wno-format-nonliteral  adds -Wformat-security (a message passed
#       as the format of g_set_error/g_warning) and -Wformat-y2k. Nonliteral
#       is off: five one-%s `invalid(error, fmt, what)` helpers pass their
#       callers' literal formats on.
#   -Wstrict-prototypes -Wold-style-definition  `f()` in C takes any arguments
#       and goes unchecked: say (void).
#   -Wmissing-prototypes  a non-static function must be declared in a header
#       (else it is static): catches a header and its .c drifting apart.
#   -Wredundant-decls  a second declaration that can drift from the first
#       (found events_ping declared again in events.c).
#   -Wjump-misses-init  a goto past a declaration: with g_auto* variables in
#       the same scope the cleanup would run on garbage (found three harmless
#       ones in http_parse_listen, now declared before the first goto).
#   -Wvla  unbounded stack arrays, as alloca (banned) is.
#   -Wundef  `#if NAME` on an undefined NAME silently tests 0.
#   -Wpointer-arith  arithmetic on void * (a GNU extension) hides a size of 1.
#   -Wwrite-strings  string literals are const: writing one is a crash. Not
#       for the unit tests' own files (TEST_WARN): their argv arrays and
#       GHashTables of literals meet char * APIs.
#   -Wduplicated-cond  `if (a) .. else if (a)`: a copy-paste slip, free to check.
# Tried and left out: -Wnull-dereference (55 false alarms: after cmocka's
# assert_non_null, in GLib's gmem.h and G_DEFINE_EXTENDED_ERROR),
# -Wcast-align=strict (only sockaddr casts, which the socket API makes
# safe; plain -Wcast-align says nothing on x86-64), -Wmissing-declarations
# (in C the same as -Wmissing-prototypes), -Wcast-qual (107, GLib's
# gpointer APIs), -Wswitch-enum (switches with a deliberate default),
# -Wconversion, -Wformat-signedness (%x of non-negative ints),
# -Wduplicated-branches (two equal limit macros in one ?:), -Wlogical-op
# (flags the portable `errno == EAGAIN || errno == EWOULDBLOCK`, equal on Linux).
# -Wimplicit-fallthrough is already in -Wextra.
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
            -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes -Wold-style-definition \
            -Wmissing-prototypes -Wredundant-decls -Wjump-misses-init -Wvla -Wundef \
            -Wpointer-arith -Wwrite-strings -Wduplicated-cond
TEST_WARN := $(WARN) -Wno-write-strings
CPPFLAGS += -I. -D_GNU_SOURCE -DVIREO_VERSION='"$(VERSION)"' \
            -DVIREO_WEBUI_DIR='"$(PREFIX)/share/vireo/webui"' \
            -DVIREO_LIBEXEC_DIR='"$(PREFIX)/libexec/vireo"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRCS := $(wildcard virt/*.c db/*.c api/*/*.c) \
            $(filter-out server/main.c,$(wildcard server/*.c))
DAEMON_SRCS := server/main.c

BUILD    := build
OBJDIR   := $(BUILD)/obj
ASANDIR  := $(BUILD)/asan
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o) $(OBJDIR)/api/core/openapi_blob.o
ASAN_OBJS := $(LIB_SRCS:%.c=$(ASANDIR)/%.o) $(ASANDIR)/api/core/openapi_blob.o
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(ASANDIR)/tests/%)

# The same unit tests built with ThreadSanitizer (`make tsan`, and the tsan
# tier of `make test`), with tests/tsan/glib_tsan_shim.c so TSan sees
# GLib's mutexes and condition variables.
TSANDIR  := $(BUILD)/tsan
TSAN_FLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
TSAN_OBJS := $(LIB_SRCS:%.c=$(TSANDIR)/%.o) $(TSANDIR)/api/core/openapi_blob.o
TSAN_SHIM := $(TSANDIR)/shim/glib_tsan_shim.o
TSAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(TSANDIR)/tests/%)

.SECONDARY:
.PHONY: all run test unit unit-bins tsan tsan-bins tsan-vireod check bench deps host-setup install uninstall clean fuzz check-deps webui-bundle

all: $(BUILD)/vireod $(BUILD)/vireo-osinfo webui/vendor/.stamp webui-bundle

# The web UI's modules bundled by esbuild (pinned in
# packaging/webui-bundle/package-lock.json) into webui/bundle/, which
# index.html loads: the first screen in three files (rebuilt only when a
# module or the bundler changed).
webui-bundle:
	@sh packaging/webui-bundle.sh

# The browser libraries of the consoles (noVNC, xterm.js), pinned in
# packaging/webui-vendor/package-lock.json, copied into webui/vendor/.
webui/vendor/.stamp: packaging/webui-vendor/package-lock.json packaging/webui-vendor.sh
	@sh packaging/webui-vendor.sh

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) -std=gnu17 $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(OBJDIR)/api/core/openapi_blob.o: api/core/openapi_blob.S api/core/openapi.json
	@mkdir -p $(dir $@)
	$(CC) -c -DOPENAPI_JSON='"api/core/openapi.json"' $< -o $@

$(BUILD)/vireod: $(LIB_OBJS) $(DAEMON_SRCS:%.c=$(OBJDIR)/%.o)
	$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(LIBS_EXTRA) -lpthread

# The sampler's benchmark (tests/bench/stats_bench.c), from vireod's own objects.
$(BUILD)/stats-bench: tests/bench/stats_bench.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) -std=gnu17 $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $^ -o $@ $(PKG_LIBS) $(LIBS_EXTRA) -lpthread

# The migration engine's command-line driver (tests/hosts/vireo_migrate.c):
# the ASan build for its integration test (tests/api/test_migrate_engine.py),
# the optimised one for its benchmark (tests/bench/migrate.sh).
MIGRATE_TEST := $(ASANDIR)/vireo-migrate
$(BUILD)/vireo-migrate: tests/hosts/vireo_migrate.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) -std=gnu17 $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $^ -o $@ $(PKG_LIBS) $(LIBS_EXTRA) -lpthread

$(MIGRATE_TEST): tests/hosts/vireo_migrate.c $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD-ASAN $@"
	@$(CC) -std=gnu17 $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $^ -o $@ $(PKG_LIBS) $(LIBS_EXTRA) -lpthread

# The libosinfo helper: its own process, so vireod never holds the osinfo
# database (docs/osinfo.md).
OSINFO_PKGS := libosinfo-1.0 jansson
$(BUILD)/vireo-osinfo: helpers/vireo-osinfo.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) -std=gnu17 $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(OSINFO_PKGS) 2>/dev/null) $< -o $@ \
	    $(shell pkg-config --libs $(OSINFO_PKGS) 2>/dev/null)

# Unit tests: the same sources built with ASan + UBSan, one binary per file.
$(ASANDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-ASAN $<"
	@$(CC) -std=gnu17 $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(ASANDIR)/api/core/openapi_blob.o: api/core/openapi_blob.S api/core/openapi.json
	@mkdir -p $(dir $@)
	$(CC) -c -DOPENAPI_JSON='"api/core/openapi.json"' $< -o $@

$(ASANDIR)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/unit_db.h tests/unit/unit_libvirt.h $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD-ASAN $@"
	@$(CC) -std=gnu17 $(TEST_WARN) $(ASAN_FLAGS) $(CPPFLAGS) -DVIREO_SOURCE_DIR='"$(CURDIR)"' $(PKG_CFLAGS) $< $(ASAN_OBJS) -o $@ \
	    $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null) $(LIBS_EXTRA) -lpthread

# ThreadSanitizer objects and test binaries (see TSAN_BINS).
$(TSANDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-TSAN $<"
	@$(CC) -std=gnu17 $(WARN) $(TSAN_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(TSANDIR)/api/core/openapi_blob.o: api/core/openapi_blob.S api/core/openapi.json
	@mkdir -p $(dir $@)
	$(CC) -c -DOPENAPI_JSON='"api/core/openapi.json"' $< -o $@

$(TSAN_SHIM): tests/tsan/glib_tsan_shim.c
	@mkdir -p $(dir $@)
	@echo "  CC-TSAN $<"
	@$(CC) -std=gnu17 $(WARN) $(TSAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# vireod itself under TSan, for a run of the API tier by hand (README, Tests).
$(TSANDIR)/vireod: $(TSAN_OBJS) $(TSAN_SHIM) $(DAEMON_SRCS:%.c=$(TSANDIR)/%.o)
	@echo "  LD-TSAN $@"
	@$(CC) $(TSAN_FLAGS) $^ -o $@ $(PKG_LIBS) $(LIBS_EXTRA) -lpthread

$(TSANDIR)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/unit_db.h tests/unit/unit_libvirt.h $(TSAN_OBJS) $(TSAN_SHIM)
	@mkdir -p $(dir $@)
	@echo "  LD-TSAN $@"
	@$(CC) -std=gnu17 $(TEST_WARN) $(TSAN_FLAGS) $(CPPFLAGS) -DVIREO_SOURCE_DIR='"$(CURDIR)"' $(PKG_CFLAGS) $< $(TSAN_OBJS) $(TSAN_SHIM) -o $@ \
	    $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null) $(LIBS_EXTRA) -lpthread

# ---- set-up on the host ----
deps:
	@sh packaging/deps.sh

# The builds behind run, test and bench use every core (make JOBS=1 for one).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

host-setup: deps
	@sh packaging/host-setup.sh

# ---- run ----
run: host-setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@echo
	@echo "  Vireo is starting on http://$(LISTEN)/  (libvirt: $(CONNECT))"
	@echo "  Log in as 'admin'. On the first start the password is printed below and saved in"
	@echo "  $(dir $(DB))initial-admin-password (root only); choose your own with"
	@echo "  make run ADMIN_PASSWORD_FILE=/path/to/file. Stop vireod with Ctrl-C."
	@echo
	$(BUILD)/vireod --listen $(LISTEN) --connect $(CONNECT) --db $(DB) --webui $(CURDIR)/webui \
	    $(if $(ADMIN_PASSWORD_FILE),--init-admin-password-file $(ADMIN_PASSWORD_FILE))

# ---- tests ----
unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

unit-bins: $(UNIT_BINS)

tsan: $(TSAN_BINS)
	@VIREO_UNIT_TIER=tsan sh tests/run-unit.sh $(TSAN_BINS)

tsan-bins: $(TSAN_BINS)

tsan-vireod: $(TSANDIR)/vireod

# The style gate (tests/check/run.sh): banned calls, clang-format, and the
# build under $(WARN). `make test` runs it as its first tier.
check:
	@sh tests/check/run.sh

test: host-setup
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS) $(TSAN_BINS) $(MIGRATE_TEST)
	@sh tests/run-all.sh

bench: host-setup
	@$(MAKE) --no-print-directory -j$(JOBS) all $(BUILD)/stats-bench $(BUILD)/vireo-migrate
	@sh tests/bench/run.sh

fuzz: host-setup
	@sh tests/fuzz/run.sh

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/vireo/webui
	install -m 0755 $(BUILD)/vireod $(DESTDIR)$(PREFIX)/sbin/vireod
	install -d $(DESTDIR)$(PREFIX)/libexec/vireo
	install -m 0755 $(BUILD)/vireo-osinfo $(DESTDIR)$(PREFIX)/libexec/vireo/vireo-osinfo
	cp -R webui/. $(DESTDIR)$(PREFIX)/share/vireo/webui/
	install -d $(DESTDIR)/etc/vireo $(DESTDIR)/lib/systemd/system
	sed 's|@PREFIX@|$(PREFIX)|g' packaging/vireod.service > $(DESTDIR)/lib/systemd/system/vireod.service
	test -e $(DESTDIR)/etc/vireo/vireod.conf || sed 's|@PREFIX@|$(PREFIX)|g' packaging/vireod.conf > $(DESTDIR)/etc/vireo/vireod.conf
	install -d $(DESTDIR)/etc/pam.d
	test -e $(DESTDIR)/etc/pam.d/vireo || install -m 0644 packaging/pam.d/vireo $(DESTDIR)/etc/pam.d/vireo

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/vireod $(DESTDIR)/lib/systemd/system/vireod.service
	rm -rf $(DESTDIR)$(PREFIX)/share/vireo $(DESTDIR)$(PREFIX)/libexec/vireo

clean:
	rm -rf $(BUILD) webui/vendor webui/bundle

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
