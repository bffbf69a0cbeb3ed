#!/usr/bin/env bash
# Browser tests: Debian's chromium, driven by playwright-core, against a real
# `ratecard serve` on a loopback port with a new SQLite database and one user
# per role. Runs every tests/browser/*.test.mjs with node's own test runner,
# one file at a time; screenshots go to build/screenshots/ (emptied first).
#   tests/browser/run.sh BINARY [FILE.test.mjs...]   (default: all of them)
# Needs `make` first (node_modules/ and build/assets/) and chromium
# (scripts/bootstrap --test). Ends with "browser: N passed, N failed".
set -u
bin=${1:?usage: run.sh BINARY [FILE.test.mjs...]}
shift
files=()
for f in "$@"; do files+=("$(realpath "$f")"); done
cd "$(dirname "$0")/../.." || exit 3
tmp=$(mktemp -d)
db=$tmp/b.db
. tests/http/lib.sh
port=$(free_port)
trap 'stop_server $port; rm -rf "$tmp"' EXIT

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "no chromium at $chromium: scripts/bootstrap --test installs it"
	echo "browser: 0 passed, 1 failed"
	exit 1
fi
if [ ! -d node_modules/playwright-core ] || [ ! -f build/assets/.stamp ]; then
	echo "node_modules/ or build/assets/ missing: run make first"
	echo "browser: 0 passed, 1 failed"
	exit 1
fi

# one account per role: RATECARD_<ROLE>_USER and RATECARD_<ROLE>_PASSWORD
export RATECARD_PRACTITIONER_USER=pat RATECARD_PRACTITIONER_PASSWORD=browser-practitioner-1
export RATECARD_PROVIDER_USER=hub RATECARD_PROVIDER_PASSWORD=browser-provider-1
export RATECARD_STAFF_USER=kay RATECARD_STAFF_PASSWORD=browser-staff-1 # kss-crc's worker, to allocate to
export RATECARD_COMMISSIONER_USER=comm RATECARD_COMMISSIONER_PASSWORD=browser-commissioner-1
export RATECARD_COURT_USER=court RATECARD_COURT_PASSWORD=browser-court-1
export RATECARD_ADMIN_USER=admin RATECARD_ADMIN_PASSWORD=browser-admin-1
adduser() { # adduser ACCOUNT ROLE [--team T | --provider P]: ACCOUNT names the variables
	local r=${1^^} u p
	u=RATECARD_${r}_USER p=RATECARD_${r}_PASSWORD
	echo "${!p}" | "$bin" user add --db "$db" --username "${!u}" --role "$2" --password-stdin "${@:3}" \
		>/dev/null || { echo "user add ${!u} failed"; echo "browser: 0 passed, 1 failed"; exit 1; }
}
"$bin" migrate --db "$db" >/dev/null || { echo "migrate failed"; echo "browser: 0 passed, 1 failed"; exit 1; }
adduser practitioner practitioner --team "Kent North"
adduser provider provider --provider kss-crc # runs Building Better Relationships in Kent, Surrey and Sussex
adduser staff provider --provider kss-crc
adduser commissioner commissioner
adduser court court
adduser admin admin

start_server "$port" || { echo "browser: 0 passed, 1 failed"; exit 1; }
export RATECARD_URL=http://127.0.0.1:$port
export SCREENSHOT_DIR=$PWD/build/screenshots NO_COLOR=1
rm -rf "$SCREENSHOT_DIR"
mkdir -p "$SCREENSHOT_DIR"

# one file at a time (a concurrency of 1), each file's tests in order; TAP
# so the "# pass N" / "# fail N" summary can be added up
pass=0 fail=0
[ ${#files[@]} -gt 0 ] || files=(tests/browser/*.test.mjs)
for f in "${files[@]}"; do
	node --test --test-reporter=tap "$f" >"$tmp/tap" 2>&1
	rc=$?
	cat "$tmp/tap"
	sed -n "s|^not ok [0-9]* - \(.*\)|FAIL: $f: \1|p" "$tmp/tap" >>"$tmp/failures"
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tmp/tap" | tail -1)
	f_=$(sed -n 's/^# \(fail\|cancelled\) \([0-9]*\)$/\2/p' "$tmp/tap" | awk '{s += $1} END {print s + 0}')
	if [ -z "$p" ] || { [ "$rc" != 0 ] && [ "$f_" = 0 ]; }; then f_=$((f_ + 1)); fi
	pass=$((pass + ${p:-0})) fail=$((fail + f_))
done
if [ "$fail" != 0 ]; then
	cat "$tmp/failures" 2>/dev/null
	echo "server log (last lines):"
	tail -20 "$tmp/serve-$port.log"
fi
echo "screenshots in $SCREENSHOT_DIR"
echo "browser: $pass passed, $fail failed"
[ "$fail" = 0 ]
