#!/usr/bin/env bash
# The Mono buildpack end to end, driven the way a slug compiler drives it:
# bin/detect, bin/compile, bin/release on fixture apps, with the real
# relocatable Mono tarball served from 127.0.0.1 by faultd, real xbuild, and
# the built app booted from a moved build directory and asked over HTTP.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"
buildpack_copy || exit 1

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
RT_GZ=$(basename "$TARBALL_GZ")

# new_app FIXTURE: copies the fixture into a fresh BUILD_DIR and gives it a
# fresh ENV_DIR; sets $B (build dir) and $ENVD.
new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX") &&
	cp -a "$APPS/$1/." "$B/" &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX")
}

# setvar NAME VALUE: a config var in $ENVD, written as Heroku does.
setvar() { printf '%s' "$2" >"$ENVD/$1"; }

# runtime_vars [URL]: points the build at the served gz tarball.
runtime_vars() {
	setvar MONO_URL "${1:-$FAULTD_URL/$RT_GZ}" &&
	setvar MONO_SHA256 "$SHA256_GZ"
}

CACHE=$TEST_TMP/cache

test_expect_success 'start the tarball server' '
	faultd_start "$SLUGC_RUNTIME_DIR"
'

test_expect_success 'detect: a *.sln at the root says Mono, exit 0' '
	"$DETECT" "$APPS/hello" >out &&
	echo Mono >expect &&
	test_cmp expect out
'

test_expect_success 'detect: no *.sln at the root says no, exit 1' '
	test_expect_code 1 "$DETECT" "$APPS/nosln" >out &&
	echo no >expect &&
	test_cmp expect out
'

test_expect_success 'detect: a missing BUILD_DIR is an error, exit 2' '
	test_expect_code 2 "$DETECT" "$TEST_TMP/nope" >out 2>err &&
	test_must_fail test -s out &&
	test_grep "nope: not a directory" err
'

test_expect_success 'detect: a file as BUILD_DIR is an error, exit 2' '
	: >"$TEST_TMP/file" &&
	test_expect_code 2 "$DETECT" "$TEST_TMP/file" 2>err &&
	test_grep "not a directory" err
'

test_expect_success 'detect: an answer that cannot be written is an error, exit 4' '
	test_expect_code 4 "$DETECT" "$APPS/hello" >/dev/full 2>err &&
	test_grep "detect: stdout: No space left on device" err
'

test_expect_success 'compile hello: cold cache, runtime over HTTP, xbuild' '
	new_app hello && runtime_vars &&
	before=$(faultd_requests) &&
	{ "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1; rc=$?; cat log; test $rc = 0; } &&
	test_grep "^-----> Installing Mono" log &&
	test_grep "^-----> Building Hello.sln with xbuild (Release)" log &&
	test_grep "^       .*Hello -> .*Hello.exe\|^       Build succeeded" log &&
	test -x "$B/vendor/mono/bin/mono" &&
	test -f "$B/Hello/bin/Release/Hello.exe" &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	HELLO_BUILD=$B
'

test_expect_success 'compile: every log line is a header, indented, or a warning' '
	test_no_grep -v -e "^-----> " -e "^       " -e "^ !     " -e "^\$" log
'

test_expect_success 'compile: .profile.d/mono.sh puts the runtime on PATH from $HOME' '
	test_grep "HOME/vendor/mono/bin" "$HELLO_BUILD/.profile.d/mono.sh" &&
	test_grep "LD_LIBRARY_PATH" "$HELLO_BUILD/.profile.d/mono.sh" &&
	test_no_grep "$HELLO_BUILD" "$HELLO_BUILD/.profile.d/mono.sh"
'

test_expect_success 'compile: the export file gives the next buildpack mono and xbuild' '
	test -f "$BP/export" &&
	( . "$BP/export" && command -v xbuild ) >where &&
	test_grep "^$HELLO_BUILD/vendor/mono/bin/xbuild\$" where
'

test_expect_success 'release: web runs the one executable; addons and config_vars present' '
	"$RELEASE" "$HELLO_BUILD" >rel &&
	cat >expect <<-\EOF &&
	---
	addons: []
	config_vars: {}
	default_process_types:
	  "web": "mono Hello/bin/Release/Hello.exe"
	EOF
	test_cmp expect rel &&
	/usr/bin/python3 -c "import sys,yaml,json; print(json.dumps(yaml.safe_load(open(sys.argv[1])), sort_keys=True))" rel >got &&
	echo "{\"addons\": [], \"config_vars\": {}, \"default_process_types\": {\"web\": \"mono Hello/bin/Release/Hello.exe\"}}" >want &&
	test_cmp want got
'

test_expect_success 'the slug runs from anywhere: moved, .profile.d sourced, web answers' '
	SLUG_HOME=$TEST_TMP/app-moved &&
	mv "$HELLO_BUILD" "$SLUG_HOME" &&
	port=$(free_port) &&
	web=$(/usr/bin/python3 -c "import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))[\"default_process_types\"][\"web\"])" rel) &&
	cd "$SLUG_HOME" &&
	{ HOME=$SLUG_HOME PORT=$port PATH=/usr/bin:/bin \
	    bash -c "for f in .profile.d/*.sh; do . \"\$f\"; done; exec $web" \
	    >"$TEST_TMP/web.out" 2>&1 & } &&
	echo $! >"$TEST_TMP/web.pid" &&
	cd "$TEST_TMP" &&
	test_at_exit "kill \$(cat $TEST_TMP/web.pid)" &&
	wait_for_http "http://127.0.0.1:$port/" 60 &&
	curl -fsS "http://127.0.0.1:$port/some/path" >body &&
	printf "Hello from Mono on slugc\n" >expect &&
	test_cmp expect body &&
	kill $(cat "$TEST_TMP/web.pid") &&
	for i in $(seq 50); do kill -0 $(cat "$TEST_TMP/web.pid") 2>/dev/null || break; sleep 0.1; done &&
	test_must_fail kill -0 $(cat "$TEST_TMP/web.pid") 2>/dev/null
'

test_expect_success 'the runtime in the slug is the vendored one, not /usr/lib/mono' '
	HOME=$SLUG_HOME bash -c ". $SLUG_HOME/.profile.d/mono.sh; command -v mono" >which &&
	test_grep "^$SLUG_HOME/vendor/mono/bin/mono\$" which
'

test_expect_success 'warm compile: cache hit with the server stopped, no request' '
	faultd_stop &&
	new_app hello && runtime_vars "http://127.0.0.1:9/never-fetched.tar.gz" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "Using the cached runtime" log &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'warm compile: a build log that cannot be written fails it, exit 4' '
	new_app hello && runtime_vars "http://127.0.0.1:9/never-fetched.tar.gz" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	test_expect_code 4 "$COMPILE" "$B" "$CACHE" "$ENVD" >/dev/full
'

test_expect_success 'restart the tarball server' '
	faultd_start "$SLUGC_RUNTIME_DIR"
'

test_expect_success 'changing the version label misses the cache and fetches again' '
	new_app hello && runtime_vars && setvar MONO_VERSION other-label &&
	before=$(faultd_requests) &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	test_grep "Installing Mono other-label" log
'

test_expect_success 'changing STACK misses the cache and fetches again' '
	new_app hello && runtime_vars &&
	before=$(faultd_requests) &&
	STACK=heroku-24 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 1
'

test_expect_success 'file:// URLs work' '
	new_app hello && runtime_vars "file://$SLUGC_RUNTIME_DIR/$RT_GZ" &&
	"$COMPILE" "$B" "$TEST_TMP/cache-file" "$ENVD" >log 2>&1 &&
	test -x "$B/vendor/mono/bin/mono"
'

for kind in zst xz; do
	test_expect_success "a .tar.$kind runtime tarball is accepted" '
		new_app hello &&
		tb=$(ls "$SLUGC_RUNTIME_DIR"/*.tar.'$kind') &&
		setvar MONO_URL "$FAULTD_URL/$(basename "$tb")" &&
		setvar MONO_SHA256 "$(cut -d" " -f1 "$tb.sha256")" &&
		"$COMPILE" "$B" "$TEST_TMP/cache-'$kind'" "$ENVD" >log 2>&1 &&
		test -x "$B/vendor/mono/bin/mono" &&
		test -f "$B/Hello/bin/Release/Hello.exe"
	'
done

test_expect_success 'buildpack.yml: the default version comes from the config file' '
	bp=$TEST_TMP/bp && mkdir -p "$bp/bin" &&
	cp "$SLUGC_BPDIR"/bin/* "$bp/bin/" &&
	cat >"$bp/buildpack.yml" <<-EOF &&
	default_version: "9.9"
	versions:
	  "9.9":
	    url: "$FAULTD_URL/$RT_GZ"
	    sha256: "$SHA256_GZ"
	  "1.0":
	    url: "$FAULTD_URL/nope.tar.gz"
	    sha256: "$SHA256_GZ"
	EOF
	new_app hello &&
	"$bp/bin/compile" "$B" "$TEST_TMP/cache-bp" "$ENVD" >log 2>&1 &&
	test_grep "Installing Mono 9.9" log &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'the shipped buildpack.yml defaults to the runtime make runtime builds' '
	test_grep "^default_version: \"$MONO_VERSION\"\$" "$REPO/buildpacks/mono/buildpack.yml" &&
	test_grep "url: \".*/mono-$MONO_VERSION.tar.zst\"\$" "$REPO/buildpacks/mono/buildpack.yml"
'

test_expect_success 'buildpack.yml: MONO_VERSION picks another version; unknown ones are named' '
	new_app hello && setvar MONO_VERSION 7.7 &&
	test_expect_code 2 "$bp/bin/compile" "$B" "$TEST_TMP/cache-bp" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*no Mono version 7.7 (known: 9.9, 1.0)" log
'

test_expect_success 'an HTTP 404 fails naming the URL and leaves the cache as it was' '
	new_app hello && setvar MONO_VERSION 1.0 &&
	before=$(find "$TEST_TMP/cache-bp" | sort) &&
	test_expect_code 3 "$bp/bin/compile" "$B" "$TEST_TMP/cache-bp" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*$FAULTD_URL/nope.tar.gz.*404" log &&
	after=$(find "$TEST_TMP/cache-bp" | sort) &&
	test "$before" = "$after" &&
	test_must_fail test -e "$B/vendor/mono"
'

test_expect_success 'a sha256 mismatch fails, names the URL, caches nothing' '
	new_app hello && runtime_vars &&
	setvar MONO_SHA256 0000000000000000000000000000000000000000000000000000000000000000 &&
	test_expect_code 3 "$COMPILE" "$B" "$TEST_TMP/cache-bad" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*$FAULTD_URL/$RT_GZ" log &&
	test_grep -i "sha256" log &&
	test -z "$(find "$TEST_TMP/cache-bad" -mindepth 2 ! -name "*.lock")" &&
	test_must_fail test -e "$B/vendor/mono"
'

test_expect_success 'a corrupt archive with a matching sha256 fails and caches nothing' '
	head -c 3000000 "$SLUGC_RUNTIME_DIR/$RT_GZ" >"$TEST_TMP/cut.tar.gz" &&
	new_app hello &&
	setvar MONO_URL "file://$TEST_TMP/cut.tar.gz" &&
	setvar MONO_SHA256 "$(sha256sum "$TEST_TMP/cut.tar.gz" | cut -d" " -f1)" &&
	test_expect_code 3 "$COMPILE" "$B" "$TEST_TMP/cache-cut" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*cut.tar.gz" log &&
	test -z "$(find "$TEST_TMP/cache-cut" -mindepth 2 ! -name "*.lock")"
'

test_expect_success 'MONO_URL without MONO_SHA256 is refused before any download' '
	new_app hello && setvar MONO_URL "$FAULTD_URL/$RT_GZ" &&
	before=$(faultd_requests) &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     MONO_URL is set but MONO_SHA256 is not" log &&
	test "$before" -eq "$(faultd_requests)"
'

test_expect_success 'a password in MONO_URL and secret config vars never reach the log' '
	new_app hello &&
	setvar MONO_URL "http://user:hunter2secret@127.0.0.1:$FAULTD_PORT/nope-$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar AWS_SECRET_ACCESS_KEY topsecretvalue &&
	setvar DATABASE_URL "postgres://u:dbsecretpw@h/db" &&
	test_expect_code 3 "$COMPILE" "$B" "$TEST_TMP/cache-pw" "$ENVD" >log 2>&1 &&
	test_grep "127.0.0.1:$FAULTD_PORT/nope-" log &&
	test_no_grep -e hunter2secret -e topsecretvalue -e dbsecretpw log
'

test_expect_success 'the failing build exits non-zero with xbuild'"'"'s error in the log' '
	new_app buildfail && runtime_vars &&
	test_expect_code 1 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^       .*error CS" log &&
	test_grep "^ !     Build failed: xbuild exited with status 1" log
'

test_expect_success 'no *.sln: a clear error, non-zero exit' '
	new_app nosln && runtime_vars &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     no \*.sln file at the root of the app" log
'

test_expect_success 'SOLUTION naming a missing file: error naming it' '
	new_app twosln && runtime_vars && setvar SOLUTION C.sln &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     SOLUTION .C.sln. not found" log
'

test_expect_success 'two solutions: the first in byte order, and how to pick another' '
	new_app twosln && runtime_vars &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "Found 2 solutions; building A.sln" log &&
	test_grep "set the SOLUTION config var" log &&
	test_grep "^-----> Building A.sln" log
'

test_expect_success 'SOLUTION=B.sln builds B' '
	new_app twosln && runtime_vars && setvar SOLUTION B.sln &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^-----> Building B.sln" log &&
	"$RELEASE" "$B" >rel &&
	test_grep "\"web\": \"mono B/bin/Release/B.exe\"" rel
'

test_expect_success 'a solution named with spaces, ; and $(...) builds' '
	new_app weirdname && runtime_vars &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	sln=$(cd "$B" && ls *.sln) &&
	test_grep -F -- "-----> Building $sln" log
'

test_expect_success 'a solution name with a quote is a build failure, reported' '
	new_app quoteName && runtime_vars &&
	test_expect_code 1 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Build failed" log
'

test_expect_success 'BUILD_CONFIGURATION and XBUILD_VERBOSITY reach xbuild' '
	new_app hello && runtime_vars &&
	setvar BUILD_CONFIGURATION Debug && setvar XBUILD_VERBOSITY quiet &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test -f "$B/Hello/bin/Debug/Hello.exe" &&
	"$RELEASE" "$B" >rel &&
	test_grep "mono Hello/bin/Debug/Hello.exe" rel
'

test_expect_success 'a bad XBUILD_VERBOSITY is refused' '
	new_app hello && runtime_vars && setvar XBUILD_VERBOSITY loud &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     XBUILD_VERBOSITY must be" log
'

test_expect_success 'several executables and no Procfile: warned, no web' '
	new_app multiexe && runtime_vars &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     No Procfile, and the build produced 2 executables" log &&
	"$RELEASE" "$B" >rel &&
	test_grep "^default_process_types: {}" rel
'

test_expect_success 'ENV_DIR is optional' '
	new_app hello &&
	bp2=$TEST_TMP/bp && "$bp/bin/compile" "$B" "$TEST_TMP/cache-bp" >log 2>&1 &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'a BUILD_DIR path xbuild cannot handle is refused up front' '
	B=$TEST_TMP/"build;dir" && mkdir "$B" && cp -a "$APPS/hello/." "$B/" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     BUILD_DIR .*build;dir holds .;., which xbuild cannot handle" log &&
	test_must_fail test -e "$B/vendor"
'

test_expect_success 'a symlink in the app where compile writes is refused, nothing written through it' '
	new_app hello && runtime_vars &&
	victim=$TEST_TMP/victim && mkdir -p "$victim/mono" && echo keep >"$victim/mono/important" &&
	ln -s "$victim" "$B/vendor" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     vendor is a symlink" log &&
	test_grep "^keep\$" "$victim/mono/important" &&
	test "$(ls "$victim")" = mono
'

test_expect_success 'a .profile.d symlink is refused too' '
	new_app hello && runtime_vars &&
	mkdir "$TEST_TMP/elsewhere" && ln -s "$TEST_TMP/elsewhere" "$B/.profile.d" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .profile.d is a symlink" log &&
	test -z "$(ls -A "$TEST_TMP/elsewhere")"
'

test_expect_success 'a relative BUILD_DIR works' '
	new_app hello && runtime_vars &&
	(cd "$(dirname "$B")" && "$COMPILE" "$(basename "$B")" "$CACHE" "$ENVD") >log 2>&1 &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'a solution named like an xbuild switch stays a file name' '
	new_app hello && runtime_vars &&
	mv "$B/Hello.sln" "$B/-t:Clean.sln" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'diagnostic verbosity warns and never shows the runtime credentials' '
	new_app hello && runtime_vars &&
	setvar XBUILD_VERBOSITY diagnostic &&
	setvar AWS_SECRET_ACCESS_KEY diagSecretValue42 &&
	setvar APP_SETTING visible-to-the-build &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     XBUILD_VERBOSITY=diagnostic prints the build.s environment" log &&
	test_grep "APP_SETTING = visible-to-the-build" log &&
	test_no_grep -e diagSecretValue42 -e "$SHA256_GZ" log
'

test_expect_success 'release does not hang on a Procfile that is a FIFO' '
	new_app hello && mkfifo "$B/Procfile" &&
	test_expect_code 2 timeout 10 "$RELEASE" "$B" >out 2>err &&
	test_grep "Procfile.*not a regular file" err
'

test_expect_success 'compile: missing arguments is a usage error' '
	test_expect_code 2 "$COMPILE" "$TEST_TMP" 2>err &&
	test_grep "usage: compile BUILD_DIR CACHE_DIR" err
'

test_expect_success 'a long download shows progress lines in the log' '
	new_app hello &&
	setvar MONO_URL "$(faultd_url rate=5000000 "/$RT_GZ")" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	"$COMPILE" "$B" "$TEST_TMP/cache-slow" "$ENVD" >log 2>&1 &&
	test_grep "^       Downloaded [0-9.]* MB of [0-9.]* MB ([0-9]*%)" log
'

test_expect_success 'stop the tarball server' '
	faultd_stop
'

test_done
