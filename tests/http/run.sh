#!/usr/bin/env bash
# HTTP exchange tests (curl's tests/data style): each tests/http/cases/*.http
# file is a list of requests with the answers expected, run against a real
# `ratecard serve` on a loopback port. Usage:
#   tests/http/run.sh BINARY DB_URL      (DB_URL: a SQLite path or postgresql://...)
#
# A block in a case file:
#   > METHOD PATH                   the request (PATH may use ${VAR})
#   as USER                         send USER's token (pat, kim, cam, cole, fin, ada)
#   header NAME: VALUE              an extra header
#   body TEXT                       the body, one line (may use ${VAR}); or
#   body-file PATH                  a body from a file (relative to cases/)
#   < STATUS                        the status expected
#   jq FILTER                       must be true of the answer (any number)
#   set VAR FILTER                  keep a value of the answer for later blocks
set -u
bin=${1:?usage: run.sh BINARY DB_URL}
db=${2:?usage: run.sh BINARY DB_URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base=http://127.0.0.1:$port
pass=0 fail=0
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

"$bin" migrate --db "$db" >/dev/null || { echo "migrate failed"; exit 1; }
declare -A password=(
	[pat]=practitioner-secret-1 [kim]=provider-secret-1 [cam]=commissioner-secret-1
	[cole]=court-secret-1 [fin]=finance-secret-1 [ada]=admin-secret-1 [lou]=lockout-secret-1
	[kit]=provider-secret-2 [ed]=provider-secret-3 [pia]=practitioner-secret-2
)
adduser() { echo "${password[$1]}" | "$bin" user add --db "$db" --username "$1" --password-stdin "${@:2}" >/dev/null; }
adduser pat --role practitioner --team "Kent North"
adduser kim --role provider --provider kss-crc
adduser cam --role commissioner
adduser cole --role court
adduser fin --role finance
adduser ada --role admin
adduser lou --role practitioner
adduser kit --role provider --provider kss-crc
adduser ed --role provider --provider "Essex CRC"
adduser pia --role practitioner --team "Essex South"

"$bin" serve --db "$db" --listen "127.0.0.1:$port" >"$tmp/serve.out" 2>"$tmp/serve.log" &
server=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || { echo "server did not start:"; cat "$tmp/serve.log"; exit 1; }

declare -A token
for u in pat kim cam cole fin ada kit ed pia; do
	token[$u]=$(curl -s -X POST "$base/api/v1/session" -d "{\"username\":\"$u\",\"password\":\"${password[$u]}\"}" | jq -r .token)
	[ -n "${token[$u]}" ] && [ "${token[$u]}" != null ] || { echo "cannot sign in as $u"; exit 1; }
done
declare -A vars
vars[BIGBODY]="$tmp/big.json"
{ printf '{"x":"'; head -c 1100000 /dev/zero | tr '\0' 'a'; printf '"}'; } >"$tmp/big.json"
subst() { # expand ${NAME} from vars
	local s=$1 k
	for k in "${!vars[@]}"; do s=${s//\$\{$k\}/${vars[$k]}}; done
	printf '%s' "$s"
}

run_block() {
	local file=$1 line=$2
	local args=(-s -o "$tmp/body" -w '%{http_code}' -X "$method")
	[ -n "$as" ] && args+=(-H "Authorization: Bearer ${token[$as]}")
	for h in "${headers[@]}"; do args+=(-H "$h"); done
	if [ -n "$bodyfile" ]; then args+=(--data-binary "@$bodyfile"); elif [ -n "$body" ]; then args+=(--data-binary "$body"); fi
	local got
	got=$(curl "${args[@]}" "$base$(subst "$path")")
	if [ "$got" != "$want" ]; then
		bad "$file:$line: $method $path: status $got, want $want: $(head -c 300 "$tmp/body")"
		return
	fi
	pass=$((pass + 1))
	for f in "${checks[@]}"; do
		f=$(subst "$f")
		if [ "$(jq -e "$f" "$tmp/body" 2>&1)" = true ]; then pass=$((pass + 1)); else bad "$file:$line: jq '$f' not true: $(head -c 300 "$tmp/body")"; fi
	done
	for s in "${sets[@]}"; do vars[${s%% *}]=$(jq -r "${s#* }" "$tmp/body"); done
}

for file in "$here"/cases/*.http; do
	name=$(basename "$file")
	method= path= as= body= bodyfile= want= headers=() checks=() sets=() n=0 start=0
	while IFS= read -r l || [ -n "$l" ]; do
		n=$((n + 1))
		case "$l" in
		'#'*|'') continue ;;
		'> '*)
			[ -n "$method" ] && run_block "$name" "$start"
			read -r method path <<<"${l#> }"
			as= body= bodyfile= want= headers=() checks=() sets=() start=$n ;;
		'as '*) as=${l#as } ;;
		'header '*) headers+=("$(subst "${l#header }")") ;;
		'body '*) body=$(subst "${l#body }") ;;
		'body-file '*) bodyfile=$(subst "${l#body-file }"); [ "${bodyfile:0:1}" = / ] || bodyfile="$here/cases/$bodyfile" ;;
		'< '*) want=${l#< } ;;
		'jq '*) checks+=("${l#jq }") ;;
		'set '*) sets+=("${l#set }") ;;
		*) bad "$name:$n: cannot read: $l" ;;
		esac
	done <"$file"
	[ -n "$method" ] && run_block "$name" "$start"
done

# every request above was logged, one line each, with its status and user
grep -q 'event=request method=GET path="/api/v1/services" status=200 bytes=[0-9]* us=[0-9]* user="pat"' "$tmp/serve.log" && pass=$((pass + 1)) || bad "access log lacks a search line"
# a clean stop on SIGTERM
kill -TERM "$server"; wait "$server"; rc=$?; server=
[ "$rc" = 0 ] && pass=$((pass + 1)) || bad "server exited $rc on SIGTERM"
grep -q 'msg="stopped"' "$tmp/serve.log" && pass=$((pass + 1)) || bad "no clean stop in the log"
if grep -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$tmp/serve.log"; then bad "sanitizer report in server log"; fi
echo "http ($db): $pass passed, $fail failed"
[ "$fail" = 0 ]
