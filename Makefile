# Vireo — build, run and test. `make run` and `make test` do their own
# set-up on a fresh Debian 12 host (as root): see packaging/deps.sh.

PREFIX   ?= /usr/local
DESTDIR  ?=
LISTEN   ?= 127.0.0.1:8080
CONNECT  ?= qemu:///system
DB       ?= /var/lib/vireo/vireo.db
VERSION  := 0.1.0

PKGS     := libmicrohttpd jansson sqlite3 libvirt libxml-2.0 glib-2.0 gio-2.0 libsodium gnutls zlib
LIBS_EXTRA := -lpam
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
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

.SECONDARY:
.PHONY: all run test unit bench deps host-setup install uninstall clean fuzz check-deps

all: $(BUILD)/vireod $(BUILD)/vireo-osinfo webui/vendor/.stamp

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

$(ASANDIR)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/unit_libvirt.h $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD-ASAN $@"
	@$(CC) -std=gnu17 $(WARN) $(ASAN_FLAGS) $(CPPFLAGS) -DVIREO_SOURCE_DIR='"$(CURDIR)"' $(PKG_CFLAGS) $< $(ASAN_OBJS) -o $@ \
	    $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null) $(LIBS_EXTRA) -lpthread

# ---- set-up on the host ----
deps:
	@sh packaging/deps.sh

host-setup: deps
	@sh packaging/host-setup.sh

# ---- run ----
run: host-setup
	@$(MAKE) --no-print-directory all
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

test: host-setup
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@sh tests/run-all.sh

bench: host-setup
	@$(MAKE) --no-print-directory all
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
	rm -rf $(BUILD) webui/vendor

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
