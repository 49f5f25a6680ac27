#!/usr/bin/env bash
# slugc with the real Mono buildpack on the hello fixture: the runtime over
# HTTP from faultd on 127.0.0.1, a cold then a warm build, byte-identical
# slugs, run, smoke, and foreman running the slug.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
RT_GZ=$(basename "$TARBALL_GZ")
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
H=$TEST_TMP/hello

# The buildpacks come from beside the slugc under test (bin/../buildpacks,
# or build/san/buildpacks for the sanitizer build), as a user's would.
build_hello() {
	"$SLUGC" build -e MONO_URL="$FAULTD_URL/$RT_GZ" -e MONO_SHA256="$SHA256_GZ" \
		-o "$1" "$H"
}

test_expect_success 'setup: the runtime server and a copy of hello' '
	faultd_start "$SLUGC_RUNTIME_DIR" &&
	cp -R "$APPS/hello" "$H"
'

test_expect_success 'build hello, cold: the runtime is downloaded once' '
	before=$(faultd_requests) &&
	build_hello "$TEST_TMP/h1.tgz" >log 2>&1 &&
	cat log &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	test_grep "^-----> Mono app detected\$" log &&
	test_grep "^       Procfile declares types -> (none)\$" log &&
	test_grep "^       Default types for Mono -> web\$" log &&
	test_grep "^-----> Compiled slug size is [0-9.]* MB\$" log &&
	test_no_grep -v -e "^-----> " -e "^       " -e "^ !     " -e "^\$" log
'

test_expect_success 'the slug holds the app, the runtime and a complete Procfile' '
	tar tzf "$TEST_TMP/h1.tgz" >list &&
	test_grep "^./app/Hello/bin/Release/Hello.exe\$" list &&
	test_grep "^./app/vendor/mono/bin/mono\$" list &&
	test_grep "^./app/.profile.d/" list &&
	tar xzOf "$TEST_TMP/h1.tgz" ./app/Procfile >procfile &&
	echo "web: mono Hello/bin/Release/Hello.exe" >expect &&
	test_cmp expect procfile
'

test_expect_success 'build hello, warm: no download, the same slug byte for byte' '
	before=$(faultd_requests) &&
	build_hello "$TEST_TMP/h2.tgz" >log 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 0 &&
	cmp "$TEST_TMP/h1.tgz" "$TEST_TMP/h2.tgz"
'

test_expect_success 'run hello: web answers on $PORT from the unpacked slug' '
	port=$(free_port) &&
	{ "$SLUGC" run -p $port "$TEST_TMP/h1.tgz" >run.out 2>&1 & } &&
	RUN=$! && test_at_exit "kill $RUN" &&
	wait_for_http "http://127.0.0.1:$port/" 60 &&
	curl -fsS "http://127.0.0.1:$port/" >body &&
	echo "Hello from Mono on slugc" >expect &&
	test_cmp expect body &&
	kill -TERM $RUN && { wait $RUN; :; } &&
	test_must_fail curl -fsS "http://127.0.0.1:$port/" 2>/dev/null
'

test_expect_success 'smoke hello: warm, passes with its phase timings' '
	"$SLUGC" smoke -e MONO_URL="$FAULTD_URL/$RT_GZ" -e MONO_SHA256="$SHA256_GZ" \
		--expect-body "Hello from Mono on slugc" "$H" >out 2>&1 &&
	cat out &&
	test_grep "^-----> Smoke test passed: GET / -> 200 (25 bytes, Host hello.localhost)\$" out &&
	test_grep "^       take .* total [0-9.]* s\$" out
'

test_expect_success 'smoke hello --no-cache: cold, downloads again, passes' '
	before=$(faultd_requests) &&
	"$SLUGC" smoke --no-cache -e MONO_URL="$FAULTD_URL/$RT_GZ" -e MONO_SHA256="$SHA256_GZ" \
		--expect-body "Hello from Mono" "$H" >out 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	test_grep "^-----> Smoke test passed" out
'

test_expect_success 'foreman: check, and start web with .profile.d sourced' '
	mkdir -p "$TEST_TMP/fm" && tar xzf "$TEST_TMP/h1.tgz" -C "$TEST_TMP/fm" &&
	(cd "$TEST_TMP/fm/app" && foreman check) >out &&
	test_grep "valid procfile detected (web)" out &&
	port=$(free_port) &&
	{ (cd "$TEST_TMP/fm/app" && HOME=$PWD &&
	   for f in .profile.d/*.sh; do . "$f"; done &&
	   command -v mono >which && exec foreman start web -p $port) >fm.out 2>&1 & } &&
	FM=$! && test_at_exit "kill $FM" &&
	wait_for_http "http://127.0.0.1:$port/" 60 &&
	curl -fsS "http://127.0.0.1:$port/" >body &&
	echo "Hello from Mono on slugc" >expect && test_cmp expect body &&
	test_grep "^$TEST_TMP/fm/app/vendor/mono/bin/mono\$" "$TEST_TMP/fm/app/which" &&
	kill $FM && { wait $FM; :; } &&
	test_must_fail curl -fsS "http://127.0.0.1:$port/" 2>/dev/null
'

test_expect_success 'out of the box: with no MONO_URL, the runtime make runtime packed' '
	test -f "$SLUGC_BPDIR/buildpack.local.yml" &&
	"$SLUGC" smoke --no-cache --expect-body "Hello from Mono" "$H" >log 2>&1 &&
	cat log &&
	test_grep "^       This machine.s runtime (buildpack.local.yml, from make runtime)\$" log &&
	test_grep "^       Downloading file://.*/mono-$MONO_VERSION.tar.zst\$" log
'

test_expect_success 'no runtime reachable: the line says how to get one' '
	bp=$TEST_TMP/bp-unreachable && mkdir -p "$bp" &&
	cp -a "$SLUGC_BPDIR/bin" "$bp/" &&
	printf "default_version: \"9.9\"\nversions:\n  \"9.9\":\n    url: \"http://127.0.0.1:1/mono.tar.zst\"\n    sha256: \"%s\"\n" "$SHA256_ZST" >"$bp/buildpack.yml" &&
	test_expect_code 3 "$SLUGC" build --no-cache -b "$bp" -o "$TEST_TMP/u.tgz" "$H" >log 2>&1 &&
	cat log &&
	test_grep "^ !     .*127.0.0.1:1.*make runtime.*MONO_URL and MONO_SHA256" log
'

test_done
