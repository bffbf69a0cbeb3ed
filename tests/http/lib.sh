# Shared by the HTTP scripts: start and stop `ratecard serve`, sign in.
# Source it; needs $bin, $db and $tmp set.

# a port nothing listens on (suites run side by side may pick the same one)
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	echo "$p"
}

# start_server PORT -> sets server_pid_PORT; waits for /healthz
start_server() {
	local port=$1
	"$bin" serve --db "$db" --listen "127.0.0.1:$port" --quiet >"$tmp/serve-$port.out" 2>"$tmp/serve-$port.log" &
	eval "server_pid_$port=$!"
	# up to 30 s: an ASan build on a loaded two-core machine starts slowly
	for _ in $(seq 1 300); do
		curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
		sleep 0.1
	done
	echo "server on $port did not start:" >&2
	cat "$tmp/serve-$port.log" >&2
	return 1
}

stop_server() {
	local port=$1 pid
	eval "pid=\${server_pid_$port:-}"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	eval "server_pid_$port="
}

# sign_in PORT USER PASSWORD -> prints the token
sign_in() {
	curl -s -X POST "http://127.0.0.1:$1/api/v1/session" -d "{\"username\":\"$2\",\"password\":\"$3\"}" | jq -r .token
}

# counting: every script keeps pass and fail and ends with "NAME: N passed, N failed"
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# check DESCRIPTION 'SHELL TEST'
check() { if eval "$2"; then ok; else bad "$1"; fi; }
