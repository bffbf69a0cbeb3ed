#!/usr/bin/env bash
# tests/pg.sh - a throwaway PostgreSQL server for the tests.
#
#   eval "$(tests/pg.sh start DIR)"   # prints: export RATECARD_TEST_PG='postgresql://...'
#   tests/pg.sh stop DIR              # stops it and removes DIR
#
# The cluster lives in DIR/data (Debian's initdb and pg_ctl, the newest
# /usr/lib/postgresql/*/bin), listens on a free port of 127.0.0.1 only, keeps
# its Unix socket inside DIR and trusts every local connection: it is for
# tests and nothing else. Durability settings stay at PostgreSQL's defaults
# (fsync on) because the durability tests run against it; only the memory is
# made small. When run as root the server runs as the `postgres` system user,
# which then owns DIR. `start` on a running DIR prints the same URL again;
# `stop` on a stopped or missing DIR succeeds.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }
say() { echo "pg.sh: $*" >&2; }

[ $# -eq 2 ] || die "usage: tests/pg.sh start|stop DIR"
cmd=$1
dir=$(realpath -m -- "$2")
data=$dir/data
marker=$dir/.ratecard-test-pg

bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ ! -x "$bindir/pg_ctl" ]; then
	die "PostgreSQL is not installed (scripts/bootstrap --test installs the postgresql package)"
fi

# Run a server-side command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

running() {
	[ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# Line 4 of postmaster.pid is the port.
server_port() {
	sed -n 4p "$data/postmaster.pid" 2>/dev/null
}

answers() {
	local port
	port=$(server_port)
	[ -n "$port" ] && as_owner "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10
}

stop_server() {
	local pid
	[ -f "$data/PG_VERSION" ] || return 0
	as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	if [ -f "$data/postmaster.pid" ]; then
		pid=$(head -1 "$data/postmaster.pid")
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			sleep 1
		fi
	fi
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

print_url() {
	printf "export RATECARD_TEST_PG='%s'\n" "$(cat "$dir/url")"
}

init_cluster() {
	if [ -e "$dir" ] && [ ! -f "$marker" ] && [ -n "$(ls -A "$dir")" ]; then
		die "$dir exists, is not empty and was not made by pg.sh; choose another directory"
	fi
	mkdir -p "$dir"
	touch "$marker"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "no 'postgres' system user to run the server as"
		chown -R postgres:postgres "$dir"
		runuser -u postgres -- test -x "$dir" ||
			die "the postgres user cannot reach $dir (a parent directory is closed to it)"
	fi
	[ -f "$data/PG_VERSION" ] && return 0
	as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
		--auth-local=trust --auth-host=trust >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# only loopback over TCP, and the socket beside the data
	as_owner tee "$data/pg_hba.conf" >/dev/null <<-EOF
		local all all trust
		host  all all 127.0.0.1/32 trust
	EOF
	as_owner tee -a "$data/postgresql.conf" >/dev/null <<-EOF

		# tests/pg.sh: small, loopback only, durable (fsync stays on)
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$dir'
		max_connections = 100
		shared_buffers = 16MB
		logging_collector = off
	EOF
}

start() {
	local port tries
	if running; then
		if answers; then
			printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$(server_port)" |
				as_owner tee "$dir/url" >/dev/null
			print_url
			return 0
		fi
		say "the server in $data does not answer; restarting it"
		stop_server
	fi
	[ ${#dir} -lt 90 ] || die "$dir is too long for a Unix socket path; use a shorter directory"
	init_cluster
	for tries in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_free "$port" || continue
		if as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
			-o "-p $port" start >/dev/null 2>&1; then
			if as_owner "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30; then
				printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port" |
					as_owner tee "$dir/url" >/dev/null
				say "PostgreSQL $(basename "$(dirname "$bindir")") on 127.0.0.1:$port (data in $data)"
				print_url
				return 0
			fi
			as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
		fi
		# most often the port was taken between the check and the bind: try another
		say "start on port $port failed (attempt $tries):"
		tail -5 "$dir/server.log" >&2 2>/dev/null || true
	done
	die "could not start PostgreSQL; see $dir/server.log"
}

stop() {
	stop_server
	# remove only what start made
	if [ -f "$marker" ]; then
		rm -rf -- "$dir"
	fi
}

case $cmd in
start) start ;;
stop) stop ;;
*) die "usage: tests/pg.sh start|stop DIR" ;;
esac
