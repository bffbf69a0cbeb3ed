# ratecard - plain GNU make. `make` builds build/ratecard (optimised) and the
# web assets in build/assets; `make test` builds everything again under
# ASan + UBSan in build/asan and runs every test; `make fuzz` builds the
# libFuzzer targets with clang.

CC      ?= cc
PKGS    := jansson yaml-0.1 sqlite3 libpq libsodium libmicrohttpd
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
DEPS_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPS_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lyaml -lsqlite3 -lpq -lsodium -lmicrohttpd) -lpthread -lm
DATADIR := $(CURDIR)/catalogue
WEBDIRS := -DRATECARD_TEMPLATES='"$(CURDIR)/web/templates"' -DRATECARD_ASSETS='"$(CURDIR)/build/assets"'
BASE_CFLAGS = $(CSTD) $(WARN) -Isrc -include src/core/banned.h $(DEPS_CFLAGS) \
              -DRATECARD_DATADIR='"$(DATADIR)"' $(WEBDIRS)

OPT_CFLAGS  := -O2 -g
SAN_CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# every module except main.c: the library the binary, the tests and the fuzzers share
LIB_SRC := $(sort $(wildcard src/core/*.c src/profile/*.c src/rules/*.c src/catalogue/*.c \
                              src/engine/*.c src/store/*.c src/referral/*.c src/http/*.c src/api/*.c \
                              src/web/*.c src/cli/*.c))
MAIN_SRC := src/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

OBJ      := $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ  := $(LIB_SRC:%.c=build/asan/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all test unit fuzz bench clean
all: build/ratecard build/assets/.stamp

# `make V=1` shows the full commands
V ?= 0
ifeq ($(V),0)
Q = @
say = @echo "  $(1)	$@";
endif

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -MMD -MP -c $< -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC-SAN)$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

build/ratecard: $(OBJ) build/obj/src/main.o
	$(call say,LINK)$(CC) $(OPT_CFLAGS) $^ -o $@ $(DEPS_LIBS)

build/asan/ratecard: $(SAN_OBJ) build/asan/obj/src/main.o
	$(call say,LINK-SAN)$(CC) $(SAN_CFLAGS) $^ -o $@ $(DEPS_LIBS)

build/asan/test_%: tests/unit/test_%.c tests/unit/unit.h $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(call say,TEST)$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -Itests/unit $< $(SAN_OBJ) -o $@ $(DEPS_LIBS) -lcmocka

unit: $(UNIT_BIN) build/asan/ratecard build/ratecard

test: unit build/assets/.stamp
	tests/run-tests.sh

# libFuzzer targets: clang only, with ASan + UBSan.
FUZZ_CC     ?= clang
FUZZ_CFLAGS := $(CSTD) -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc -include src/core/banned.h $(DEPS_CFLAGS) \
               -g -O1 -fsanitize=fuzzer,address,undefined -DRATECARD_DATADIR='"$(DATADIR)"' $(WEBDIRS)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	$(call say,FUZZ)$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(LIB_SRC) -o $@ $(DEPS_LIBS)

fuzz: $(FUZZ_BIN)

# Web assets, served by `ratecard serve` under /assets/: govuk-frontend and MoJ
# Frontend from npm (exact versions in package-lock.json), flattened into one
# tree with our own web/static/ on top. The CSS asks for /assets/fonts/... and
# /assets/images/...; scripts/check-assets fails the build if any url() in it
# does not resolve inside the tree. The tree is built beside and swapped in whole,
# so a file removed from web/static/ goes too.
GOVUK_DIST := node_modules/govuk-frontend/dist/govuk
MOJ_DIST   := node_modules/@ministryofjustice/frontend/moj
# files and directories (and web/ itself): a directory's time changes when an entry is removed
WEB_STATIC := $(shell find web/static 2>/dev/null)

# npm writes node_modules/.package-lock.json; touched so it is newer than the lock file
node_modules/.package-lock.json: package-lock.json package.json
	$(call say,NPM)npm ci --no-audit --no-fund --loglevel=error >/dev/null
	$(Q)touch $@

build/assets/.stamp: node_modules/.package-lock.json scripts/check-assets $(wildcard web) $(WEB_STATIC)
	$(call say,ASSETS)rm -rf build/assets.new && mkdir -p build/assets.new/images
	$(Q)cp $(GOVUK_DIST)/govuk-frontend.min.css $(GOVUK_DIST)/govuk-frontend.min.js build/assets.new/
	$(Q)cp -R $(GOVUK_DIST)/assets/. build/assets.new/
	$(Q)cp $(MOJ_DIST)/moj-frontend.min.css $(MOJ_DIST)/moj-frontend.min.js build/assets.new/
	$(Q)cp -R $(MOJ_DIST)/assets/images/. build/assets.new/images/
	$(Q)if [ -d web/static ]; then cp -R web/static/. build/assets.new/; fi
	$(Q)scripts/check-assets build/assets.new
	$(Q)touch build/assets.new/.stamp && rm -rf build/assets && mv build/assets.new build/assets

build/gencaseload: bench/gencaseload.c
	$(call say,CC)$(CC) $(CSTD) $(WARN) -O2 $< -o $@

build/bench_engine: bench/bench_engine.c $(OBJ)
	$(call say,CC)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $< $(OBJ) -o $@ $(DEPS_LIBS)

# the referral lifecycle load client (bench/referrals.sh): plain sockets, jansson
build/lifecycle: bench/lifecycle.c
	@mkdir -p $(dir $@)
	$(call say,CC)$(CC) $(CSTD) $(WARN) -include src/core/banned.h $(DEPS_CFLAGS) -O2 -g $< -o $@ $(DEPS_LIBS)

bench: build/ratecard build/gencaseload build/bench_engine build/lifecycle
	bench/caseload.sh
	bench/referrals.sh

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) build/obj/src/main.d build/asan/obj/src/main.d
