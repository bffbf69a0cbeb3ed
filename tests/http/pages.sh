#!/usr/bin/env bash
# The web pages' common ground against a real server: signing in and out
# with the session cookie, CSRF on every form, the security headers, error
# pages, the assets under /assets/, find a service and a commissioner's edit.
#   tests/http/pages.sh BINARY DB   (DB: a SQLite file or postgresql://...)
set -u
bin=${1:?usage: pages.sh BINARY DB}
db=${2:?usage: pages.sh BINARY DB}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
. "$here/lib.sh"
port=$(free_port)
trap 'stop_server $port; rm -rf "$tmp"' EXIT
url=http://127.0.0.1:$port

"$bin" migrate --db "$db" >/dev/null || exit 1
for u in "pages-pat practitioner --team Kent-North" "pages-comm commissioner" "pages-court court"; do
	set -- $u
	echo "pages-pass-$1" | "$bin" user add --db "$db" --username "$1" --role "$2" ${3:-} ${4:-} \
		--password-stdin >/dev/null 2>&1
done
start_server "$port" || exit 1

# GET URL JAR -> body in $tmp/body, headers in $tmp/head, status in $code
get() { code=$(curl -s -D "$tmp/head" -o "$tmp/body" -b "$2" -c "$2" -w '%{http_code}' "$url$1"); }
# POST URL JAR DATA...
post() {
	local path=$1 jar=$2
	shift 2
	code=$(curl -s -D "$tmp/head" -o "$tmp/body" -b "$jar" -c "$jar" -w '%{http_code}' "$@" "$url$path")
}
header() { grep -i "^$1:" "$tmp/head" | tr -d '\r' | sed 's/^[^:]*: //'; }
csrf_of() { grep -o 'name="csrf" value="[^"]*"' "$tmp/body" | head -1 | sed 's/.*value="//; s/"$//'; }
# sign_in_as USER JAR -> signed-in jar
sign_in_as() {
	get /sign-in "$2"
	local t
	t=$(csrf_of)
	post /sign-in "$2" --data-urlencode "csrf=$t" --data-urlencode "username=$1" \
		--data-urlencode "password=pages-pass-$1" --data-urlencode "next=/services"
}

jar=$tmp/anon
get /services "$jar"
check "a page needs signing in: 303 to sign-in, coming back after (got $code $(header Location))" \
	'[ "$code" = 303 ] && [ "$(header Location)" = "/sign-in?next=/services" ]'
get /api/v1/services "$jar"
check "the API still answers 401 JSON" '[ "$code" = 401 ] && jq -e .error.code "$tmp/body" >/dev/null'

get /sign-in "$jar"
check "sign-in page" '[ "$code" = 200 ] && grep -q "<h1 class=\"govuk-heading-l\">Sign in</h1>" "$tmp/body"'
check "pages are HTML" '[[ "$(header Content-Type)" == text/html* ]]'
check "Content-Security-Policy: no inline script" \
	'header Content-Security-Policy | grep -q "script-src '"'"'self'"'"';" && ! header Content-Security-Policy | grep -q unsafe'
check "X-Content-Type-Options" '[ "$(header X-Content-Type-Options)" = nosniff ]'
check "Referrer-Policy" '[ -n "$(header Referrer-Policy)" ]'
check "X-Frame-Options" '[ "$(header X-Frame-Options)" = DENY ]'
check "the pre-session CSRF cookie is HttpOnly and SameSite=Strict" \
	'header Set-Cookie | grep -q "^rc_csrf=.*; HttpOnly; SameSite=Strict"'
token=$(csrf_of)
check "the form carries a CSRF token" '[ ${#token} -ge 32 ]'

post /sign-in "$jar" --data-urlencode "username=pages-pat" --data-urlencode "password=pages-pass-pages-pat"
check "sign-in without the CSRF token is refused (got $code)" '[ "$code" = 400 ] && ! grep -q rc_session "$jar"'
post /sign-in "$jar" --data-urlencode "csrf=x$token" --data-urlencode "username=pages-pat" \
	--data-urlencode "password=pages-pass-pages-pat"
check "sign-in with a wrong CSRF token is refused (got $code)" '[ "$code" = 400 ]'
post /sign-in "$jar" --data-urlencode "csrf=$token" --data-urlencode "username=pages-pat" \
	--data-urlencode "password=wrong"
check "a wrong password: 401 with the error summary (got $code)" \
	'[ "$code" = 401 ] && grep -q "govuk-error-summary" "$tmp/body" && grep -q "<title>Error: Sign in" "$tmp/body"'
post /sign-in "$jar" --data-urlencode "csrf=$token" --data-urlencode "username=" --data-urlencode "password="
check "empty fields are named in the summary and by the fields" \
	'grep -q "href=\"#username\">Enter your username" "$tmp/body" && grep -q "id=\"password-error\"" "$tmp/body"'
post /sign-in "$jar" --data-urlencode "csrf=$token" --data-urlencode "username=pages-pat" \
	--data-urlencode "password=pages-pass-pages-pat" --data-urlencode "next=//evil.example/x"
check "signed in: 303, and an off-site next is not followed (got $code $(header Location))" \
	'[ "$code" = 303 ] && [ "$(header Location)" = /services ]'
check "the session cookie is HttpOnly, SameSite=Strict, not Secure over plain HTTP" \
	'header Set-Cookie | grep -q "^rc_session=[A-Za-z0-9_-]\{43\}; Path=/; HttpOnly; SameSite=Strict; Max-Age=[0-9]*$"'

get /services "$jar"
check "find a service, signed in" '[ "$code" = 200 ] && grep -q "Showing 1 to 20 of" "$tmp/body"'
check "the header names the user and offers sign-out" 'grep -q "pages-pat" "$tmp/body" && grep -q "action=\"/sign-out\"" "$tmp/body"'
check "the practitioner's navigation marks the current page" \
	'grep -q "href=\"/services\" aria-current=\"page\"" "$tmp/body" && grep -q "href=\"/referrals\"" "$tmp/body"'
get "/services?need=accommodation&region=North+West&sort=name" "$jar"
n=$(grep -c 'class="app-result"' "$tmp/body")
check "filters combine and each is a removable tag ($n results)" \
	'[ "$n" -ge 1 ] && grep -q "moj-filter__tag" "$tmp/body" && grep -q "Region: North West" "$tmp/body"'
want=$(curl -s -H "Authorization: Bearer $(sign_in "$port" pages-pat pages-pass-pages-pat)" \
	"$url/api/v1/services?need=accommodation&region=North+West" | jq .total)
check "the page finds what the API finds ($n, API $want)" '[ "$n" = "$want" ]'
get "/services?sex=female&age=19" "$jar"
check "sex and age filter through the engine" '[ "$code" = 200 ] && ! grep -q "BUILDING BETTER RELATIONSHIPS" "$tmp/body"'
get "/services?sex=male&q=building+better" "$jar"
check "a man can find Building Better Relationships" 'grep -q "BUILDING BETTER RELATIONSHIPS" "$tmp/body"'
get "/services?region=Atlantis" "$jar"
check "an unknown filter value is an error on the page, naming it (got $code)" \
	'[ "$code" = 400 ] && grep -q "href=\"#region\"" "$tmp/body"'
get "/services?q=%3Cscript%3Ealert(1)%3C/script%3E" "$jar"
check "what the user typed comes back escaped" \
	'grep -q "value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"" "$tmp/body" && ! grep -q "<script>alert" "$tmp/body"'
get /services/kss-crc/resolve "$jar"
check "a service page" '[ "$code" = 200 ] && grep -q "How to request it" "$tmp/body" && grep -q "Refer a person" "$tmp/body"'
get /services/kss-crc/no-such "$jar"
check "no such service: a 404 page" '[ "$code" = 404 ] && [[ "$(header Content-Type)" == text/html* ]]'
get /no/such/page "$jar"
check "no such page: a 404 page" '[ "$code" = 404 ] && grep -q "Page not found" "$tmp/body"'
get /services/kss-crc/resolve/edit "$jar"
check "a practitioner may not edit the catalogue: 403 page" '[ "$code" = 403 ] && grep -q "do not have access" "$tmp/body"'
curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$url/api/v1/session" >"$tmp/c"
check "the cookie does not work for the JSON API (Bearer only)" '[ "$(cat "$tmp/c")" = 401 ]'

# assets
code=$(curl -s -D "$tmp/head" -o "$tmp/css" -w '%{http_code}' "$url/assets/govuk-frontend.min.css")
check "GOV.UK Frontend's CSS is served (got $code)" '[ "$code" = 200 ] && [[ "$(header Content-Type)" == text/css* ]] && [ -s "$tmp/css" ]'
etag=$(header ETag)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/assets/govuk-frontend.min.css")
check "an unchanged asset answers 304 (got $code)" '[ -n "$etag" ] && [ "$code" = 304 ]'
for a in moj-frontend.min.css moj-frontend.min.js govuk-frontend.min.js app.js init.js app.css; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url/assets/$a")
	check "asset $a (got $code)" '[ "$code" = 200 ]'
done
font=$(grep -o '/assets/fonts/[^)"]*woff2' "$tmp/css" | head -1)
code=$(curl -s -D "$tmp/head" -o /dev/null -w '%{http_code}' "$url$font")
check "a font the CSS names is there ($font, $code)" '[ "$code" = 200 ] && [ "$(header Content-Type)" = font/woff2 ]'
code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$url/assets/../../etc/passwd")
check "no way out of the asset tree (got $code)" '[ "$code" = 404 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/assets/app.css")
check "assets are read-only (got $code)" '[ "$code" = 405 ]'

# a commissioner's edit through the form
cj=$tmp/comm
sign_in_as pages-comm "$cj"
get /services/essex-crc/resolve/edit "$cj"
check "the edit form" '[ "$code" = 200 ] && grep -q "Save a new version" "$tmp/body"'
t=$(csrf_of)
post /services/essex-crc/resolve/edit "$cj" --data-urlencode "csrf=$t" --data-urlencode "status=suspended" \
	--data-urlencode "regions=East of England" --data-urlencode "price_unit_0=session" \
	--data-urlencode "price_amount_0=12x" --data-urlencode "note=test"
check "a bad price is named (got $code)" '[ "$code" = 400 ] && grep -q "href=\"#price_amount_0\"" "$tmp/body"'
check "what was typed is kept" 'grep -q "value=\"12x\"" "$tmp/body"'
post /services/essex-crc/resolve/edit "$cj" --data-urlencode "csrf=$t" --data-urlencode "status=suspended" \
	--data-urlencode "regions=East of England" --data-urlencode "price_unit_0=session" \
	--data-urlencode "price_amount_0=125.50" --data-urlencode "price_from_0=2026-04-01" \
	--data-urlencode $'note=<b>pages test</b>\r\nover two lines'
check "saved, a text box's line break and all: 303 back to the service (got $code $(header Location))" \
	'[ "$code" = 303 ] && [[ "$(header Location)" == /services/essex-crc/resolve?changed=* ]]'
get "$(header Location)" "$cj"
check "the service shows the new version, suspended, priced" \
	'grep -q "It is now version" "$tmp/body" && grep -q "govuk-tag--red\">Suspended" "$tmp/body" && grep -q "£125.50" "$tmp/body"'
check "the history keeps the reason, escaped" 'grep -q "&lt;b&gt;pages test&lt;/b&gt;" "$tmp/body"'
api=$(curl -s -H "Authorization: Bearer $(sign_in "$port" pages-comm pages-pass-pages-comm)" "$url/api/v1/services/essex-crc/resolve")
check "the API serves the edit" '[ "$(echo "$api" | jq -r .status)" = suspended ] && [ "$(echo "$api" | jq .prices[0].pence)" = 12550 ]'
post /services/essex-crc/resolve/edit "$jar" --data-urlencode "csrf=$t" --data-urlencode "status=active" \
	--data-urlencode "note=x"
check "a practitioner cannot post the edit either (got $code)" '[ "$code" = 403 ]'

# court staff read the directory only
kj=$tmp/court
sign_in_as pages-court "$kj"
get /services "$kj"
check "court staff see the directory without referral navigation" \
	'[ "$code" = 200 ] && ! grep -q "href=\"/referrals\"" "$tmp/body"'

# over TLS (behind a proxy) the cookie is Secure
code=$(curl -s -D "$tmp/head" -o /dev/null -w '%{http_code}' -H "X-Forwarded-Proto: https" "$url/sign-in")
check "Secure cookies behind TLS" 'header Set-Cookie | grep -q "SameSite=Strict; Secure"'

# sign out
get /services "$jar"
t=$(csrf_of)
post /sign-out "$jar" --data-urlencode "csrf=$t"
check "sign out: 303 to sign-in and the cookie cleared (got $code)" \
	'[ "$code" = 303 ] && header Set-Cookie | grep -q "^rc_session=; .*Max-Age=0"'
get /services "$jar"
check "signed out: pages send you to sign in again" '[ "$code" = 303 ]'

echo "pages: $pass passed, $fail failed"
[ "$fail" = 0 ]
