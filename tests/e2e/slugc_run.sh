#!/usr/bin/env bash
# slugc run, start and smoke on small apps built with the null buildpack
# (a Python echo server as web), and Debian's foreman as an independent
# runner of the slug.  The Mono app is in slugc_mono.sh.
. "$(dirname "$0")/../lib.sh"

BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH

# ms: a monotonic-enough clock in milliseconds.
ms() { echo $(($(date +%s%N) / 1000000)); }

# echo_app DIR [PROCFILE-LINE...]: an app whose web answers with what it
# saw: Host header, path, $HOME, a .profile.d variable and config vars.
echo_app() {
	local d=$1
	shift
	mkdir -p "$d" &&
	cat >"$d/server.py" <<-'EOF' &&
	import http.server, os
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        e = os.environ
	        body = ("host=%s path=%s home=%s profile=%s greeting=%s rel=%s\n" % (
	            self.headers.get("Host"), self.path, e.get("HOME"),
	            e.get("PROFILE_D_RAN"), e.get("GREETING"),
	            e.get("NULL_RELEASE"))).encode()
	        self.send_response(404 if self.path == "/missing" else 200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a):
	        pass
	print("listening on", os.environ["PORT"], flush=True)
	http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
	EOF
	printf "web: python3 server.py\n" >"$d/Procfile" &&
	for l in "$@"; do printf "%s\n" "$l" >>"$d/Procfile"; done
}

# bg CMD...: runs CMD in the background with output in bg.out; BG is its
# pid, killed when the test file ends.
bg() {
	"$@" >bg.out 2>&1 &
	BG=$!
	test_at_exit "kill $BG"
}

E=$TEST_TMP/echo
S=$TEST_TMP/echo.tgz

test_expect_success 'setup: build the echo app' '
	echo_app "$E" "worker: echo working \$PORT; sleep 1" &&
	"$SLUGC" build -b "$BP/null" -o "$S" "$E" >log 2>&1 || { cat log; false; }
'

test_expect_success 'run: web answers on $PORT, with .profile.d and config vars' '
	port=$(free_port) &&
	bg "$SLUGC" run -p $port -e GREETING=hi "$S" &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	curl -fsS "http://127.0.0.1:$port/x" >body &&
	cat body &&
	test_grep "path=/x " body &&
	test_grep "home=/.*/app " body &&
	test_grep "profile=yes greeting=hi rel=set by release\$" body
'

test_expect_success 'run: SIGTERM stops the process: 143 and one line' '
	kill -TERM $BG &&
	test_expect_code 143 wait $BG &&
	tail -n 1 bg.out >last &&
	echo "slugc: stopped by SIGTERM" >expect && test_cmp expect last &&
	test_must_fail curl -fsS "http://127.0.0.1:$port/" 2>/dev/null
'

test_expect_success 'run: Ctrl-C (SIGINT) is 130, said once; the slug directory is removed' '
	port=$(free_port) &&
	bg "$SLUGC" run -p $port "$S" &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	home=$(curl -fsS "http://127.0.0.1:$port/" | sed "s/.*home=\([^ ]*\) .*/\1/") &&
	test -d "$home" &&
	kill -INT $BG &&
	test_expect_code 130 wait $BG &&
	grep "^slugc:" bg.out >lines &&
	echo "slugc: stopped by SIGINT" >expect && test_cmp expect lines &&
	test_must_fail test -e "$home"
'

test_expect_success 'run: a one-off command line runs in the dyno environment' '
	test_expect_code 4 "$SLUGC" run -e GREETING=hey "$S" -- \
		"echo \$PROFILE_D_RAN \$GREETING \$PORT \$DYNO; pwd; exit 4" >out 2>err &&
	cat out err &&
	head -n 1 out >first && echo "yes hey 5000 run.1" >expect && test_cmp expect first &&
	test_grep "/app\$" out
'

test_expect_success 'run: words after -- are an argv, not a shell line' '
	"$SLUGC" run "$S" -- printf "%s\n" "a  b" "\$HOME" ";" >out &&
	printf "%s\n" "a  b" "\$HOME" ";" >expect &&
	test_cmp expect out
'

# foreman's .env rules: single quotes literal, double quotes with \n and
# backslash escapes, anything else as it stands (here a value with blanks).
cat >"$TEST_TMP/q.env" <<\EOF
SQ='a \n $b'
DQ="x\ny \"q\""
RAW= sp 
PORT=1
EOF
printf '%s\n' '[a \n $b]' '[x]' '[y "q"]' '[ sp ]' '[5000]' >"$TEST_TMP/q.expect"

test_expect_success 'run: .env quoting as foreman reads it; PORT is not a config var' '
	"$SLUGC" run --env "$TEST_TMP/q.env" "$S" -- printenv SQ DQ RAW PORT >out &&
	sed "s/^/[/; s/\$/]/" out >got &&
	cat got &&
	test_cmp "$TEST_TMP/q.expect" got
'

test_expect_success 'run: a process type of the slug (worker), its status passed on' '
	port=$(free_port) &&
	"$SLUGC" run -p $port "$S" worker >out &&
	echo "working $port" >expect && test_cmp expect out
'

test_expect_success 'run: no such process type: exit 2' '
	test_expect_code 2 "$SLUGC" run "$S" clock 2>err &&
	test_grep "no process type clock" err &&
	test_expect_code 2 "$SLUGC" run "$TEST_TMP/nope.tgz" 2>err
'

test_expect_success 'run: a busy port: exit 2' '
	port=$(free_port) &&
	bg python3 -m http.server $port --bind 127.0.0.1 &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	test_expect_code 2 "$SLUGC" run -p $port "$S" 2>err &&
	test_grep "port $port is already in use" err &&
	kill $BG
'

test_expect_success 'run -- COMMAND: a one-off binds no port, a busy one is no matter' '
	port=$(free_port) &&
	bg python3 -m http.server $port --bind 127.0.0.1 &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	"$SLUGC" run -p $port "$S" -- printenv PORT >out 2>err &&
	echo $port >expect && test_cmp expect out &&
	kill $BG
'

test_expect_success 'R10: web that never binds is stopped within the timeout + 2 s' '
	mkdir -p "$TEST_TMP/lazy" &&
	printf "web: echo \$\$ >\"%s\"; exec sleep 600\n" "$TEST_TMP/lazy.pid" >"$TEST_TMP/lazy/Procfile" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/lazy.tgz" "$TEST_TMP/lazy" >log 2>&1 &&
	t0=$(ms) &&
	test_expect_code 124 "$SLUGC" run --boot-timeout 2 -p $(free_port) "$TEST_TMP/lazy.tgz" >out 2>err &&
	t1=$(ms) && echo "took $((t1 - t0)) ms" &&
	cat err &&
	echo "Error R10 (Boot timeout) -> Web process failed to bind to \$PORT within 2 seconds of launch" >expect &&
	test_cmp expect err &&
	test $((t1 - t0)) -ge 2000 && test $((t1 - t0)) -lt 4000 &&
	read lazy <"$TEST_TMP/lazy.pid" &&
	case $(ps -o stat= -p $lazy) in ""|Z*) ;; *) false ;; esac
'

test_expect_success 'crash at boot: the exit status is passed on, and said' '
	mkdir -p "$TEST_TMP/crash" && printf "web: echo booting; exit 3\n" >"$TEST_TMP/crash/Procfile" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/crash.tgz" "$TEST_TMP/crash" >log 2>&1 &&
	test_expect_code 3 "$SLUGC" run -p $(free_port) "$TEST_TMP/crash.tgz" >out 2>err &&
	echo booting >expect && test_cmp expect out &&
	test_grep "^slugc: web.1 exited with status 3 before binding \$PORT\$" err
'

test_expect_success 'start: every process type, prefixed; one ending stops all' '
	port=$(free_port) &&
	t0=$(ms) &&
	"$SLUGC" start -p $port "$S" >out 2>err &&
	t1=$(ms) &&
	cat out err &&
	p2=$((port + 100)) &&
	test_grep "^worker.1 | working $p2\$" out &&
	test_grep "^web.1    | listening on $port\$" out &&
	test_grep "^slugc    | worker.1 exited with status 0, stopping all processes\$" out &&
	test $((t1 - t0)) -lt 5000
'

test_expect_success 'start: an app directory is built, then started' '
	port=$(free_port) &&
	"$SLUGC" start -b "$BP/null" -p $port "$E" >out 2>err &&
	test_grep "^-----> Null app detected\$" out &&
	test_grep "^worker.1 | working" out
'

test_expect_success 'smoke: build, boot, GET / with Host APP.localhost, timings' '
	"$SLUGC" smoke -b "$BP/null" --expect-body "host=echo.localhost path=/ " "$E" >out 2>&1 &&
	cat out &&
	test_grep "^-----> Booting web on port [0-9]*\$" out &&
	test_grep "^-----> Smoke test passed: GET / -> 200 (.* bytes, Host echo.localhost)\$" out &&
	test_grep "^       take [0-9.]* s, compile [0-9.]* s, release [0-9.]* s, boot [0-9.]* s, request [0-9.]* s, stop [0-9.]* s, cleanup [0-9.]* s, total [0-9.]* s\$" out
'

test_expect_success 'smoke: --path, --host, --expect-status and config vars' '
	"$SLUGC" smoke -b "$BP/null" -e GREETING=yo --path /missing --expect-status 404 \
		--host www.example.test --expect-body "host=www.example.test path=/missing " "$E" >out 2>&1 &&
	test_grep "GET /missing -> 404" out
'

test_expect_success 'smoke: an unexpected status fails (exit 6)' '
	test_expect_code 6 "$SLUGC" smoke -b "$BP/null" --path /missing "$E" >out 2>&1 &&
	test_grep "^ !     Smoke test failed: GET /missing answered 404, expected 2xx or 3xx\$" out
'

test_expect_success 'smoke: a body without the expected text fails (exit 6)' '
	test_expect_code 6 "$SLUGC" smoke -b "$BP/null" --expect-body "not there" "$E" >out 2>&1 &&
	test_grep "without the expected text" out
'

test_expect_success 'smoke --slug: packs, unpacks and boots the slug' '
	"$SLUGC" smoke --slug -b "$BP/null" --expect-body "profile=yes" "$E" >out 2>&1 &&
	test_grep "^-----> Compiled slug size is" out &&
	test_grep ", pack [0-9.]* s, unpack [0-9.]* s," out
'

test_expect_success 'smoke: R10 and crashes fail with their statuses' '
	test_expect_code 124 "$SLUGC" smoke -b "$BP/null" --boot-timeout 1 "$TEST_TMP/lazy" >out 2>&1 &&
	test_grep "^ !     Smoke test failed: web did not bind \$PORT within 1 seconds (R10)\$" out &&
	test_expect_code 3 "$SLUGC" smoke -b "$BP/null" "$TEST_TMP/crash" >out 2>&1 &&
	test_grep "^ !     Smoke test failed: web.1 ended with status 3 before binding \$PORT\$" out
'

test_expect_success 'foreman: check accepts the slug Procfile' '
	mkdir -p "$TEST_TMP/fm" && tar xzf "$S" -C "$TEST_TMP/fm" &&
	(cd "$TEST_TMP/fm/app" && foreman check) >out &&
	cat out &&
	test_grep "valid procfile detected (web, worker)" out
'

test_expect_success 'foreman: start web, with .profile.d sourced, answers HTTP' '
	port=$(free_port) &&
	{ (cd "$TEST_TMP/fm/app" && HOME=$PWD &&
	   for f in .profile.d/*.sh; do . "$f"; done &&
	   exec foreman start web -p $port) >fm.out 2>&1 & } &&
	FM=$! && test_at_exit "kill $FM" &&
	wait_for_http "http://127.0.0.1:$port/" 30 &&
	curl -fsS "http://127.0.0.1:$port/" >body &&
	test_grep "profile=yes" body &&
	kill $FM && { wait $FM; :; } &&
	test_must_fail curl -fsS "http://127.0.0.1:$port/" 2>/dev/null
'

test_expect_success 'dyno metadata: the app name, its domain and ids, as Heroku gives them' '
	"$SLUGC" run --app my-shop "$S" -- env >env1 &&
	"$SLUGC" run --app my-shop "$S" -- env >env2 &&
	test_grep "^HEROKU_APP_NAME=my-shop\$" env1 &&
	test_grep "^HEROKU_APP_DEFAULT_DOMAIN_NAME=my-shop.localhost\$" env1 &&
	test_grep "^DYNO=run.1\$" env1 &&
	uuid="[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[89ab][0-9a-f]\{3\}-[0-9a-f]\{12\}" &&
	test_grep "^HEROKU_APP_ID=$uuid\$" env1 &&
	test_grep "^HEROKU_DYNO_ID=$uuid\$" env1 &&
	test "$(grep ^HEROKU_APP_ID= env1)" = "$(grep ^HEROKU_APP_ID= env2)" &&
	test "$(grep ^HEROKU_DYNO_ID= env1)" != "$(grep ^HEROKU_DYNO_ID= env2)" &&
	test_grep "^HEROKU_RELEASE_CREATED_AT=[0-9-]*T[0-9:]*Z\$" env1 &&
	"$SLUGC" run "$S" -- env >env3 &&
	test_grep "^HEROKU_APP_NAME=echo\$" env3 &&
	"$SLUGC" run -e HEROKU_APP_NAME=mine "$S" -- env >env4 &&
	test_grep "^HEROKU_APP_NAME=mine\$" env4 &&
	test_expect_code 2 "$SLUGC" run --app "Bad_Name" "$S" -- true 2>err &&
	test_grep "app name" err
'

test_expect_success 'dyno metadata: smoke of a git app gets its commit, and its domain as Host' '
	H=$TEST_TMP/Host_App && mkdir -p "$H" &&
	cat >"$H/server.py" <<-\EOF &&
	import http.server, os
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        e = os.environ
	        body = ("app=%s domain=%s commit=%s desc=%s host=%s\n" % (
	            e.get("HEROKU_APP_NAME"), e.get("HEROKU_APP_DEFAULT_DOMAIN_NAME"),
	            e.get("HEROKU_SLUG_COMMIT"), e.get("HEROKU_SLUG_DESCRIPTION"),
	            self.headers.get("Host"))).encode()
	        self.send_response(200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a):
	        pass
	http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
	EOF
	printf "web: python3 server.py\n" >"$H/Procfile" &&
	git -C "$H" init -q && git -C "$H" add -A &&
	git -C "$H" -c user.name=t -c user.email=t@t commit -qm one &&
	sha=$(git -C "$H" rev-parse HEAD) &&
	"$SLUGC" smoke -b "$BP/null" --expect-body "app=host-app domain=host-app.localhost commit=$sha desc=Deploy ${sha:0:7} host=host-app.localhost" "$H" >out 2>&1 &&
	"$SLUGC" smoke -b "$BP/null" --app shop --expect-body "app=shop domain=shop.localhost commit=$sha desc=Deploy ${sha:0:7} host=shop.localhost" "$H" >out 2>&1
'

test_done
