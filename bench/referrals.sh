#!/usr/bin/env bash
# Referral lifecycle benchmark (issue 4 §8): referrals created and moved
# through their whole lifecycle through the API, on SQLite and on PostgreSQL,
# against the same rows written directly with the database's own client.
#   bench/referrals.sh [SECONDS] [CONNECTIONS]    (defaults 10 s, 64 connections)
#   RATECARD_BIN=path/to/ratecard bench/referrals.sh   (another build)
#   RATECARD_BASELINE=path/to/old/ratecard bench/referrals.sh   (also runs that build on
#                                                 SQLite first, for a before/after in one run)
#   BENCH_PG=0 bench/referrals.sh                 (SQLite only)
# For each backend: build/lifecycle walks referrals through create (draft),
# referred, accepted, in_progress and completed on CONNECTIONS keep-alive
# connections and prints lifecycles/s, referrals/s, transitions/s and p50/p99
# per request. The ceiling is the same lifecycles written straight into a
# fresh database of the same schema and durability settings, one transaction
# per API write, as the API writes them (sqlite3 CLI with WAL and
# synchronous=NORMAL as the server opens it; pgbench with as many clients as
# the server's pool, fsync and synchronous_commit on). Last, the kill -9 check on SQLite: the server is
# killed mid-run, restarted, and every write the client saw acknowledged is
# looked for through the API, with PRAGMA integrity_check; PASS or FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
bin=${RATECARD_BIN:-build/ratecard}
client=build/lifecycle
scripts/bootstrap --bench >/dev/null
make -s build/ratecard build/lifecycle
tmp=$(mktemp -d)
chmod 755 "$tmp" # the postgres user reaches its cluster inside
port=$((30000 + RANDOM % 10000))
server_pid=
pg_up=0
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ $pg_up = 0 ] || tests/pg.sh stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
profile=examples/profile-x100001.json
pass=bench-password-1

# serve DB [BIN]: start `ratecard serve` on DB and wait for it
serve() {
	"${2:-$bin}" serve --db "$1" --listen "127.0.0.1:$port" --quiet >>"$tmp/serve.out" 2>>"$tmp/serve.log" &
	server_pid=$!
	for _ in $(seq 1 200); do
		curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
		sleep 0.1
	done
	echo "the server did not start:"; tail "$tmp/serve.log"; exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }
sign_in() {
	curl -s -X POST "http://127.0.0.1:$port/api/v1/session" -d "{\"username\":\"$1\",\"password\":\"$pass\"}" | jq -r .token
}
# users DB [BIN]: the practitioner pat (team Bench) and kss-crc's provider user kim
users() {
	echo "$pass" | "${2:-$bin}" user add --db "$1" --username pat --role practitioner --team Bench --password-stdin >/dev/null
	echo "$pass" | "${2:-$bin}" user add --db "$1" --username kim --role provider --provider kss-crc --password-stdin >/dev/null
}

# one lifecycle by hand, keeping each stored document for the ceiling (the
# answer less what the API adds to it: version and waiting time)
sample_docs() {
	local tp=$1 tv=$2 id v s i=1 api=http://127.0.0.1:$port/api/v1
	curl -s -H "Authorization: Bearer $tp" "$api/referrals" -d "{\"service\":\"kss-crc/resolve\",\"person\":{\"crn\":\"S1\",\"name\":\"Sample\",\"profile\":$(jq -c . $profile)}}" >"$tmp/a0"
	id=$(jq .id "$tmp/a0")
	for s in referred accepted in_progress completed; do
		v=$(jq .version "$tmp/a$((i - 1))")
		curl -s -H "Authorization: Bearer $([ $s = referred ] && echo "$tp" || echo "$tv")" \
			"$api/referrals/$id/transitions" -d "{\"to\":\"$s\",\"version\":$v}" >"$tmp/a$i"
		[ "$(jq -r .status "$tmp/a$i")" = $s ] || { echo "sample lifecycle failed at $s: $(head -c 300 "$tmp/a$i")"; exit 1; }
		i=$((i + 1))
	done
	for i in 0 1 2 3 4; do jq -c 'del(.version, .waiting_seconds, .waiting_days)' "$tmp/a$i" >"$tmp/doc$i"; done
	jq -c '{crn: "S1", name: "Sample", team: "Bench", profile: .person.profile, events: []}' "$tmp/a0" >"$tmp/doc9"
	jq -c '{referral: .id, reference, status, text: "sent", by: "pat", at: .updated_at}' "$tmp/a1" >"$tmp/payload"
}

# api NAME DB [BIN]: the lifecycle client against a fresh server on DB
api() {
	local name=$1 db=$2 b=${3:-$bin} tp tv
	users "$db" "$b"
	serve "$db" "$b"
	tp=$(sign_in pat); tv=$(sign_in kim)
	[ "$b" != "$bin" ] || sample_docs "$tp" "$tv"
	"$client" run --port "$port" --practitioner "$tp" --provider "$tv" --connections "$conns" \
		--seconds "$secs" --profile "$profile" --summary "$tmp/$name.json" || true
	stop
}

echo "referral lifecycle: $conns connections, ${secs}s each; $(nproc) cores shared by client and server" \
	"(load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "a lifecycle: POST /api/v1/referrals (draft), then transitions to referred (practitioner),"
echo "accepted, in_progress and completed (the provider's user), each under the version just answered"
echo
mkdir -p "$tmp/sqlite"
if [ -n "${RATECARD_BASELINE:-}" ]; then
	echo "SQLite, baseline $RATECARD_BASELINE:"
	api baseline "$tmp/sqlite/baseline.db" "$RATECARD_BASELINE"
	echo
fi
echo "SQLite (WAL, synchronous=NORMAL, as the server opens it):"
api sqlite "$tmp/sqlite/api.db"
sq_db=$tmp/sqlite/api.db

if [ "${BENCH_PG:-1}" != 0 ]; then
	echo
	eval "$(tests/pg.sh start "$tmp/pg" 2>/dev/null)"
	pg_up=1
	pg_base=${RATECARD_TEST_PG%/*}
	psql -X -q "$RATECARD_TEST_PG" -c 'CREATE DATABASE api' -c 'CREATE DATABASE ceiling'
	echo "PostgreSQL $(psql -X -At "$RATECARD_TEST_PG" -c 'SHOW server_version' | cut -d' ' -f1)" \
		"(fsync $(psql -X -At "$RATECARD_TEST_PG" -c 'SHOW fsync'), synchronous_commit" \
		"$(psql -X -At "$RATECARD_TEST_PG" -c 'SHOW synchronous_commit'); the server's pool is 8 connections):"
	api pg "$pg_base/api"
fi

# what the API wrote per lifecycle, counted in the SQLite database
echo
read -r nref npeople npv nout naudit < <(sqlite3 "$sq_db" "SELECT (SELECT count(*) FROM referrals),
	(SELECT count(*) FROM people), (SELECT count(*) FROM person_versions), (SELECT count(*) FROM outbox),
	(SELECT count(*) FROM audit_log WHERE action LIKE 'referral_%')" | tr '|' ' ')
echo "ceiling: the same lifecycles written directly, one transaction per API write. The API wrote, for"
echo "  $nref referrals: $npeople people + $npv person_versions rows, $nref referrals rows (each inserted,"
echo "  its document written, then 4 updates), $nout outbox rows, $naudit audit_log rows. Per lifecycle that is"
echo "  5 transactions: the create (person + its first version, referral insert + document, audit row),"
echo "  then per transition the referral update, an outbox row and an audit row. The ceiling writes"
echo "  exactly these, with the documents of a real lifecycle, and none of the API's reads."
n=$(jq .creates "$tmp/sqlite.json")

# the SQL of N lifecycles for the sqlite3 CLI (documents from a temporary table)
sqlite_sql() {
	local d
	echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
	echo "CREATE TEMP TABLE d(stage INTEGER PRIMARY KEY, doc TEXT NOT NULL);"
	for d in 0 1 2 3 4 9; do echo "INSERT INTO temp.d VALUES ($d, readfile('$tmp/doc$d'));"; done
	echo "INSERT INTO temp.d VALUES (10, readfile('$tmp/payload'));"
	awk -v n="$1" -v q="'" 'BEGIN {
		split("draft referred accepted in_progress completed", st, " ")
		for (i = 1; i <= n; i++) {
			printf "BEGIN IMMEDIATE; INSERT INTO referrals(id, reference, urn, version, status, provider_id, service_id, team, crn, created_by, created_at, updated_at, doc) VALUES (%d, %sR%d%s, %sU%d%s, 1, %sdraft%s, %skss-crc%s, %skss-crc/resolve%s, %sBench%s, %sC%d%s, %spat%s, %d, %d, %s{}%s);", i, q, i, q, q, i, q, q, q, q, q, q, q, q, q, q, i, q, q, q, i, i, q, q
			printf " UPDATE referrals SET doc = (SELECT doc FROM temp.d WHERE stage = 0) WHERE id = %d;", i
			printf " INSERT INTO audit_log(at, actor, action, object, address, detail) VALUES (%d, %spat%s, %sreferral_create%s, %sreferral:%d%s, %s127.0.0.1%s, %s%s);", i, q, q, q, q, q, i, q, q, q, q, q
			printf " INSERT INTO people(crn, version, doc, updated_at, updated_by) SELECT %sC%d%s, 1, doc, %d, %spat%s FROM temp.d WHERE stage = 9 ON CONFLICT(crn) DO NOTHING;", q, i, q, i, q, q
			printf " INSERT INTO person_versions(crn, version, doc, at, by) SELECT crn, version, doc, updated_at, updated_by FROM people WHERE crn = %sC%d%s; COMMIT;\n", q, i, q
			for (s = 2; s <= 5; s++) {
				printf "BEGIN IMMEDIATE; UPDATE referrals SET version = version + 1, status = %s%s%s, updated_at = %d, doc = (SELECT doc FROM temp.d WHERE stage = %d) WHERE id = %d AND version = %d;", q, st[s], q, i, s - 1, i, s - 1
				printf " INSERT INTO outbox(referral_id, recipient_kind, recipient, kind, payload, created_at) SELECT %d, %sprovider%s, %skss-crc%s, %sstatus%s, doc, %d FROM temp.d WHERE stage = 10;", i, q, q, q, q, q, q, i
				printf " INSERT INTO audit_log(at, actor, action, object, address, detail) VALUES (%d, %skim%s, %sreferral_transition%s, %sreferral:%d%s, %s127.0.0.1%s, %s{\"from\":\"%s\",\"to\":\"%s\"}%s); COMMIT;\n", i, q, q, q, q, q, i, q, q, q, q, st[s - 1], st[s], q
			}
		}
	}'
}

# the same lifecycle as a pgbench script; ids from the client id and a counter
cat >"$tmp/lifecycle.pgbench" <<'PGB'
\set n :n + 1
\set id :client_id * 100000000 + :n
BEGIN;
INSERT INTO referrals(id, reference, urn, version, status, provider_id, service_id, team, crn, created_by, created_at, updated_at, doc) VALUES (:id, 'R' || :id, 'U' || :id, 1, 'draft', 'kss-crc', 'kss-crc/resolve', 'Bench', 'C' || :id, 'pat', :id, :id, '{}');
UPDATE referrals SET doc = (SELECT doc FROM bench_docs WHERE stage = 0) WHERE id = :id;
INSERT INTO audit_log(at, actor, action, object, address, detail) VALUES (:id, 'pat', 'referral_create', 'referral:' || :id, '127.0.0.1', '');
INSERT INTO people(crn, version, doc, updated_at, updated_by) SELECT 'C' || :id, 1, doc, :id, 'pat' FROM bench_docs WHERE stage = 9 ON CONFLICT (crn) DO NOTHING;
INSERT INTO person_versions(crn, version, doc, at, "by") SELECT crn, version, doc, updated_at, updated_by FROM people WHERE crn = 'C' || :id;
COMMIT;
PGB
prev=draft stage=1
for s in referred accepted in_progress completed; do
	cat >>"$tmp/lifecycle.pgbench" <<PGB
BEGIN;
UPDATE referrals SET version = version + 1, status = '$s', updated_at = :id, doc = (SELECT doc FROM bench_docs WHERE stage = $stage) WHERE id = :id AND version = $stage;
INSERT INTO outbox(referral_id, recipient_kind, recipient, kind, payload, created_at) SELECT :id, 'provider', 'kss-crc', 'status', doc, :id FROM bench_docs WHERE stage = 10;
INSERT INTO audit_log(at, actor, action, object, address, detail) VALUES (:id, 'kim', 'referral_transition', 'referral:' || :id, '127.0.0.1', '{"from":"$prev","to":"$s"}');
COMMIT;
PGB
	prev=$s stage=$((stage + 1))
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
api_sq=$(jq .lifecycles_per_s "$tmp/sqlite.json")

ceil_db=$tmp/sqlite/ceiling.db
"$bin" migrate --db "$ceil_db" >/dev/null
sqlite_sql "$n" >"$tmp/ceiling.sql"
t0=$(date +%s.%N)
sqlite3 "$ceil_db" <"$tmp/ceiling.sql" >/dev/null
t1=$(date +%s.%N)
[ "$(sqlite3 "$ceil_db" "SELECT count(*) FROM referrals WHERE status = 'completed'")" = "$n" ] ||
	{ echo "the sqlite3 ceiling did not write $n lifecycles"; exit 1; }
sq_ceil=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
printf '  sqlite3 CLI, one connection: %d lifecycles in %.2f s: %d lifecycles/s (%d transactions/s)\n' \
	"$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$sq_ceil" $((sq_ceil * 5))
printf '  SQLite API / ceiling: %.0f / %d = %s\n' "$api_sq" "$sq_ceil" "$(ratio "$api_sq" "$sq_ceil")"
if [ -n "${RATECARD_BASELINE:-}" ]; then
	api_base=$(jq .lifecycles_per_s "$tmp/baseline.json")
	printf '  SQLite, this build / baseline: %.0f / %.0f = %s\n' "$api_sq" "$api_base" "$(ratio "$api_sq" "$api_base")"
fi

if [ $pg_up = 1 ]; then
	ceil_url=$pg_base/ceiling
	"$bin" migrate --db "$ceil_url" >/dev/null
	psql -X -q "$ceil_url" -v ON_ERROR_STOP=1 \
		-v d0="$(cat "$tmp/doc0")" -v d1="$(cat "$tmp/doc1")" -v d2="$(cat "$tmp/doc2")" \
		-v d3="$(cat "$tmp/doc3")" -v d4="$(cat "$tmp/doc4")" -v d9="$(cat "$tmp/doc9")" \
		-v d10="$(cat "$tmp/payload")" <<-'SQL'
		CREATE TABLE bench_docs(stage INTEGER PRIMARY KEY, doc TEXT NOT NULL);
		INSERT INTO bench_docs VALUES (0, :'d0'), (1, :'d1'), (2, :'d2'), (3, :'d3'), (4, :'d4'),
			(9, :'d9'), (10, :'d10');
	SQL
	pn=$(jq .creates "$tmp/pg.json")
	clients=8
	per=$(((pn + clients - 1) / clients))
	pgbench -n -M prepared -c $clients -j 2 -t "$per" -D n=0 -f "$tmp/lifecycle.pgbench" "$ceil_url" >"$tmp/pgbench.out" 2>&1 ||
		{ cat "$tmp/pgbench.out"; exit 1; }
	pg_ceil=$(awk '/^tps/ {printf "%.0f", $3}' "$tmp/pgbench.out")
	[ "$(psql -X -At "$ceil_url" -c "SELECT count(*) FROM referrals WHERE status = 'completed'")" = $((per * clients)) ] ||
		{ echo "pgbench did not write $((per * clients)) lifecycles"; exit 1; }
	api_pg=$(jq .lifecycles_per_s "$tmp/pg.json")
	printf '  pgbench, %d clients (the server'\''s pool): %d lifecycles: %d lifecycles/s (%d transactions/s)\n' \
		$clients $((per * clients)) "$pg_ceil" $((pg_ceil * 5))
	printf '  PostgreSQL API / ceiling: %.0f / %d = %s\n' "$api_pg" "$pg_ceil" "$(ratio "$api_pg" "$pg_ceil")"
fi

# kill -9 on SQLite: kill the server mid-run, restart, look for every acknowledged write
echo
echo "kill -9 (SQLite): the server is killed $((secs / 2 > 0 ? secs / 2 : 1)) s into a ${secs}s run, then restarted:"
kdb=$tmp/sqlite/kill.db
users "$kdb"
serve "$kdb"
tp=$(sign_in pat); tv=$(sign_in kim)
"$client" run --port "$port" --practitioner "$tp" --provider "$tv" --connections "$conns" --seconds "$secs" \
	--profile "$profile" --acked "$tmp/acked" >"$tmp/kill-run.out" 2>"$tmp/kill-run.err" &
cpid=$!
sleep $((secs / 2 > 0 ? secs / 2 : 1))
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
wait $cpid || true
acks=$(wc -l <"$tmp/acked")
integrity=$(sqlite3 "$kdb" 'PRAGMA integrity_check')
serve "$kdb"
verdict=FAIL
if "$client" verify --port "$port" --token "$tp" --connections "$conns" --acked "$tmp/acked" >"$tmp/verify.out" 2>"$tmp/verify.err" &&
	[ "$integrity" = ok ] && [ "$acks" -gt 0 ]; then
	verdict=PASS
fi
stop
echo "  $acks acknowledged writes ($(grep -c ' completed ' "$tmp/acked" || true) completed lifecycles) before the kill;"
echo "  after the restart:$(cat "$tmp/verify.out")"
head -5 "$tmp/verify.err"
echo "  PRAGMA integrity_check: $integrity"
echo "  kill -9: $verdict"

echo
echo "target: 1,000 lifecycles/s on SQLite; measured $(printf '%.0f' "$api_sq"):" \
	"$(awk -v a="$api_sq" 'BEGIN { print (a >= 1000 ? "met" : "not met") }')"
[ $verdict = PASS ]
