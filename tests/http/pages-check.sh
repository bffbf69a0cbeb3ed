#!/usr/bin/env bash
# The "Check eligibility" and "People" pages, through a browser's eyes
# (cookies, forms, CSRF), against a real `ratecard serve`:
#  - the profile form is generated from the field table and has no
#    duplicate ids; a POST without its CSRF token is refused;
#  - results are grouped eligible / needs checking / not suitable / not
#    eligible with the same counts the JSON API gives, each criterion in its
#    brochure's words; practitioners get Refer links, others do not;
#  - a bad value comes back as an error summary naming the field, with the
#    values kept;
#  - a person's stored profile prefills the form; the person page shows the
#    record, its sentence and referrals; who may open it is the API's rule.
#   tests/http/pages-check.sh BINARY DB_URL
set -u
bin=${1:?usage: pages-check.sh BINARY DB_URL}
db=${2:?usage: pages-check.sh BINARY DB_URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
. "$here/lib.sh"
port=$(free_port)
base=http://127.0.0.1:$port
trap 'stop_server $port; rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

# names of this run, so a shared PostgreSQL database can hold several runs
run=pc$RANDOM
crn=PC${RANDOM}1
"$bin" migrate --db "$db" >/dev/null || exit 1
declare -A role=([prac]="practitioner --team PC-Team-$run" [other]="practitioner --team PC-Other-$run"
	[court]=court [admin]=admin)
for u in "${!role[@]}"; do
	# shellcheck disable=SC2086
	echo "pages-pass-$u" | "$bin" user add --db "$db" --username "$run-$u" --role ${role[$u]} --password-stdin >/dev/null
done
start_server $port || exit 1

# get USER PATH -> status; the page in $tmp/page, headers in $tmp/head
get() {
	curl -s -o "$tmp/page" -D "$tmp/head" -w '%{http_code}' -b "$tmp/$1.jar" -c "$tmp/$1.jar" "$base$2"
}
# post USER PATH [NAME=VALUE]... -> status (values are URL-encoded here)
post() {
	local u=$1 path=$2 args=() kv
	shift 2
	for kv in "$@"; do args+=(--data-urlencode "$kv"); done
	curl -s -o "$tmp/page" -D "$tmp/head" -w '%{http_code}' -b "$tmp/$u.jar" -c "$tmp/$u.jar" "${args[@]}" "$base$path"
}
has() { grep -qF -- "$1" "$tmp/page"; }
hasnt() { ! grep -qF -- "$1" "$tmp/page"; }
csrf_of_page() { grep -o 'name="csrf" value="[^"]*"' "$tmp/page" | head -1 | sed 's/.*value="//; s/"$//'; }
sign_in_page() { # sign_in_page USER
	get "$1" /sign-in >/dev/null
	post "$1" /sign-in "username=$run-$1" "password=pages-pass-$1" "csrf=$(csrf_of_page)" "next=/eligibility"
}
ids_unique() { [ -z "$(grep -o ' id="[^"]*"' "$tmp/page" | sort | uniq -d)" ]; }

# nobody signed in goes to the sign-in page, and comes back after
st=$(get anon /eligibility)
check "anonymous /eligibility: $st" [ "$st" = 303 ]
check "anonymous is sent to sign in" grep -qi '^location: /sign-in?next=/eligibility' "$tmp/head"

for u in prac other court admin; do
	st=$(sign_in_page $u)
	check "$u signs in through the form: $st" [ "$st" = 303 ]
done
tok=$(sign_in $port "$run-prac" pages-pass-prac)

# --- the form ---
st=$(get prac /eligibility)
check "the form: $st" [ "$st" = 200 ]
csrf=$(csrf_of_page)
check "the form carries a CSRF token" [ -n "$csrf" ]
for want in 'name="age"' 'inputmode="numeric"' 'name="scores.ogrs"' 'inputmode="decimal"' \
	'<option value="" selected>Not known</option>' 'name="offences" type="checkbox" value="domestic_abuse"' \
	'id="offences-none" name="offences" type="checkbox" value="" data-behaviour="exclusive"' '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Assessed need areas</legend>' \
	'<h2 class="govuk-heading-m">Risk and scores</h2>' '<h2 class="govuk-heading-m">Circumstances</h2>' 'name="completed"'; do
	check "the form has $want" has "$want"
done
check "the form's ids are unique" ids_unique
check "every text input and select has a label" [ "$(grep -Eo '<(input|select) class="govuk-(input|select)[^>]* id="[^"]*"' "$tmp/page" | grep -o 'id="[^"]*"' | sed 's/id=/for=/' | while read -r f; do grep -qF -- "$f" "$tmp/page" || echo "$f"; done)" = "" ]

# --- a POST without its token is refused ---
st=$(post prac /eligibility age=30)
check "POST without csrf: $st" [ "$st" = 400 ]
check "POST without csrf says why" has "did not come from this service"
st=$(post prac /eligibility age=30 csrf=not-the-token-at-all)
check "POST with a wrong csrf: $st" [ "$st" = 400 ]

# --- results, grouped, with the API's counts ---
st=$(post prac /eligibility "csrf=$csrf" age=30 sex=male offences=domestic_abuse)
check "results: $st" [ "$st" = 200 ]
cp "$tmp/page" "$tmp/results"
order=$(grep -o 'id="results-[a-z]*">[^(]*([0-9]*)' "$tmp/results" | sed 's/id="results-//; s/">.*(/:/; s/)$//' | tr '\n' ' ')
curl -s -H "Authorization: Bearer $tok" "$base/api/v1/eligibility" -d '{"profile": {"age": 30, "sex": "male", "offences": ["domestic_abuse"]}}' >"$tmp/api"
want=$(for s in eligible unknown unsuitable ineligible; do printf '%s:%s ' $s "$(jq "[.results[] | select(.status == \"$s\")] | length" "$tmp/api")"; done)
check "groups in order with the API's counts: got '$order', want '$want'" [ "$order" = "$want" ]
check "headings read Eligible, Needs checking, Not suitable, Not eligible" \
	[ "$(grep -o '<h2 class="govuk-heading-l" id="results-[a-z]*">[A-Za-z ]*' "$tmp/results" | sed 's/.*>//' | tr '\n' ,)" = "Eligible ,Needs checking ,Not suitable ,Not eligible ," ]
# Cumbria and Lancashire's BBR needs only the region checking: first of its group
first_unknown=$(sed -n '/id="results-unknown"/,/id="results-unsuitable"/p' "$tmp/results" | grep -o 'govuk-summary-card__title"><a class="govuk-link" href="[^"]*"' | head -1)
check "the service with fewest to check comes first: $first_unknown" [ "$first_unknown" = 'govuk-summary-card__title"><a class="govuk-link" href="/services/cumbria-lancashire-crc/bbr"' ]
cp "$tmp/results" "$tmp/page"
check "a criterion in the brochure's words with its outcome" has '<strong class="govuk-tag govuk-tag--grey">Unknown</strong> Available in Cumbria, Lancashire</li>'
check "a met criterion" has '<strong class="govuk-tag govuk-tag--green">Met</strong> Suitable for medium and high risk males'
check "a not-suitable criterion that does not hold" has 'Not suitable for</dt>'
check "status tags" has '<strong class="govuk-tag govuk-tag--yellow">Needs checking</strong>'
check "a practitioner gets Refer links" has 'href="/referrals/new?service=cumbria-lancashire-crc/bbr">Refer<span class="govuk-visually-hidden"> to BUILDING BETTER RELATIONSHIPS [BBR], Cumbria and Lancashire CRC</span>'
check "no Refer link for an ineligible service" [ -z "$(sed -n '/id="results-ineligible"/,$p' "$tmp/results" | grep -o '/referrals/new')" ]
check "the profile checked is listed" has '<dt class="govuk-summary-list__key">Offences, index or previous</dt><dd class="govuk-summary-list__value">Domestic abuse<br>'
check "the form is kept to change" has 'name="offences" type="checkbox" value="domestic_abuse" checked'
check "the results page's ids are unique" ids_unique

# one service, the whole KSS BBR profile: eligible, Refer carries the CRN
st=$(post prac /eligibility "csrf=$csrf" crn=$crn service=kss-crc/building-better-relationships age=30 sex=male area=Kent \
	index_offence=intimate_partner_violence offences=intimate_partner_violence scores.sara=medium scores.oasys_total=9 \
	scores.oasys_11_6=2 flags=)
check "one service: $st" [ "$st" = 200 ]
check "one service, eligible" has 'id="results-eligible">Eligible (1)</h2>'
check "one service, nothing else" has 'id="results-ineligible">Not eligible (0)</h2>'
check "Refer carries the service and the CRN" has "href=\"/referrals/new?service=kss-crc/building-better-relationships&amp;crn=$crn\""
check "a not-suitable criterion not met is green" has '<strong class="govuk-tag govuk-tag--green">Not met</strong> Women service users'
check "the check stays limited to the service" has 'name="service" value="kss-crc/building-better-relationships"'

# --- errors name the field and keep the values ---
st=$(post prac /eligibility "csrf=$csrf" age=200 sex=male offences=domestic_abuse scores.ogrs=12.5)
check "age 200: $st" [ "$st" = 400 ]
check "the title starts Error:" has '<title>Error: Check eligibility'
check "the summary names age" has '<li><a href="#age">Age must be from 10 to 120, not 200</a></li>'
check "the message by the field" has '<p id="age-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Age must be from 10 to 120'
check "the field is marked and described" has 'id="age" name="age" type="text" inputmode="numeric" spellcheck="false" autocomplete="off" value="200" aria-describedby="age-hint age-error"'
check "other values are kept" has 'value="12.5"'
check "ticked boxes are kept" has 'value="domestic_abuse" checked'
check "the sex is kept" has '<option value="male" selected>Male</option>'
st=$(post prac /eligibility "csrf=$csrf" age=thirty)
check "age thirty: $st" [ "$st" = 400 ]
check "not a number is named" has '<li><a href="#age">Age must be a number</a></li>'
st=$(post prac /eligibility "csrf=$csrf" scores.oasys_11_6=1.5)
check "a half on a whole-number score: $st" [ "$st" = 400 ]
check "its field is named" has '<li><a href="#scores-oasys_11_6">OASys item 11.6 (impulsivity) must be a whole number</a></li>'
st=$(post prac /eligibility "csrf=$csrf" offences=drugs offences=)
check "both a box and None: $st" [ "$st" = 400 ]
check "both a box and None is named" has '<li><a href="#offences">Offences, index or previous: select the ones that apply'
st=$(post prac /eligibility "csrf=$csrf" sex=robot)
check "a value outside the vocabulary: $st" [ "$st" = 400 ]
check "it is named" has '<li><a href="#sex">Sex'
st=$(post prac /eligibility "csrf=$csrf" service=nobody/nothing age=30)
check "an unknown service: $st" [ "$st" = 404 ]
st=$(get prac "/eligibility?service=nobody/nothing")
check "GET an unknown service: $st" [ "$st" = 404 ]

# None of these: a list known to be empty is not the same as not known
st=$(post prac /eligibility "csrf=$csrf" needs= completed=none)
check "None of these: $st" [ "$st" = 200 ]
check "None is shown as None" has '<dt class="govuk-summary-list__key">Assessed need areas</dt><dd class="govuk-summary-list__value">None</dd>'
check "None stays ticked" has 'id="needs-none" name="needs" type="checkbox" value="" data-behaviour="exclusive" checked'

# --- people ---
curl -s -o "$tmp/person.json" -w '%{http_code}' -H "Authorization: Bearer $tok" "$base/api/v1/people" \
	-d "{\"crn\": \"$crn\", \"name\": \"Sam <Smith>\", \"date_of_birth\": \"1994-05-02\", \"profile\": {\"age\": 30, \"sex\": \"male\", \"area\": \"Kent\", \"offences\": [\"domestic_abuse\"], \"needs\": [], \"scores\": {\"ogrs\": 48.5, \"sara\": \"medium\"}}}" >"$tmp/st"
check "a person is created: $(cat "$tmp/st") $(head -c 200 "$tmp/person.json")" [ "$(cat "$tmp/st")" = 201 ]
curl -s -o /dev/null -H "Authorization: Bearer $tok" "$base/api/v1/people/$crn/events" \
	-d '{"type": "community_order", "start_date": "2024-01-10", "end_date": "2025-07-09", "requirements": [{"type": "rar", "days": 20}, {"type": "unpaid_work", "hours": 100}]}'
curl -s -o "$tmp/ref.json" -H "Authorization: Bearer $tok" "$base/api/v1/referrals" \
	-d "{\"service\": \"kss-crc/job-club\", \"person\": {\"crn\": \"$crn\", \"name\": \"Sam <Smith>\"}}"
ref_id=$(jq -r .id "$tmp/ref.json") ref_no=$(jq -r .reference "$tmp/ref.json")

st=$(get prac "/eligibility?crn=$crn")
check "the form for a person: $st" [ "$st" = 200 ]
check "it names the person, escaped" has 'Sam &lt;Smith&gt;, CRN '"$crn"
check "it carries the CRN" has "<input type=\"hidden\" name=\"crn\" value=\"$crn\">"
check "the age is prefilled" has 'id="age" name="age" type="text" inputmode="numeric" spellcheck="false" autocomplete="off" value="30"'
check "a score is prefilled" has 'value="48.5"'
check "a choice is prefilled" has '<option value="medium" selected>Medium</option>'
check "a list is prefilled" has 'value="domestic_abuse" checked'
check "an empty list is prefilled as None" has 'id="needs-none" name="needs" type="checkbox" value="" data-behaviour="exclusive" checked'
check "what is not known stays empty" has 'id="scores-ovp" name="scores.ovp" type="text" inputmode="decimal" spellcheck="false" autocomplete="off" value=""'

st=$(get prac "/people?crn=%20$crn%20")
check "find a person: $st" [ "$st" = 303 ]
check "find a person goes to the record" grep -qi "^location: /people/$crn" "$tmp/head"
st=$(get prac /people)
check "the search page: $st" [ "$st" = 200 ]
check "the search box is labelled" has '<label class="govuk-label govuk-label--s" for="crn">Case reference number (CRN)</label>'
st=$(get prac "/people?crn=X1%2F..")
check "a CRN that is not one: $st" [ "$st" = 400 ]
check "it says so" has '<li><a href="#crn">Enter a case reference number using letters and digits only'

st=$(get prac "/people/$crn")
check "the person page: $st" [ "$st" = 200 ]
check "the name, escaped" has '<h1 class="govuk-heading-l">Sam &lt;Smith&gt;</h1>'
check "the date of birth" has '2 May 1994'
check "the area" has '<dt class="govuk-summary-list__key">County or local area</dt><dd class="govuk-summary-list__value">Kent</dd>'
check "the region the engine works out from the area" has 'Kent, Surrey and Sussex (worked out from the area)'
check "a humanised profile value" has '<dd class="govuk-summary-list__value">Domestic abuse<br></dd>'
check "what is not known says so" has '<dt class="govuk-summary-list__key">OVP score</dt><dd class="govuk-summary-list__value">Not known</dd>'
check "the sentence" has '<th scope="row" class="govuk-table__header">Community order</th><td class="govuk-table__cell">10 January 2024</td><td class="govuk-table__cell">9 July 2025</td>'
check "its requirements" has 'Rehabilitation activity requirement (RAR): 20 days<br>Unpaid work: 100 hours'
check "the referral" has "<a class=\"govuk-link\" href=\"/referrals/$ref_id\">$ref_no</a>"
check "the referral's status" has '<strong class="govuk-tag govuk-tag--grey">Draft</strong>'
check "Check eligibility for them" has "href=\"/eligibility?crn=$crn\">Check eligibility</a>"
check "Find a service for them" has 'href="/services?sex=male&amp;age=30">Find a service</a>'
check "the person page's ids are unique" ids_unique
check "tables have captions" [ "$(grep -c '<table' "$tmp/page")" = "$(grep -c '<caption' "$tmp/page")" ]

st=$(get prac /people/NOBODY1)
check "no such person: $st" [ "$st" = 404 ]
st=$(get other "/people/$crn")
check "another team's practitioner: $st" [ "$st" = 404 ]
st=$(get other "/eligibility?crn=$crn")
check "another team's practitioner cannot prefill: $st" [ "$st" = 404 ]
st=$(get admin "/people/$crn")
check "an administrator: $st" [ "$st" = 200 ]
st=$(get court "/people/$crn")
check "a court user gets 403 on a person: $st" [ "$st" = 403 ]
st=$(get court /people)
check "a court user gets 403 on find a person: $st" [ "$st" = 403 ]
st=$(get court "/eligibility?crn=$crn")
check "a court user cannot prefill from a record: $st" [ "$st" = 403 ]
st=$(get court /eligibility)
check "a court user may check eligibility: $st" [ "$st" = 200 ]
court_csrf=$(csrf_of_page)
check "a court user has no People link" hasnt 'href="/people"'
st=$(post court /eligibility "csrf=$court_csrf" age=30 sex=male)
check "a court user's results: $st" [ "$st" = 200 ]
check "a court user gets no Refer links" hasnt '/referrals/new'
st=$(post court /eligibility "csrf=$csrf" age=30)
check "another session's token is refused: $st" [ "$st" = 400 ]

# the record reads are the API's, so they are audited
atok=$(sign_in $port "$run-admin" pages-pass-admin)
curl -s -H "Authorization: Bearer $atok" "$base/api/v1/audit" >"$tmp/audit"
check "page reads of the person are audited" \
	[ "$(jq --arg o "person:$crn" --arg u "$run-prac" '[.audit[] | select(.action == "person_read" and .object == $o and .actor == $u)] | length' "$tmp/audit" 2>/dev/null || echo 0)" -ge 2 ]

echo "pages-check ($db): $pass passed, $fail failed"
[ "$fail" = 0 ]
