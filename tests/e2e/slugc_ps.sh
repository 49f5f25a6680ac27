#!/usr/bin/env bash
# slugc ps:start, ps, ps:scale, ps:restart, ps:stop and logs: the
# supervisor daemon on real slugs (a Python echo app built with the null
# buildpack), releases made in the app's state as the release store lays
# them out, real processes, ports and signals.  Processes are checked by
# the pids and process groups the supervisor reports, never by name.
. "$(dirname "$0")/../lib.sh"

BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg
export SLUGC_STOP_GRACE=1 SLUGC_RESTART_DELAY=0.2
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
APP=psapp
STATE=$XDG_STATE_HOME/slugc/apps/$APP

# echo_app DIR PROCFILE: a web that answers with its DYNO, PORT, and the
# config var GREETING.
echo_app() {
	mkdir -p "$1" &&
	cat >"$1/server.py" <<-'EOF' &&
	import http.server, os
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        e = os.environ
	        body = ("dyno=%s port=%s greeting=%s\n" % (e.get("DYNO"),
	            e.get("PORT"), e.get("GREETING"))).encode()
	        self.send_response(200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a):
	        pass
	print("listening on", os.environ["PORT"], flush=True)
	http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
	EOF
	printf '%s\n' "$2" >"$1/Procfile"
}

# mkrelease N SLUG GREETING: release vN as the release store makes it.
mkrelease() {
	local d=$STATE/releases/v$1 sum
	mkdir -p "$d" &&
	cp "$2" "$d/slug.tgz" &&
	cp "${2%.tgz}.release.yml" "$d/release.yml" &&
	printf '"GREETING": "%s"\n' "$3" >"$d/config.yml" &&
	sum=$(sha256sum "$2" | cut -d" " -f1) &&
	cat >"$d/meta.yml" <<-EOF
	"version": "$1"
	"created": "2026-12-06T01:00:00Z"
	"commit": ""
	"description": "Deploy v$1"
	"slug_size": "$(stat -c %s "$2")"
	"slug_sha256": "$sum"
	EOF
}

# ports TYPE: the ports `slugc ps` shows for TYPE's processes.
ports() { "$SLUGC" ps -a $APP | sed -n "s/^$1\.[0-9]*: .*port \([0-9]*\),.*/\1/p"; }
# pid_of NAME: the pid `slugc ps` shows for process NAME (web.1).
pid_of() { "$SLUGC" ps -a $APP | sed -n "s/^$1: .*pid \([0-9]*\),.*/\1/p"; }
daemon_pid() { "$SLUGC" ps -a $APP | sed -n 's/^Supervisor: pid \([0-9]*\),.*/\1/p'; }
# group_alive PGID: some process of the group runs (zombies do not count).
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }
# pid_alive PID: it runs (a zombie init has not reaped yet does not).
pid_alive() { ps -o stat= -p "$1" | grep -q "^[^Z]"; }
# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until() {
	local n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}
stop_app() { "$SLUGC" ps:stop -a $APP >/dev/null 2>&1 || :; }
test_at_exit stop_app

test_expect_success 'setup: two slugs, v2 with a web that ignores SIGTERM' '
	echo_app a1 "web: python3 server.py
worker: echo working; sleep 1; exit 3" &&
	echo_app a2 "web: trap \"\" TERM; exec python3 server.py" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/s1.tgz" a1 >log 2>&1 &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/s2.tgz" a2 >>log 2>&1 ||
	{ cat log; false; }
'

test_expect_success 'ps:start without a release says so (2)' '
	mkdir -p "$STATE" &&
	test_expect_code 2 "$SLUGC" ps:start -a $APP 2>err &&
	test_grep "has no release yet" err
'

test_expect_success 'ps, not running: the formation and the release' '
	mkrelease 1 "$TEST_TMP/s1.tgz" "secret-v1" &&
	"$SLUGC" ps -a $APP >out &&
	test_grep "^=== $APP is not running" out &&
	test_grep "^Formation: web=1$" out &&
	test_grep "^Current release: v1$" out
'

test_expect_success 'ps:start: web bound when it returns, with its config' '
	"$SLUGC" ps:start -a $APP >out 2>err || { cat out err; false; } &&
	test_grep "^Starting $APP v1... done" out &&
	test_grep "^web.1: up .*, v1$" out &&
	port=$(ports web) &&
	curl -fsS "http://127.0.0.1:$port/" >body &&
	test_grep "^dyno=web.1 port=$port greeting=secret-v1$" body &&
	test -S "$STATE/ps.sock" &&
	DAEMON=$(daemon_pid) && test -n "$DAEMON"
'

test_expect_success 'a second ps:start while one runs says so (2)' '
	test_expect_code 2 "$SLUGC" ps:start -a $APP 2>err &&
	test_grep "is running already" err &&
	test "$(daemon_pid)" = "$DAEMON"
'

test_expect_success 'ps:scale web=2 worker=1: two web ports answer' '
	"$SLUGC" ps:scale web=2 worker=1 -a $APP >out 2>&1 &&
	test_grep "done" out &&
	grep -c . <<<"$(ports web)" >n && echo 2 >expect && test_cmp expect n &&
	for p in $(ports web); do
		curl -fsS "http://127.0.0.1:$p/" || return 1
	done >bodies &&
	test_grep "^dyno=web.1 " bodies && test_grep "^dyno=web.2 " bodies &&
	test_grep "^web: 2$" "$STATE/formation.yml" &&
	test_grep "^worker: 1$" "$STATE/formation.yml"
'

test_expect_success 'ps:scale of a type the release lacks is refused (2)' '
	test_expect_code 2 "$SLUGC" ps:scale clock=1 -a $APP >out 2>err &&
	test_grep "find that process type (clock)" err &&
	test_expect_code 2 "$SLUGC" ps:scale web=lots -a $APP 2>err
'

test_expect_success 'a crashed process is restarted, and logged' '
	wait_until 10 grep -q "worker.1: Restarted" "$STATE/log" &&
	test_grep "worker.1: Process exited with status 3; State changed to crashed" "$STATE/log" &&
	old=$(pid_of web.1) &&
	kill -KILL "$old" &&
	wait_until 10 sh -c "\"$SLUGC\" ps -a $APP | grep -q \"^web.1: up .*restarted 1 time\"" &&
	new=$(pid_of web.1) && test "$new" != "$old" &&
	curl -fsS "http://127.0.0.1:$(ports web | head -1)/" >body &&
	test_grep "^dyno=web.1 " body
'

test_expect_success 'logs -n: timestamped lines, app[web.1] and app[slugc]' '
	"$SLUGC" logs -n 5 -a $APP >out &&
	test $(wc -l <out) -eq 5 &&
	"$SLUGC" logs -n 0 -a $APP >all &&
	test_grep -E "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00 app\[web.1\]: listening on [0-9]+$" all &&
	test_grep -E " app\[slugc\]: web.1: State changed from starting to up" all &&
	test_grep -E " app\[worker.1\]: working$" all &&
	test_no_grep "secret-v1" all
'

test_expect_success 'release 2: SIGTERM, the grace, SIGKILL, then v2 runs' '
	mkrelease 2 "$TEST_TMP/s2.tgz" "hello-v2" &&
	old=$(pid_of web.1) &&
	"$SLUGC" ps:restart -a $APP >out 2>&1 &&
	test_grep "^web.1: up .*, v2$" <("$SLUGC" ps -a $APP) &&
	! group_alive "$old" &&
	curl -fsS "http://127.0.0.1:$(ports web | head -1)/" >body &&
	test_grep "greeting=hello-v2" body
'

test_expect_success 'a process ignoring SIGTERM is killed after the grace' '
	old=$(pid_of web.1) &&
	mkrelease 3 "$TEST_TMP/s1.tgz" "back-to-1" &&
	python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = time.time()
s.sendall(b\"release 3\n\")
s.shutdown(socket.SHUT_WR)
r = b\"\"
while True:
    b = s.recv(4096)
    if not b: break
    r += b
print(r.decode().strip(), round(time.time() - t, 1))
" "$STATE/ps.sock" >reply &&
	test_grep "^ok " reply &&
	took=$(cut -d" " -f2 reply) &&
	awk -v t="$took" "BEGIN { exit !(t >= 1.0) }" &&
	test_grep "web.1: Process exited with status 137" "$STATE/log" &&
	! group_alive "$old" &&
	test_grep "^web.1: up .*, v3$" <("$SLUGC" ps -a $APP)
'

test_expect_success 'logs -t follows new lines until stopped' '
	"$SLUGC" logs -t -n 1 -a $APP >tail.out 2>&1 &
	tpid=$! &&
	test_at_exit "kill $tpid" &&
	sleep 0.3 &&
	"$SLUGC" ps:scale worker=0 -a $APP >/dev/null &&
	wait_until 5 grep -q "Scaled to worker=0" tail.out &&
	kill -INT $tpid && wait $tpid; rc=$? &&
	test $rc -eq 0 &&
	test $(grep -c "Scaled to worker=0" tail.out) -eq 1
'

test_expect_success 'ps:stop: every process the supervisor reported is gone' '
	pids="$DAEMON $(pid_of web.1) $(pid_of web.2)" &&
	"$SLUGC" ps:stop -a $APP >out 2>&1 &&
	test_grep "done" out &&
	for p in $pids; do
		! group_alive $p || { echo "group $p still runs"; return 1; }
	done &&
	! pid_alive "$DAEMON" &&
	test ! -e "$STATE/ps.sock" &&
	"$SLUGC" ps -a $APP >out && test_grep "is not running" out &&
	"$SLUGC" ps:stop -a $APP >out 2>&1 && test_grep "not running" out
'

test_expect_success 'ps:start after a killed supervisor: the stale socket is replaced' '
	"$SLUGC" ps:start -a $APP >out 2>&1 &&
	d=$(daemon_pid) && web=$(pid_of web.1) &&
	kill -KILL "$d" &&
	wait_until 5 eval "! pid_alive $d" &&
	test -S "$STATE/ps.sock" &&
	wait_until 5 sh -c "! ps -e -o pgid= | grep -qw $web" &&
	"$SLUGC" ps:start -a $APP >out 2>&1 &&
	test_grep "^web.1: up .*, v3$" out &&
	"$SLUGC" ps:stop -a $APP >/dev/null
'

test_expect_success 'R10: a web that never binds fails ps:start (124)' '
	echo_app a3 "web: sleep 30" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/s3.tgz" a3 >log 2>&1 &&
	mkrelease 4 "$TEST_TMP/s3.tgz" "x" &&
	SLUGC_BOOT_TIMEOUT=1 test_expect_code 124 "$SLUGC" ps:start -a $APP >out 2>err &&
	test_grep "Error R10 (Boot timeout)" err &&
	"$SLUGC" ps:stop -a $APP >/dev/null
'

test_done
