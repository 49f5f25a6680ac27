#!/usr/bin/env bash
# The app's own symlinks and oversized config vars, against the real
# buildpack: release and compile read the app's files (Procfile, the
# solution) only beneath BUILD_DIR, following links that stay inside and
# refusing, in one line, those that lead out; a config var too large for
# execve is left out of xbuild's environment with a warning naming it and
# the limit, never its value.
. "$(dirname "$0")/../lib.sh"
buildpack_copy || exit 1

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
RT_GZ=$(basename "$TARBALL_GZ")
CACHE=$TEST_TMP/cache

# new_app [FIXTURE]: a fresh BUILD_DIR (a copy of FIXTURE, or empty) and
# ENV_DIR, the runtime served from file://; sets $B and $ENVD.
new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX") &&
	{ [ -z "$1" ] || cp -a "$APPS/$1/." "$B/"; } &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX") &&
	setvar MONO_URL "file://$SLUGC_RUNTIME_DIR/$RT_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ"
}

# setvar NAME VALUE: a config var in $ENVD, written as Heroku does.
setvar() { printf '%s' "$2" >"$ENVD/$1"; }

# A file outside every app, standing for /etc/shadow.
OUT=$TEST_TMP/outside
mkdir -p "$OUT" &&
printf 'root:OUTSIDEHASH:19000:0:99999:7:::\n' >"$OUT/Procfile" || exit 1

REFUSED="a symlink out of the app's directory, refused"

test_expect_success 'release: Procfile -> /etc/passwd is refused in one line, exit 2' '
	new_app && ln -s /etc/passwd "$B/Procfile" &&
	test_expect_code 2 "$RELEASE" "$B" >out 2>err &&
	echo "release: Procfile: $REFUSED" >expect &&
	test_cmp expect err &&
	test_must_fail test -s out
'

test_expect_success 'release: a relative link out (../) is refused, nothing of it shown' '
	new_app && ln -s "../outside/Procfile" "$B/Procfile" &&
	test_expect_code 2 "$RELEASE" "$B" >out 2>err &&
	echo "release: Procfile: $REFUSED" >expect &&
	test_cmp expect err &&
	test_no_grep OUTSIDEHASH out err
'

test_expect_success 'release: a Procfile through a symlinked directory out is refused' '
	new_app && ln -s ../outside "$B/conf" && ln -s conf/Procfile "$B/Procfile" &&
	test_expect_code 2 "$RELEASE" "$B" >out 2>err &&
	test_cmp expect err &&
	test_no_grep OUTSIDEHASH out err
'

test_expect_success 'release: a link through /proc/self/root is refused' '
	new_app && ln -s "/proc/self/root$OUT/Procfile" "$B/Procfile" &&
	test_expect_code 2 "$RELEASE" "$B" >out 2>err &&
	test_cmp expect err
'

test_expect_success 'release: Procfile -> sub/Procfile inside the app works' '
	new_app && mkdir "$B/sub" && echo "web: mono App.exe" >"$B/sub/Procfile" &&
	ln -s sub/Procfile "$B/Procfile" &&
	"$RELEASE" "$B" >rel 2>err &&
	test_grep "^  \"web\": \"mono App.exe\"\$" rel &&
	test_must_fail test -s err
'

test_expect_success 'release: a link that leaves and comes back by name is still refused' '
	new_app && mkdir "$B/sub" && echo "web: x" >"$B/sub/Procfile" &&
	ln -s "../$(basename "$B")/sub/Procfile" "$B/Procfile" &&
	test_expect_code 2 "$RELEASE" "$B" >out 2>err &&
	test_grep "Procfile: $REFUSED" err
'

test_expect_success 'release: compile'"'"'s record (.mono/executables) linked out is refused' '
	new_app && mkdir "$B/.mono" &&
	printf "Evil.exe\n" >"$OUT/executables" &&
	ln -s ../../outside/executables "$B/.mono/executables" &&
	test_expect_code 2 "$RELEASE" "$B" >out 2>err &&
	echo "release: .mono/executables: $REFUSED" >expect &&
	test_cmp expect err
'

# Without openat2 (kernel < 5.6, or a seccomp filter): strace makes the
# real syscall fail with ENOSYS, and the walk must give the same answers.
# LeakSanitizer cannot run under ptrace (SAN=1 builds): off for these two;
# the walk's leaks are checked by test_beneath.
noptrace_lsan() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$@"; }
test_expect_success 'release without openat2 (ENOSYS injected): same refusal' '
	command -v strace >/dev/null &&
	new_app && ln -s ../outside/Procfile "$B/Procfile" &&
	test_expect_code 2 noptrace_lsan strace -f -o trace -e trace=openat2 \
	    -e inject=openat2:error=ENOSYS "$RELEASE" "$B" >out 2>err &&
	test_grep "openat2(.*\"Procfile\".*ENOSYS.*(INJECTED)" trace &&
	echo "release: Procfile: $REFUSED" >expect &&
	test_cmp expect err &&
	test_no_grep OUTSIDEHASH out
'

test_expect_success 'release without openat2 (ENOSYS injected): a link inside works' '
	new_app && mkdir -p "$B/a/b" && echo "web: inside" >"$B/a/b/P" &&
	ln -s a/b/../b/P "$B/Procfile" &&
	noptrace_lsan strace -f -o trace -e trace=openat2 \
	    -e inject=openat2:error=ENOSYS \
	    "$RELEASE" "$B" >rel 2>err &&
	test_grep "ENOSYS.*(INJECTED)" trace &&
	test_grep "^  \"web\": \"inside\"\$" rel
'

test_expect_success 'compile: SOLUTION through a symlinked directory out is refused before xbuild' '
	new_app && cp -a "$APPS/hello/." "$OUT/app/" &&
	ln -s ../outside/app "$B/src" && setvar SOLUTION src/Hello.sln &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     SOLUTION .src/Hello.sln. leads through a symlink out of the app.s directory, refused\$" log &&
	test_no_grep -e "^-----> Building" -e "^-----> Installing" log &&
	test_must_fail test -e "$OUT/app/Hello/bin" &&
	test_must_fail test -e "$OUT/app/Hello/obj"
'

test_expect_success 'compile: the one *.sln at the root linked out is refused' '
	new_app && ln -s ../outside/app/Hello.sln "$B/Hello.sln" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Hello.sln: $REFUSED\$" log &&
	test_no_grep "^-----> Building" log
'

test_expect_success 'compile: SOLUTION through a directory link inside the app builds' '
	new_app hello && ln -s . "$B/here" && setvar SOLUTION here/Hello.sln &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^-----> Building here/Hello.sln" log &&
	test -f "$B/Hello/bin/Release/Hello.exe"
'

# A value of N KiB, recognisable if it ever leaks into the log.
big_value() { head -c $(($1 * 1024)) /dev/zero | tr "\0" "Q" | sed "s/^QQQQQQ/SEKRIT/"; }

test_expect_success 'compile: a 200 KiB config var is left out of xbuild'"'"'s environment, named, build succeeds' '
	new_app envprobe && setvar PROBE_VALUE from-env-dir &&
	big_value 200 >"$ENVD/BIG_CERT" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Config var BIG_CERT (204800 bytes) is left out of the build.s environment: Linux allows one variable at most 131072 bytes (128 KiB, NAME=value); it is still in ENV_DIR\$" log &&
	test_no_grep -e SEKRIT -e QQQQ log &&
	test_no_grep "Argument list too long" log &&
	test_grep "^PROBE_VALUE=from-env-dir\$" "$B/probe.txt" &&
	test -f "$B/Probe/bin/Release/Probe.exe"
'

test_expect_success 'compile: the oversized var itself never reaches the build' '
	new_app envprobe && big_value 130 >"$ENVD/PROBE_VALUE" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Config var PROBE_VALUE (133120 bytes) is left out" log &&
	test -f "$B/probe.txt" &&
	test_no_grep "^PROBE_VALUE=" "$B/probe.txt"
'

test_expect_success 'compile: a config var just under the limit still reaches the build' '
	new_app envprobe && big_value 127 >"$ENVD/PROBE_VALUE" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_no_grep "left out" log &&
	test_grep "^PROBE_VALUE=SEKRIT" "$B/probe.txt"
'

# The runtime's lib is prepended to it: leaving it out would lose that.
test_expect_success 'compile: an oversized LD_LIBRARY_PATH cannot be left out: one line naming it' '
	new_app envprobe && big_value 200 >"$ENVD/LD_LIBRARY_PATH" &&
	test_expect_code 4 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     cannot start xbuild: variable LD_LIBRARY_PATH ([0-9]* bytes) is too big for a process.s environment: Linux takes at most 131072 bytes per NAME=value (MAX_ARG_STRLEN)\$" log &&
	test_no_grep -e SEKRIT -e QQQQ log
'

# ulimit -s 1024: execve takes 256 KiB of argv and environment in all.
test_expect_success 'compile: vars together over the total: the largest left out, named' '
	new_app envprobe && setvar PROBE_VALUE kept &&
	big_value 100 >"$ENVD/BIG_A" && big_value 110 >"$ENVD/BIG_B" &&
	big_value 90 >"$ENVD/BIG_C" &&
	( ulimit -s 1024 && "$COMPILE" "$B" "$CACHE" "$ENVD" ) >log 2>&1 &&
	test_grep "^ !     Config var BIG_B (112640 bytes) is left out of the build.s environment: all variables together may take at most [0-9]* bytes (a quarter of ulimit -s); it is still in ENV_DIR\$" log &&
	test_no_grep "BIG_C" log &&
	test_no_grep -e SEKRIT -e QQQQ log &&
	test_grep "^PROBE_VALUE=kept\$" "$B/probe.txt"
'

test_done
