#!/usr/bin/env bash
# The Node.js buildpack's fixture apps (tests/fixtures/npm, node) deployed
# the way a user deploys them: `slugc build` and `slugc smoke` (built, web
# booted, asked over HTTP), with the buildpack as shipped (buildpack.yml)
# plus this machine's runtime (buildpack.local.yml, as make node-runtime
# writes it), and npm's cache seeded from tests/fixtures/seed-npm-cache.sh so
# that no build waits for the registry.  Then the same buildpack driven as
# Dokku's herokuish drives it: detect, compile with config vars only in
# ENV_DIR, release with two arguments, the app moved to its run path.
. "$(dirname "$0")/../lib.sh"

NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
SEED=$(abspath "${SLUGC_NPM_SEED:-build/npm-cache}")
. "$NODE_RUNTIME_DIR/node.env" || exit 1
REAL_VERSION=$NODE_VERSION
unset NODE_VERSION NPM_VERSION # the env file's, not config vars
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH NODE_ENV

# The buildpack as a user has it after make && make node-runtime, in a
# directory of its own (named nodejs: slugc names its cache after it).
BP=$TEST_TMP/bp/nodejs
CACHE=$TEST_TMP/cache
A=$TEST_TMP/apps

# seed_cache DIR: DIR (a slugc --cache) gets npm's cache seeded with every
# package the fixtures use, copied under the seed's shared lock.
seed_cache() {
	mkdir -p "$1/nodejs" &&
	flock -s "$SEED/.lock" cp -a "$SEED/npm" "$1/nodejs/npm"
}

# app NAME DIR: a copy of the fixture DIR (under tests/fixtures) as
# $A/NAME.
app() {
	mkdir -p "$A" && rm -rf "${A:?}/$1" && cp -a "$FIXTURES/$2" "$A/$1"
}

# smoke NAME BODY [SLUGC-OPTIONS...]: slugc smoke of $A/NAME, which must
# answer GET / with a body holding BODY; the log in ./log.
smoke() {
	local name=$1 body=$2
	shift 2
	"$SLUGC" smoke -b "$BP" --cache "$CACHE" --expect-body "$body" "$@" \
		"$A/$name" >log 2>&1
	local rc=$?
	[ $rc -eq 0 ] || { cat log; echo "smoke exited $rc" >&2; }
	return $rc
}

# only_build_lines LOG: every line of a build log is a header, indented,
# or a warning.
only_build_lines() {
	test_no_grep -v -e "^-----> " -e "^       " -e "^ !     " -e "^\$" "$1"
}

test_expect_success 'setup: the buildpack with this machine'"'"'s runtime, the seeded npm cache' '
	mkdir -p "$BP" &&
	cp -a "$NODE_BPDIR/bin" "$BP/" &&
	cp "$REPO/buildpacks/nodejs/buildpack.yml" "$BP/" &&
	"$FIXTURES/local-runtime.sh" "$NODE_RUNTIME_DIR/node.env" "$BP" &&
	SLUGC_NODE_RUNTIME_DIR=$NODE_RUNTIME_DIR "$FIXTURES/seed-npm-cache.sh" "$SEED" &&
	seed_cache "$CACHE"
'

# --- the apps, built and smoke-tested

# offline CMD...: CMD in a network namespace of its own, where only the
# loopback interface is up: no registry, no proxy, but smoke can still ask
# the app on 127.0.0.1 (SIOCSIFFLAGS from Python: no iproute2 needed).
offline() {
	unshare -n bash -c '/usr/bin/python3 -c "
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
f = struct.unpack(\"16sh22x\", fcntl.ioctl(s, 0x8913, struct.pack(\"16sh22x\", b\"lo\", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack(\"16sh22x\", b\"lo\", f | 1))
" && exec "$@"' offline "$@"
}

# slug_of NAME: the slug slugc keeps for $A/NAME in the shared cache.
slug_of() { echo "$CACHE"/apps/"$1"-*/slug.tgz; }

test_expect_success 'express with a lockfile: smoke builds it with npm ci, boots it, it answers' '
	app express npm/express &&
	smoke express "Hello from express on Node v$REAL_VERSION" &&
	test_grep "^-----> Node.js app detected\$" log &&
	test_grep "^-----> Installing Node.js $REAL_VERSION\$" log &&
	test_grep "^       Installing node modules with npm ci (package.json + package-lock.json)\$" log &&
	test_grep "^       Default web process: npm start\$" log &&
	test_grep "^-----> Smoke test passed: GET / -> 200 " log
'

test_expect_success 'express: npm'"'"'s output is in the build log, indented 7 spaces' '
	grep -v "^web\.1 | " log >build.log &&
	only_build_lines build.log &&
	test_grep "^       added [0-9]* packages in " build.log &&
	test_no_grep "^added " build.log
'

test_expect_success 'express: built again with the network cut off, from the cache, and it answers' '
	offline curl -sS -m 5 -o /dev/null https://registry.npmjs.org/ 2>err;
	test $? -ne 0 &&
	offline "$SLUGC" smoke -b "$BP" --cache "$CACHE" \
		--expect-body "Hello from express on Node v$REAL_VERSION" "$A/express" >log 2>&1 ||
		{ cat log; false; } &&
	test_grep "^       Using the cached runtime\$" log &&
	test_grep "^       added [0-9]* packages in " log &&
	test_grep "^-----> Smoke test passed: GET / -> 200 " log
'

test_expect_success 'offline without the cache, the same build fails: exit 1, one line, no slug' '
	c=$TEST_TMP/cache-empty && mkdir -p "$c/nodejs" &&
	cp -al "$CACHE/nodejs/node" "$c/nodejs/" &&
	test_expect_code 1 unshare -n "$SLUGC" build -b "$BP" --cache "$c" \
		-e NPM_CONFIG_FETCH_RETRIES=0 \
		-o "$TEST_TMP/x.tgz" "$A/express" >log 2>&1 &&
	test_grep "^ !     npm ci failed: " log &&
	test_must_fail test -e "$TEST_TMP/x.tgz"
'

test_expect_success 'compile with a relative CACHE_DIR: npm'"'"'s cache is there, not in the app' '
	r=$TEST_TMP/relative && mkdir -p "$r/env" &&
	cp -a "$FIXTURES/npm/express" "$r/app" &&
	seed_cache "$r" && mv "$r/nodejs" "$r/cache" &&
	cp -al "$CACHE/nodejs/node" "$r/cache/" &&
	printf 0 >"$r/env/NPM_CONFIG_FETCH_RETRIES" &&
	(cd "$r" && unshare -n "$BP/bin/compile" app cache env) >log 2>&1 ||
		{ cat log; false; } &&
	test_grep "^       added [0-9]* packages in " log &&
	test_must_fail test -e "$r/app/cache" &&
	test -f "$r/app/node_modules/express/package.json"
'

test_expect_success 'build script + devDependencies: scripts in order, the build'"'"'s output served from the slug' '
	app build npm/build &&
	smoke build "built version 1.3.0, 1h" --slug &&
	grep -e "^-----> [A-Z]" log | sed -n "/Prebuild/,/Cleanup/p" >headers &&
	cat >expect <<-\EOF &&
	-----> Prebuild
	-----> Installing dependencies
	-----> Build
	-----> Pruning devDependencies
	-----> Cleanup
	EOF
	test_cmp expect headers &&
	test_grep "^       Running npm prune --omit=dev\$" log
'

test_expect_success 'build: the slug holds node, .profile.d, web: npm start, and no devDependencies' '
	slug=$(slug_of build) && test -f "$slug" &&
	tar tzf "$slug" >list &&
	test_grep "^./app/.heroku/node/bin/node\$" list &&
	test_grep "^./app/.profile.d/nodejs.sh\$" list &&
	test_grep "^./app/node_modules/ms/package.json\$" list &&
	test_no_grep "^./app/node_modules/semver/" list &&
	test_no_grep "^./app/node_modules/.bin/semver\$" list &&
	tar xzOf "$slug" ./app/Procfile >procfile &&
	echo "web: npm start" >expect && test_cmp expect procfile &&
	tar xzOf "$slug" ./app/steps.log >steps &&
	cat >expect <<-\EOF &&
	heroku-prebuild node_modules=no NODE_ENV=production
	build semver=yes
	heroku-cleanup semver=no ms=yes
	EOF
	test_cmp expect steps
'

# The same app with NPM_CONFIG_PRODUCTION=false and a Procfile whose web
# first writes down what it finds on the dyno, .profile.d sourced.
test_expect_success 'NPM_CONFIG_PRODUCTION=false: devDependencies stay' '
	app builddev npm/build &&
	cat >"$A/builddev/Procfile" <<-\EOF &&
	web: { command -v semver; semver -i patch 1.2.3; command -v node; node -v; echo "$NODE_ENV"; echo "$HOME"; } >"$HOME/dyno.txt" 2>&1; exec npm start
	EOF
	smoke builddev "built version 1.3.0, 1h" -e NPM_CONFIG_PRODUCTION=false &&
	test_grep "^       Skipping because NPM_CONFIG_PRODUCTION is '"'"'false'"'"'\$" log &&
	B=$(echo "$CACHE"/apps/builddev-*/build) &&
	test -f "$B/node_modules/semver/package.json"
'

test_expect_success 'at run time .profile.d puts node_modules/.bin and node on PATH, NODE_ENV production' '
	home=$(sed -n 6p "$B/dyno.txt") && test -n "$home" &&
	printf "%s\n" "$home/node_modules/.bin/semver" 1.2.4 \
		"$home/.heroku/node/bin/node" "v$REAL_VERSION" production "$home" >expect &&
	test_cmp expect "$B/dyno.txt"
'

test_expect_success 'an engines.node range: resolved against buildpack.yml, that node serves' '
	app range node/node-start &&
	test_grep "\"node\": \"^20\"" "$A/range/package.json" &&
	smoke range "Hello from Node.js v$REAL_VERSION (production)" &&
	test_grep -F "       engines.node (package.json): '"'"'^20'"'"', resolved to $REAL_VERSION" log
'

test_expect_success 'a NODE_ENV config var wins over .profile.d'"'"'s default at run time' '
	smoke range "Hello from Node.js v$REAL_VERSION (staging)" -e NODE_ENV=staging
'

test_expect_success 'no lockfile: npm install, and it answers with its dependency' '
	app nolock npm/nolock &&
	smoke nolock "one hour is 1h" &&
	test_grep "^       Installing node modules with npm install (package.json)\$" log
'

test_expect_success 'no lockfile: built again with the network cut off' '
	offline "$SLUGC" smoke -b "$BP" --cache "$CACHE" --expect-body "one hour is 1h" \
		"$A/nolock" >log 2>&1 || { cat log; false; }
'

# The failures: compile's exit status is slugc's, with one " !     " line
# saying what to fix, then slugc's own.
failed_build() {
	local name=$1 fixture=$2 want=$3
	app "$name" "$fixture" &&
	test_expect_code "$want" "$SLUGC" build -b "$BP" --cache "$CACHE" \
		-o "$TEST_TMP/$name.tgz" "$A/$name" >log 2>&1 &&
	test_must_fail test -e "$TEST_TMP/$name.tgz" &&
	grep "^ !     " log >bang &&
	test_grep -c "" bang >n && echo 2 >expect && test_cmp expect n &&
	sed -n 2p bang >last &&
	echo " !     Push rejected, failed to compile Node.js app: compile exited with status $want" >expect &&
	test_cmp expect last &&
	sed -n 1p bang >first
}

test_expect_success 'bad JSON in package.json: exit 2, one line with its line and column' '
	failed_build badjson npm/badjson 2 &&
	echo " !     package.json:6:3: unexpected character, at '"'"'}'"'"'" >expect &&
	test_cmp expect first &&
	test_no_grep "Installing" log &&
	smoke_rc=0 && "$SLUGC" smoke -b "$BP" --cache "$CACHE" "$A/badjson" >log 2>&1 || smoke_rc=$? &&
	test $smoke_rc -eq 2
'

test_expect_success 'engines.node in bad JSON: the same, its own line and column' '
	failed_build badengines node/node-badjson 2 &&
	test_grep "^ !     package.json:4:32: " first
'

test_expect_success 'an out-of-sync lockfile: exit 2, one line, not npm'"'"'s page' '
	failed_build outofsync npm/outofsync 2 &&
	test_grep "^ !     package-lock.json is out of sync with package.json (Missing: semver@7\.[0-9.]* from lock file): run \`npm install\` and commit package-lock.json\$" first &&
	test_no_grep -e "Clean install a project" -e "npm error code EUSAGE" \
		-e "A complete log of this run" log
'

test_expect_success 'an unsatisfiable engines.node: exit 2, one line naming the range and the versions' '
	failed_build unsat node/node-unsatisfiable 2 &&
	cat >expect <<-EOF &&
	 !     package.json engines.node '"'"'>=99 <100'"'"' matches no Node.js version known ($CACHE/apps/$(ls "$CACHE/apps" | grep "^unsat-")/buildpacks/nodejs/buildpack.yml: 18.20.8, 20.19.5, 20.20.2, 22.23.5)
	EOF
	test_cmp expect first &&
	test_no_grep "Installing" log
'

# --- the log streams

test_expect_success 'npm'"'"'s output streams: a build line is in slugc'"'"'s output while the build runs' '
	app stream npm/stream &&
	flag=$TEST_TMP/stream.flag &&
	{ "$SLUGC" smoke -b "$BP" --cache "$CACHE" -e STREAM_FLAG="$flag" \
		--expect-body streamed "$A/stream" >log 2>&1 & } &&
	pid=$! &&
	for i in $(seq 300); do
		grep -q "^       stream: waiting for the log to show this line\$" log && break
		sleep 0.1
	done &&
	touch "$flag" &&
	wait $pid &&
	test_grep "^       stream: the log showed it while the build ran\$" log &&
	grep -v "^web\.1 | " log >build.log &&
	only_build_lines build.log
'

# --- the environment of the build

test_expect_success 'NODE_EXTRA_CA_CERTS (node'"'"'s CA setting) reaches npm through slugc' '
	app envprobe npm/envprobe &&
	NODE_EXTRA_CA_CERTS=/etc/ssl/certs/probe-ca.pem smoke envprobe \
		"NODE_EXTRA_CA_CERTS=/etc/ssl/certs/probe-ca.pem" -e PROBE_VALUE=from-slugc &&
	probe=$(echo "$CACHE"/apps/envprobe-*/build/probe.txt) &&
	test_grep "^PROBE_VALUE=from-slugc\$" "$probe" &&
	test_grep "^STACK=heroku-22\$" "$probe"
'

# --- under herokuish's conventions, as the Mono buildpack

# herokuish's buildpack-build: the app copied to BUILD (/tmp/build), HOME
# the app's run path (/app), config vars only as files in ENV_DIR (/tmp/env),
# detect BUILD, compile BUILD CACHE ENV in BUILD, release BUILD CACHE >
# BUILD/.release, then BUILD moved to the run path.  As root here; Dokku
# runs compile as an unprivileged user, done below too.
HK=$TEST_TMP/herokuish
hk_env() {
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$HK/app" APP_DIR="$HK/app" STACK=heroku-22 \
		REQUEST_ID=build-1234 CURL_CONNECT_TIMEOUT=30 CURL_TIMEOUT=180 "$@"
}
# hk_new FIXTURE: a fresh BUILD, ENV_DIR and run path; the cache is the
# app's across builds, seeded the first time.
hk_new() {
	rm -rf "$HK/build" "$HK/env" "$HK/app" &&
	mkdir -p "$HK/build" "$HK/env" "$HK/app" &&
	cp -a "$FIXTURES/$1/." "$HK/build/" &&
	if ! [ -d "$HK/cache" ]; then
		seed_cache "$HK" && mv "$HK/nodejs" "$HK/cache"
	fi
}
hk_set() { printf "%s" "$2" >"$HK/env/$1"; }
hk_compile() {
	(cd "$HK/build" && hk_env "$@" "$BP/bin/compile" "$HK/build" "$HK/cache" "$HK/env") >log 2>&1
}

test_expect_success 'herokuish: detect, compile with ENV_DIR, release with two arguments' '
	hk_new npm/build &&
	hk_env "$BP/bin/detect" "$HK/build" >detected &&
	echo Node.js >expect && test_cmp expect detected &&
	{ hk_compile || { cat log; false; }; } &&
	only_build_lines log &&
	test_grep "^       Running npm prune --omit=dev\$" log &&
	(cd "$HK/build" && hk_env "$BP/bin/release" "$HK/build" "$HK/cache") >"$HK/build/.release" &&
	cat >expect <<-\EOF &&
	---
	addons: []
	config_vars: {}
	default_process_types:
	  "web": "npm start"
	EOF
	test_cmp expect "$HK/build/.release"
'

test_expect_success 'herokuish: moved to its run path, .profile.d sourced, web answers' '
	rmdir "$HK/app" && mv "$HK/build" "$HK/app" &&
	port=$(free_port) &&
	{ env -i HOME="$HK/app" PORT=$port PATH=/usr/bin:/bin \
		setsid bash -c "cd \"\$HOME\" && for f in .profile.d/*.sh; do . \"\$f\"; done; exec npm start" \
		>"$TEST_TMP/hk-web.out" 2>&1 & } &&
	echo $! >"$TEST_TMP/hk-web.pid" &&
	test_at_exit "kill -- -\$(cat $TEST_TMP/hk-web.pid)" &&
	wait_for_http "http://127.0.0.1:$port/" 30 &&
	curl -fsS "http://127.0.0.1:$port/" >body &&
	echo "built version 1.3.0, 1h" >expect && test_cmp expect body &&
	kill -- -$(cat "$TEST_TMP/hk-web.pid")
'

test_expect_success 'herokuish: config vars come from ENV_DIR, not the environment' '
	hk_new npm/envprobe &&
	hk_set PROBE_VALUE from-env-dir && hk_set NODE_ENV staging &&
	hk_compile PROBE_VALUE=from-environment NODE_ENV=from-environment &&
	test_grep "^PROBE_VALUE=from-env-dir\$" "$HK/build/probe.txt" &&
	test_grep "^NODE_ENV=staging\$" "$HK/build/probe.txt"
'

test_expect_success 'herokuish: LANG, BUILD_DIR, PATH, LD_PRELOAD, GIT_DIR in ENV_DIR are never imported' '
	hk_new npm/envprobe &&
	hk_set LANG xx_XX.blocked && hk_set BUILD_DIR /blocked/build &&
	hk_set PATH /evil/bin && hk_set LD_PRELOAD /evil/lib.so &&
	hk_set GIT_DIR /blocked/git && hk_set PROBE_VALUE kept &&
	hk_compile LANG=C.UTF-8 &&
	cat "$HK/build/probe.txt" &&
	test_grep "^PROBE_VALUE=kept\$" "$HK/build/probe.txt" &&
	test_grep "^LANG=C.UTF-8\$" "$HK/build/probe.txt" &&
	test_no_grep -e blocked -e /evil/ "$HK/build/probe.txt" &&
	test_grep "^ !     .*PATH" log &&
	test_grep "^ !     .*LD_PRELOAD" log
'

test_expect_success 'herokuish: odd ENV_DIR entries are skipped with a warning, never a crash' '
	hk_new npm/envprobe &&
	mkdir "$HK/env/A_DIRECTORY" &&
	ln -s /etc/passwd "$HK/env/A_SYMLINK" &&
	head -c 2000000 /dev/zero | tr "\0" x >"$HK/env/HUGE_VALUE" &&
	printf "v" >"$HK/env/bad name!" &&
	hk_set API_TOKEN secretvalue123 &&
	hk_compile &&
	test_grep "^ !     .*A_DIRECTORY" log &&
	test_grep "^ !     .*A_SYMLINK" log &&
	test_grep "^ !     .*HUGE_VALUE" log &&
	test_no_grep -e secretvalue123 -e root:x -e xxxxxxxx log &&
	test -f "$HK/build/probe.txt"
'

test_expect_success 'herokuish: ENV_DIR is optional' '
	hk_new npm/envprobe &&
	(cd "$HK/build" && hk_env "$BP/bin/compile" "$HK/build" "$HK/cache") >log 2>&1 &&
	test_grep "^NODE_ENV=production\$" "$HK/build/probe.txt"
'

test_expect_success 'herokuish: changing STACK misses the runtime cache and installs again' '
	hk_new npm/envprobe &&
	hk_compile && test_grep "^       Using the cached runtime\$" log &&
	hk_new npm/envprobe &&
	(cd "$HK/build" && hk_env STACK=heroku-24 "$BP/bin/compile" "$HK/build" "$HK/cache" "$HK/env") >log 2>&1 &&
	test_grep "^       Downloading " log &&
	ls "$HK/cache/node" | grep -v "\.ok\$" | sed "s/-[0-9a-f]*\$//" >keys &&
	printf "%s\n" "$REAL_VERSION-heroku-22" "$REAL_VERSION-heroku-24" >expect &&
	test_cmp expect keys
'

test_expect_success 'herokuish: compile as an unprivileged user, as Dokku runs it' '
	hk_new npm/build &&
	cp -a "$BP" "$HK/nodejs" &&
	chmod 755 "$TEST_TMP" && chown -R nobody:nogroup "$HK" &&
	(cd "$HK/build" && hk_env setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$HK/nodejs/bin/compile" "$HK/build" "$HK/cache" "$HK/env") >log 2>&1 ||
		{ cat log; false; } &&
	test_no_grep "^ !     " log &&
	test -f "$HK/nodejs/export" &&
	test_grep "^       Using the cached runtime\$" log &&
	test_grep "^       Running npm prune --omit=dev\$" log &&
	test "$(stat -c %U "$HK/build/node_modules/ms/package.json")" = nobody &&
	test -x "$HK/build/.heroku/node/bin/node"
'

test_done
