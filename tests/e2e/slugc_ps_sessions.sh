#!/usr/bin/env bash
# The issue's example under the supervisor: the session app
# (tests/fixtures/sessions) built with the Node.js buildpack, its Redis
# add-on provisioned on the first build; v1 run by `slugc ps:start` (the
# add-on started first), then v2 deployed with `release 2` over the
# socket (as a push does): the session's views go on counting across the
# restart.  The processes stopped here are the supervisor's (ps:stop) and
# the redis-servers whose pidfiles are in this test's state directory and
# whose command line names it.
. "$(dirname "$0")/../lib.sh"

NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
export SLUGC_NODE_RUNTIME_DIR=$NODE_RUNTIME_DIR
SEED=$(abspath "${SLUGC_NPM_SEED:-build/npm-cache}")
. "$NODE_RUNTIME_DIR/node.env" || exit 1
NODE_TGZ=$TARBALL_ZST NODE_SHA=$SHA256_ZST
unset NODE_VERSION NPM_VERSION
export XDG_CACHE_HOME=$TEST_TMP/xdg SLUGC_STOP_GRACE=5
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
A=$TEST_TMP/sessions # the app: its name is "sessions"
STATE=$XDG_STATE_HOME/slugc/apps/sessions
CACHE=$TEST_TMP/cache
JAR=$TEST_TMP/jar
PORT=$(free_port) || exit 1

ours() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$TEST_TMP/"
}

stop_ours() {
	local f pid
	"$SLUGC" ps:stop -a sessions >/dev/null 2>&1
	for f in "$STATE"/addons/*/redis.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		ours "$pid" && kill -KILL "$pid"
	done
}
test_at_exit stop_ours

build() {
	"$SLUGC" build -b "$NODE_BPDIR" --cache "$CACHE" -o "$TEST_TMP/$1" \
		-e NODE_URL="file://$NODE_TGZ" -e NODE_SHA256="$NODE_SHA" \
		"$A" >build.log 2>&1 || { cat build.log; return 1; }
}

# mkrelease N SLUG: release vN as the release store makes it, with the
# app's config as it is.
mkrelease() {
	local d=$STATE/releases/v$1
	mkdir -p "$d" &&
	cp "$2" "$d/slug.tgz" &&
	cp "${2%.tgz}.release.yml" "$d/release.yml" &&
	cp "$STATE/config.yml" "$d/config.yml" &&
	cat >"$d/meta.yml" <<-EOF
	"version": "$1"
	"created": "2026-12-06T01:00:00Z"
	"commit": ""
	"description": "Deploy v$1"
	"slug_size": "$(stat -c %s "$2")"
	"slug_sha256": "$(sha256sum "$2" | cut -d" " -f1)"
	EOF
}

views() {
	curl -fsS --max-time 10 -D headers -b "$JAR" -c "$JAR" \
		"http://127.0.0.1:$PORT/" >body &&
	echo "views: $1" >expect &&
	test_cmp expect body
}

test_expect_success 'setup: the app built, its add-on provisioned, v1' '
	"$REPO/tests/fixtures/seed-npm-cache.sh" "$SEED" &&
	mkdir -p "$CACHE/nodejs" &&
	flock -s "$SEED/.lock" cp -R "$SEED/npm" "$CACHE/nodejs/npm" &&
	cp -R "$FIXTURES/sessions" "$A" &&
	build v1.tgz &&
	ls "$STATE"/addons/*/addon.yml &&
	mkrelease 1 "$TEST_TMP/v1.tgz"
'

# The add-on's port, taken by someone else before ps:start: the add-on
# moves, and web must get its new port, not v1's snapshot of the old.
test_expect_success 'setup: the add-on port taken' '
	APORT=$(sed -n "s/^\"port\": \"\([0-9]*\)\"$/\1/p" "$STATE"/addons/*/addon.yml) &&
	test -n "$APORT" &&
	grep -q "127.0.0.1:$APORT" "$STATE/releases/v1/config.yml" || return 1
	python3 -c "
import socket, sys, time
s = socket.socket(); s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen(1)
time.sleep(600)" "$APORT" &
	SQUAT=$! &&
	test_at_exit "kill $SQUAT" &&
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$APORT") 2>/dev/null && break
		sleep 0.1
	done
'

test_expect_success 'ps:start: the add-on first (moved), then web; views 1, 2' '
	"$SLUGC" ps:start -p "$PORT" -a sessions >out 2>&1 || { cat out; false; } &&
	test_grep "^web.1: up .*port $PORT, .*v1$" out &&
	test_grep -E "app\[slugc\]: add-on redistogo-[0-9]{5}: ready" "$STATE/log" &&
	test_no_grep "127.0.0.1:$APORT" "$STATE/config.yml" &&
	views 1 && views 2
'

test_expect_success 'v2 deployed over the socket: the session survives; 3' '
	sed -i "s|res.type(|res.set(\"X-Deploy\", \"v2\").type(|" "$A/server.js" &&
	build v2.tgz &&
	mkrelease 2 "$TEST_TMP/v2.tgz" &&
	"$SLUGC" ps:restart -a sessions >out 2>&1 &&
	test_grep "^web.1: up .*v2$" <("$SLUGC" ps -a sessions) &&
	views 3 &&
	test_grep -i "^X-Deploy: v2" headers
'

test_expect_success 'the log: web stopped with SIGTERM, no password' '
	test_grep "app\[slugc\]: Restarting on v2" "$STATE/log" &&
	test_grep "app\[slugc\]: web.1: Process exited with status" "$STATE/log" &&
	PW=$("$SLUGC" config:get REDISTOGO_URL -a sessions | cut -d: -f3 | cut -d@ -f1) &&
	test ${#PW} = 64 &&
	test_no_grep -F "$PW" "$STATE/log"
'

test_expect_success 'ps:stop: web gone, the add-on left running' '
	web=$("$SLUGC" ps -a sessions | sed -n "s/^web.1: .*pid \([0-9]*\),.*/\1/p") &&
	"$SLUGC" ps:stop -a sessions >out &&
	! ps -e -o pgid=,stat= | awk -v g="$web" "\$1 == g && \$2 !~ /^Z/ { f = 1 } END { exit !f }" &&
	ours "$(cat "$STATE"/addons/*/redis.pid)"
'

test_done
