#!/usr/bin/env bash
# The referral pages, as a browser without JavaScript uses them: sign in
# through the form with a cookie jar, then a practitioner refers a person
# to Building Better Relationships (who, details, check your answers, send)
# and the provider works it (inbox, accept, allocate, case note, start,
# complete); a draft is cancelled, a referral rejected and one sent despite
# failing the criteria. Checks statuses, redirects and what the pages say,
# that a form without its CSRF token is refused, and that another provider
# or another team cannot see the referral.
#   tests/http/pages-referrals.sh BINARY DB_URL
set -u
bin=${1:?usage: pages-referrals.sh BINARY DB_URL}
db=${2:?usage: pages-referrals.sh BINARY DB_URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
. "$here/lib.sh"
port=$(free_port)
base=http://127.0.0.1:$port
trap 'stop_server $port; rm -rf "$tmp"' EXIT

# users of their own (the PostgreSQL database is shared with other suites)
"$bin" migrate --db "$db" >/dev/null || exit 1
declare -A role=([wpat]="practitioner --team Pages-North" [wkim]="provider --provider kss-crc"
	[wkay]="provider --provider kss-crc" [weve]="provider --provider essex-crc"
	[wpia]="practitioner --team Pages-South")
for u in "${!role[@]}"; do
	# shellcheck disable=SC2086
	echo "pages-pass-$u" | "$bin" user add --db "$db" --username "$u" --role ${role[$u]} --password-stdin >/dev/null 2>&1
done
start_server $port || exit 1
# a CRN of this run only: people records outlive a run on PostgreSQL
crn=W$(date +%s)$((RANDOM % 100))

# page USER METHOD PATH [curl args...] -> status; body in $tmp/out, headers in $tmp/hdr
page() {
	local u=$1 m=$2 p=$3
	shift 3
	curl -s -o "$tmp/out" -D "$tmp/hdr" -w '%{http_code}' -b "$tmp/$u.jar" -c "$tmp/$u.jar" -X "$m" "$base$p" "$@"
}
# post USER PATH field=value... -> status; the user's CSRF token is added
post() {
	local u=$1 p=$2 args=()
	shift 2
	for kv in "$@"; do args+=(--data-urlencode "$kv"); done
	page "$u" POST "$p" --data-urlencode "csrf=${csrf[$u]}" "${args[@]}"
}
location() { tr -d '\r' <"$tmp/hdr" | sed -n 's/^[Ll]ocation: //p'; }
has() { grep -qF -- "$1" "$tmp/out"; }
field() { grep -o "name=\"$1\"[^>]*value=\"[^\"]*\"" "$tmp/out" | head -1 | sed 's/.*value="//; s/"$//'; }
expect() { # expect WHAT GOT WANT
	[ "$2" = "$3" ] && ok || bad "$1: got $2, want $3 $(grep -o '<title>[^<]*' "$tmp/out" | head -1)"
}
expect_has() { # expect_has WHAT TEXT
	has "$2" && ok || bad "$1: the page does not say '$2' ($(grep -o '<title>[^<]*' "$tmp/out" | head -1))"
}

declare -A csrf
sign_in_page() { # through the sign-in form, as a browser does
	local u=$1 st
	rm -f "$tmp/$u.jar"
	page "$u" GET /sign-in >/dev/null
	csrf[$u]=$(field csrf)
	st=$(page "$u" POST /sign-in --data-urlencode "username=$u" --data-urlencode "password=pages-pass-$u" \
		--data-urlencode "csrf=${csrf[$u]}" --data-urlencode "next=/referrals")
	[ "$st" = 303 ] && [ "$(location)" = /referrals ] && ok || bad "signing in as $u: $st to $(location)"
	page "$u" GET /referrals >/dev/null
	csrf[$u]=$(field csrf) # signed in, the token follows the session
}

# nobody signed in goes to the sign-in page and comes back
st=$(page nobody GET /referrals/new)
expect "a page without signing in" "$st" 303
case $(location) in /sign-in?next=*) ok ;; *) bad "not sent to sign in: $(location)" ;; esac

for u in wpat wkim weve wpia; do sign_in_page $u; done

# --- the practitioner: who are you referring? ---
bbr=kss-crc/building-better-relationships
st=$(page wpat GET "/referrals/new?service=$bbr")
expect "the who page" "$st" 200
expect_has "the who page" "Who are you referring?"
expect_has "the who page names the service" "Building Better Relationships (KSS CRC)"
expect_has "the who page has a date of birth" 'id="dob-day"'
st=$(page wpat GET /referrals/new)
expect "the who page without a service" "$st" 404
st=$(page wpat POST /referrals/new --data-urlencode "service=$bbr" --data-urlencode "crn=$crn" --data-urlencode "name=Sam Page")
expect "a form without its CSRF token" "$st" 400
expect_has "a form without its CSRF token" "The form has expired"
st=$(post wpat /referrals/new "service=$bbr" crn= name= dob-day=31 dob-month=2 dob-year=1990)
expect "an empty who form" "$st" 400
expect_has "the error summary" "govuk-error-summary"
expect_has "the error title" "<title>Error: Who are you referring?"
expect_has "the CRN error" 'href="#crn"'
expect_has "the impossible date" "The date of birth must be a real date"
st=$(post wpat /referrals/new "service=$bbr" "crn=$crn" "name=Sam Page" dob-day=4 dob-month=7 dob-year=1991)
expect "starting a referral" "$st" 303
id=$(location | sed -n 's|^/referrals/\([0-9][0-9]*\)$|\1|p')
[ -n "$id" ] && ok || bad "starting a referral went to $(location)"
ref=/referrals/$id

# --- the task list, details, check, send ---
st=$(page wpat GET "$ref")
expect "the task list" "$st" 200
expect_has "the task list" "Make a referral"
expect_has "the task list: check cannot start" "Cannot start yet"
expect_has "the task list: details link" "href=\"$ref/details\""
st=$(post wpat "$ref/send" version=1)
expect "sending before the details" "$st" 400
expect_has "sending before the details" "Add the referral details before you send it"
page wpat GET "$ref/details" >/dev/null
version=$(field version)
st=$(post wpat "$ref/details" "version=$version" risk= support=)
expect "empty details" "$st" 400
expect_has "the priority error" 'href="#priority"'
st=$(post wpat "$ref/details" "version=$version" "risk=Medium RoSH to partner" "support=Needs evening sessions" \
	priority=high "urgency=before the order ends" location=Maidstone end-day=1 end-month=5 end-year=2099)
expect "saving the details" "$st" 303
expect "back to the task list" "$(location)" "$ref"
page wpat GET "$ref" >/dev/null
expect_has "the task list: check can start" "href=\"$ref/check\""
st=$(page wpat GET "$ref/check")
expect "check your answers" "$st" 200
expect_has "check your answers" "Check your answers before sending the referral"
expect_has "check your answers: risk" "Medium RoSH to partner"
expect_has "check your answers: date in words" "1 May 2099"
expect_has "check your answers: change link" "href=\"$ref/details#risk\""
expect_has "check your answers: criteria to confirm" "Criteria to check with the person"
version=$(field version)
st=$(post wpat "$ref/send" version=1)
expect "sending a stale page" "$st" 409
expect_has "sending a stale page" "Someone else has changed this referral"
st=$(post wpat "$ref/send" "version=$version")
expect "sending" "$st" 303
expect "to the confirmation" "$(location)" "$ref/sent"
st=$(page wpat GET "$ref/sent")
expect "the confirmation" "$st" 200
expect_has "the confirmation panel" "govuk-panel--confirmation"
reference=$(grep -o '<strong>[A-Z0-9]\{8\}</strong>' "$tmp/out" | sed 's/<[^>]*>//g')
[ -n "$reference" ] && ok || bad "the confirmation shows no reference"
expect_has "what happens next" "What happens next"
st=$(page wpat GET "$ref")
expect "the sent referral" "$st" 200
expect_has "the sent referral's status tag" ">Referred</strong>"
expect_has "the reference" "Referral $reference"
expect_has "withdraw is offered" "Withdraw referral"
has "Accept referral" && bad "a practitioner is offered to accept" || ok
st=$(page wpat GET "$ref/actions/accept")
expect "a practitioner accepting" "$st" 403
st=$(page wpia GET "$ref")
expect "another team's practitioner" "$st" 404

# --- the provider ---
st=$(page wkim GET /referrals)
expect "the provider's inbox" "$st" 200
expect_has "the inbox" "New referrals"
expect_has "the inbox lists it" "$reference"
expect_has "a sortable table" 'data-module="moj-sortable-table"'
st=$(page weve GET "$ref")
expect "another provider reading it" "$st" 404
st=$(page weve GET "$ref/actions/accept")
expect "another provider's accept page" "$st" 404
st=$(post weve "$ref/actions/accept" version=3)
expect "another provider accepting" "$st" 404
page weve GET /referrals >/dev/null
has "$reference" && bad "another provider's inbox lists it" || ok
st=$(page wkim GET "$ref/actions/start")
expect "starting before accepting" "$st" 409
st=$(page wkim GET "$ref/actions/accept")
expect "the accept page" "$st" 200
expect_has "the accept page" "Are you sure you want to accept this referral?"
version=$(field version)
st=$(page wkim POST "$ref/actions/accept" --data-urlencode "version=$version")
expect "accepting without the CSRF token" "$st" 400
st=$(post wkim "$ref/actions/accept" version=1)
expect "accepting a stale page" "$st" 409
expect_has "the stale page's error summary" "govuk-error-summary"
st=$(post wkim "$ref/actions/accept" "version=$version")
expect "accepting" "$st" 303
expect "back with a banner" "$(location)" "$ref?done=accepted"
page wkim GET "$ref?done=accepted" >/dev/null
expect_has "the success banner" "Referral accepted"
expect_has "the accepted tag" "govuk-tag--turquoise"
st=$(post wkim "$ref/allocation" staff=weve)
expect "allocating to another provider's staff" "$st" 400
st=$(post wkim "$ref/allocation" staff=wkay)
expect "allocating" "$st" 303
page wkim GET "$(location)" >/dev/null
expect_has "the allocation" "Referral allocated to wkay"
expect_has "the timeline" "moj-timeline"
st=$(post wkim "$ref/notes" "text=First session <b>booked</b>")
expect "a case note" "$st" 303
page wkim GET "$ref" >/dev/null
expect_has "the note, escaped" "First session &lt;b&gt;booked&lt;/b&gt;"
page wkim GET "$ref/actions/start" >/dev/null
st=$(post wkim "$ref/actions/start" "version=$(field version)")
expect "starting" "$st" 303
page wkim GET "$ref/actions/complete" >/dev/null
version=$(field version)
st=$(post wkim "$ref/actions/complete" "version=$version")
expect "completing without an outcome" "$st" 400
expect_has "the outcome error" 'href="#outcome"'
st=$(post wkim "$ref/actions/complete" "version=$version" outcome=completed)
expect "completing" "$st" 303
st=$(page wpat GET "$ref")
expect "the practitioner reads it" "$st" 200
expect_has "the completed tag" ">Completed</strong>"
expect_has "the provider's note" "First session"
# the timeline is newest first even when moves share a second: started after allocated
s_at=$(grep -n "Referral started" "$tmp/out" | head -1 | cut -d: -f1)
a_at=$(grep -n "Allocated to wkay" "$tmp/out" | head -1 | cut -d: -f1)
[ -n "$s_at" ] && [ -n "$a_at" ] && [ "$s_at" -lt "$a_at" ] && ok ||
	bad "the timeline puts the start ($s_at) above the allocation before it ($a_at)"
has "Withdraw referral" && bad "a completed referral can be withdrawn" || ok
st=$(page wpat GET "/referrals?status=completed")
expect "the team's list, filtered" "$st" 200
expect_has "the filtered list" "$reference"

# --- a draft cancelled ---
st=$(post wpat /referrals/new "service=kss-crc/job-club" "crn=$crn" "name=Sam Page" dob-day=4 dob-month=7 dob-year=1991)
expect "a second draft" "$st" 303
draft=$(location)
st=$(page wpat GET "$draft/actions/cancel")
expect "the cancel page" "$st" 200
expect_has "the cancel page" "Are you sure you want to cancel this referral?"
version=$(field version)
st=$(post wpat "$draft/actions/cancel" "version=$version")
expect "cancelling without a reason" "$st" 400
expect_has "the reason error" 'href="#reason_code"'
st=$(post wpat "$draft/actions/cancel" "version=$version" reason_code=mistaken)
expect "cancelling the draft" "$st" 303
page wpat GET "$(location)" >/dev/null
expect_has "the cancelled tag" ">Cancelled</strong>"

# --- sent despite failing the criteria, then rejected ---
# a woman's record (BBR is not suitable for women services users), made through the API
token=$(sign_in $port wpat pages-pass-wpat)
curl -s -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/people" \
	-d "{\"crn\": \"${crn}F\", \"name\": \"Alex Page\", \"date_of_birth\": \"1990-02-03\", \"profile\": {\"sex\": \"female\"}}"
st=$(page wpat GET "/referrals/new?service=$bbr&crn=${crn}F")
expect "the who page for a known person" "$st" 200
expect "the name filled in" "$(field name)" "Alex Page"
expect "the year of birth filled in" "$(field dob-year)" 1990
st=$(post wpat /referrals/new "service=$bbr" "crn=${crn}F" "name=Alex Page" dob-day=3 dob-month=2 dob-year=1991)
expect "a date of birth unlike the record" "$st" 400
expect_has "the mismatch" "does not match the record"
st=$(post wpat /referrals/new "service=$bbr" "crn=${crn}F" "name=Alex Page" dob-day=3 dob-month=2 dob-year=1990)
expect "a third draft" "$st" 303
third=$(location)
page wpat GET "$third/details" >/dev/null
post wpat "$third/details" "version=$(field version)" risk=None support=Evenings priority=low >/dev/null
st=$(page wpat GET "$third/check")
expect "the third's check" "$st" 200
expect_has "the check says not eligible" "not eligible"
expect_has "the check says which" "Not suitable: Women service users"
expect_has "the override reason box" 'id="override_reason"'
version=$(field version)
st=$(post wpat "$third/send" "version=$version")
expect "sending without an override reason" "$st" 409
expect_has "the override error" 'href="#override_reason"'
st=$(post wpat "$third/send" "version=$version" "override_reason=Agreed with the treatment manager")
expect "sending with an override reason" "$st" 303
page wpat GET "$third" >/dev/null
expect_has "the override reason on the record" "Sent anyway because: Agreed with the treatment manager"
page wkim GET "$third/actions/reject" >/dev/null
version=$(field version)
st=$(post wkim "$third/actions/reject" "version=$version")
expect "rejecting without a reason" "$st" 400
st=$(post wkim "$third/actions/reject" "version=$version" "reason=No places until March")
expect "rejecting" "$st" 303
page wpat GET "$third" >/dev/null
expect_has "the rejection reason" "No places until March"
expect_has "the rejected tag" ">Rejected</strong>"

echo "pages-referrals ($db): $pass passed, $fail failed"
[ "$fail" = 0 ]
