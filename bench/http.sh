#!/usr/bin/env bash
# HTTP benchmark: wrk against `ratecard serve` (embedded SQLite) and, as the
# ceiling, nginx serving the same search answer as a static file, in one run.
#   bench/http.sh [SECONDS] [CONNECTIONS]     (defaults 10 s, 64 connections)
# Prints requests/s, p50 and p99 latency for the cached search, a service
# detail, and POST /api/v1/eligibility with a realistic profile over the whole
# catalogue, and the search's ratio to nginx; then the same search and
# service as the HTML pages a browser gets (session cookie, templates).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
scripts/bootstrap --bench >/dev/null
make -s build/ratecard
tmp=$(mktemp -d)
chmod 755 "$tmp"
rc_port=$((30000 + RANDOM % 10000)); ng_port=$((rc_port + 1))
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

db=$tmp/bench.db
echo bench-password-1 | build/ratecard user add --db "$db" --username bench --role practitioner --password-stdin >/dev/null
build/ratecard serve --db "$db" --listen "127.0.0.1:$rc_port" --quiet >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$rc_port/healthz" >/dev/null && break; sleep 0.1; done
tok=$(curl -s -X POST "http://127.0.0.1:$rc_port/api/v1/session" -d '{"username":"bench","password":"bench-password-1"}' | jq -r .token)
auth="Authorization: Bearer $tok"
search="/api/v1/services?need=accommodation&region=North%20West"

# nginx serves the very same bytes the search answers
mkdir -p "$tmp/www/api/v1"
curl -s -H "$auth" "http://127.0.0.1:$rc_port$search" >"$tmp/www/api/v1/services"
cat >"$tmp/nginx.conf" <<NGINX
daemon off;
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$ng_port;
		location / { root $tmp/www; default_type application/json; }
	}
}
NGINX
nginx -c "$tmp/nginx.conf" &
pids+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$ng_port$search" >/dev/null && break; sleep 0.1; done
cmp -s <(curl -s "http://127.0.0.1:$ng_port$search") "$tmp/www/api/v1/services" || { echo "nginx is not serving"; exit 1; }

profile=$(cat examples/profile-x100001.json | jq -c .)
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"profile": $profile}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $tok"
LUA

# run NAME URL [wrk args...] -> "NAME rps p50 p99"
run() {
	local name=$1 url=$2; shift 2
	wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url" >"$tmp/$name.txt" 2>&1
	local rps p50 p99 errs
	rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/$name.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$tmp/$name.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$tmp/$name.txt")
	errs=$(awk '/Non-2xx/ {print $5}' "$tmp/$name.txt")
	printf '%-44s %10s req/s   p50 %8s   p99 %8s%s\n' "$name" "$rps" "$p50" "$p99" "${errs:+   non-2xx: $errs}"
	echo "$rps" >"$tmp/$name.rps"
}

echo "wrk: 2 threads, $conns connections, ${secs}s each; $(nproc) cores shared by client and server"
run "nginx: static copy of the search" "http://127.0.0.1:$ng_port$search"
run "ratecard: search (cached)" "http://127.0.0.1:$rc_port$search" -H "$auth"
run "ratecard: service detail" "http://127.0.0.1:$rc_port/api/v1/services/kss-crc/resolve" -H "$auth"
run "ratecard: eligibility, whole catalogue" "http://127.0.0.1:$rc_port/api/v1/eligibility" -s "$tmp/post.lua"
run "ratecard page: find a service (HTML)" "http://127.0.0.1:$rc_port/services?need=accommodation&region=North+West" \
	-H "Cookie: rc_session=$tok"
run "ratecard page: service (HTML)" "http://127.0.0.1:$rc_port/services/kss-crc/resolve" -H "Cookie: rc_session=$tok"
awk -v a="$(cat "$tmp/ratecard: search (cached).rps")" -v b="$(cat "$tmp/nginx: static copy of the search.rps")" \
	'BEGIN { printf "search / nginx: %.2f\n", a / b }'
