#!/usr/bin/env bash
# `git push` deploys: apps:create gives an app a bare repository whose
# pre-receive hook is slugc; real pushes of the fixture apps (Mono's hello,
# a Node.js server, apps for the null test buildpack) build the pushed
# commit, stream the log back, and release it or refuse the push.  Then
# the faults: a failing build, no buildpack, Ctrl-C mid-build, two pushes
# at once, and apps:destroy.
. "$(dirname "$0")/../lib.sh"

NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SOURCE_DATE_EPOCH NODE_ENV NODE_VERSION
# Commits need an author; the user's git config must not matter.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
# The hook's build finds its buildpacks here (it inherits the pusher's
# environment, as git runs it): Mono and Node.js with this machine's
# runtimes, and the null test buildpack for apps with only a Procfile.
BPS=$TEST_TMP/bps
export SLUGC_BUILDPACKS=$BPS
APPSDIR=$XDG_STATE_HOME/slugc/apps
SRC=$TEST_TMP/src

# PGIDS: process groups the cases started, stopped at exit.
PGIDS=()
test_at_exit 'for g in "${PGIDS[@]}"; do kill -KILL -- -"$g"; done'

# new_app NAME DIR: apps:create NAME, and $SRC/NAME a git repository of
# DIR's files (one commit on main) with the printed remote added.
new_app() {
	"$SLUGC" apps:create "$1" >"$TEST_TMP/create.out" 2>"$TEST_TMP/create.err" &&
	mkdir -p "$SRC" && rm -rf "${SRC:?}/$1" && cp -R "$2" "$SRC/$1" &&
	(cd "$SRC/$1" && git init -q -b main && git add -A &&
		git commit -q -m "first" && eval "$(cat "$TEST_TMP/create.out")")
}

# push NAME [GIT-PUSH-ARGS...]: git push slugc from $SRC/NAME (main by
# default), its output in ./push.log without the blanks git pads remote
# lines with; returns git's status.
push() {
	local name=$1
	shift
	[ $# -gt 0 ] || set -- main
	(cd "$SRC/$name" && git push slugc "$@") >push.raw 2>&1
	local rc=$?
	unpad push.raw >push.log
	cat push.log
	return $rc
}
unpad() { sed "s/[[:space:]]*\$//" "$1"; }

# commit NAME TEXT: a new commit in $SRC/NAME changing a file.
commit() {
	(cd "$SRC/$1" && echo "$2" >>change.txt && git add -A &&
		git commit -q -m "$2")
}

# rev NAME [REF]: REF (main) in the app's remote repository, or nothing.
rev() { git -C "$APPSDIR/$1/repo.git" rev-parse -q --verify "${2:-main}"; }
head_of() { git -C "$SRC/$1" rev-parse "${2:-HEAD}"; }
nreleases() { ls "$APPSDIR/$1/releases" 2>/dev/null | grep -c '^v[0-9]*$'; }
# lastv NAME: the app's current release number, 0 without one (config
# changes make releases too: the cases count from it).
lastv() { ls "$APPSDIR/$1/releases" 2>/dev/null | sed -n 's/^v\([0-9]*\)$/\1/p' | sort -n | tail -1 | grep . || echo 0; }

# null_app NAME: an app the null buildpack builds (a Procfile only).
null_app() {
	mkdir -p "$TEST_TMP/fix/$1" &&
	echo "web: sleep 1000" >"$TEST_TMP/fix/$1/Procfile" &&
	new_app "$1" "$TEST_TMP/fix/$1"
}

test_expect_success 'setup: the buildpacks with this machine'"'"'s runtimes' '
	mkdir -p "$BPS/mono" "$BPS/nodejs" &&
	cp -a "$SLUGC_BPDIR/bin" "$REPO/buildpacks/mono/buildpack.yml" "$BPS/mono/" &&
	"$FIXTURES/local-runtime.sh" "$SLUGC_RUNTIME_DIR/mono.env" "$BPS/mono" &&
	cp -a "$NODE_BPDIR/bin" "$REPO/buildpacks/nodejs/buildpack.yml" "$BPS/nodejs/" &&
	"$FIXTURES/local-runtime.sh" "$NODE_RUNTIME_DIR/node.env" "$BPS/nodejs" &&
	cp -a "$FIXTURES/buildpacks/null" "$BPS/null"
'

test_expect_success 'apps:create: the state, a bare repository, the remote line' '
	"$SLUGC" apps:create first >out 2>err &&
	echo "Creating first... done" >expect && test_cmp expect err &&
	echo "git remote add slugc $APPSDIR/first/repo.git" >expect &&
	test_cmp expect out &&
	test "$(git -C "$APPSDIR/first/repo.git" rev-parse --is-bare-repository)" = true &&
	test "$(git -C "$APPSDIR/first/repo.git" symbolic-ref HEAD)" = refs/heads/main &&
	test "$(readlink "$APPSDIR/first/repo.git/hooks/pre-receive")" = "$(readlink -f "$SLUGC")"
'

test_expect_success 'apps:create: a taken name and a bad one are refused (exit 2)' '
	test_expect_code 2 "$SLUGC" apps:create first 2>err &&
	test_grep "^slugc: Name first is already taken\$" err &&
	test_expect_code 2 "$SLUGC" apps:create Bad_Name 2>err &&
	test_expect_code 2 "$SLUGC" apps:frob 2>err &&
	test_grep "unknown command apps:frob" err
'

test_expect_success 'apps lists the apps; apps:info shows one' '
	"$SLUGC" config:set FOO=secret-value -a first >/dev/null 2>&1 &&
	"$SLUGC" apps >out &&
	printf "=== Apps\nfirst\n" >expect && test_cmp expect out &&
	"$SLUGC" apps:info first >out &&
	test_grep "^=== first\$" out &&
	test_grep "^Config Vars: *FOO\$" out &&
	test_grep "^Git URL: *$APPSDIR/first/repo.git\$" out &&
	test_grep "^Releases: *0\$" out &&
	test_no_grep secret-value out &&
	test_expect_code 2 "$SLUGC" apps:info nosuch 2>err &&
	test_grep "Couldn.t find that app" err
'

test_expect_success 'push: the pushed commit is built with the app'"'"'s config vars, streamed, released' '
	null_app one &&
	"$SLUGC" config:set ONE_VAR=1 -a one >/dev/null 2>&1 &&
	v=$(( $(lastv one) + 1 )) &&
	push one &&
	test_grep "^remote: -----> Null app detected\$" push.log &&
	test_grep "^remote: -----> Building commit $(head_of one | cut -c1-7) of one\$" push.log &&
	test_grep "^remote: -----> Launching... done, v$v\$" push.log &&
	test_no_grep "^remote:        Slug: " push.log &&
	test "$(rev one)" = "$(head_of one)" &&
	test "$(lastv one)" = $v &&
	test_grep "^\"description\": \"Deploy $(head_of one | cut -c1-7)\"\$" "$APPSDIR/one/releases/v$v/meta.yml" &&
	tar xzOf "$APPSDIR/one/releases/v$v/slug.tgz" ./app/.build-info >info &&
	test_grep "^SOURCE_VERSION=$(head_of one)\$" info &&
	test_grep "^ENV_DIR_VARS=ONE_VAR \$" info
'

test_expect_success 'push: the log reaches the pusher as it happens, not at the end' '
	"$SLUGC" config:set NULL_SLEEP=1 NULL_PIDFILE="$TEST_TMP/live.pid" -a one >/dev/null 2>&1 &&
	commit one live &&
	{ (cd "$SRC/one" && exec setsid git push slugc main) >live.log 2>&1 & } &&
	pid=$! && PGIDS+=("$pid") &&
	for i in $(seq 300); do test -s "$TEST_TMP/live.pid" && break; sleep 0.1; done &&
	test -s "$TEST_TMP/live.pid" &&
	for i in $(seq 50); do grep -q "sleeping" live.log && break; sleep 0.1; done &&
	test_grep "^remote: -----> Null build number 2" live.log &&
	test_grep "^remote:        sleeping" live.log &&
	test_no_grep "Compressing" live.log &&
	"$SLUGC" config:unset NULL_SLEEP NULL_PIDFILE -a one >/dev/null 2>&1 &&
	v=$(( $(lastv one) + 1 )) &&
	read compile sleeper <"$TEST_TMP/live.pid" && kill $sleeper &&
	wait $pid && unpad live.log >live2.log && cat live2.log &&
	test_grep "^remote: -----> Launching... done, v$v\$" live2.log
'

test_expect_success 'a failing build refuses the push: the reason shown, the branch unmoved' '
	before=$(rev one) &&
	"$SLUGC" config:set NULL_FAIL=3 -a one >/dev/null 2>&1 &&
	v=$(lastv one) &&
	commit one broken &&
	test_must_fail push one &&
	test_grep "^remote:  !     failing on purpose" push.log &&
	test_grep "^remote:  !     Push failed: failing on purpose" push.log &&
	test_grep "^remote:  !     Push rejected to one\.\$" push.log &&
	test_grep "! \[remote rejected\] main -> main (pre-receive hook declined)" push.log &&
	test "$(rev one)" = "$before" &&
	test "$(lastv one)" = $v &&
	test_no_grep Launching push.log &&
	"$SLUGC" config:unset NULL_FAIL -a one >/dev/null 2>&1
'

test_expect_success 'a push to another branch is kept, not built' '
	(cd "$SRC/one" && git checkout -q -b feature && commit one feature) &&
	v=$(lastv one) &&
	push one feature &&
	test_grep "^remote: Pushed to non-deploy branch, skipping build\." push.log &&
	test_no_grep "Null build" push.log &&
	test "$(rev one feature)" = "$(head_of one feature)" &&
	test "$(lastv one)" = $v
'

test_expect_success 'git push slugc HEAD:main deploys the current branch' '
	v=$(( $(lastv one) + 1 )) &&
	push one HEAD:main &&
	test_grep "^remote: -----> Launching... done, v$v\$" push.log &&
	test "$(rev one)" = "$(head_of one feature)"
'

test_expect_success 'a force push deploys the rewritten history; a plain one is refused by git' '
	(cd "$SRC/one" && git checkout -q main && git reset -q --hard HEAD~1 &&
		commit one rewritten) &&
	v=$(( $(lastv one) + 1 )) &&
	test_must_fail push one main &&
	test_grep "\[rejected\] *main -> main" push.log &&
	test_no_grep "^remote:" push.log &&
	push one -f main &&
	test_grep "^remote: -----> Launching... done, v$v\$" push.log &&
	test "$(rev one)" = "$(head_of one main)"
'

test_expect_success 'deleting main is refused, as on Heroku; deleting a branch is not' '
	test_must_fail push one :main &&
	test_grep "^remote:  !     Push rejected, cannot delete main branch" push.log &&
	test -n "$(rev one main)" &&
	push one :feature &&
	test_must_fail rev one feature
'

test_expect_success 'no buildpack detects the app: Heroku'"'"'s message, the push refused' '
	mkdir -p "$TEST_TMP/fix/plain" && echo hi >"$TEST_TMP/fix/plain/README" &&
	new_app plain "$TEST_TMP/fix/plain" &&
	test_must_fail push plain &&
	test_grep "^remote:  !     No default language could be detected for this app\.\$" push.log &&
	test_grep "HINT: This occurs when slugc cannot detect the buildpack" push.log &&
	test_grep "^remote:  !     Push rejected to plain\.\$" push.log &&
	test_must_fail rev plain &&
	test "$(lastv plain)" = 0
'

test_expect_success 'Ctrl-C mid-build: the build stopped, no release, the branch unmoved' '
	before=$(rev one) && rm -f "$TEST_TMP/int.pid" &&
	"$SLUGC" config:set NULL_SLEEP=1 NULL_PIDFILE="$TEST_TMP/int.pid" -a one >/dev/null 2>&1 &&
	v=$(lastv one) &&
	commit one interrupted &&
	{ (cd "$SRC/one" && exec setsid git push slugc main) >int.log 2>&1 & } &&
	pid=$! && PGIDS+=("$pid") &&
	for i in $(seq 300); do test -s "$TEST_TMP/int.pid" && break; sleep 0.1; done &&
	read compile sleeper <"$TEST_TMP/int.pid" &&
	kill -INT -- -"$pid" &&
	{ wait $pid; test $? -ne 0; } &&
	for i in $(seq 80); do kill -0 $compile 2>/dev/null || kill -0 $sleeper 2>/dev/null || break; sleep 0.1; done &&
	test_must_fail kill -0 $compile 2>/dev/null &&
	test_must_fail kill -0 $sleeper 2>/dev/null &&
	# The hook outlives git by its clean-up; it holds push.lock until
	# that is done, as the next push would wait for it.
	flock -w 30 "$APPSDIR/one/push.lock" true &&
	test "$(rev one)" = "$before" &&
	test "$(lastv one)" = $v &&
	test_must_fail ls -d "$APPSDIR/one/releases/.new-"* 2>/dev/null &&
	test_must_fail ls -d "$APPSDIR/one/push/tmp."* 2>/dev/null &&
	"$SLUGC" config:unset NULL_SLEEP NULL_PIDFILE -a one >/dev/null 2>&1 &&
	v=$(( $(lastv one) + 1 )) &&
	push one &&
	test_grep "^remote: -----> Launching... done, v$v\$" push.log
'

test_expect_success 'two pushes at once: the second waits for the first, then deploys' '
	rm -f "$TEST_TMP/a.pid" &&
	git clone -q "$APPSDIR/one/repo.git" "$SRC/one-b" &&
	(cd "$SRC/one-b" && git remote add slugc "$APPSDIR/one/repo.git" &&
		commit one-b from-b) &&
	"$SLUGC" config:set NULL_SLEEP=1 NULL_PIDFILE="$TEST_TMP/a.pid" -a one >/dev/null 2>&1 &&
	commit one from-a &&
	{ (cd "$SRC/one" && exec setsid git push slugc main) >a.log 2>&1 & } &&
	a=$! && PGIDS+=("$a") &&
	for i in $(seq 300); do test -s "$TEST_TMP/a.pid" && break; sleep 0.1; done &&
	test -s "$TEST_TMP/a.pid" &&
	{ (cd "$SRC/one-b" && exec setsid git push slugc HEAD:master) >b.log 2>&1 & } &&
	b=$! && PGIDS+=("$b") &&
	for i in $(seq 100); do grep -q Waiting b.log && break; sleep 0.1; done &&
	test_grep "^remote: -----> Waiting for another push to one" b.log &&
	sleep 1 && test_no_grep "Null build" b.log &&
	"$SLUGC" config:unset NULL_SLEEP NULL_PIDFILE -a one >/dev/null 2>&1 &&
	v=$(( $(lastv one) + 1 )) &&
	read compile sleeper <"$TEST_TMP/a.pid" && kill $sleeper &&
	wait $a && wait $b && unpad a.log >a2.log && unpad b.log >b2.log &&
	cat a2.log b2.log &&
	test_grep "^remote: -----> Launching... done, v$v\$" a2.log &&
	test_grep "^remote: -----> Launching... done, v$((v + 1))\$" b2.log
'

test_expect_success 'two apps never see each other'"'"'s config' '
	null_app two &&
	"$SLUGC" config:set TWO_VAR=2 -a two >/dev/null 2>&1 &&
	push two &&
	tar xzOf "$APPSDIR/two/releases/v$(lastv two)/slug.tgz" ./app/.build-info >info &&
	test_grep "^ENV_DIR_VARS=TWO_VAR \$" info &&
	tar xzOf "$APPSDIR/one/releases/v$(lastv one)/slug.tgz" ./app/.build-info >info &&
	test_grep "^ENV_DIR_VARS=ONE_VAR \$" info
'

test_expect_success 'apps:info counts the releases and shows the current one' '
	"$SLUGC" apps:info -a one >out &&
	test_grep "^Releases: *$(nreleases one)\$" out &&
	test_grep "^Current Release: *v$(lastv one) (Deploy $(rev one master | cut -c1-7))\$" out
'

test_expect_success 'push the Mono hello app: built with the real buildpack, released' '
	new_app hello "$APPS/hello" &&
	push hello &&
	test_grep "^remote: -----> Mono app detected\$" push.log &&
	test_grep "^remote: -----> Launching... done, v1\$" push.log &&
	tar tzf "$APPSDIR/hello/releases/v1/slug.tgz" >list &&
	test_grep "^./app/Hello/bin/Release/Hello.exe\$" list
'

test_expect_success 'push a Node.js app: built with the real buildpack, released' '
	new_app node "$FIXTURES/node/node-server" &&
	push node &&
	test_grep "^remote: -----> Node.js app detected\$" push.log &&
	test_grep "^remote: -----> Launching... done, v1\$" push.log &&
	tar tzf "$APPSDIR/node/releases/v1/slug.tgz" >list &&
	test_grep "^./app/server.js\$" list
'

# web: a Procfile app (the null buildpack) whose server answers with the
# committed greeting.txt, run under the supervisor (ps:start).
test_at_exit '"$SLUGC" ps:stop -a web'
test_expect_success 'a push to a running app restarts it on the new release' '
	mkdir -p "$TEST_TMP/fix/web" &&
	cat >"$TEST_TMP/fix/web/server.py" <<-\EOF &&
	import http.server, os
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        body = open("greeting.txt", "rb").read()
	        self.send_response(200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a):
	        pass
	http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
	EOF
	echo "web: python3 server.py" >"$TEST_TMP/fix/web/Procfile" &&
	echo one >"$TEST_TMP/fix/web/greeting.txt" &&
	new_app web "$TEST_TMP/fix/web" &&
	push web &&
	port=$(free_port) &&
	"$SLUGC" ps:start -p $port -a web >out 2>&1 &&
	test "$(curl -fsS http://127.0.0.1:$port/)" = one &&
	(cd "$SRC/web" && echo two >greeting.txt && git commit -q -am two) &&
	v=$(( $(lastv web) + 1 )) &&
	push web &&
	test_grep "^remote: -----> Launching... done, v$v\$" push.log &&
	test_grep "^remote:        Restarted on v$v\$" push.log &&
	test "$(curl -fsS http://127.0.0.1:$port/)" = two
'

test_expect_success 'apps:destroy of a running app stops it first' '
	test "$(curl -fsS http://127.0.0.1:$port/)" = two &&
	"$SLUGC" apps:destroy web --confirm web 2>err &&
	test_must_fail curl -fsS -m 2 http://127.0.0.1:$port/ &&
	test_must_fail test -e "$APPSDIR/web"
'

test_expect_success 'apps:destroy wants the name to confirm' '
	test_expect_code 2 "$SLUGC" apps:destroy two 2>err &&
	test_grep "WARNING: This will delete two including all add-ons" err &&
	test_grep "re-run this command with --confirm two" err &&
	test_expect_code 2 "$SLUGC" apps:destroy two --confirm one 2>err &&
	test_grep "Confirmation one did not match two. Aborted." err &&
	test -d "$APPSDIR/two/repo.git"
'

test_expect_success 'apps:destroy removes the remote, the releases and the config' '
	ls -d "$XDG_CACHE_HOME"/slugc/two-* >/dev/null &&
	"$SLUGC" apps:destroy two --confirm two 2>err &&
	test_grep "^Destroying two (including all add-ons)... done\$" err &&
	test_must_fail ls -d "$XDG_CACHE_HOME"/slugc/two-* 2>/dev/null &&
	test_must_fail test -e "$APPSDIR/two" &&
	"$SLUGC" apps >out && test_no_grep "^two\$" out &&
	test_must_fail ls -d "$APPSDIR"/.destroyed-* 2>/dev/null &&
	test_must_fail push two &&
	test_expect_code 2 "$SLUGC" apps:info two 2>err
'

test_done
