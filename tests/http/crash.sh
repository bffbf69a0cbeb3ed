#!/usr/bin/env bash
# Crash test: kill -9 the server in the middle of a burst of writes
# (catalogue edits from four clients at once), restart it, and show that every
# write the clients saw acknowledged is there and the database is intact.
#   tests/http/crash.sh BINARY DB_URL
set -u
bin=${1:?usage: crash.sh BINARY DB_URL}
db=${2:?usage: crash.sh BINARY DB_URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
. "$here/lib.sh"
port=$(free_port)
trap 'stop_server $port; rm -rf "$tmp"' EXIT

"$bin" migrate --db "$db" >/dev/null || exit 1
echo crash-test-pass-1 | "$bin" user add --db "$db" --username crashcam --role commissioner --password-stdin >/dev/null
start_server $port || exit 1
tok=$(sign_in $port crashcam crash-test-pass-1)
services=(kss-crc/resolve essex-crc/thinking-skills ps-national/rar cumbria-lancashire-crc/resolve)

# four writers; each logs "service version" for every 200 it receives
for w in 0 1 2 3; do
	(
		s=${services[$w]}
		for i in $(seq 1 100000); do
			out=$(curl -s -m 5 -w ' %{http_code}' -X PATCH -H "Authorization: Bearer $tok" \
				"http://127.0.0.1:$port/api/v1/services/$s" -d "{\"note\": \"crash writer $w edit $i\"}" 2>/dev/null) || break
			case "$out" in
			*' 200') echo "$s $(echo "${out% 200}" | jq .version)" >>"$tmp/acked.$w" ;;
			*) break ;;
			esac
		done
	) &
done
sleep 2
eval "kill -9 \$server_pid_$port"
wait 2>/dev/null
eval "server_pid_$port="
cat "$tmp"/acked.* >"$tmp/acked" 2>/dev/null
n=$(wc -l <"$tmp/acked")
for w in 0 1 2 3; do
	[ -s "$tmp/acked.$w" ] && ok || bad "writer $w (${services[$w]}) had no write acknowledged"
done

# the database is intact
case "$db" in
postgres*) psql -X -q -t -A "$db" -c 'SELECT count(*) FROM service_versions' >/dev/null && ok || bad "PostgreSQL does not answer after the kill" ;;
*) r=$(sqlite3 "$db" 'PRAGMA integrity_check;'); [ "$r" = ok ] && ok || bad "integrity_check: $r" ;;
esac

start_server $port || exit 1
tok=$(sign_in $port crashcam crash-test-pass-1)
lost=0
for s in "${services[@]}"; do
	curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/services/$s/history" | jq -r '.versions[].version' >"$tmp/have"
	while read -r svc v; do
		[ "$svc" = "$s" ] || continue
		grep -qx "$v" "$tmp/have" || lost=$((lost + 1))
	done <"$tmp/acked"
	# versions contiguous: nothing half-written
	[ "$(sort -n "$tmp/have" | awk 'BEGIN{ok=1} {if ($1 != NR) ok=0} END{print ok}')" = 1 ] && ok || bad "$s: versions not contiguous after the crash"
done
[ "$lost" = 0 ] && ok || bad "$lost acknowledged writes were lost"
echo "crash: $n acknowledged writes before kill -9, $lost lost"
echo "crash ($db): $pass passed, $fail failed"
[ "$fail" = 0 ]
