#!/usr/bin/env bash
# slugc releases, rollback, and config:set/unset making releases, on real
# slugs: an app pushed twice with `git push` (the null test buildpack; a
# marker file tells the slugs apart), then config changes, rollbacks (the
# slug and config vars restored, checked with `slugc run` of the release's
# slug), a corrupt and a pruned release listed and refused, and each new
# release announced on the app's ps.sock to a listener this test runs.
. "$(dirname "$0")/../lib.sh"

unset SOURCE_DATE_EPOCH SLUGC_RELEASE_SLUGS
export XDG_CACHE_HOME=$TEST_TMP/xdg
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export SLUGC_BUILDPACKS=$TEST_TMP/bps
APPS=$XDG_STATE_HOME/slugc/apps
R=$APPS/web/releases
SRC=$TEST_TMP/src

# push MARKER: commits marker=MARKER in $SRC and pushes it; the log in
# ./push.log.
push() {
	(cd "$SRC" && echo "$1" >marker && git add -A &&
		git commit -q -m "$1" && git push slugc main) >push.log 2>&1
}
short() { git -C "$SRC" rev-parse --short=7 HEAD; }

# The listener on web's ps.sock: it writes each request line to
# $TEST_TMP/requests and answers "ok".  Stopped by its pid at exit.
listen() {
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
open(sys.argv[3], "w").write("up\n")
while True:
    c, _ = s.accept()
    line = c.makefile().readline()
    with open(sys.argv[2], "a") as f: f.write(line if line.endswith("\n") else line + "\n")
    c.sendall(b"ok\n"); c.close()
' "$APPS/web/ps.sock" "$TEST_TMP/requests" "$TEST_TMP/listening" &
	echo $! >"$TEST_TMP/listener.pid"
}
stop_listener() {
	[ -f "$TEST_TMP/listener.pid" ] && kill "$(cat "$TEST_TMP/listener.pid")"
}
test_at_exit stop_listener

# sc ARGS...: slugc with stdout in ./out and stderr in ./err.
sc() { "$SLUGC" "$@" >out 2>err; }

test_expect_success 'setup: web, its repository, the null buildpack' '
	mkdir -p "$SLUGC_BUILDPACKS" "$SRC" &&
	cp -a "$FIXTURES/buildpacks/null" "$SLUGC_BUILDPACKS/null" &&
	"$SLUGC" apps:create web >create.out 2>err &&
	echo "web: sleep 1000" >"$SRC/Procfile" &&
	(cd "$SRC" && git init -q -b main && eval "$(cat ../create.out)")
'

test_expect_success 'an app without releases: releases says so, rollback exits 2' '
	sc releases -a web && test_grep "^=== web Releases$" out &&
	test_grep "^web has no releases yet\.$" out &&
	test_expect_code 2 "$SLUGC" rollback -a web 2>err &&
	test_grep "web has no releases yet" err
'

test_expect_success 'config:set without a release sets the var and makes none' '
	sc config:set FOO=one -a web &&
	test_grep "^Setting FOO on web\.\.\. done$" err &&
	test ! -e "$R"
'

test_expect_success 'git push makes v1; releases lists it as the Heroku CLI does' '
	push one && test_grep "Launching... done, v1" push.log &&
	c1=$(short) && echo "$c1" >c1 &&
	sc releases -a web &&
	test_grep "^=== web Releases - Current: v1$" out &&
	test_grep -E "^v1     Deploy $c1  [0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \+0000  $c1  [0-9.]+ (B|KB|MB)$" out
'

test_expect_success 'config:set with a release: a release, Heroku'"'"'s line, the supervisor told' '
	listen &&
	for i in $(seq 50); do test -s listening && break; sleep 0.1; done &&
	sc config:set FOO=two BAR=x -a web &&
	test_grep "^Setting FOO, BAR and restarting web\.\.\. done, v2$" err &&
	test_no_grep "two" err && test_no_grep "two" out &&
	test_grep "^release 2$" requests &&
	sc releases -a web &&
	test_grep "^=== web Releases - Current: v2$" out &&
	test_grep "^v2     Set FOO, BAR config vars  .*  $(cat c1)  " out &&
	test "$(stat -c %i "$R/v2/slug.tgz")" = "$(stat -c %i "$R/v1/slug.tgz")"
'

test_expect_success 'git push makes v3, announced; config:unset makes v4' '
	push two && test_grep "Launching... done, v3" push.log &&
	short >c3 && test_grep "^release 3$" requests &&
	sc config:unset BAR -a web &&
	test_grep "^Unsetting BAR and restarting web\.\.\. done, v4$" err &&
	test_grep "^release 4$" requests &&
	sc config -s -a web && test_no_grep "^BAR=" out &&
	test_grep "^FOO=.*two" out
'

test_expect_success 'rollback: to the release before the current one, config restored' '
	sc config:set FOO=three -a web &&
	test_grep "done, v5$" err &&
	sc rollback -a web &&
	test_grep "^Rolling back web to v4\.\.\. done, v6$" err &&
	test_grep "To undo, run: slugc rollback v5$" err &&
	test_grep "^release 6$" requests &&
	sc config:get FOO -a web && test "$(cat out)" = two &&
	sc releases -a web &&
	test_grep "^v6     Rollback to v4  .*  $(cat c3)  " out
'

test_expect_success 'rollback v1: slug one runs again, with v1'"'"'s config vars' '
	sc rollback v1 -a web &&
	test_grep "^Rolling back web to v1\.\.\. done, v7$" err &&
	sc config:get FOO BAR -a web &&
	printf "one\n\n" >expect && test_cmp expect out &&
	"$SLUGC" run "$R/v7/slug.tgz" -- cat marker >out 2>err &&
	test "$(cat out)" = one &&
	"$SLUGC" run "$R/v6/slug.tgz" -- cat marker >out 2>err &&
	test "$(cat out)" = two
'

test_expect_success 'rollback refuses an unknown version (2) and a bad argument (2)' '
	test_expect_code 2 "$SLUGC" rollback v99 -a web 2>err &&
	test_grep "web has no release v99 (the current one is v7)" err &&
	test_expect_code 2 "$SLUGC" rollback vx -a web 2>err &&
	test_grep "not a release" err &&
	test ! -e "$R/v8"
'

test_expect_success 'a corrupt release: listed with its reason, refused by rollback (4)' '
	rm "$R/v2/slug.tgz" &&
	echo "version: [" >"$R/v3/meta.yml" &&
	sc releases -a web &&
	test_grep "^v2     .* corrupt: slug\.tgz: No such file or directory$" out &&
	test_grep "^v3     .* corrupt: meta\.yml:2:1: " out &&
	test_expect_code 4 "$SLUGC" rollback v2 -a web 2>err &&
	test_grep "v2 is corrupt: slug\.tgz: No such file or directory" err &&
	test $(wc -l <err) = 1 &&
	test_expect_code 4 "$SLUGC" rollback v3 -a web 2>err &&
	test ! -e "$R/v8"
'

test_expect_success 'pruning: beyond SLUGC_RELEASE_SLUGS slugs, listed as pruned, refused (2)' '
	SLUGC_RELEASE_SLUGS=1 "$SLUGC" config:set N=1 -a web 2>err &&
	test_grep "done, v8$" err &&
	test ! -e "$R/v6/slug.tgz" && test ! -e "$R/v4/slug.tgz" &&
	test -e "$R/v8/slug.tgz" && test -e "$R/v1/slug.tgz" &&
	sc releases -a web &&
	test_grep "^v6     Rollback to v4  .*  $(cat c3)  pruned$" out &&
	test_expect_code 2 "$SLUGC" rollback v6 -a web 2>err &&
	test_grep "v6.s slug was pruned" err &&
	test_expect_code 4 env SLUGC_RELEASE_SLUGS=0 "$SLUGC" config:set N=2 -a web 2>err &&
	test_grep "SLUGC_RELEASE_SLUGS=.0.: want a count" err &&
	sc config:get N -a web && test "$(cat out)" = 1 && test ! -e "$R/v9"
'

test_expect_success 'releases -n 2 shows the newest two' '
	sc releases -n 2 -a web &&
	test $(grep -c "^v" out) = 2 && test_grep "^v8 " out &&
	test_grep "^v7 " out
'

test_expect_success 'a corrupt current release: config:set refused (4), nothing changed' '
	rm "$R/v8/slug.tgz" &&
	test_expect_code 4 "$SLUGC" config:set X=1 -a web 2>err &&
	test_grep "^slugc: v8 is corrupt: slug\.tgz: No such file or directory$" err &&
	sc config:get X -a web && test "$(cat out)" = "" && test ! -e "$R/v9"
'

test_expect_success 'no .new-* left behind by any of it' '
	test -z "$(ls -A "$R" | grep -v "^v[0-9]*$")"
'

# --- a running app: config:set and rollback restart it on the new release

export SLUGC_STOP_GRACE=1 SLUGC_RESTART_DELAY=0.2
LIVE=$TEST_TMP/live
stop_live() { "$SLUGC" ps:stop -a live >/dev/null 2>&1 || :; }
test_at_exit stop_live
# greeting: what live's web.1 answers, by the port `slugc ps` reports.
greeting() {
	local port
	port=$("$SLUGC" ps -a live | sed -n "s/^web\.1: .*port \([0-9]*\),.*/\1/p") &&
	curl -fsS "http://127.0.0.1:$port/"
}

test_expect_success 'live: pushed and started under the supervisor' '
	mkdir -p "$LIVE" &&
	cat >"$LIVE/server.py" <<-\EOF &&
	import http.server, os
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        body = ("greeting=%s\n" % os.environ.get("GREETING")).encode()
	        self.send_response(200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a):
	        pass
	http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
	EOF
	echo "web: python3 server.py" >"$LIVE/Procfile" &&
	"$SLUGC" apps:create live >create.out 2>err &&
	"$SLUGC" config:set GREETING=first -a live 2>err &&
	(cd "$LIVE" && git init -q -b main && eval "$(cat ../create.out)" &&
		git add -A && git commit -q -m live && git push slugc main) >push.log 2>&1 &&
	test_grep "Launching... done, v1" push.log &&
	"$SLUGC" ps:start -a live >out 2>err &&
	greeting >body && test_grep "^greeting=first$" body
'

test_expect_success 'live: config:set restarts it on v2, with the new value' '
	"$SLUGC" config:set GREETING=second -a live 2>err &&
	test_grep "^Setting GREETING and restarting live\.\.\. done, v2$" err &&
	test_no_grep warning err &&
	greeting >body && test_grep "^greeting=second$" body
'

test_expect_success 'live: rollback restarts it on v3, v1'"'"'s config' '
	"$SLUGC" rollback -a live 2>err &&
	test_grep "^Rolling back live to v1\.\.\. done, v3$" err &&
	test_no_grep warning err &&
	greeting >body && test_grep "^greeting=first$" body &&
	"$SLUGC" ps -a live >out && test_grep "^web\.1: up .*, v3$" out
'

test_done
