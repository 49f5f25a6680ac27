#!/usr/bin/env bash
# How slugc's runs end (issue 14): a `kill -9` of slugc build mid-compile
# leaves nothing running and nothing racing the next build, whose secrets
# and temporary files are gone; Ctrl-C and SIGTERM on build, pack, run,
# start and smoke give 130/143 and one line; a web that exits 0 before
# binding is a crash; a config var too big for an environment is named;
# option errors are one line.  Real signals to real processes, each found
# by the pid or process group it recorded, never by name machine-wide.
. "$(dirname "$0")/../lib.sh"

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH

# alive PID: the process runs (a zombie nobody reaped does not count).
alive() { case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) return 1 ;; esac; }

# group_alive PGID: some process of the group runs.
group_alive() {
	local p
	for p in $(pgrep -g "$1"); do alive "$p" && return 0; done
	return 1
}

# wait_gone SECONDS CMD...: until CMD fails (the thing is gone), or false.
wait_gone() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" || return 0
		sleep 0.1
	done
	echo "wait_gone: '$*' still true after ${secs}s" >&2
	return 1
}

# wait_file FILE [SECONDS]: until FILE is not empty.
wait_file() {
	local i
	for ((i = 0; i < ${2:-20} * 10; i++)); do
		test -s "$1" && return 0
		sleep 0.1
	done
	echo "wait_file: no $1" >&2
	return 1
}

# wait_grep PATTERN FILE [SECONDS]
wait_grep() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		grep -q "$1" "$2" && return 0
		sleep 0.1
	done
	echo "wait_grep: no '$1' in $2" >&2
	cat "$2" >&2
	return 1
}

# state_of APP: the app's state directory (its only one in XDG_CACHE_HOME).
state_of() { ls -d "$XDG_CACHE_HOME"/slugc/"$(basename "$1")"-*; }

# Whatever a failed case left running is stopped when the file ends: the
# slugc processes it started and the process groups it recorded, each
# process only if it still works in $TEST_TMP (a number may have been
# reused since).
PIDS=()
PGIDS=()
bg_pid() { PIDS+=("$1"); }
ours() { case $(readlink "/proc/$1/cwd") in "$TEST_TMP"/* | "$TEST_TMP") ;; *) return 1 ;; esac; }
stop_ours() {
	local p
	for p in "${PIDS[@]}" $(for g in "${PGIDS[@]}"; do pgrep -g "$g"; done); do
		ours "$p" && kill -9 "$p"
	done
}
test_at_exit stop_ours

SLOW=$TEST_TMP/apps/slow
mkdir -p "$SLOW" && printf 'web: true\n' >"$SLOW/Procfile"

test_expect_success 'kill -9 of slugc build: the compile goes with it' '
	rm -f pids &&
	{ "$SLUGC" build -b "$BP/slow" -e SLOW_FILES=900 -e SLOW_DELAY=0.1 \
		-e SLOW_TAG=old -e SLOW_PIDFILE="$TEST_TMP/pids" \
		-e SECRET_TOKEN=s3cr3t-kill9 -o "$TEST_TMP/s1.tgz" "$SLOW" >log1 2>&1 & } &&
	pid=$! && bg_pid $pid &&
	wait_file pids &&
	read compile writer pgid envdir <pids &&
	PGIDS+=("$pgid") &&
	echo "slugc $pid compile $compile writer $writer group $pgid env $envdir" &&
	test -f "$envdir/SECRET_TOKEN" &&
	alive $compile && alive $writer &&
	kill -9 $pid &&
	test_expect_code 137 wait $pid &&
	wait_gone 8 alive $compile
'

test_expect_success 'kill -9: the next build stops what is left, then builds cleanly' '
	alive $writer &&
	"$SLUGC" build -b "$BP/slow" -e SLOW_TAG=new -o "$TEST_TMP/s2.tgz" "$SLOW" >log2 2>&1 ||
		{ cat log2; false; } &&
	cat log2 &&
	test_grep "^-----> Stopping what an earlier build of this app left running\$" log2 &&
	test_must_fail alive $writer &&
	test_must_fail group_alive $pgid &&
	tar tzf "$TEST_TMP/s2.tgz" | grep "^./app/out/." | sort >files &&
	printf "./app/out/%s\n" 1 2 3 >expect && test_cmp expect files &&
	tar xzOf "$TEST_TMP/s2.tgz" ./app/out/1 ./app/out/2 ./app/out/3 >tags &&
	printf "new\nnew\nnew\n" >expect &&
	test_cmp expect tags
'

test_expect_success 'kill -9: the dead build ENV_DIR (config var values) is gone' '
	test_must_fail test -e "$envdir" &&
	test_must_fail test -e "$(dirname "$envdir")" &&
	test_no_grep -r s3cr3t-kill9 "$XDG_CACHE_HOME" &&
	ls -a "$(state_of "$SLOW")" >entries &&
	test_no_grep "^tmp\\." entries
'

test_expect_success 'a build waiting for another stops on Ctrl-C: 130 and one line' '
	rm -f pids &&
	{ "$SLUGC" build -b "$BP/slow" -e SLOW_FILES=900 -e SLOW_DELAY=0.1 \
		-e SLOW_PIDFILE="$TEST_TMP/pids" -o "$TEST_TMP/s3.tgz" "$SLOW" >log3 2>&1 & } &&
	first=$! && bg_pid $first &&
	wait_file pids && read compile writer pgid envdir <pids && PGIDS+=("$pgid") &&
	{ "$SLUGC" build -b "$BP/slow" -o "$TEST_TMP/s4.tgz" "$SLOW" >log4 2>err4 & } &&
	second=$! && bg_pid $second &&
	wait_grep "Waiting for another build of this app to finish" log4 10 &&
	kill -INT $second &&
	test_expect_code 130 wait $second &&
	echo "slugc: stopped by SIGINT" >expect && test_cmp expect err4 &&
	alive $writer
'

test_expect_success 'Ctrl-C of slugc build: the tree is stopped, 130, one line' '
	kill -INT $first &&
	test_expect_code 130 wait $first &&
	test_grep "^slugc: stopped by SIGINT\$" log3 &&
	test_must_fail group_alive $pgid &&
	test_must_fail test -e "$envdir" &&
	test_must_fail test -e "$TEST_TMP/s3.tgz"
'

# The slowbuild app, its sleep's length a config var (xbuild sees the
# environment as properties), so that builds after the killed one are quick.
M=$TEST_TMP/apps/slowbuild
mkdir -p "$M" "$TEST_TMP/usertmp" && cp -R "$APPS/slowbuild/." "$M/" &&
	sed -i "s/sleep 37.5/sleep \$(SLOW_SECONDS)/" "$M/Slow/Slow.csproj"
# (Options, not a function: a function run with & is a subshell whose child
# slugc is, and $! would not be slugc.)
MONO=(build -e MONO_URL="file://$TARBALL_GZ" -e MONO_SHA256="$SHA256_GZ")

test_expect_success 'kill -9 during xbuild: compile stops the xbuild tree at once' '
	grep -q "sleep \$(SLOW_SECONDS)" "$M/Slow/Slow.csproj" &&
	{ TMPDIR=$TEST_TMP/usertmp "$SLUGC" "${MONO[@]}" -e SLOW_SECONDS=61.5 \
		-o "$TEST_TMP/m1.tgz" "$M" >mlog 2>&1 & } &&
	pid=$! && bg_pid $pid &&
	wait_grep slugc-slow-build-marker mlog 120 &&
	compile=$(ps -o pid= --ppid $pid | tr -d " ") &&
	xbuild=$(ps -o pid= --ppid $compile | tr -d " ") &&
	PGIDS+=("$xbuild") &&
	for i in $(seq 100); do pgrep -g $xbuild -x sleep >sleeper && break; sleep 0.1; done &&
	read sleeper <sleeper &&
	echo "slugc $pid compile $compile xbuild $xbuild sleep $sleeper" &&
	kill -9 $pid &&
	test_expect_code 137 wait $pid &&
	wait_gone 8 group_alive $xbuild &&
	wait_gone 8 alive $compile &&
	test_must_fail alive $sleeper
'

test_expect_success 'xbuild temporary files stay in the build TMPDIR, which goes' '
	st=$(state_of "$M") &&
	ls "$st"/tmp.*/tmp/ >xtmp &&
	test_grep "\\.tmp\$" xtmp &&
	ls -A "$TEST_TMP/usertmp" >user && test_must_fail test -s user &&
	"$SLUGC" "${MONO[@]}" -e SLOW_SECONDS=0 -o "$TEST_TMP/m2.tgz" "$M" >mlog2 2>&1 ||
		{ cat mlog2; false; } &&
	test_grep "Executing: sleep 0\$" mlog2 &&
	ls -a "$st" >entries &&
	test_no_grep "^tmp\\." entries
'

test_expect_success 'Ctrl-C during xbuild: 130, one line, no temporary file left' '
	{ TMPDIR=$TEST_TMP/usertmp "$SLUGC" "${MONO[@]}" -e SLOW_SECONDS=61.5 \
		-o "$TEST_TMP/m3.tgz" "$M" >mlog3 2>err3 & } &&
	pid=$! && bg_pid $pid &&
	wait_grep slugc-slow-build-marker mlog3 120 &&
	compile=$(ps -o pid= --ppid $pid | tr -d " ") &&
	xbuild=$(ps -o pid= --ppid $compile | tr -d " ") &&
	PGIDS+=("$xbuild") &&
	for i in $(seq 100); do pgrep -g $xbuild -x sleep >/dev/null && break; sleep 0.1; done &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	echo "slugc: stopped by SIGINT" >expect && test_cmp expect err3 &&
	test_must_fail group_alive $xbuild &&
	ls -A "$TEST_TMP/usertmp" >user && test_must_fail test -s user &&
	ls -a "$st" >entries && test_no_grep "^tmp\\." entries
'

test_expect_success 'Ctrl-C while compressing: 130, one line, no slug' '
	D=$TEST_TMP/big && mkdir -p "$D" "$TEST_TMP/slugs" &&
	head -c 48M /dev/urandom >"$D/blob" &&
	{ "$SLUGC" pack -o "$TEST_TMP/slugs/big.tgz" "$D" >plog 2>perr & } &&
	pid=$! && bg_pid $pid &&
	wait_grep "^-----> Compressing" plog 10 &&
	sleep 0.3 &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	echo "slugc: stopped by SIGINT" >expect && test_cmp expect perr &&
	ls -A "$TEST_TMP/slugs" >left && test_must_fail test -s left
'

# An app whose web serves $PORT, and a worker that lives.
A=$TEST_TMP/apps/served
mkdir -p "$A" &&
	printf '%s\n' 'web: exec python3 -m http.server $PORT --bind 127.0.0.1' \
		'worker: exec sleep 300' >"$A/Procfile"

test_expect_success 'start, Ctrl-C: every process stopped, 130, one line' '
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/served.tgz" "$A" >log 2>&1 &&
	port=$(free_port) &&
	{ "$SLUGC" start -p $port "$TEST_TMP/served.tgz" >sout 2>serr & } &&
	pid=$! && bg_pid $pid &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	kids=$(ps -o pid= --ppid $pid | tr -d " ") && test -n "$kids" &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	cat sout serr &&
	echo "slugc: stopped by SIGINT" >expect && test_cmp expect serr &&
	for k in $kids; do test_must_fail group_alive $k || return 1; done
'

test_expect_success 'start, SIGTERM: 143, one line' '
	port=$(free_port) &&
	{ "$SLUGC" start -p $port "$TEST_TMP/served.tgz" >sout 2>serr & } &&
	pid=$! && bg_pid $pid &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	kill -TERM $pid &&
	test_expect_code 143 wait $pid &&
	echo "slugc: stopped by SIGTERM" >expect && test_cmp expect serr
'

test_expect_success 'kill -9 of slugc run: the app goes with it' '
	port=$(free_port) &&
	{ "$SLUGC" run -p $port "$TEST_TMP/served.tgz" >rout 2>&1 & } &&
	pid=$! && bg_pid $pid &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	web=$(ps -o pid= --ppid $pid | tr -d " ") && PGIDS+=("$web") &&
	kill -9 $pid &&
	test_expect_code 137 wait $pid &&
	wait_gone 3 group_alive $web &&
	test_must_fail curl -fsS "http://127.0.0.1:$port/" 2>/dev/null
'

test_expect_success 'smoke, Ctrl-C while booting: 130, one line, no failure line' '
	L=$TEST_TMP/apps/lazy && mkdir -p "$L" && printf "web: exec sleep 300\n" >"$L/Procfile" &&
	{ "$SLUGC" smoke -b "$BP/null" "$L" >mout 2>merr & } &&
	pid=$! && bg_pid $pid &&
	wait_grep "^-----> Booting web" mout 20 &&
	sleep 0.3 &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	echo "slugc: stopped by SIGINT" >expect && test_cmp expect merr &&
	test_no_grep "Smoke test failed" mout
'

Z=$TEST_TMP/apps/zero
mkdir -p "$Z" && printf 'web: echo started; exit 0\n' >"$Z/Procfile"

test_expect_success 'run: web exiting 0 before binding $PORT is a crash (124)' '
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/zero.tgz" "$Z" >log 2>&1 &&
	test_expect_code 124 "$SLUGC" run -p $(free_port) "$TEST_TMP/zero.tgz" >out 2>err &&
	echo started >expect && test_cmp expect out &&
	echo "slugc: web.1 exited with status 0 before binding \$PORT" >expect &&
	test_cmp expect err
'

test_expect_success 'start and smoke: the same crash, the same status' '
	test_expect_code 124 "$SLUGC" start -p $(free_port) "$TEST_TMP/zero.tgz" >out 2>err &&
	echo "slugc: web.1 exited with status 0 before binding \$PORT" >expect &&
	test_cmp expect err &&
	test_expect_code 124 "$SLUGC" smoke -b "$BP/null" "$Z" >out 2>err &&
	test_grep "^ !     Smoke test failed: web.1 ended with status 0 before binding \\\$PORT\$" out
'

test_expect_success 'run: a one-off command exiting 0 is no crash' '
	"$SLUGC" run "$TEST_TMP/zero.tgz" -- true >out 2>err &&
	test_must_fail test -s err
'

# A config var bigger than one environment string takes (128 KiB).
{ printf 'BIG_BLOB='; head -c 140000 /dev/zero | tr '\0' x; echo; } >"$TEST_TMP/big.env"
printf 'OK_BLOB=%s\n' "$(head -c 130000 /dev/zero | tr '\0' y)" >"$TEST_TMP/ok.env"
BIGMSG="config var BIG_BLOB (140000 bytes) is too big for a process's environment: Linux takes at most 131072 bytes per NAME=value (MAX_ARG_STRLEN)"

test_expect_success 'config var over 128 KiB: run, start and smoke refuse it by name (2)' '
	for verb in run start; do
		test_expect_code 2 "$SLUGC" $verb --env "$TEST_TMP/big.env" "$TEST_TMP/served.tgz" >out 2>err &&
		echo "slugc: $BIGMSG" >expect && test_cmp expect err &&
		test_must_fail test -s out || return 1
	done &&
	test_expect_code 2 "$SLUGC" smoke -b "$BP/null" --env "$TEST_TMP/big.env" "$A" >out 2>err &&
	test_cmp expect err && test_no_grep xxxxxxxx out err
'

test_expect_success 'config var over 128 KiB: build warns by name, ENV_DIR has it' '
	"$SLUGC" build -b "$BP/null" --env "$TEST_TMP/big.env" -o "$TEST_TMP/bigv.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     $BIGMSG; buildpacks get it as a file in ENV_DIR" log &&
	tar xzOf "$TEST_TMP/bigv.tgz" ./app/.build-info >info &&
	test_grep "^ENV_DIR_VARS=BIG_BLOB \$" info &&
	test_no_grep xxxxxxxx log
'

test_expect_success 'config var just under the limit reaches the process' '
	"$SLUGC" run --env "$TEST_TMP/ok.env" "$TEST_TMP/served.tgz" -- \
		sh -c "printf %s \"\$OK_BLOB\" | wc -c" >out &&
	echo 130000 >expect && test_cmp expect out
'

test_expect_success 'a release config var over 128 KiB is named too' '
	cp "$TEST_TMP/served.tgz" "$TEST_TMP/rel.tgz" &&
	printf -- "---\nconfig_vars:\n  REL_BLOB: \"%s\"\n" "$(head -c 140000 /dev/zero | tr "\0" y)" \
		>"$TEST_TMP/rel.release.yml" &&
	test_expect_code 2 "$SLUGC" run -p $(free_port) "$TEST_TMP/rel.tgz" >out 2>err &&
	echo "slugc: web.1: variable REL_BLOB (140000 bytes) is too big for a process'\''s environment: Linux takes at most 131072 bytes per NAME=value (MAX_ARG_STRLEN)" >expect &&
	test_cmp expect err
'

test_expect_success 'option errors: one line and a hint, exit 2' '
	test_expect_code 2 "$SLUGC" build --foo 2>err &&
	printf "%s\n" "slugc: unknown option --foo" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" run -x s.tgz 2>err &&
	printf "%s\n" "slugc: unknown option -x" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" run s.tgz --port 2>err &&
	printf "%s\n" "slugc: option --port needs a value" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" build --port=1 . 2>err &&
	printf "%s\n" "slugc: build does not take --port" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" start --path /x . 2>err &&
	printf "%s\n" "slugc: start does not take --path" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" build -p 1 . 2>err &&
	printf "%s\n" "slugc: build does not take -p" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" frobnicate 2>err &&
	printf "%s\n" "slugc: unknown command frobnicate" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$SLUGC" build --slug-max x . 2>err &&
	test $(wc -l <err) -eq 2 &&
	test_expect_code 2 "$SLUGC" build "--a$(printf "\nb")" . 2>err &&
	printf "%s\n" "slugc: unknown option --a\\x0ab" "Try '\''slugc --help'\''." >expect &&
	test_cmp expect err
'

test_done
