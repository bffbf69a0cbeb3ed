#!/usr/bin/env bash
# Referral rules that need many requests or concurrency:
#  - every transition that is not allowed, from every status, by every role
#    (and by the wrong team or provider), is refused with the right status
#    and changes nothing: the legal-moves table, checked from outside;
#  - concurrent transitions on one referral: exactly one wins, the history
#    stays consistent;
#  - concurrent creates with one Idempotency-Key make exactly one referral;
#  - unsent drafts older than the limit are purged, sent ones never.
#   tests/http/referrals.sh BINARY DB_URL
set -u
bin=${1:?usage: referrals.sh BINARY DB_URL}
db=${2:?usage: referrals.sh BINARY DB_URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
. "$here/lib.sh"
port=$(free_port)
base=http://127.0.0.1:$port
trap 'stop_server $port; rm -rf "$tmp"' EXIT

"$bin" migrate --db "$db" >/dev/null || exit 1
declare -A role=([rp]="practitioner --team Matrix" [rv]="provider --provider kss-crc" [rc]=commissioner
	[rt]=court [rf]=finance [ra]=admin [ro]="practitioner --team Elsewhere" [re]="provider --provider essex-crc")
for u in "${!role[@]}"; do
	# shellcheck disable=SC2086
	echo "matrix-pass-$u" | "$bin" user add --db "$db" --username "$u" --role ${role[$u]} --password-stdin >/dev/null
done
start_server $port || exit 1
declare -A tok
for u in "${!role[@]}"; do tok[$u]=$(sign_in $port "$u" "matrix-pass-$u"); done

call() { # call USER METHOD PATH [BODY] -> status; body in $tmp/out
	curl -s -o "$tmp/out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer ${tok[$1]}" "$base$3" ${4:+-d "$4"}
}
new_referral() { # prints the id of a new draft
	call rp POST /api/v1/referrals "{\"service\": \"kss-crc/job-club\", \"person\": {\"crn\": \"M$1\", \"name\": \"Matrix $1\"}}" >/dev/null
	jq .id "$tmp/out"
}
move() { # move ID USER TO [extra json]
	call "$2" POST "/api/v1/referrals/$1/transitions" "{\"to\": \"$3\", \"override_reason\": \"test\"${4:+, $4}}"
}

# one referral in every status
declare -A at
at[draft]=$(new_referral 1)
at[referred]=$(new_referral 2); move "${at[referred]}" rp referred >/dev/null
at[accepted]=$(new_referral 3); move "${at[accepted]}" rp referred >/dev/null; move "${at[accepted]}" rv accepted >/dev/null
at[in_progress]=$(new_referral 4); move "${at[in_progress]}" rp referred >/dev/null; move "${at[in_progress]}" rv accepted >/dev/null; move "${at[in_progress]}" rv in_progress >/dev/null
at[completed]=$(new_referral 5); move "${at[completed]}" rp referred >/dev/null; move "${at[completed]}" rv accepted >/dev/null; move "${at[completed]}" rv in_progress >/dev/null; move "${at[completed]}" rv completed >/dev/null
at[rejected]=$(new_referral 6); move "${at[rejected]}" rp referred >/dev/null; move "${at[rejected]}" rv rejected '"reason": "full"' >/dev/null
at[cancelled]=$(new_referral 7); move "${at[cancelled]}" rp cancelled '"reason_code": "duplicate"' >/dev/null
for st in "${!at[@]}"; do
	call rp GET "/api/v1/referrals/${at[$st]}" >/dev/null
	[ "$(jq -r .status "$tmp/out")" = "$st" ] && ok || bad "setting up a $st referral failed: $(head -c 200 "$tmp/out")"
done

# the legal moves (from>to:who), as the brochures' NSI process has them
legal=" draft>referred:rp referred>accepted:rv referred>rejected:rv accepted>in_progress:rv in_progress>completed:rv
 draft>cancelled:rp referred>cancelled:rp,rv accepted>cancelled:rp,rv in_progress>cancelled:rp,rv "
in_table() { [[ $legal == *" $1>$2:"* ]]; }
allowed() { [[ $legal =~ \ $1\>$2:([a-z,]*) ]] && [[ ,${BASH_REMATCH[1]}, == *,$3,* ]]; }
expected() { # expected FROM TO USER
	case $3 in
	rc|rt|rf) echo 403 ;;                 # not a party to referrals at all
	ro|re) echo 404 ;;                    # another team, another provider: cannot see it
	rv) [ "$1" = draft ] && { echo 404; return; } ;&
	*) if in_table "$1" "$2"; then echo 403; else echo 409; fi ;;
	esac
}
statuses="draft referred accepted rejected in_progress completed cancelled"
checked=0
for from in $statuses; do
	for to in $statuses; do
		for u in rp rv rc rt rf ra ro re; do
			allowed "$from" "$to" "$u" && continue
			want=$(expected "$from" "$to" "$u")
			got=$(move "${at[$from]}" "$u" "$to" '"reason": "r", "reason_code": "other"')
			checked=$((checked + 1))
			[ "$got" = "$want" ] && ok || bad "$u moving $from -> $to: $got, want $want: $(head -c 200 "$tmp/out")"
		done
		call rp GET "/api/v1/referrals/${at[$from]}" >/dev/null
		[ "$(jq -r .status "$tmp/out")" = "$from" ] && ok || bad "a refused move changed a $from referral"
	done
done
echo "matrix: $checked refused moves checked"

# concurrent transitions: twenty tries at accepting version 2, one wins
race=$(new_referral 8); move "$race" rp referred >/dev/null
pids=()
for i in $(seq 1 20); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer ${tok[rv]}" \
		"$base/api/v1/referrals/$race/transitions" -d '{"to": "accepted", "version": 2}' >>"$tmp/race" &
	pids+=($!)
done
wait "${pids[@]}" # not the server's pid: it is a background job too
[ "$(grep -c '^200$' "$tmp/race")" = 1 ] && ok || bad "concurrent accepts: $(sort "$tmp/race" | uniq -c | tr '\n' ' ')"
[ "$(grep -c '^409$' "$tmp/race")" = 19 ] && ok || bad "concurrent accepts: the losers are not all 409"
call rp GET "/api/v1/referrals/$race" >/dev/null
[ "$(jq '[.history[] | select(.to == "accepted")] | length' "$tmp/out")" = 1 ] && ok || bad "history records more than one acceptance"
[ "$(jq .version "$tmp/out")" = 3 ] && ok || bad "version after the race is $(jq .version "$tmp/out"), want 3"

# concurrent creates with one Idempotency-Key: one referral
pids=()
for i in $(seq 1 12); do
	curl -s -o "$tmp/idem.$i" -w '%{http_code}\n' -X POST -H "Authorization: Bearer ${tok[rp]}" -H 'Idempotency-Key: same-key-1' \
		"$base/api/v1/referrals" -d '{"service": "kss-crc/job-club", "person": {"crn": "M99", "name": "Idem Potent"}}' >>"$tmp/idem" &
	pids+=($!)
done
wait "${pids[@]}"
[ "$(grep -c '^201$' "$tmp/idem")" = 1 ] && [ "$(grep -c '^200$' "$tmp/idem")" = 11 ] && ok || bad "idempotent creates: $(sort "$tmp/idem" | uniq -c | tr '\n' ' ')"
[ "$(cat "$tmp"/idem.* | jq -s 'map(.id) | unique | length')" = 1 ] && ok || bad "idempotent creates answered different referrals"
call rp GET "/api/v1/referrals?crn=M99" >/dev/null
[ "$(jq .total "$tmp/out")" = 1 ] && ok || bad "idempotent creates made $(jq .total "$tmp/out") referrals"

# the draft purge: with a limit of 0 days every draft goes, nothing sent does
stop_server $port
sleep 1
"$bin" purge-drafts --db "$db" --days 0 >"$tmp/purge" || bad "purge-drafts failed"
start_server $port || exit 1
tok[rp]=$(sign_in $port rp matrix-pass-rp)
call rp GET "/api/v1/referrals/${at[draft]}" >/dev/null
[ "$(cat "$tmp/out" | jq -r .error.code)" = not_found ] && ok || bad "a draft survived the purge"
call rp GET "/api/v1/referrals/${at[referred]}" >/dev/null
[ "$(jq -r .status "$tmp/out")" = referred ] && ok || bad "the purge touched a sent referral"
grep -q 'deleted [1-9][0-9]* unsent draft' "$tmp/purge" && ok || bad "purge said: $(cat "$tmp/purge")"

echo "referrals ($db): $pass passed, $fail failed"
[ "$fail" = 0 ]
