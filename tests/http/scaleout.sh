#!/usr/bin/env bash
# Two `ratecard serve` processes on different ports sharing one PostgreSQL
# database serve the same data, as a deployment behind a load balancer does:
# a session made through one is valid on the other, an edit made through one
# is served by the other, signing out through one ends the session on both.
#   tests/http/scaleout.sh BINARY postgresql://...
set -u
bin=${1:?usage: scaleout.sh BINARY DB_URL}
db=${2:?usage: scaleout.sh BINARY DB_URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
. "$here/lib.sh"
a=$(free_port); b=$(free_port)
while [ "$b" = "$a" ]; do b=$(free_port); done
trap 'stop_server $a; stop_server $b; rm -rf "$tmp"' EXIT

"$bin" migrate --db "$db" >/dev/null || exit 1
echo scale-out-pass-1 | "$bin" user add --db "$db" --username scaleuser --role commissioner --password-stdin >/dev/null
start_server $a || exit 1
start_server $b || exit 1

tok=$(sign_in $a scaleuser scale-out-pass-1)
check "sign in through A" '[ ${#tok} = 43 ]'
code=$(curl -s -o "$tmp/who" -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$b/api/v1/session")
check "A's session is valid on B (got $code)" '[ "$code" = 200 ] && [ "$(jq -r .user.username "$tmp/who")" = scaleuser ]'

curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$a/api/v1/services?per_page=100" >"$tmp/a.json"
curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$b/api/v1/services?per_page=100" >"$tmp/b.json"
check "both serve the same directory" 'cmp -s "$tmp/a.json" "$tmp/b.json" && [ "$(jq .total "$tmp/a.json")" -gt 100 ]'

code=$(curl -s -o "$tmp/edit" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $tok" \
	"http://127.0.0.1:$a/api/v1/services/essex-crc/resolve" -d '{"status": "suspended", "note": "scale-out test"}')
check "edit through A (got $code)" '[ "$code" = 200 ]'
want=$(jq .version "$tmp/edit")
seen=
for _ in $(seq 1 30); do
	seen=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$b/api/v1/services/essex-crc/resolve" | jq -r '"\(.version) \(.status)"')
	[ "$seen" = "$want suspended" ] && break
	sleep 0.1
done
check "B serves A's edit within 3 s (saw '$seen', want '$want suspended')" '[ "$seen" = "$want suspended" ]'

# both at once: concurrent edits through A and B never produce one version twice
pids=()
for port in $a $b; do
	for i in $(seq 1 15); do
		curl -s -o /dev/null -X PATCH -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/services/essex-crc/resolve" \
			-d "{\"note\": \"race $port $i\"}" &
		pids+=($!)
	done
done
wait "${pids[@]}" # the servers are background jobs too
curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$a/api/v1/services/essex-crc/resolve/history" >"$tmp/h.json"
check "versions stay contiguous under concurrent edits from two servers" \
	'[ "$(jq "[.versions[].version] == [range(1; (.versions | length) + 1)]" "$tmp/h.json")" = true ]'

code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $tok" "http://127.0.0.1:$b/api/v1/session")
check "sign out through B" '[ "$code" = 200 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$a/api/v1/session")
check "the session has ended on A too (got $code)" '[ "$code" = 401 ]'

echo "scale-out: $pass passed, $fail failed"
[ "$fail" = 0 ]
