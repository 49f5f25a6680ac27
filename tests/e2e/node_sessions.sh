#!/usr/bin/env bash
# The seed post's app end to end: tests/fixtures/sessions (express +
# express-session + connect-redis) built by `slugc build` with the Node.js
# buildpack, its Redis add-on provisioned from app.json on the first build,
# then run by `slugc start` in the background and asked with a cookie jar:
# the session's page views survive a restart (4), a redeploy of a new
# commit (5), and a kill -9 of the add-on's redis-server, which slugc
# starts again (6).  express's in-memory store, the control, forgets them
# on a restart.  `slugc smoke --requests N` sees the views reach N.  With
# the add-on destroyed, the app fails visibly: no boot, no 200.
#
# npm installs from a copy of the seeded cache (tests/fixtures/
# seed-npm-cache.sh), so the builds need no registry.  The processes
# stopped here are the `slugc start` this file started (by pid) and the
# redis-servers whose pidfiles are in this test's state directory and whose
# command line names it.
. "$(dirname "$0")/../lib.sh"

NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
# Absolute for the seed script too: this file runs in $TEST_TMP.
export SLUGC_NODE_RUNTIME_DIR=$NODE_RUNTIME_DIR
SEED=$(abspath "${SLUGC_NPM_SEED:-build/npm-cache}")
. "$NODE_RUNTIME_DIR/node.env" || exit 1
NODE_TGZ=$TARBALL_ZST NODE_SHA=$SHA256_ZST
unset NODE_VERSION NPM_VERSION
STATE=$TEST_TMP/state
export XDG_STATE_HOME=$STATE XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
A=$TEST_TMP/sessions # the app: its name is "sessions"
CACHE=$TEST_TMP/cache
ADDONS=$STATE/slugc/apps/sessions/addons
JAR=$TEST_TMP/jar
PORT=$(free_port) || exit 1
START_PID=

# ours PID: a process whose command line names this test's directory.
ours() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$TEST_TMP/"
}

# gone PID: no such process, or only its zombie.
gone() {
	local st
	st=$(sed -n "s/^[0-9]* (.*) \([A-Z]\) .*/\1/p" "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}

redis_pid() { cat "$ADDONS"/*/redis.pid 2>/dev/null; }

stop_ours() {
	local f pid
	if [ -n "$START_PID" ]; then
		kill -TERM "$START_PID" 2>/dev/null
		wait "$START_PID" 2>/dev/null
	fi
	for f in "$ADDONS"/*/redis.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		ours "$pid" && kill -KILL "$pid"
	done
}
test_at_exit stop_ours

# build OUT.tgz: the app's HEAD built with the Node.js buildpack, the
# runtime by file:// URL (no buildpack.local.yml needed), the log in
# build.log.
build() {
	"$SLUGC" build -b "$NODE_BPDIR" --cache "$CACHE" -o "$TEST_TMP/$1" \
		-e NODE_URL="file://$NODE_TGZ" -e NODE_SHA256="$NODE_SHA" \
		"$A" >build.log 2>&1 || { cat build.log; return 1; }
}

# start SLUG [ARGS...]: `slugc start` of the slug in the background, its
# output in start.out and start.err; returns once web listens, fails when
# slugc ends first or web has not bound in 60 s.
start() {
	local slug=$1 i
	shift
	# One at a time: a case that failed may have left one running.
	if [ -n "$START_PID" ]; then
		kill -TERM "$START_PID" 2>/dev/null
		wait "$START_PID"
	fi
	# Not the last run's "listening" line: the new one's redirection
	# happens in the background.
	rm -f start.out start.err
	"$SLUGC" start --app sessions -p "$PORT" "$@" "$TEST_TMP/$slug" \
		>start.out 2>start.err </dev/null &
	START_PID=$!
	for ((i = 0; i < 600; i++)); do
		grep -q "^web.1 | listening on $PORT\$" start.out && return 0
		if gone "$START_PID"; then
			wait "$START_PID"
			echo "slugc start ended first (exit $?)" >&2
			START_PID=
			cat start.out start.err >&2
			return 1
		fi
		sleep 0.1
	done
	echo "web did not listen within 60 s" >&2
	cat start.out start.err >&2
	return 1
}

# stop: SIGTERM to our slugc start, which stops web (143).
stop() {
	kill -TERM "$START_PID" &&
	test_expect_code 143 wait "$START_PID" &&
	START_PID= &&
	test_grep -x "slugc: stopped by SIGTERM" start.err
}

# views N [JAR]: one GET with the cookie jar answers "views: N".
views() {
	curl -fsS --max-time 10 -b "${2:-$JAR}" -c "${2:-$JAR}" \
		"http://127.0.0.1:$PORT/" >body &&
	echo "views: $1" >expect &&
	test_cmp expect body
}

test_expect_success 'setup: the app as a git repository, npm cache seeded' '
	"$REPO/tests/fixtures/seed-npm-cache.sh" "$SEED" &&
	mkdir -p "$CACHE/nodejs" &&
	flock -s "$SEED/.lock" cp -R "$SEED/npm" "$CACHE/nodejs/npm" &&
	cp -R "$FIXTURES/sessions" "$A" &&
	git -C "$A" init -q &&
	git -C "$A" add -A &&
	git -C "$A" -c user.name=t -c user.email=t@example.com \
		commit -qm "sessions v1"
'

test_expect_success 'first build: Node.js, provisions redistogo from app.json' '
	build v1.tgz &&
	test_grep -x -- "-----> Node.js app detected" build.log &&
	test_grep -x -- "-----> Provisioning add-ons (the app'"'"'s first build)" build.log &&
	test_grep -E "^       Created redistogo-[0-9]{5} as REDISTOGO_URL, REDIS_URL$" build.log &&
	ls "$ADDONS"/*/addon.yml &&
	PW=$("$SLUGC" config:get REDISTOGO_URL -a sessions | cut -d: -f3 | cut -d@ -f1) &&
	test ${#PW} = 64 &&
	test_no_grep -F "$PW" build.log
'

test_expect_success 'start: the add-on first, then web; views 1, 2, 3' '
	start v1.tgz &&
	test_grep -E "^slugc: add-on redistogo-[0-9]{5}: pid [0-9]+ on port [0-9]+$" start.err &&
	PID1=$(redis_pid) && ours "$PID1" &&
	views 1 && views 2 && views 3
'

test_expect_success 'stop and start again: 4, the add-on kept running' '
	stop &&
	! gone "$PID1" &&
	start v1.tgz &&
	test "$(redis_pid)" = "$PID1" &&
	test_no_grep "pid [0-9]* on port" start.err &&
	views 4
'

test_expect_success 'a new commit built and started (a redeploy): 5' '
	stop &&
	sed -i "s|res.type(|res.set(\"X-Deploy\", \"v2\").type(|" "$A/server.js" &&
	grep -q X-Deploy "$A/server.js" &&
	git -C "$A" -c user.name=t -c user.email=t@example.com \
		commit -qam "sessions v2" &&
	build v2.tgz &&
	test_no_grep Provisioning build.log &&
	start v2.tgz &&
	test "$(redis_pid)" = "$PID1" &&
	curl -fsS -D headers -b "$JAR" -c "$JAR" "http://127.0.0.1:$PORT/" >body &&
	echo "views: 5" >expect && test_cmp expect body &&
	test_grep -i "^X-Deploy: v2" headers
'

test_expect_success 'redis-server killed (-9): start brings it back; 6' '
	stop &&
	ours "$PID1" && kill -KILL "$PID1" &&
	for i in $(seq 50); do gone "$PID1" && break; sleep 0.1; done &&
	gone "$PID1" &&
	start v2.tgz &&
	PID2=$(redis_pid) && ours "$PID2" && test "$PID2" != "$PID1" &&
	test_grep -E "^slugc: add-on redistogo-[0-9]{5}: pid $PID2 on port [0-9]+$" start.err &&
	views 6
'

test_expect_success 'control: the in-memory store forgets on a restart' '
	stop &&
	start v2.tgz -e SESSION_STORE=memory &&
	views 1 "$TEST_TMP/memjar" && views 2 "$TEST_TMP/memjar" &&
	stop &&
	start v2.tgz -e SESSION_STORE=memory &&
	views 1 "$TEST_TMP/memjar" &&
	stop
'

test_expect_success 'and Redis still holds the first session: 7' '
	start v2.tgz &&
	views 7 &&
	stop
'

test_expect_success 'smoke --requests 5: cookies kept, views reach 5' '
	"$SLUGC" smoke -b "$NODE_BPDIR" --cache "$CACHE" \
		-e NODE_URL="file://$NODE_TGZ" -e NODE_SHA256="$NODE_SHA" \
		--requests 5 --expect-body "views: 5" "$A" >out 2>err ||
		{ cat out err; return 1; }
	test_grep -x -- "-----> Smoke test passed: GET / -> 200 (9 bytes, Host sessions.localhost), the last of 5 with cookies kept" out
'

test_expect_success 'smoke: the last body checked, the failing request named (6)' '
	"$SLUGC" smoke -b "$NODE_BPDIR" --cache "$CACHE" \
		-e NODE_URL="file://$NODE_TGZ" -e NODE_SHA256="$NODE_SHA" \
		--requests 2 --expect-body "views: 3" "$A" >out 2>err
	rc=$?
	test "$rc" = 6 || { echo "exit $rc"; cat out err; return 1; }
	test_grep -x -- " !     Smoke test failed: GET / (request 2 of 2) answered 200 without the expected text in its body (9 bytes)" out
'

test_expect_success 'smoke --requests: 1 to 1000, else a usage error (2)' '
	for n in 0 1001 x ""; do
		test_expect_code 2 "$SLUGC" smoke --requests "$n" "$A" \
			>out 2>err </dev/null &&
		test_grep -x "slugc: --requests wants 1 to 1000" err || return 1
	done
'

test_expect_success 'add-on destroyed: the server stopped, its data gone' '
	NAME=$(basename "$(dirname "$(ls "$ADDONS"/*/addon.yml)")") &&
	"$SLUGC" addons:destroy "$NAME" -a sessions --confirm sessions >out 2>err &&
	for i in $(seq 50); do gone "$PID2" && break; sleep 0.1; done &&
	gone "$PID2" &&
	test_must_fail test -e "$ADDONS/$NAME"
'

test_expect_success 'then the app fails visibly: no boot, exit 1, no answer' '
	"$SLUGC" start --app sessions -p "$PORT" "$TEST_TMP/v2.tgz" \
		>out 2>err </dev/null
	rc=$?
	test "$rc" = 1 || { echo "exit $rc"; cat out err; return 1; }
	test_grep -x "web.1 | REDISTOGO_URL is not set: add the Redis add-on" out &&
	test_grep -x "slugc: web.1 exited with status 1 before binding \$PORT" err &&
	test_must_fail curl -fsS --max-time 5 -b "$JAR" "http://127.0.0.1:$PORT/"
'

test_expect_success 'and smoke fails too, naming why' '
	"$SLUGC" smoke -b "$NODE_BPDIR" --cache "$CACHE" \
		-e NODE_URL="file://$NODE_TGZ" -e NODE_SHA256="$NODE_SHA" \
		--requests 2 "$A" >out 2>err
	rc=$?
	test "$rc" -ne 0 && test "$rc" -lt 128 ||
		{ echo "exit $rc"; cat out err; return 1; } &&
	test_grep -x " !     Smoke test failed: web.1 ended with status 1 before binding \$PORT" out
'

test_done
