#!/usr/bin/env bash
# faultd.sh - the test servers themselves: every fault faultd offers, checked
# with the curl CLI, and the s3rver wrapper (signed PUT/GET, private buckets,
# SigV4 checks).  The other network tests rely on exactly this behaviour.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"
test_at_exit 'faultd_stop; s3rver_stop'
cd "$TEST_TMP" || exit 1

root=$TEST_TMP/root
mkdir -p "$root/sub dir"
head -c 200000 /dev/urandom >"$root/blob"
printf 'hello from faultd\n' >"$root/sub dir/a+b file.txt"
: >"$root/empty"

# hdr NAME FILE: the value of header NAME in a curl -D dump (last answer).
hdr() {
	tr -d '\r' <"$2" | awk -v n="$(echo "$1" | tr A-Z a-z)" '
		/^HTTP\// { v = "" }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n)
			{ v = substr($0, i + 1); sub(/^ */, "", v) } }
		END { print v }'
}
# code FILE: the status of the last answer in a curl -D dump.
code() { tr -d '\r' <"$1" | awk '/^HTTP\// { c = $2 } END { print c }'; }
# codes URL...: the status of each, one per line, one request each.
codes() {
	local u
	for u in "$@"; do
		curl -sS -o /dev/null -w "%{http_code}\n" "$u" || return 1
	done
}

test_expect_success 'faultd starts on an ephemeral port and writes its port file' '
	faultd_start "$root" &&
	test "$FAULTD_PORT" -gt 0 &&
	kill -0 "$FAULTD_PID" &&
	test "$FAULTD_URL" = "http://127.0.0.1:$FAULTD_PORT"
'

test_expect_success 'GET serves the file with length, ETag, Last-Modified, Accept-Ranges' '
	curl -sS -D h -o out "$FAULTD_URL/blob" &&
	cmp "$root/blob" out &&
	test "$(code h)" = 200 &&
	test "$(hdr Content-Length h)" = 200000 &&
	test "$(hdr Accept-Ranges h)" = bytes &&
	hdr ETag h | grep -q "^\"[0-9a-f-]*\"$" &&
	test -n "$(hdr Last-Modified h)"
'

test_expect_success 'ETag follows size and mtime' '
	curl -sS -D h1 -o /dev/null "$FAULTD_URL/blob" &&
	curl -sS -D h2 -o /dev/null "$FAULTD_URL/blob" &&
	test "$(hdr ETag h1)" = "$(hdr ETag h2)" &&
	touch -d "2001-01-01 00:00:00" "$root/blob" &&
	curl -sS -D h3 -o /dev/null "$FAULTD_URL/blob" &&
	test "$(hdr ETag h1)" != "$(hdr ETag h3)" &&
	test "$(hdr Last-Modified h3)" = "Mon, 01 Jan 2001 00:00:00 GMT"
'

test_expect_success 'HEAD sends the headers and no body' '
	curl -sS -I -o /dev/null -D h "$FAULTD_URL/blob" &&
	test "$(code h)" = 200 &&
	test "$(hdr Content-Length h)" = 200000 &&
	exec 3<>"/dev/tcp/127.0.0.1/$FAULTD_PORT" &&
	printf "HEAD /blob HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 &&
	cat <&3 >raw && exec 3<&- &&
	test "$(tail -c 4 raw | od -An -c | tr -d " ")" = "\r\n\r\n" &&
	test "$(wc -c <raw)" -lt 400
'

test_expect_success 'paths are percent-decoded; an empty file is served' '
	curl -sS -f -o out "$FAULTD_URL/sub%20dir/a%2Bb%20file.txt" &&
	echo "hello from faultd" >expect && test_cmp expect out &&
	curl -sS -f -D h -o out "$FAULTD_URL/empty" &&
	test "$(hdr Content-Length h)" = 0 && test ! -s out
'

test_expect_success '.. is refused, encoded or not; missing files are 404' '
	curl -sS --path-as-is -o /dev/null -w "%{http_code}" \
		"$FAULTD_URL/sub%20dir/../blob" >c && test "$(cat c)" = 403 &&
	curl -sS --path-as-is -o /dev/null -w "%{http_code}" \
		"$FAULTD_URL/%2e%2e/etc/passwd" >c && test "$(cat c)" = 403 &&
	curl -sS -o /dev/null -w "%{http_code}" "$FAULTD_URL/nope" >c &&
	test "$(cat c)" = 404 &&
	curl -sS -o /dev/null -w "%{http_code}" "$FAULTD_URL/sub%20dir" >c &&
	test "$(cat c)" = 404 &&
	curl -sS -o /dev/null -w "%{http_code}" "$FAULTD_URL/bad%zz" >c &&
	test "$(cat c)" = 400
'

test_expect_success 'methods other than GET and HEAD get 405' '
	curl -sS -X POST -d x -D h -o /dev/null "$FAULTD_URL/blob" &&
	test "$(code h)" = 405 && test "$(hdr Allow h)" = "GET, HEAD"
'

test_expect_success 'Range gives 206 with Content-Range and the right bytes' '
	curl -sS -r 100-199 -D h -o out "$FAULTD_URL/blob" &&
	test "$(code h)" = 206 &&
	test "$(hdr Content-Range h)" = "bytes 100-199/200000" &&
	test "$(hdr Content-Length h)" = 100 &&
	tail -c +101 "$root/blob" | head -c 100 >expect && cmp expect out &&
	curl -sS -r 199990- -D h -o out "$FAULTD_URL/blob" &&
	test "$(hdr Content-Range h)" = "bytes 199990-199999/200000" &&
	tail -c 10 "$root/blob" >expect && cmp expect out &&
	curl -sS -r -50 -D h -o out "$FAULTD_URL/blob" &&
	test "$(hdr Content-Range h)" = "bytes 199950-199999/200000" &&
	tail -c 50 "$root/blob" >expect && cmp expect out &&
	curl -sS -r 199000-999999 -D h -o out "$FAULTD_URL/blob" &&
	test "$(hdr Content-Range h)" = "bytes 199000-199999/200000"
'

test_expect_success 'an unsatisfiable range gets 416 with bytes */size' '
	curl -sS -r 200000- -D h -o /dev/null "$FAULTD_URL/blob" &&
	test "$(code h)" = 416 &&
	test "$(hdr Content-Range h)" = "bytes */200000" &&
	curl -sS -r 0- -D h -o /dev/null "$FAULTD_URL/empty" &&
	test "$(code h)" = 416
'

test_expect_success 'several ranges are ignored: 200 with the whole file' '
	curl -sS -r 0-9,20-29 -D h -o out "$FAULTD_URL/blob" &&
	test "$(code h)" = 200 && cmp "$root/blob" out
'

test_expect_success 'If-Range: 206 while the ETag matches, 200 once it does not' '
	curl -sS -D h -o /dev/null "$FAULTD_URL/blob" &&
	etag=$(hdr ETag h) &&
	curl -sS -r 10-19 -H "If-Range: $etag" -D h -o out "$FAULTD_URL/blob" &&
	test "$(code h)" = 206 &&
	curl -sS -r 10-19 -H "If-Range: \"other\"" -D h -o out \
		"$FAULTD_URL/blob" &&
	test "$(code h)" = 200 && cmp "$root/blob" out
'

test_expect_success 'If-None-Match with the current ETag gets 304' '
	curl -sS -D h -o /dev/null "$FAULTD_URL/blob" &&
	rm -f out &&
	curl -sS -H "If-None-Match: $(hdr ETag h)" -D h2 -o out \
		"$FAULTD_URL/blob" &&
	test "$(code h2)" = 304 && test ! -s out &&
	curl -sS -H "If-None-Match: \"other\"" -D h2 -o out "$FAULTD_URL/blob" &&
	test "$(code h2)" = 200
'

test_expect_success 'status=N answers N; retry-after=S adds Retry-After' '
	curl -sS -D h -o out "$(faultd_url status=503,retry-after=7 /blob)" &&
	test "$(code h)" = 503 && test "$(hdr Retry-After h)" = 7 &&
	grep -q "status 503" out &&
	curl -sS -D h -o /dev/null "$(faultd_url status=429,retry-after=1 /blob)" &&
	test "$(code h)" = 429 && test "$(hdr Retry-After h)" = 1 &&
	curl -sS -D h -o /dev/null "$(faultd_url status=404 /blob)" &&
	test "$(code h)" = 404 && test -z "$(hdr Retry-After h)"
'

test_expect_success 'fail-first=K: K faulty answers for that exact path, then the file' '
	u=$(faultd_url status=500,fail-first=2 /blob) &&
	codes "$u" "$u" "$u" >codes &&
	printf "500\n500\n200\n" >expect && test_cmp expect codes &&
	curl -sS -o out "$u" && cmp "$root/blob" out &&
	u2=$(faultd_url status=500,fail-first=1 /sub%20dir/a%2Bb%20file.txt) &&
	codes "$u2" "$u2" >codes &&
	printf "500\n200\n" >expect && test_cmp expect codes
'

test_expect_success 'fail-first counts per target: a query string starts afresh' '
	u=$(faultd_url status=500,fail-first=1 /blob) &&
	codes "$u?a" "$u?a" "$u?b" >codes &&
	printf "500\n200\n500\n" >expect && test_cmp expect codes
'

test_expect_success 'drop-after=N: full Content-Length, N bytes, then the connection closes' '
	test_expect_code 18 curl -sS -D h -o out \
		"$(faultd_url drop-after=1000 /blob)" &&
	test "$(hdr Content-Length h)" = 200000 &&
	test "$(wc -c <out)" -eq 1000 &&
	head -c 1000 "$root/blob" | cmp - out
'

test_expect_success 'drop-after also cuts a ranged answer' '
	test_expect_code 18 curl -sS -r 5000- -D h -o out \
		"$(faultd_url drop-after=300 /blob)" &&
	test "$(code h)" = 206 &&
	test "$(hdr Content-Range h)" = "bytes 5000-199999/200000" &&
	test "$(wc -c <out)" -eq 300 &&
	tail -c +5001 "$root/blob" | head -c 300 | cmp - out
'

test_expect_success 'drop-after with fail-first: a short body, then the whole file' '
	u=$(faultd_url drop-after=10,fail-first=1 /blob) &&
	test_expect_code 18 curl -sS -o out "$u" &&
	test "$(wc -c <out)" -eq 10 &&
	curl -sS -o out "$u" && cmp "$root/blob" out
'

test_expect_success 'reset-after=N: N bytes, then a connection reset' '
	test_expect_code 56 curl -sS -o out "$(faultd_url reset-after=100 /blob)" &&
	test "$(wc -c <out)" -eq 100
'

test_expect_success 'stall-after=N: N bytes then silence, until the client gives up' '
	start=$(date +%s) &&
	test_expect_code 28 curl -sS -y 1 -Y 1000 -o out \
		"$(faultd_url stall-after=500 /blob)" &&
	test "$(wc -c <out)" -eq 500 &&
	test $(($(date +%s) - start)) -le 5 &&
	rm -f out &&
	test_expect_code 28 curl -sS --max-time 1 -o out \
		"$(faultd_url stall-after=0 /blob)" &&
	test ! -s out
'

test_expect_success 'no-range: Range is ignored, 200 with the whole file' '
	curl -sS -r 100-199 -D h -o out "$(faultd_url no-range /blob)" &&
	test "$(code h)" = 200 && test "$(hdr Accept-Ranges h)" = none &&
	test -z "$(hdr Content-Range h)" && cmp "$root/blob" out
'

test_expect_success 'bad-range: 206 whose Content-Range is not the range asked for' '
	curl -sS -r 100- -D h -o out "$(faultd_url bad-range /blob)" &&
	test "$(code h)" = 206 &&
	cr=$(hdr Content-Range h) && test -n "$cr" &&
	test "$cr" != "bytes 100-199999/200000" &&
	curl -sS -r 0- -D h -o out "$(faultd_url bad-range /blob)" &&
	test "$(code h)" = 206 &&
	test "$(hdr Content-Range h)" != "bytes 0-199999/200000"
'

test_expect_success 'etag=VALUE replaces the ETag (quoted unless given quoted)' '
	curl -sS -D h -o out "$(faultd_url etag=v1 /blob)" &&
	test "$(hdr ETag h)" = "\"v1\"" && cmp "$root/blob" out &&
	curl -sS -D h -o /dev/null "$(faultd_url etag=W%2F%22w%22 /blob)" &&
	test "$(hdr ETag h)" = "W/\"w\"" &&
	curl -sS -r 0-9 -H "If-Range: \"v1\"" -D h -o /dev/null \
		"$(faultd_url etag=v1 /blob)" &&
	test "$(code h)" = 206
'

test_expect_success 'endless: 200, no Content-Length, cut only by the client' '
	test_expect_code 28 curl -sS --max-time 1 -D h -o out \
		"$(faultd_url endless /blob)" &&
	test "$(code h)" = 200 && test -z "$(hdr Content-Length h)" &&
	test "$(wc -c <out)" -gt 1000000
'

test_expect_success 'endless with rate: a slow body that never ends' '
	test_expect_code 28 curl -sS --max-time 1 -o out \
		"$(faultd_url endless,rate=1000 /nothing-needed)" &&
	n=$(wc -c <out) && test "$n" -gt 0 && test "$n" -le 2000
'

test_expect_success 'endless: curl --max-filesize stops it (curl >= 8.4)' '
	v=$(curl --version | sed -n "1s/^curl \([0-9]*\)\.\([0-9]*\).*/\1 \2/p") &&
	set -- $v &&
	if [ "$1" -gt 8 ] || { [ "$1" -eq 8 ] && [ "$2" -ge 4 ]; }; then
		test_expect_code 63 curl -sS --max-filesize 100000 --max-time 10 \
			-o out "$(faultd_url endless /blob)"
	else
		echo "curl $1.$2 checks --max-filesize against Content-Length only"
	fi
'

test_expect_success 'redirect=URL: 302 to the decoded URL, followed with -L' '
	target="$FAULTD_URL/sub%20dir/a%2Bb%20file.txt" &&
	enc=$(printf %s "$target" | sed "s/%/%25/g; s/:/%3A/g; s/\//%2F/g") &&
	curl -sS -D h -o /dev/null "$(faultd_url "redirect=$enc" /blob)" &&
	test "$(code h)" = 302 && test "$(hdr Location h)" = "$target" &&
	curl -sS -L -o out "$(faultd_url "redirect=$enc" /blob)" &&
	echo "hello from faultd" >expect && test_cmp expect out &&
	curl -sS -D h -o /dev/null \
		"$(faultd_url "status=301,redirect=$enc" /blob)" &&
	test "$(code h)" = 301
'

test_expect_success 'rate=BYTES throttles the body' '
	start=$(date +%s%N) &&
	curl -sS -o out "$(faultd_url rate=100000 /blob)" &&
	ms=$((($(date +%s%N) - start) / 1000000)) &&
	cmp "$root/blob" out &&
	echo "took $ms ms" &&
	test "$ms" -ge 1700 && test "$ms" -le 6000
'

test_expect_success 'delay-ms=N waits; a client leaving early is logged as 499' '
	start=$(date +%s%N) &&
	curl -sS -o out "$(faultd_url delay-ms=600 /blob)" &&
	ms=$((($(date +%s%N) - start) / 1000000)) &&
	cmp "$root/blob" out && test "$ms" -ge 600 &&
	test_expect_code 28 curl -sS --max-time 0.3 -o /dev/null \
		"$(faultd_url delay-ms=5000 /blob)" &&
	for i in $(seq 20); do
		tail -n 1 "$FAULTD_LOG" | grep -q "^GET /_fault/delay-ms=5000/blob - 499$" &&
		break
		sleep 0.1
	done &&
	tail -n 1 "$FAULTD_LOG" | grep -q " 499$"
'

test_expect_success 'an unknown or malformed fault is a 400 naming it' '
	curl -sS -D h -o out "$(faultd_url bogus=1 /blob)" &&
	test "$(code h)" = 400 && grep -q "unknown fault bogus" out &&
	curl -sS -D h -o out "$(faultd_url status=abc /blob)" &&
	test "$(code h)" = 400 && grep -q "status wants a number" out &&
	curl -sS -D h -o out "$FAULTD_URL/_fault/status=500" &&
	test "$(code h)" = 400
'

test_expect_success 'keep-alive: curl reuses one connection for several requests' '
	curl -sS -v -o /dev/null -o /dev/null -o /dev/null \
		"$FAULTD_URL/blob" "$FAULTD_URL/empty" "$FAULTD_URL/blob" 2>err &&
	test "$(grep -c "Re-using existing connection" err)" -eq 2
'

test_expect_success '/_stats and the log count every request but /_stats' '
	before=$(faultd_requests) &&
	curl -sS "$FAULTD_URL/_stats" >stats &&
	echo "requests $before" >expect && test_cmp expect stats &&
	curl -sS -o /dev/null -r 0-9 "$FAULTD_URL/blob" &&
	curl -sS -o /dev/null "$FAULTD_URL/nope" &&
	curl -sS -o /dev/null "$(faultd_url status=503 /blob)" &&
	test "$(faultd_requests)" -eq $((before + 3)) &&
	curl -sS "$FAULTD_URL/_stats" >stats &&
	echo "requests $((before + 3))" >expect && test_cmp expect stats &&
	tail -n 3 "$FAULTD_LOG" >log &&
	printf "%s\n" "GET /blob bytes=0-9 206" "GET /nope - 404" \
		"GET /_fault/status=503/blob - 503" >expect &&
	test_cmp expect log
'

test_expect_success 'the log line is there as soon as the client has the headers' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		before=$(faultd_requests) &&
		curl -sS -o /dev/null "$FAULTD_URL/empty" &&
		test "$(faultd_requests)" -eq $((before + 1)) || return 1
	done
'

test_expect_success '20 clients at once: every one gets the file, fail-first counts exactly' '
	before=$(faultd_requests) &&
	u=$(faultd_url status=503,fail-first=5 /blob) &&
	pids= &&
	for i in $(seq 20); do
		curl -sS -o "par.$i" -w "%{http_code}\n" "$u" >"code.$i" &
		pids="$pids $!"
	done &&
	wait $pids &&
	test "$(cat code.* | grep -c 503)" -eq 5 &&
	test "$(cat code.* | grep -c 200)" -eq 15 &&
	for i in $(seq 20); do
		grep -q 503 "code.$i" || cmp "$root/blob" "par.$i" || return 1
	done &&
	test "$(faultd_requests)" -eq $((before + 20))
'

test_expect_success 'SIGTERM with transfers in flight: exits 0 at once' '
	curl -sS -m 20 -o /dev/null "$(faultd_url stall-after=10 /blob)" & c1=$!
	curl -sS -m 20 -o /dev/null "$(faultd_url delay-ms=60000 /blob)" & c2=$!
	curl -sS -m 20 -o /dev/null "$(faultd_url endless,rate=1000 /x)" & c3=$!
	sleep 0.5 &&
	start=$(date +%s) &&
	faultd_stop &&
	test $(($(date +%s) - start)) -le 2 &&
	{ wait $c1 $c2 $c3; :; }
'

test_expect_success 'faultd -p PORT listens on that port' '
	port=$(free_port) &&
	faultd_start "$root" -p "$port" &&
	test "$FAULTD_PORT" = "$port" &&
	curl -sS -f -o out "http://127.0.0.1:$port/blob" &&
	cmp "$root/blob" out &&
	faultd_stop
'

test_expect_success 'faultd refuses a bad ROOT and bad options' '
	test_expect_code 1 "$SLUGC_O/servers/faultd" -d "$TEST_TMP/none" &&
	test_expect_code 2 "$SLUGC_O/servers/faultd" &&
	test_expect_code 2 "$SLUGC_O/servers/faultd" -d "$root" -p 70000
'

# s3rver: one instance with a private bucket and a public one.
s3=$TEST_TMP/s3
head -c 300000 /dev/urandom >"$TEST_TMP/obj"

test_expect_success 's3rver starts (installed with npm under build/node)' '
	s3rver_start "$s3" --public pub &&
	test "$S3RVER_PORT" -gt 0 &&
	test -n "$S3RVER_ACCESS_KEY_ID" && test -n "$S3RVER_SECRET_ACCESS_KEY"
'

test_expect_success 's3rver: signed PUT, then signed GET gives the same bytes' '
	s3rver_put priv runtimes/mono-6.8.tar.gz "$TEST_TMP/obj" &&
	s3rver_get priv runtimes/mono-6.8.tar.gz out &&
	cmp "$TEST_TMP/obj" out &&
	s3rver_put priv "odd name/a+b é.tgz" "$TEST_TMP/obj" &&
	s3rver_get priv "odd name/a+b é.tgz" out && cmp "$TEST_TMP/obj" out
'

test_expect_success 's3rver: signed Range GET gives 206 and the bytes' '
	s3rver_curl -r 1000-1999 -D h -o out \
		"$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 206 &&
	tail -c +1001 "$TEST_TMP/obj" | head -c 1000 | cmp - out &&
	test -n "$(hdr ETag h)"
'

test_expect_success 's3rver: anonymous GET on a private object is refused' '
	curl -sS -D h -o out "$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 403 &&
	grep -q "<Code>AccessDenied</Code>" out &&
	grep -q "<RequestId>" out
'

test_expect_success 's3rver: a public bucket serves anonymous GETs, refuses anonymous PUTs' '
	s3rver_put pub open.tgz "$TEST_TMP/obj" &&
	curl -sS -f -o out "$S3RVER_URL/pub/open.tgz" &&
	cmp "$TEST_TMP/obj" out &&
	curl -sS -D h -o out -T "$TEST_TMP/obj" "$S3RVER_URL/pub/x.tgz" &&
	test "$(code h)" = 403
'

test_expect_success 's3rver: a wrong secret gets SignatureDoesNotMatch' '
	S3RVER_SECRET_ACCESS_KEY=wrong s3rver_curl -D h -o out \
		"$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 403 &&
	grep -q "<Code>SignatureDoesNotMatch</Code>" out
'

test_expect_success 's3rver: an unknown access key gets InvalidAccessKeyId' '
	S3RVER_ACCESS_KEY_ID=AKIANOTKNOWN s3rver_curl -D h -o out \
		"$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 403 &&
	grep -q "<Code>InvalidAccessKeyId</Code>" out
'

test_expect_success 's3rver: a signed request without x-amz-content-sha256 is refused' '
	curl -sS --aws-sigv4 "aws:amz:$S3RVER_REGION:s3" \
		--user "$S3RVER_ACCESS_KEY_ID:$S3RVER_SECRET_ACCESS_KEY" \
		-D h -o out "$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 400 &&
	grep -q "x-amz-content-sha256" out
'

# sign_get PATH: prints curl -H arguments (one per line) for a GET of PATH
# signed by an independent SigV4 implementation (openssl), signing host,
# x-amz-content-sha256 and x-amz-date only.
hmac() { printf %s "$2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" | sed "s/^.* //"; }
sign_get() {
	local e amz d k canon sts
	e=$(sha256sum </dev/null | cut -d" " -f1)
	amz=$(date -u +%Y%m%dT%H%M%SZ) d=${amz:0:8}
	canon="GET
$1

host:127.0.0.1:$S3RVER_PORT
x-amz-content-sha256:$e
x-amz-date:$amz

host;x-amz-content-sha256;x-amz-date
$e"
	sts="AWS4-HMAC-SHA256
$amz
$d/$S3RVER_REGION/s3/aws4_request
$(printf %s "$canon" | sha256sum | cut -d" " -f1)"
	k=$(printf %s "AWS4$S3RVER_SECRET_ACCESS_KEY" | od -An -tx1 | tr -d " \n")
	k=$(hmac "$k" "$d") && k=$(hmac "$k" "$S3RVER_REGION") &&
	k=$(hmac "$k" s3) && k=$(hmac "$k" aws4_request) || return 1
	echo "Authorization: AWS4-HMAC-SHA256 Credential=$S3RVER_ACCESS_KEY_ID/$d/$S3RVER_REGION/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$(hmac "$k" "$sts")"
	echo "x-amz-content-sha256: $e"
	echo "x-amz-date: $amz"
}

test_expect_success 's3rver: an independent SigV4 signature is accepted' '
	sign_get /priv/runtimes/mono-6.8.tar.gz >sig &&
	mapfile -t H <sig &&
	curl -sS -H "${H[0]}" -H "${H[1]}" -H "${H[2]}" -D h -o out \
		"$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 200 && cmp "$TEST_TMP/obj" out
'

test_expect_success 's3rver: an x-amz-* header left out of the signature is refused' '
	sign_get /priv/runtimes/mono-6.8.tar.gz >sig &&
	mapfile -t H <sig &&
	curl -sS -H "${H[0]}" -H "${H[1]}" -H "${H[2]}" -H "x-amz-meta-x: 1" \
		-D h -o out "$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 403 &&
	grep -q "<HeadersNotSigned>x-amz-meta-x</HeadersNotSigned>" out
'

test_expect_success 's3rver: a signature for another path is refused' '
	sign_get /priv/other >sig &&
	mapfile -t H <sig &&
	curl -sS -H "${H[0]}" -H "${H[1]}" -H "${H[2]}" -D h -o out \
		"$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 403 &&
	grep -q "<Code>SignatureDoesNotMatch</Code>" out
'

test_expect_success 's3rver: a credential for another service is refused' '
	s3rver_curl --aws-sigv4 "aws:amz:$S3RVER_REGION:ec2" -D h -o out \
		"$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 400 &&
	grep -q "<Code>AuthorizationHeaderMalformed</Code>" out
'

test_expect_success 's3rver: a missing key is a 404 NoSuchKey with a RequestId' '
	s3rver_curl -D h -o out "$S3RVER_URL/priv/nope.tgz" &&
	test "$(code h)" = 404 &&
	grep -q "<Code>NoSuchKey</Code>" out &&
	grep -q "<RequestId>" out && test -n "$(hdr x-amz-request-id h)"
'

test_expect_success 's3rver --region: a credential scoped to another region is refused' '
	s3rver_stop && test -z "${S3RVER_PID:-}" &&
	s3rver_start "$s3" --region eu-west-1 &&
	s3rver_curl -D h -o out "$S3RVER_URL/priv/runtimes/mono-6.8.tar.gz" &&
	test "$(code h)" = 400 &&
	grep -q "<Code>AuthorizationHeaderMalformed</Code>" out &&
	grep -q "<Region>eu-west-1</Region>" out &&
	S3RVER_REGION=eu-west-1 s3rver_get priv runtimes/mono-6.8.tar.gz out &&
	cmp "$TEST_TMP/obj" out &&
	s3rver_stop
'

test_done
