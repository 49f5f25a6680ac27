#!/usr/bin/env bash
# The Mono buildpack's compile under faults and hostile input (issue 4):
# flaky and hostile servers, hostile runtime tarballs, damaged and shared
# caches, signals, odd config vars, and S3 with SigV4 against s3rver.  Every
# case checks the exit status, the one-line message, and that BUILD_DIR and
# CACHE_DIR hold nothing partial afterwards.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"
buildpack_copy || exit 1

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
RT_GZ=$(basename "$TARBALL_GZ")
SERVE=$TEST_TMP/serve
mkdir -p "$SERVE" && ln -s "$TARBALL_GZ" "$SERVE/$RT_GZ"

new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX") &&
	cp -a "$APPS/${1:-hello}/." "$B/" &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX") &&
	C=$(mktemp -d "$TEST_TMP/cache.XXXXXX")
}
setvar() { printf '%s' "$2" >"$ENVD/$1"; }

# cache_consistent DIR: no temporary install directory anywhere, and every
# runtime in the cache has its seal.
cache_consistent() {
	if find "$1" -name ".*.part-*" | grep .; then
		echo "cache_consistent: temporary directories left in $1" >&2
		return 1
	fi
	local d
	for d in "$1"/mono/*; do
		[ -e "$d" ] || continue
		case $d in *.ok) continue ;; esac
		if [ ! -f "$d.ok" ]; then
			echo "cache_consistent: $d has no seal" >&2
			return 1
		fi
	done
}

# no_runtime_in_build: the build dir got no (partial) runtime.
no_runtime_in_build() {
	test_must_fail test -e "$B/vendor/mono" &&
	test -z "$(find "$B" -name ".*.part-*")"
}

# hostile_tarball NAME KIND: a gzipped tar with one hostile entry, served
# by faultd; sets HOSTILE_URL and HOSTILE_SHA.  The absolute entry names a
# path of this run's own (under TEST_TMP), so that a run that wrongly
# extracted it cannot fail another run's check, nor this one find another's.
hostile_tarball() {
	/usr/bin/python3 - "$SERVE/$1" "$2" "$TEST_TMP/absolute-escape" <<-\PY || return 1
	import io, sys, tarfile
	path, kind, absolute = sys.argv[1], sys.argv[2], sys.argv[3]
	with tarfile.open(path, "w:gz") as t:
	    def add(name, data=b"x", **kw):
	        ti = tarfile.TarInfo(name)
	        for k, v in kw.items():
	            setattr(ti, k, v)
	        if ti.type == tarfile.REGTYPE:
	            ti.size = len(data)
	            t.addfile(ti, io.BytesIO(data))
	        else:
	            t.addfile(ti)
	    add("bin/", type=tarfile.DIRTYPE, mode=0o755)
	    if kind == "dotdot":
	        add("bin/../../escaped-file")
	    elif kind == "absolute":
	        add(absolute)
	    elif kind == "symlink":
	        add("bin/link", type=tarfile.SYMTYPE, linkname="../../..")
	        add("bin/link/escaped-through-link")
	    elif kind == "device":
	        add("bin/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
	    elif kind == "hardlink":
	        add("bin/hl", type=tarfile.LNKTYPE, linkname="../../../etc/passwd")
	PY
	HOSTILE_URL=$FAULTD_URL/$1
	HOSTILE_SHA=$(sha256sum "$SERVE/$1" | cut -d" " -f1)
}

test_expect_success 'start the servers' '
	faultd_start "$SERVE"
'

test_expect_success '503 twice, then served: retried, built, 3 requests' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar MONO_URL "$(faultd_url status=503,fail-first=2 "/$RT_GZ")" &&
	before=$(faultd_requests) &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 3 &&
	test -f "$B/Hello/bin/Release/Hello.exe" &&
	cache_consistent "$C"
'

test_expect_success '429 with Retry-After: retried after waiting' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar MONO_URL "$(faultd_url status=429,retry-after=1,fail-first=1 "/$RT_GZ")" &&
	: >"$FAULTD_LOG" &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	cut -d" " -f4 "$FAULTD_LOG" >statuses &&
	printf "429\n200\n" >expect &&
	test_cmp expect statuses &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'a connection dropped mid-body is resumed with Range' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar MONO_URL "$(faultd_url drop-after=5000000,fail-first=1 "/$RT_GZ")" &&
	: >"$FAULTD_LOG" &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "bytes=5000000- 206" "$FAULTD_LOG" &&
	test -x "$B/vendor/mono/bin/mono" &&
	cache_consistent "$C"
'

test_expect_success 'a 404 fails at once: one request, URL named, nothing cached' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar MONO_URL "$FAULTD_URL/missing.tar.gz" &&
	before=$(faultd_requests) &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	test_grep "^ !     fetch $FAULTD_URL/missing.tar.gz: HTTP 404" log &&
	test -z "$(ls -A "$C")" && no_runtime_in_build
'

test_expect_success 'a redirect to file:// is refused' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar MONO_URL "$(faultd_url redirect=file%3A%2F%2F%2Fetc%2Fpasswd "/$RT_GZ")" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*redirect" log &&
	test -z "$(ls -A "$C")" && no_runtime_in_build
'

for kind in dotdot absolute symlink device hardlink; do
	test_expect_success "a hostile runtime tarball ($kind) is refused, naming the entry" '
		new_app && hostile_tarball hostile-'$kind'.tar.gz '$kind' &&
		setvar MONO_URL "$HOSTILE_URL" && setvar MONO_SHA256 "$HOSTILE_SHA" &&
		test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
		test_grep "^ !     .*archive entry" log &&
		test_must_fail test -e "$TEST_TMP/escaped-file" &&
		test_must_fail test -e "$TEST_TMP/absolute-escape" &&
		test -z "$(find "$TEST_TMP" -name escaped-through-link)" &&
		test -z "$(ls -A "$C")" && no_runtime_in_build
	'
done

test_expect_success 'four compiles at once on one cold cache: all built, one download' '
	C=$TEST_TMP/shared-cache && mkdir "$C" &&
	ENVD=$TEST_TMP/shared-env && mkdir "$ENVD" &&
	setvar MONO_URL "$FAULTD_URL/$RT_GZ" && setvar MONO_SHA256 "$SHA256_GZ" &&
	before=$(faultd_requests) &&
	pids= &&
	for i in 1 2 3 4; do
		mkdir "$TEST_TMP/par$i" && cp -a "$APPS/hello/." "$TEST_TMP/par$i/" &&
		{ "$COMPILE" "$TEST_TMP/par$i" "$C" "$ENVD" >"par$i.log" 2>&1 & } &&
		pids="$pids $!" || return 1
	done &&
	for p in $pids; do wait $p || { echo "a compile failed"; cat par*.log; return 1; }; done &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	for i in 1 2 3 4; do
		test -f "$TEST_TMP/par$i/Hello/bin/Release/Hello.exe" || return 1
	done &&
	test "$(grep -l "Using the cached runtime" par*.log | wc -l)" -eq 3 &&
	cache_consistent "$C"
'

test_expect_success 'a damaged cache entry is detected and replaced' '
	victim=$(find "$C"/mono -path "*/bin/mono" | head -n 1) &&
	rm "$victim" &&
	new_app && cp -a "$TEST_TMP/shared-env/." "$ENVD/" &&
	before=$(faultd_requests) &&
	"$COMPILE" "$B" "$TEST_TMP/shared-cache" "$ENVD" >log 2>&1 &&
	test_grep "The cached runtime is damaged" log &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	test -x "$victim" &&
	cache_consistent "$TEST_TMP/shared-cache"
'

test_expect_success 'an entry without its seal (an interrupted run) is replaced' '
	rm "$(ls -d "$TEST_TMP"/shared-cache/mono/*.ok)" &&
	new_app && cp -a "$TEST_TMP/shared-env/." "$ENVD/" &&
	"$COMPILE" "$B" "$TEST_TMP/shared-cache" "$ENVD" >log 2>&1 &&
	test_grep "damaged (an earlier install did not finish)" log &&
	cache_consistent "$TEST_TMP/shared-cache"
'

test_expect_success 'an unusable CACHE_DIR: the build goes on without a cache and says so' '
	new_app && setvar MONO_URL "$FAULTD_URL/$RT_GZ" && setvar MONO_SHA256 "$SHA256_GZ" &&
	: >"$TEST_TMP/not-a-dir" &&
	"$COMPILE" "$B" "$TEST_TMP/not-a-dir/cache" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Cannot use the build cache" log &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'SIGTERM during the download: exit 143, nothing partial left' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar MONO_URL "$(faultd_url rate=2000000 "/$RT_GZ")" &&
	{ "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 & pid=$!; } &&
	for i in $(seq 100); do grep -q Downloading log && break; sleep 0.1; done &&
	sleep 1 && kill -TERM $pid &&
	{ wait $pid; rc=$?; } ; test $rc -eq 143 &&
	test_grep "^ !     Interrupted by SIGTERM" log &&
	test -z "$(ls -A "$C")" && no_runtime_in_build
'

test_expect_success 'SIGTERM while waiting for another build'"'"'s cache lock: exit 143 at once' '
	new_app && setvar MONO_SHA256 "$SHA256_GZ" && setvar MONO_URL "$FAULTD_URL/$RT_GZ" &&
	{ flock "$C" sleep 60 & holder=$!; } &&
	for i in $(seq 50); do flock -n "$C" true || break; sleep 0.1; done &&
	test_must_fail flock -n "$C" true &&
	{ "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 & pid=$!; } &&
	for i in $(seq 100); do grep -q "Waiting for another build" log && break; sleep 0.1; done &&
	test_grep "^       Waiting for another build using the cache" log &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } ; kill $holder; test $rc -eq 143 &&
	test_grep "^ !     Interrupted by SIGTERM" log &&
	no_runtime_in_build
'

# live_in_group PGID: the pids of group PGID that run (zombies left out),
# one per line; fails when there are none.  Only our own processes: the
# group of an xbuild this file started, never a match by name.
live_in_group() {
	local p found=1
	for p in $(pgrep -g "$1"); do
		case $(ps -o stat= -p "$p") in "" | Z*) ;; *) echo "$p"; found=0 ;; esac
	done
	return $found
}

test_expect_success 'SIGINT during xbuild: the whole build tree stops, exit 130' '
	new_app slowbuild && setvar MONO_URL "$FAULTD_URL/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	{ "$COMPILE" "$B" "$TEST_TMP/shared-cache" "$ENVD" >log 2>&1 & pid=$!; } &&
	for i in $(seq 300); do grep -q "slugc-slow-build-marker" log && break; sleep 0.1; done &&
	test_grep "slugc-slow-build-marker" log &&
	xbuild=$(ps -o pid= --ppid $pid | tr -d " ") && test -n "$xbuild" &&
	for i in $(seq 50); do pgrep -g $xbuild -x sleep >/dev/null && break; sleep 0.1; done &&
	pgrep -g $xbuild -x sleep &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	test_grep "^ !     Interrupted by SIGINT" log &&
	for i in $(seq 50); do live_in_group $xbuild >/dev/null || break; sleep 0.1; done &&
	test_must_fail live_in_group $xbuild
'

test_expect_success 'xbuild killed by a signal: exit 128+N, the signal named' '
	new_app slowbuild && setvar MONO_URL "$FAULTD_URL/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	{ "$COMPILE" "$B" "$TEST_TMP/shared-cache" "$ENVD" >log 2>&1 & pid=$!; } &&
	for i in $(seq 300); do grep -q "slugc-slow-build-marker" log && break; sleep 0.1; done &&
	xbuild=$(ps -o pid= --ppid $pid | tr -d " ") && test -n "$xbuild" &&
	ps -o args= -p $xbuild | grep -q "xbuild.exe" &&
	kill -KILL $xbuild &&
	test_expect_code 137 wait $pid &&
	test_grep "^ !     Build failed: xbuild was killed by SIGKILL" log &&
	{ kill -9 -- -$xbuild 2>/dev/null; :; }
'

test_expect_success 'odd ENV_DIR entries are skipped with a warning, never a crash' '
	new_app && setvar MONO_URL "$FAULTD_URL/$RT_GZ" && setvar MONO_SHA256 "$SHA256_GZ" &&
	mkdir "$ENVD/A_DIRECTORY" &&
	ln -s /etc/passwd "$ENVD/A_SYMLINK" &&
	head -c 2000000 /dev/zero | tr "\0" x >"$ENVD/HUGE_VALUE" &&
	printf "v" >"$ENVD/bad name!" &&
	printf "/evil/bin" >"$ENVD/PATH" &&
	printf "/evil/lib.so" >"$ENVD/LD_PRELOAD" &&
	printf "secretvalue123" >"$ENVD/API_TOKEN" &&
	"$COMPILE" "$B" "$TEST_TMP/shared-cache" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*A_DIRECTORY" log &&
	test_grep "^ !     .*A_SYMLINK" log &&
	test_grep "^ !     .*HUGE_VALUE" log &&
	test_grep "^ !     .*PATH" log &&
	test_grep "^ !     .*LD_PRELOAD" log &&
	test_no_grep -e secretvalue123 -e /evil/ -e xxxxxxxx log &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

test_expect_success 'config vars reach the build; denied ones do not' '
	new_app envprobe && setvar MONO_URL "$FAULTD_URL/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar PROBE_VALUE "from-env-dir" && setvar LD_PRELOAD "/evil/lib.so" &&
	"$COMPILE" "$B" "$TEST_TMP/shared-cache" "$ENVD" >log 2>&1 &&
	test_grep "^PROBE_VALUE=from-env-dir\$" "$B/probe.txt" &&
	test_no_grep "/evil/" "$B/probe.txt"
'

test_expect_success 'S3: a private bucket read with SigV4 from config vars' '
	s3rver_start "$TEST_TMP/s3" &&
	s3rver_put runtimes "mono/$RT_GZ" "$TARBALL_GZ" &&
	new_app && setvar MONO_URL "s3://runtimes/mono/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" &&
	setvar S3_ENDPOINT "$S3RVER_URL" &&
	setvar AWS_ACCESS_KEY_ID "$S3RVER_ACCESS_KEY_ID" &&
	setvar AWS_SECRET_ACCESS_KEY "$S3RVER_SECRET_ACCESS_KEY" &&
	setvar AWS_REGION us-east-1 &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test -f "$B/Hello/bin/Release/Hello.exe" &&
	test_no_grep -F "$S3RVER_SECRET_ACCESS_KEY" log
'

test_expect_success 'S3: anonymous access to a private bucket is denied, clearly' '
	new_app && setvar MONO_URL "s3://runtimes/mono/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" && setvar S3_ENDPOINT "$S3RVER_URL" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "^ !     fetch s3://runtimes/mono/$RT_GZ: not found or access denied" log &&
	test -z "$(ls -A "$C")" && no_runtime_in_build
'

test_expect_success 'S3: a wrong secret is refused; the secret is never printed' '
	new_app && setvar MONO_URL "s3://runtimes/mono/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ" && setvar S3_ENDPOINT "$S3RVER_URL" &&
	setvar AWS_ACCESS_KEY_ID "$S3RVER_ACCESS_KEY_ID" &&
	setvar AWS_SECRET_ACCESS_KEY "wrongSecretValue987" &&
	test_expect_code 3 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "SignatureDoesNotMatch" log &&
	test_no_grep wrongSecretValue987 log &&
	s3rver_stop
'

test_expect_success 'stop the servers' '
	faultd_stop
'

test_done
