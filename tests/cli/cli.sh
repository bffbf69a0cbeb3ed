#!/usr/bin/env bash
# CLI tests: the real binary against ../shared/spec/interfaces.md — JSON shapes,
# exit codes (0 ok, 1 bad input naming the field, 2 usage, 3 environment) and
# the bad-input paths. Usage: tests/cli/cli.sh BINARY
set -u
bin=${1:?usage: cli.sh BINARY}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# run EXPECTED_EXIT ARGS... ; leaves stdout in $tmp/out, stderr in $tmp/err
run() {
	local want=$1; shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "ratecard $* exited $got, want $want: $(head -c 300 "$tmp/err")"; fi
}
# run_in EXPECTED_EXIT STDIN_FILE ARGS...
run_in() {
	local want=$1 input=$2; shift 2
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" <"$input"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "ratecard $* <$input exited $got, want $want: $(head -c 300 "$tmp/err")"; fi
}
# expect_json JQ_BOOLEAN_FILTER [FILE]: the filter must print true
expect_json() {
	local f=${2:-$tmp/out}
	if [ "$(jq -e "$1" "$f" 2>/dev/null)" = true ]; then ok; else bad "jq '$1' not true on: $(head -c 300 "$f")"; fi
}
# expect_err REGEX: standard error must match
expect_err() {
	if grep -Eq -- "$1" "$tmp/err"; then ok; else bad "stderr does not match /$1/: $(head -c 300 "$tmp/err")"; fi
}

# --- check
run 0 check
grep -Eq '^[0-9]+ providers, [0-9]+ services' "$tmp/out" && ok || bad "check summary: $(tail -1 "$tmp/out")"
grep -q '^KSS CRC  *[0-9]' "$tmp/out" && ok || bad "check lists KSS CRC"
run 2 check --bogus
mkdir -p "$tmp/cat"
cat >"$tmp/cat/x.yaml" <<'YAML'
provider:
  id: x
  name: X
  regions: [London]
  source: seed.txt:1
services:
  - id: a
    name: A
    section: S
    route: nsi
    source: seed.txt:3
    description: D
    colour: blue
    eligibility:
      - text: T
        rule: age >> 3
    not_suitable: []
    requires:
      - service: x/missing
YAML
run 1 check "$tmp/cat"
expect_err '^x.yaml:13: services\[0\]\.colour: unknown key'
expect_err '^x.yaml:16: services\[0\]\.eligibility\[0\]\.rule: column 6:'
run 1 check "$tmp/nonexistent"

# --- services: every service the brochures list is in the catalogue
run 0 services --json
expect_json '(.services | length) == .total and .total >= 150'
expect_json '[.services[] as $s | "id","name","provider","section","regions","description","duration","delivery","eligibility","not_suitable","source" | . as $k | $s | has($k)] | all'
expect_json '[.services[].id | test("^[a-z0-9-]+/[a-z0-9-]+$")] | all'
expect_json '[.services[].id] | length == (unique | length)'
expect_json '[.services[].eligibility[], .services[].not_suitable[] | has("text")] | all'
cp "$tmp/out" "$tmp/all.json"
for list in "$here"/../catalogue/expected/*.txt; do
	while read -r id; do
		[ -n "$id" ] || continue
		if jq -e --arg id "$id" 'any(.services[]; .id == $id)' "$tmp/all.json" >/dev/null; then ok; else bad "expected service $id ($(basename "$list")) missing"; fi
	done <"$list"
done
run 0 services --json --provider "KSS CRC" --need accommodation
expect_json '.total >= 1 and ([.services[] | .provider == "KSS CRC" and (.needs | index("accommodation") != null)] | all)'
run 0 services --json --region "North West" --q "building better relationships"
expect_json '.total >= 1 and (.services[0].name | test("Building Better Relationships|BUILDING BETTER RELATIONSHIPS"))'
expect_json '[.services[] | .regions | index("North West") != null] | all'
run 0 services --json --q "zzzz-no-such-words"
expect_json '.total == 0 and .services == []'
run 1 services --need flying
expect_err 'need:'
run 1 services --region Narnia
expect_err 'region:'
run 1 services --provider "Nobody CRC"
expect_err 'provider:'
run 2 services extra-argument

# --- eligible
cat >"$tmp/p.json" <<'JSON'
{"id": "X100001", "age": 31, "sex": "male", "region": "Kent, Surrey and Sussex",
 "area": "Kent", "sentence": "community_order", "order_months": 18,
 "requirements": ["rar"], "rosh": "medium",
 "scores": {"ogrs": 48, "ovp": 34, "oasys_total": 9, "oasys_11_6": 2, "oasys_11_7": 1},
 "index_offence": "violence", "offences": ["violence"], "convictions": 3,
 "needs": ["thinking_behaviour", "ete"], "flags": [], "completed": []}
JSON
run 0 eligible --profile "$tmp/p.json" --json
n=$(jq .total "$tmp/all.json"); expect_json ".profile.id == \"X100001\" and (.results | length) == $n"
run 0 eligible --profile "$tmp/p.json" --service kss-crc/resolve --json
expect_json '.results | length == 1 and .[0].service == "kss-crc/resolve" and .[0].provider == "KSS CRC" and .[0].name == "Resolve" and .[0].status == "eligible"'
expect_json '.results[0].criteria | any(.text == "OVP >27" and .kind == "eligibility" and .outcome == "met")'
expect_json '[.results[0].criteria[] | .outcome | IN("met","not_met","unknown","judgement")] | all'
run_in 0 "$tmp/p.json" eligible --profile - --service kss-crc/resolve --service kss-crc/building-better-relationships --json
expect_json '[.results[].service] == ["kss-crc/resolve", "kss-crc/building-better-relationships"]'
run 0 eligible --profile "$tmp/p.json" --service kss-crc/resolve
grep -q '^eligible  *kss-crc/resolve' "$tmp/out" && ok || bad "text output names the status"
run 1 eligible --profile "$tmp/p.json" --service kss-crc/no-such-thing
expect_err "service: 'kss-crc/no-such-thing' is not in the catalogue"
echo '{"age": "thirty"}' >"$tmp/bad1.json"
run 1 eligible --profile "$tmp/bad1.json"
expect_err '^ratecard: age: must be a number'
echo '{"scores": {"ovp": 250}}' >"$tmp/bad2.json"
run 1 eligible --profile "$tmp/bad2.json"
expect_err '^ratecard: scores.ovp: must be from 0 to 100'
echo '{"sex": "male",' >"$tmp/bad3.json"
run 1 eligible --profile "$tmp/bad3.json"
expect_err 'malformed JSON'
echo '{"needs": ["accommodation", "space travel"]}' >"$tmp/bad4.json"
run 1 eligible --profile "$tmp/bad4.json"
expect_err "needs\[1\]: 'space travel' is not one of"
echo '[1, 2]' >"$tmp/bad5.json"
run 1 eligible --profile "$tmp/bad5.json"
run 1 eligible --profile "$tmp/does-not-exist.json"
run 2 eligible
run 2 eligible --profile

# --- screen
run 1 screen --caseload "$here/data/bad-profiles.jsonl" --brief
lines=$(wc -l <"$tmp/out")
[ "$lines" = 8 ] && ok || bad "screen wrote $lines lines for 8 non-blank input lines"
expect_json '.id == "A1" and (.eligible | type) == "array" and (.unknown | type) == "array"' <(sed -n 1p "$tmp/out")
expect_json '.line == 2 and .error.field == "age" and (.error.message | length) > 0' <(sed -n 2p "$tmp/out")
expect_json '.line == 3 and (.error.message | test("JSON"))' <(sed -n 3p "$tmp/out")
expect_json '.line == 5 and .error.field == "sex"' <(sed -n 4p "$tmp/out")
expect_json '.line == 6 and .error.field == "scores.ovp"' <(sed -n 5p "$tmp/out")
expect_json '.line == 7 and .error.field == "offences[1]"' <(sed -n 6p "$tmp/out")
expect_json '.line == 8 and .error.field == "colour"' <(sed -n 7p "$tmp/out")
expect_json '.id == "A8"' <(sed -n 8p "$tmp/out")
jq -c . "$tmp/p.json" >"$tmp/p.jsonl"
run 0 screen --caseload "$tmp/p.jsonl" --service kss-crc/resolve
expect_json '.id == "X100001" and (.results | length) == 1 and .results[0].status == "eligible"'
# many lines through several threads: order and count preserved, brief agrees with full
for i in $(seq 1 3000); do
	printf '{"id": "P%d", "age": %d, "sex": "%s", "region": "Kent, Surrey and Sussex", "area": "Kent", "scores": {"ovp": %d, "ogrs": %d}, "offences": ["violence"], "index_offence": "violence", "flags": [], "completed": []}\n' \
		"$i" $((18 + i % 60)) "$([ $((i % 3)) = 0 ] && echo female || echo male)" $((i % 100)) $(((i * 7) % 100))
done >"$tmp/caseload.jsonl"
RATECARD_THREADS=4 "$bin" screen --caseload "$tmp/caseload.jsonl" --brief >"$tmp/brief.jsonl" 2>"$tmp/err"
[ $? = 0 ] && ok || bad "screen of 3000 lines failed: $(head -c 300 "$tmp/err")"
[ "$(jq -r .id "$tmp/brief.jsonl" | tr '\n' ' ')" = "$(seq -f 'P%g' 1 3000 | tr '\n' ' ')" ] && ok || bad "screen output order differs from input order"
RATECARD_THREADS=1 "$bin" screen --caseload "$tmp/caseload.jsonl" --brief >"$tmp/brief1.jsonl" 2>/dev/null
cmp -s "$tmp/brief.jsonl" "$tmp/brief1.jsonl" && ok || bad "screen output differs between 1 and 4 threads"
head -200 "$tmp/caseload.jsonl" | "$bin" screen --caseload - >"$tmp/full.jsonl" 2>/dev/null
[ $? = 0 ] && ok || bad "full screen from stdin failed"
jq -c '{id, eligible: [.results[] | select(.status == "eligible") | .service], unknown: [.results[] | select(.status == "unknown") | .service]}' "$tmp/full.jsonl" >"$tmp/derived.jsonl"
head -200 "$tmp/brief.jsonl" | jq -c '{id, eligible, unknown}' >"$tmp/brief200.jsonl"
cmp -s "$tmp/derived.jsonl" "$tmp/brief200.jsonl" && ok || bad "--brief disagrees with the full results"
printf '{"id": "no-newline-at-end"}' | "$bin" screen --caseload - --brief >"$tmp/out" 2>/dev/null
expect_json '.id == "no-newline-at-end"'
run 1 screen --caseload "$tmp/nope.jsonl"
run 1 screen --caseload "$tmp/p.json" --service nope/nope
run 2 screen

# --- usage
run 2
run 2 frobnicate
run 0 --help

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
