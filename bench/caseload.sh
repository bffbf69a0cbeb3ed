#!/usr/bin/env bash
# Caseload benchmark (issue: 250,000 profiles against the whole catalogue).
#   bench/caseload.sh [N]      (default 250000; needs `make` first)
# Prints profiles/s and criterion checks/s for `ratecard screen --brief`, peak
# memory, per-profile latency in process, and the same question for five
# services answered by hand-written SQL over the caseload in SQLite, with the
# eligible counts side by side (they must agree) and the time ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-250000}
out=bench/out
mkdir -p "$out"
bin=build/ratecard
make -s build/ratecard build/gencaseload build/bench_engine
command -v sqlite3 >/dev/null || { echo "bench: needs sqlite3 (scripts/bootstrap --test)"; exit 2; }

[ -s "$out/caseload-$n.jsonl" ] || build/gencaseload "$n" 20261123 "$out/caseload-$n.jsonl" "$out/caseload-$n.csv"
ncrit=$("$bin" check | tail -1 | grep -Eo '[0-9]+ criteria' | grep -Eo '[0-9]+')
nsvc=$("$bin" check | tail -1 | grep -Eo '[0-9]+ services' | grep -Eo '[0-9]+')
echo "caseload: $n profiles ($(du -h "$out/caseload-$n.jsonl" | cut -f1)); catalogue: $nsvc services, $ncrit criteria; $(nproc) cores"

timed() { # timed LABEL CMD... : wall seconds and peak RSS of CMD
	local label=$1; shift
	/usr/bin/time -f "%e %M" -o "$out/time" "$@"
	read -r wall rss <"$out/time"
	printf '%-52s %6.2f s wall, peak %4d MB\n' "$label" "$wall" $((rss / 1024))
}

timed "screen --brief, whole catalogue" sh -c "$bin screen --brief --caseload $out/caseload-$n.jsonl >$out/brief.jsonl"
whole=$wall
awk -v n="$n" -v w="$whole" -v c="$ncrit" 'BEGIN {
	printf "  %.0f profiles/s, %.0f criterion checks/s (profiles x criteria in scope; brief stops a service at its first failed eligibility criterion)\n", n / w, n * c / w }'
RATECARD_THREADS=1 timed "screen --brief, whole catalogue, one thread" sh -c "$bin screen --brief --caseload $out/caseload-$n.jsonl >/dev/null"

five=(kss-crc/resolve kss-crc/drink-impaired-drivers kss-crc/thinking-skills-programme kss-crc/building-better-relationships kss-crc/senior-attendance-centre)
args=(); for s in "${five[@]}"; do args+=(--service "$s"); done
timed "screen --brief, five services" sh -c "$bin screen --brief ${args[*]} --caseload $out/caseload-$n.jsonl >$out/five.jsonl"
rc_five=$wall

rm -f "$out/caseload.db"
timed "sqlite3: load the CSV (analyst's one-off)" sqlite3 "$out/caseload.db" <<SQL
.mode csv
.import $out/caseload-$n.csv raw
CREATE TABLE caseload AS SELECT id, CAST(age AS INTEGER) age, sex, region, area, sentence,
  CAST(NULLIF(order_months,'') AS INTEGER) order_months, rosh, CAST(NULLIF(ogrs,'') AS REAL) ogrs,
  CAST(NULLIF(ovp,'') AS REAL) ovp, NULLIF(sara,'') sara, CAST(oasys_total AS INTEGER) oasys_total,
  CAST(oasys_11_6 AS INTEGER) oasys_11_6, CAST(oasys_11_7 AS INTEGER) oasys_11_7,
  CAST(audit AS INTEGER) audit, CAST(convictions AS INTEGER) convictions, index_offence,
  offences, needs, flags, requirements FROM raw;
DROP TABLE raw;
SQL
sqlite3 "$out/caseload.db" <bench/baseline.sql >"$out/sql.txt"
sql_time=$(grep -Eo 'real [0-9.]+' "$out/sql.txt" | awk '{s += $2} END {printf "%.3f", s}')
echo
printf '%-40s %12s %12s\n' "service" "ratecard" "SQL"
agree=1
for s in "${five[@]}"; do
	a=$(grep -c "\"eligible\":\[[^]]*\"$s\"" "$out/five.jsonl" || true)
	b=$(grep -F "$s|" "$out/sql.txt" | cut -d'|' -f2)
	printf '%-40s %12s %12s\n' "$s" "$a" "$b"
	[ "$a" = "$b" ] || agree=0
done
[ $agree = 1 ] && echo "eligible counts agree" || echo "eligible counts DISAGREE"
awk -v r="$rc_five" -v s="$sql_time" 'BEGIN {
	printf "five services: ratecard %.2f s (parse + screen + output, whole process) vs SQL %.2f s (queries only, data already loaded): ratio SQL/ratecard %.2f\n", r, s, s / r }'
echo
build/bench_engine "$out/caseload-$n.jsonl" 20000
