#!/usr/bin/env bash
# NuGet restore end to end: the nugetapp fixture (packages.config naming
# Newtonsoft.Json 6.0.8, no packages/ committed) compiled by the Mono
# buildpack against a real v3 feed that faultd serves on 127.0.0.1 (Debian's
# .nupkg in a static flat container), then built and booted by slugc smoke.
# Faults: 404, 5xx then success, a corrupt package, an id/version mismatch,
# bad packages.config, the feed gone (the cache, or committed packages/,
# must do), and credentials that must never reach the log.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"
. "$REPO/tests/servers/nuget_feed.sh"
buildpack_copy || exit 1
test_at_exit 'faultd_stop'

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
NUPKG=/usr/share/nupkg/Newtonsoft.Json.6.0.8.nupkg
FEED=$TEST_TMP/feed
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH

# new_app [FIXTURE]: a fresh BUILD_DIR ($B), ENV_DIR ($ENVD) and CACHE_DIR
# ($C), the runtime from its file:// URL (so that faultd serves NuGet only).
new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX") &&
	cp -a "$APPS/${1:-nugetapp}/." "$B/" &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX") &&
	C=$(mktemp -d "$TEST_TMP/cache.XXXXXX") &&
	setvar MONO_URL "file://$TARBALL_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ"
}
setvar() { printf '%s' "$2" >"$ENVD/$1"; }

# lsan_off CMD...: LeakSanitizer cannot run under ptrace (strace).
lsan_off() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$@"; }

# packages LINES...: replaces the app's packages.config.
packages() {
	{
		echo '<?xml version="1.0" encoding="utf-8"?>'
		echo '<packages>'
		printf '%s\n' "$@"
		echo '</packages>'
	} >"$B/NugetApp/packages.config"
}

# nothing_partial: no staging directory in packages/, no temporary file in
# the cache.
nothing_partial() {
	if find "$B" "$C" -name ".restore-*" -o -name ".*.nupkg.*" \
	    -o -path "*/nuget/*/.*" | grep .; then
		echo "nothing_partial: leftovers" >&2
		return 1
	fi
}

test_expect_success 'setup: the feed, from a real .nupkg, served by faultd' '
	test -f "$NUPKG" &&
	nuget_feed_add "$FEED" "$NUPKG" Newtonsoft.Json 6.0.8 &&
	nuget_feed_add "$FEED" "$NUPKG" Fake.Pkg 1.0.0 &&
	mkdir -p "$FEED/flat/corrupt.pkg/1.0.0" &&
	head -c 3000 "$NUPKG" >"$FEED/flat/corrupt.pkg/1.0.0/corrupt.pkg.1.0.0.nupkg" &&
	faultd_start "$FEED" &&
	nuget_feed_index "$FEED" "$FAULTD_URL/flat/" &&
	nuget_feed_index "$FEED" "$FAULTD_URL/_fault/status=503,fail-first=1/flat/" \
		flaky.json &&
	curl -fsS "$FAULTD_URL/index.json" | python3 -c "import json, sys; json.load(sys.stdin)"
'

test_expect_success 'compile, cold: the package restored from the feed, then built' '
	new_app &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	before=$(faultd_requests) &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	cat log &&
	test $(( $(faultd_requests) - before )) -eq 2 &&
	awk "/^-----> /{ p = /Restoring/ } p" log >restore.log &&
	cat >expect <<-EOF &&
	-----> Restoring NuGet packages
	       Newtonsoft.Json 6.0.8: downloading $FAULTD_URL/flat/newtonsoft.json/6.0.8/newtonsoft.json.6.0.8.nupkg
	       Packages: 1 downloaded, 0 from the cache, 0 in the app
	EOF
	test_cmp expect restore.log &&
	grep -A1 "^       Packages: " log | tail -n 1 >next &&
	echo "-----> Building NugetApp.sln with xbuild (Release)" >expect &&
	test_cmp expect next &&
	test_no_grep "not resolved" log &&
	test -f "$B/packages/Newtonsoft.Json.6.0.8/lib/net45/Newtonsoft.Json.dll" &&
	cmp "$NUPKG" "$B/packages/Newtonsoft.Json.6.0.8/Newtonsoft.Json.6.0.8.nupkg" &&
	test -f "$B/NugetApp/bin/Release/Newtonsoft.Json.dll" &&
	test -f "$B/NugetApp/bin/Release/NugetApp.exe" &&
	cmp "$NUPKG" "$C/nuget/newtonsoft.json/6.0.8.nupkg" &&
	nothing_partial
'

test_expect_success 'the built app answers with Json.NET' '
	port=$(free_port) &&
	{ (cd "$B" && HOME=$B PORT=$port \
	   LD_LIBRARY_PATH=$B/vendor/mono/lib exec vendor/mono/bin/mono \
	   NugetApp/bin/Release/NugetApp.exe) >app.out 2>&1 & } &&
	APP=$! && test_at_exit "kill $APP" &&
	wait_for_http "http://127.0.0.1:$port/" 60 &&
	curl -fsS "http://127.0.0.1:$port/x" >body &&
	echo "{\"app\":\"nugetapp\",\"serializer\":\"Newtonsoft.Json\",\"path\":\"/x\",\"items\":[1,2,3]}" >expect &&
	test_cmp expect body &&
	kill $APP && { wait $APP; :; }
'

test_expect_success 'compile, warm, with the feed stopped: from the cache, no request' '
	cache=$C &&
	new_app && C=$cache &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	port=$FAULTD_PORT &&
	faultd_stop &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^       Newtonsoft.Json 6.0.8: from the cache\$" log &&
	test_grep "^       Packages: 0 downloaded, 1 from the cache, 0 in the app\$" log &&
	test -f "$B/NugetApp/bin/Release/Newtonsoft.Json.dll" &&
	faultd_start "$FEED" -p "$port" &&
	test "$FAULTD_PORT" = "$port"
'

test_expect_success 'committed packages/: used as they are, no cache, no network' '
	built=$B &&
	new_app &&
	cp -a "$built/packages" "$B/" &&
	rm "$B/packages/Newtonsoft.Json.6.0.8/Newtonsoft.Json.6.0.8.nupkg" &&
	setvar NUGET_SOURCE "http://127.0.0.1:1/index.json" &&
	before=$(faultd_requests) &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 0 &&
	test_grep "^       Newtonsoft.Json 6.0.8: in the app already\$" log &&
	test_grep "^       Packages: 0 downloaded, 0 from the cache, 1 in the app\$" log &&
	test ! -e "$B/packages/Newtonsoft.Json.6.0.8/Newtonsoft.Json.6.0.8.nupkg" &&
	test ! -e "$C/nuget" &&
	test -f "$B/NugetApp/bin/Release/Newtonsoft.Json.dll"
'

test_expect_success 'a package the feed lacks: one line, exit 3, xbuild never runs' '
	new_app &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	packages "  <package id=\"Newtonsoft.Json\" version=\"6.0.8\" />" \
		"  <package id=\"Missing.Pkg\" version=\"9.9.9\" />" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	echo " !     Missing.Pkg 9.9.9: no such package on the feed $FAULTD_URL/index.json" >expect &&
	grep "^ !" log >actual &&
	test_cmp expect actual &&
	test_no_grep "^-----> Building" log &&
	test ! -e "$B/packages/Missing.Pkg.9.9.9" &&
	nothing_partial
'

test_expect_success 'a 503, then the package: retried, restored' '
	new_app &&
	setvar NUGET_SOURCE "$FAULTD_URL/flaky.json" &&
	: >"$FAULTD_LOG" &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^GET /_fault/status=503,fail-first=1/flat/newtonsoft.json/6.0.8/newtonsoft.json.6.0.8.nupkg - 503\$" "$FAULTD_LOG" &&
	test_grep "^GET /_fault/status=503,fail-first=1/flat/newtonsoft.json/6.0.8/newtonsoft.json.6.0.8.nupkg - 200\$" "$FAULTD_LOG" &&
	test_grep "^       Packages: 1 downloaded" log &&
	test -f "$B/NugetApp/bin/Release/Newtonsoft.Json.dll"
'

test_expect_success 'a corrupt package: refused, not cached, exit 3' '
	new_app &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	packages "  <package id=\"Corrupt.Pkg\" version=\"1.0\" />" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	grep "^ !" log >actual &&
	test_grep "^ !     Corrupt.Pkg 1.0 from $FAULTD_URL/flat/corrupt.pkg/1.0.0/corrupt.pkg.1.0.0.nupkg: not a readable package (zip)" actual &&
	test $(wc -l <actual) -eq 1 &&
	test ! -e "$C/nuget/corrupt.pkg/1.0.0.nupkg" &&
	test ! -e "$B/packages/Corrupt.Pkg.1.0" &&
	nothing_partial
'

test_expect_success 'a package that is another one: refused, exit 3' '
	new_app &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	packages "  <package id=\"Fake.Pkg\" version=\"1.0.0\" />" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	echo " !     Fake.Pkg 1.0.0 from $FAULTD_URL/flat/fake.pkg/1.0.0/fake.pkg.1.0.0.nupkg: the package is Newtonsoft.Json 6.0.8, not Fake.Pkg 1.0.0" >expect &&
	grep "^ !" log >actual &&
	test_cmp expect actual &&
	test ! -e "$C/nuget/fake.pkg/1.0.0.nupkg" &&
	nothing_partial
'

test_expect_success 'bad packages.config: file and line, exit 2' '
	new_app &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	packages "  <package id=\"Newtonsoft.Json\" version=\"6.0.8\">" &&
	test_expect_code 2 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	grep "^ !" log >actual &&
	test_grep "^ !     NugetApp/packages.config:4: Opening and ending tag mismatch" actual &&
	test $(wc -l <actual) -eq 1
'

test_expect_success 'credentials: sent, but never in the log, not even xbuild'"'"'s' '
	new_app &&
	setvar NUGET_SOURCE "http://deploy:pw-s3cr3t@127.0.0.1:$FAULTD_PORT/index.json" &&
	setvar NUGET_USERNAME "user-s3cr3t" &&
	setvar NUGET_PASSWORD "pass-s3cr3t" &&
	setvar XBUILD_VERBOSITY diagnostic &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^       Newtonsoft.Json 6.0.8: downloading http://127.0.0.1:$FAULTD_PORT/flat/" log &&
	test_grep "^       Build succeeded" log &&
	test_no_grep -e s3cr3t -e deploy log &&
	packages "  <package id=\"Missing.Pkg\" version=\"1.0\" />" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Missing.Pkg 1.0: no such package on the feed http://127.0.0.1:$FAULTD_PORT/index.json\$" log &&
	test_no_grep -e s3cr3t -e deploy log
'

# compile itself links libxml2 (it reads project files for the profile
# check); the download half (libcurl, libarchive, slugc-install.so) must
# stay unloaded on a warm build of an app without packages.
test_expect_success 'warm builds load the installer only for an app with packages' '
	new_app hello &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	cache=$C && new_app hello && C=$cache &&
	lsan_off strace -f -e trace=openat -o trace "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_no_grep "NuGet" log &&
	test_grep "^       Using the cached runtime" log &&
	test_no_grep -e slugc-install.so -e libcurl -e libarchive trace &&
	new_app && C=$cache &&
	setvar NUGET_SOURCE "$FAULTD_URL/index.json" &&
	lsan_off strace -f -e trace=openat -o trace "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^-----> Restoring NuGet packages" log &&
	test_grep -q slugc-install.so trace
'

test_expect_success 'slugc smoke: nugetapp built and booted, the JSON answer checked' '
	A=$TEST_TMP/nugetapp &&
	cp -R "$APPS/nugetapp" "$A" &&
	"$SLUGC" smoke -e MONO_URL="file://$TARBALL_GZ" -e MONO_SHA256="$SHA256_GZ" \
		-e NUGET_SOURCE="$FAULTD_URL/index.json" --path /json \
		--expect-body "{\"app\":\"nugetapp\",\"serializer\":\"Newtonsoft.Json\",\"path\":\"/json\",\"items\":[1,2,3]}" \
		"$A" >out 2>&1 &&
	cat out &&
	test_grep "^-----> Restoring NuGet packages\$" out &&
	test_grep "^-----> Smoke test passed: GET /json -> 200" out
'

test_done
