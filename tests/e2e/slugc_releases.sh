#!/usr/bin/env bash
# slugc releases, rollback, and config:set/unset making releases, on real
# slugs: the Node.js fixture app npm/express built twice with `slugc build
# -o` (a marker file tells the builds apart), the first releases made by
# the library's release_create (test_release mkrelease, as a push makes
# them, until `git push` does), then config changes, rollbacks (the slug
# and config vars restored, run from the release with `slugc run`), a
# corrupt and a pruned release listed and refused, and each new release
# announced on the app's ps.sock to a listener this test runs.
. "$(dirname "$0")/../lib.sh"

NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
SEED=$(abspath "${SLUGC_NPM_SEED:-build/npm-cache}")
TOOL=$SLUGC_O/tests/test_release
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH NODE_ENV SLUGC_RELEASE_SLUGS
BP=$TEST_TMP/bp/nodejs
CACHE=$TEST_TMP/cache
APPS=$XDG_STATE_HOME/slugc/apps
R=$APPS/web/releases

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

test_expect_success 'setup: two slugs of npm/express built with slugc build -o' '
	mkdir -p "$BP" &&
	cp -a "$NODE_BPDIR/bin" "$BP/" &&
	cp "$REPO/buildpacks/nodejs/buildpack.yml" "$BP/" &&
	"$FIXTURES/local-runtime.sh" "$NODE_RUNTIME_DIR/node.env" "$BP" &&
	SLUGC_NODE_RUNTIME_DIR=$NODE_RUNTIME_DIR "$FIXTURES/seed-npm-cache.sh" "$SEED" &&
	mkdir -p "$CACHE/nodejs" &&
	flock -s "$SEED/.lock" cp -a "$SEED/npm" "$CACHE/nodejs/npm" &&
	cp -a "$FIXTURES/npm/express" web &&
	echo one >web/marker &&
	"$SLUGC" build -b "$BP" --cache "$CACHE" -o one.tgz web >log 2>&1 &&
	echo two >web/marker &&
	"$SLUGC" build -b "$BP" --cache "$CACHE" -o two.tgz web >>log 2>&1 &&
	test -s one.release.yml && test -s two.release.yml
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

test_expect_success 'v1 of slug one; releases lists it as the Heroku CLI does' '
	"$TOOL" mkrelease web "$TEST_TMP/one.tgz" one.release.yml \
		aaaaaaa1111 "Deploy aaaaaaa" >v &&
	test "$(cat v)" = v1 &&
	sc releases -a web &&
	test_grep "^=== web Releases - Current: v1$" out &&
	size=$(stat -c %s "$R/v1/slug.tgz") &&
	test "$size" = "$(stat -c %s one.tgz)" &&
	test_grep -E "^v1     Deploy aaaaaaa  [0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \+0000  aaaaaaa  [0-9.]+ (KB|MB)$" out
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
	test_grep "^v2     Set FOO, BAR config vars  .*  aaaaaaa  " out &&
	test "$(stat -c %i "$R/v2/slug.tgz")" = "$(stat -c %i "$R/v1/slug.tgz")"
'

test_expect_success 'v3 of slug two; config:unset makes v4' '
	"$TOOL" mkrelease web "$TEST_TMP/two.tgz" two.release.yml \
		bbbbbbb2222 "Deploy bbbbbbb" >v && test "$(cat v)" = v3 &&
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
	sc releases -a web && test_grep "^v6     Rollback to v4  .*  bbbbbbb  " out
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
	test_grep "^v6     Rollback to v4  .*  bbbbbbb  pruned$" out &&
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

test_expect_success 'no .new-* left behind by any of it' '
	test -z "$(ls -A "$R" | grep -v "^v[0-9]*$")"
'

test_done
