#!/usr/bin/env bash
# Runs every test: the cmocka unit suites, the data-driven eligibility cases,
# the CLI contract tests (all under ASan + UBSan), then each libFuzzer target
# for a few seconds over its committed corpus. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fuzz_seconds=${FUZZ_SECONDS:-10}
passed=0 failed=0
log=$(mktemp -d)
chmod 755 "$log"
trap 'tests/pg.sh stop "$log/pg" >/dev/null 2>&1; rm -rf "$log"' EXIT

# a throwaway PostgreSQL on a loopback port, for the store, API and scale-out
# suites; every suite then runs on both backends
pg_up=0
if eval "$(tests/pg.sh start "$log/pg")" && [ -n "${RATECARD_TEST_PG:-}" ]; then
	pg_up=1
	export RATECARD_TEST_PG
else
	echo "PostgreSQL did not start: the PostgreSQL suites count as failed"
	failed=$((failed + 1))
fi

for t in build/asan/test_*; do
	name=$(basename "$t")
	"$t" >"$log/$name.out" 2>&1
	rc=$?
	# a suite may run several groups: add up their closing lines
	p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log/$name.out" | grep -Eo '[0-9]+$' | awk '{s += $1} END {print s + 0}')
	f=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$log/$name.out" | grep -Eo '[0-9]+' | awk '{s += $1} END {print s + 0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	echo "$name: $p passed, $f failed"
	[ "$rc" = 0 ] || { grep -E 'FAIL|ERROR|error|Sanitizer' "$log/$name.out" | head -30; }
done

# script suites end with "NAME: N passed, N failed"
script_suite() {
	local out=$log/$1.out
	shift
	"$@" >"$out" 2>&1
	local rc=$? line p f
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	echo "${line:-$1: no result}"
	# a suite that ended without its closing line says why on its last lines
	[ -n "$line" ] || tail -20 "$out" | sed 's/^/    /'
	p=$(echo "$line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
	f=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 1)
	[ "$rc" = 0 ] || { grep -E 'FAIL|Sanitizer|runtime error' "$out" | head -30; [ "$f" != 0 ] || f=1; }
	passed=$((passed + p)) failed=$((failed + f))
}

script_suite cli tests/cli/cli.sh build/asan/ratecard
script_suite http-sqlite tests/http/run.sh build/asan/ratecard "$log/http.db"

script_suite crash-sqlite tests/http/crash.sh build/ratecard "$log/crash.db"
script_suite referrals-sqlite tests/http/referrals.sh build/asan/ratecard "$log/referrals.db"
script_suite pages-check-sqlite tests/http/pages-check.sh build/asan/ratecard "$log/pages-check.db"
script_suite pages-referrals-sqlite tests/http/pages-referrals.sh build/asan/ratecard "$log/pages-referrals.db"
script_suite pages-sqlite tests/http/pages.sh build/asan/ratecard "$log/pages.db"
if [ $pg_up = 1 ]; then
	script_suite http-pg tests/http/run.sh build/asan/ratecard "$RATECARD_TEST_PG"
	script_suite crash-pg tests/http/crash.sh build/ratecard "$RATECARD_TEST_PG"
	script_suite referrals-pg tests/http/referrals.sh build/asan/ratecard "$RATECARD_TEST_PG"
	script_suite pages-check-pg tests/http/pages-check.sh build/asan/ratecard "$RATECARD_TEST_PG"
	script_suite pages-referrals-pg tests/http/pages-referrals.sh build/asan/ratecard "$RATECARD_TEST_PG"
	script_suite pages-pg tests/http/pages.sh build/asan/ratecard "$RATECARD_TEST_PG"
	script_suite scale-out tests/http/scaleout.sh build/asan/ratecard "$RATECARD_TEST_PG"
fi

# browser tests: Debian's chromium and the npm packages (make installs those)
if [ -x /usr/bin/chromium ] && [ -d node_modules/playwright-core ]; then
	script_suite browser tests/browser/run.sh build/asan/ratecard
else
	failed=$((failed + 1))
	echo "browser: not run: needs /usr/bin/chromium (scripts/bootstrap --test) and node_modules/ (make)"
fi

if command -v clang >/dev/null && make -s fuzz >"$log/fuzz-build.out" 2>&1; then
	for fz in build/fuzz/fuzz_*; do
		name=$(basename "$fz")
		corpus=tests/fuzz/corpus/${name#fuzz_}
		mkdir -p "$log/$name"
		# new inputs go to the scratch directory first; the committed corpus is only read
		seeds=()
		[ "$name" = fuzz_tmpl ] && seeds=(web/templates) # the real templates seed the template fuzzer
		if "$fz" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$log/$name" "$corpus" "${seeds[@]}" \
			>"$log/$name.out" 2>&1; then
			passed=$((passed + 1))
			echo "$name: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log/$name.out" | grep -Eo '[0-9]+$') runs, no crash"
		else
			failed=$((failed + 1))
			echo "$name: FAILED"
			grep -E 'ERROR|SUMMARY|Test unit written' "$log/$name.out" | head -10
		fi
	done
else
	failed=$((failed + 1))
	echo "fuzz targets did not build (clang with libFuzzer is required):"
	tail -20 "$log/fuzz-build.out"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
