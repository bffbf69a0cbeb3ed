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
trap 'rm -rf "$log"' EXIT

for t in build/asan/test_*; do
	name=$(basename "$t")
	"$t" >"$log/$name.out" 2>&1
	rc=$?
	p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log/$name.out" | grep -Eo '[0-9]+$' || echo 0)
	f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log/$name.out" | grep -Eo '[0-9]+$' || echo 0)
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	echo "$name: $p passed, $f failed"
	[ "$rc" = 0 ] || { grep -E 'FAIL|ERROR|error|Sanitizer' "$log/$name.out" | head -30; }
done

tests/cli/cli.sh build/asan/ratecard >"$log/cli.out" 2>&1
rc=$?
line=$(tail -1 "$log/cli.out")
echo "$line"
p=$(echo "$line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
f=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 1)
[ "$rc" = 0 ] || { grep -E 'FAIL|Sanitizer' "$log/cli.out" | head -30; [ "$f" != 0 ] || f=1; }
passed=$((passed + p)) failed=$((failed + f))

if command -v clang >/dev/null && make -s fuzz >"$log/fuzz-build.out" 2>&1; then
	for fz in build/fuzz/fuzz_*; do
		name=$(basename "$fz")
		corpus=tests/fuzz/corpus/${name#fuzz_}
		mkdir -p "$log/$name"
		# new inputs go to the scratch directory first; the committed corpus is only read
		if "$fz" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$log/$name" "$corpus" \
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
