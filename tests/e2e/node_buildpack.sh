#!/usr/bin/env bash
# The Node.js buildpack end to end, driven the way a slug compiler drives it:
# bin/detect, bin/compile, bin/release on the fixture apps of
# tests/fixtures/node, with the real relocatable Node tarball (make
# node-runtime) served from 127.0.0.1 by faultd or named by file://, small
# tarballs of other versions made here for the version choice, the built app
# booted from a moved build directory with its .profile.d, and a
# multi-buildpack build (Node.js then Mono) through slugc.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"

# The Node.js buildpack beside the Mono one (build/san/buildpacks/nodejs
# under SAN=1), and the Node tarball make node-runtime packed.
NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
NAPPS=$FIXTURES/node
. "$NODE_RUNTIME_DIR/node.env" || exit 1
NODE_GZ=$(basename "$TARBALL_GZ")
REAL_VERSION=$NODE_VERSION REAL_NPM=$NPM_VERSION
unset NODE_VERSION NPM_VERSION # the env file's, not config vars

# A private copy of the buildpack (compile writes its export file there),
# with a buildpack.yml of three versions: 18.20.8 and 22.23.5 are the real
# Node tree repacked with their VERSION (made below), 20.20.2 the real
# tarball over HTTP.
BP=$TEST_TMP/nodejs
DETECT=$BP/bin/detect COMPILE=$BP/bin/compile RELEASE=$BP/bin/release
FAKES=$TEST_TMP/fakes
CACHE=$TEST_TMP/cache

# fake_tarball VERSION [TOPDIR]: a tarball standing for another Node.js
# version.  Without TOPDIR it is the real Node tree (so npm runs as in any
# build) with VERSION saying VERSION, as a .tar.zst; with TOPDIR, a small
# tree whose bin/node prints vVERSION under TOPDIR/ (as nodejs.org packs
# them), as a .tar.gz, refused before anything runs.  Sets FAKE to its
# path and FAKE_SHA to its sha256.
fake_tarball() {
	local v=$1 top=${2:-} t=$FAKES/tree-$1${2:+-top}
	if [ -z "$top" ]; then
		mkdir -p "$t" &&
		tar -C "$t" --zstd -xf "$TARBALL_ZST" &&
		echo "$v" >"$t/VERSION" &&
		FAKE=$FAKES/node-$v.tar.zst &&
		tar -C "$t" --zstd -cf "$FAKE" . || return 1
	else
		mkdir -p "$t/$top/bin" &&
		printf '#!/bin/sh\necho v%s\n' "$v" >"$t/$top/bin/node" &&
		chmod 755 "$t/$top/bin/node" &&
		echo "$v" >"$t/$top/VERSION" &&
		FAKE=$FAKES/node-$v-top.tar.gz &&
		tar -C "$t" -czf "$FAKE" . || return 1
	fi
	FAKE_SHA=$(sha256sum "$FAKE" | cut -d" " -f1)
}

# new_app FIXTURE: a fresh BUILD_DIR holding the fixture, and a fresh
# ENV_DIR; sets $B and $ENVD.
new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX") &&
	cp -a "$NAPPS/$1/." "$B/" &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX")
}

# engines RANGE: the app's package.json with engines.node RANGE.
engines() {
	printf '{"name": "x", "version": "1.0.0", "engines": {"node": "%s"}}\n' \
		"$1" >"$B/package.json"
}

setvar() { printf '%s' "$2" >"$ENVD/$1"; }

# compile_ok: compile $B, showing the log on failure.
compile_ok() {
	"$COMPILE" "$B" "${1:-$CACHE}" "$ENVD" >log 2>&1
	local rc=$?
	[ $rc -eq 0 ] || { cat log; echo "compile exited $rc" >&2; }
	return $rc
}

test_expect_success 'setup: the buildpack, its versions, the tarball server' '
	mkdir -p "$BP" "$FAKES" &&
	cp -a "$NODE_BPDIR/bin" "$BP/" &&
	fake_tarball 18.20.8 && SHA18=$FAKE_SHA URL18=file://$FAKE &&
	fake_tarball 22.23.5 && SHA22=$FAKE_SHA URL22=file://$FAKE &&
	faultd_start "$NODE_RUNTIME_DIR" &&
	cat >"$BP/buildpack.yml" <<-EOF
	default_version: "$REAL_VERSION"
	versions:
	  "18.20.8":
	    url: "$URL18"
	    sha256: "$SHA18"
	  "$REAL_VERSION":
	    url: "$FAULTD_URL/$NODE_GZ"
	    sha256: "$SHA256_GZ"
	  "22.23.5":
	    url: "$URL22"
	    sha256: "$SHA22"
	EOF
'

# --- detect

test_expect_success 'detect: a package.json at the root says Node.js, exit 0' '
	"$DETECT" "$NAPPS/node-start" >out &&
	echo Node.js >expect &&
	test_cmp expect out
'

test_expect_success 'detect: no package.json says no, exit 1' '
	test_expect_code 1 "$DETECT" "$APPS/hello" >out &&
	echo no >expect &&
	test_cmp expect out
'

test_expect_success 'detect: a package.json deeper down is not the app'"'"'s: no' '
	d=$TEST_TMP/deep && mkdir -p "$d/web" && echo "{}" >"$d/web/package.json" &&
	test_expect_code 1 "$DETECT" "$d" >out &&
	echo no >expect && test_cmp expect out
'

test_expect_success 'detect: a package.json directory or dangling link is no' '
	d=$TEST_TMP/dir && mkdir -p "$d/package.json" &&
	test_expect_code 1 "$DETECT" "$d" >out &&
	d=$TEST_TMP/dangling && mkdir -p "$d" && ln -s nowhere.json "$d/package.json" &&
	test_expect_code 1 "$DETECT" "$d" >>out &&
	printf "no\nno\n" >expect && test_cmp expect out
'

test_expect_success 'detect: a package.json linked to a file in the app is yes' '
	d=$TEST_TMP/linked && mkdir -p "$d/config" && echo "{}" >"$d/config/p.json" &&
	ln -s config/p.json "$d/package.json" &&
	"$DETECT" "$d" >out && echo Node.js >expect && test_cmp expect out
'

test_expect_success 'detect: a missing BUILD_DIR is an error, exit 2' '
	test_expect_code 2 "$DETECT" "$TEST_TMP/nope" >out 2>err &&
	test_must_fail test -s out &&
	test_grep "nope: not a directory" err
'

test_expect_success 'detect: an answer that cannot be written is an error, exit 4' '
	test_expect_code 4 "$DETECT" "$NAPPS/node-start" >/dev/full 2>err &&
	test_grep "detect: stdout: No space left on device" err
'

test_expect_success 'detect: no arguments is a usage error, exit 2' '
	test_expect_code 2 "$DETECT" 2>err &&
	test_grep "usage: detect BUILD_DIR" err
'

# --- compile: the runtime

test_expect_success 'compile, cold: engines ^20 installs the real Node over HTTP' '
	new_app node-start &&
	before=$(faultd_requests) &&
	compile_ok &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	head -3 log >head &&
	cat >expect <<-EOF &&
	-----> Installing Node.js $REAL_VERSION
	       engines.node (package.json): '"'"'^20'"'"', resolved to $REAL_VERSION
	       Downloading $FAULTD_URL/$NODE_GZ
	EOF
	test_cmp expect head &&
	test_grep "^       Default web process: npm start\$" log &&
	"$B/.heroku/node/bin/node" -e "console.log(process.version)" >v &&
	echo "v$REAL_VERSION" >expect && test_cmp expect v &&
	START_BUILD=$B
'

test_expect_success 'compile: every log line is a header, indented, or a warning' '
	test_no_grep -v -e "^-----> " -e "^       " -e "^ !     " -e "^\$" log
'

test_expect_success 'compile, warm: a cache hit with the server stopped' '
	faultd_stop &&
	new_app node-start &&
	compile_ok &&
	test_grep "^       Using the cached runtime\$" log &&
	test_no_grep "Downloading" log &&
	test -x "$B/.heroku/node/bin/node" &&
	test -L "$B/.heroku/node/bin/npm" &&
	faultd_start "$NODE_RUNTIME_DIR" &&
	sed -i "s|http://127.0.0.1:[0-9]*/|$FAULTD_URL/|" "$BP/buildpack.yml"
'

test_expect_success 'compile: the cache keeps Node under its own namespace' '
	ls "$CACHE" >ns &&
	printf "node\nnpm\n" >expect &&
	test_cmp expect ns &&
	test -d "$CACHE/node/$REAL_VERSION-heroku-22-$SHA256_GZ"
'

test_expect_success 'compile: no engines.node gives the default version' '
	new_app node-server &&
	compile_ok &&
	test_grep "^-----> Installing Node.js $REAL_VERSION\$" log &&
	test_grep "^       engines.node (package.json): unspecified, the default version\$" log &&
	test_grep "^       Default web process: node server.js\$" log
'

# RANGE (_ for a blank) and the version it installs: npm's rules, the
# highest match of buildpack.yml.
for c in "18.x 18.20.8" ">=18_<20 18.20.8" ">=18_<22 $REAL_VERSION" \
	"^22_||_^18 22.23.5" "* 22.23.5" "~18.20.0 18.20.8" "18_-_20 $REAL_VERSION" \
	"20.20.2 $REAL_VERSION" "v18.20.8 18.20.8" ">=_16 22.23.5" "20.x_||_18.x $REAL_VERSION"; do
	range=${c% *} want=${c##* }
	range=${range//_/ }
	test_expect_success "compile: engines.node '$range' installs $want" '
		new_app node-nostart && engines "$range" &&
		compile_ok &&
		test_grep "^-----> Installing Node.js $want\$" log &&
		test_grep -F "engines.node (package.json): '"'"'$range'"'"', resolved to $want" log &&
		head -n1 "$B/.heroku/node/VERSION" >v && echo "$want" >expect &&
		test_cmp expect v
	'
done

test_expect_success 'compile: a range nothing satisfies fails with one line, exit 2' '
	new_app node-unsatisfiable &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	cat >expect <<-EOF &&
	 !     package.json engines.node '"'"'>=99 <100'"'"' matches no Node.js version known ($BP/buildpack.yml: 18.20.8, $REAL_VERSION, 22.23.5)
	EOF
	test_cmp expect log &&
	test_must_fail test -e "$B/.heroku" &&
	test_must_fail test -e "$B/.profile.d"
'

test_expect_success 'compile: an invalid range is named, exit 2' '
	new_app node-nostart && engines "lts/*" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     package.json engines.node: invalid range '"'"'lts/\*'"'"'" log &&
	test $(wc -l <log) -eq 1
'

test_expect_success 'compile: NODE_VERSION wins over engines.node' '
	new_app node-start && setvar NODE_VERSION 18.20.8 &&
	compile_ok &&
	test_grep "^-----> Installing Node.js 18.20.8\$" log &&
	test_grep "^       NODE_VERSION (config var): 18.20.8\$" log &&
	head -n1 "$B/.heroku/node/VERSION" >v && echo 18.20.8 >expect && test_cmp expect v
'

test_expect_success 'compile: an unknown NODE_VERSION names the versions, exit 2' '
	new_app node-start && setvar NODE_VERSION 19.0.0 &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     $BP/buildpack.yml: no Node.js version 19.0.0 (known: 18.20.8, $REAL_VERSION, 22.23.5)\$" log
'

test_expect_success 'compile: NODE_URL + NODE_SHA256 install that tarball' '
	new_app node-start &&
	setvar NODE_URL "$FAULTD_URL/$NODE_GZ" && setvar NODE_SHA256 "$SHA256_GZ" &&
	before=$(faultd_requests) &&
	compile_ok "$TEST_TMP/cache-url" &&
	test $(( $(faultd_requests) - before )) -eq 1 &&
	test_grep "^-----> Installing Node.js custom\$" log &&
	test_grep "^       NODE_URL and NODE_SHA256 (config vars): a tarball of your choice\$" log &&
	"$B/.heroku/node/bin/node" -v >v && echo "v$REAL_VERSION" >expect && test_cmp expect v
'

test_expect_success 'compile: the same NODE_URL again is a cache hit, no request' '
	new_app node-start &&
	setvar NODE_URL "$FAULTD_URL/$NODE_GZ" && setvar NODE_SHA256 "$SHA256_GZ" &&
	before=$(faultd_requests) &&
	compile_ok "$TEST_TMP/cache-url" &&
	test $(( $(faultd_requests) - before )) -eq 0 &&
	test_grep "^       Using the cached runtime\$" log
'

test_expect_success 'compile: a wrong NODE_SHA256 fails, exit 3, leaving nothing' '
	new_app node-start &&
	setvar NODE_URL "$FAULTD_URL/$NODE_GZ" &&
	setvar NODE_SHA256 0000000000000000000000000000000000000000000000000000000000000000 &&
	test_expect_code 3 "$COMPILE" "$B" "$TEST_TMP/cache-bad" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*$FAULTD_URL/$NODE_GZ" log &&
	test_grep -i "sha256" log &&
	test -z "$(find "$TEST_TMP/cache-bad" -mindepth 1 ! -name "*.lock")" &&
	test_must_fail test -e "$B/.heroku" &&
	test_must_fail test -e "$B/.profile.d" &&
	ls -A "$B" >left && printf "package.json\nserver.js\n" >expect &&
	test_cmp expect left
'

test_expect_success 'compile: NODE_URL without NODE_SHA256 is refused before any request' '
	new_app node-start && setvar NODE_URL "$FAULTD_URL/$NODE_GZ" &&
	before=$(faultd_requests) &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	echo " !     NODE_URL is set but NODE_SHA256 is not: set it to the tarball'"'"'s sha256" >expect &&
	test_cmp expect log &&
	test "$before" -eq "$(faultd_requests)"
'

test_expect_success 'compile: a tarball with a top directory is refused, exit 3, nothing left' '
	new_app node-start &&
	fake_tarball 20.0.0 node-v20.0.0-linux-x64 &&
	setvar NODE_URL "file://$FAKE" && setvar NODE_SHA256 "$FAKE_SHA" &&
	test_expect_code 3 "$COMPILE" "$B" "$TEST_TMP/cache-top" "$ENVD" >log 2>&1 &&
	test_grep "^ !     the Node.js custom tarball has no bin/node at its root" log &&
	test_must_fail test -e "$B/.heroku"
'

test_expect_success 'compile: a placeholder URL in buildpack.yml says how to get a runtime' '
	new_app node-start && setvar NODE_VERSION 18.20.8 &&
	bp2=$TEST_TMP/bp-404 && mkdir -p "$bp2" && cp -a "$BP/bin" "$bp2/" &&
	sed "s|$URL18|$FAULTD_URL/missing-18.tar.gz|" "$BP/buildpack.yml" >"$bp2/buildpack.yml" &&
	test_expect_code 3 "$bp2/bin/compile" "$B" "$TEST_TMP/cache-404" "$ENVD" >log 2>&1 &&
	test_grep "^ !     .*missing-18.tar.gz.*404.*make node-runtime" log &&
	test_must_fail test -e "$B/.heroku/node"
'

test_expect_success 'compile: bad JSON in package.json names the line and column, exit 2' '
	new_app node-badjson &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     package.json:4:3[0-9]*: " log &&
	test $(wc -l <log) -eq 1
'

test_expect_success 'compile: no package.json is bad input, exit 2' '
	new_app node-start && rm "$B/package.json" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     no package.json at the root of the app" log
'

test_expect_success 'compile: a package.json linked out of the app is refused, exit 2' '
	new_app node-start && rm "$B/package.json" &&
	ln -s "$NAPPS/node-start/package.json" "$B/package.json" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     package.json" log
'

test_expect_success 'compile: a .heroku linked out of the app is refused, exit 2' '
	new_app node-start && mkdir "$TEST_TMP/elsewhere" &&
	ln -s "$TEST_TMP/elsewhere" "$B/.heroku" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test -z "$(ls -A "$TEST_TMP/elsewhere")"
'

test_expect_success 'compile: a build log that cannot be written fails it, exit 4' '
	new_app node-start &&
	test_expect_code 4 "$COMPILE" "$B" "$CACHE" "$ENVD" >/dev/full
'

test_expect_success 'compile: too few arguments is a usage error, exit 2' '
	test_expect_code 2 "$COMPILE" "$B" 2>err &&
	test_grep "usage: compile BUILD_DIR CACHE_DIR \[ENV_DIR\]" err
'

test_expect_success 'compile: without a start script or server.js it warns' '
	new_app node-nostart &&
	compile_ok &&
	test_grep "^ !     No start script in package.json, no server.js and no web in a Procfile" log
'

test_expect_success 'compile: a Procfile web is not warned about' '
	new_app node-nostart && echo "web: node app.js" >"$B/Procfile" &&
	compile_ok &&
	test_no_grep "No start script" log &&
	test_no_grep "Default web process" log
'

test_expect_success 'compile: secrets in config vars and NODE_URL never reach the log' '
	new_app node-start &&
	setvar NODE_URL "http://user:hunter2secret@127.0.0.1:$FAULTD_PORT/nope.tar.gz" &&
	setvar NODE_SHA256 "$SHA256_GZ" &&
	setvar AWS_SECRET_ACCESS_KEY topsecretvalue &&
	test_expect_code 3 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_no_grep -e hunter2secret -e topsecretvalue log &&
	test_grep "nope.tar.gz" log
'

# --- what compile leaves for the dyno and the next buildpack

test_expect_success '.profile.d/nodejs.sh: node and node_modules/.bin from $HOME' '
	cat >expect <<-\EOF &&
	# Written by the Node.js buildpack: the vendored node and npm, and the
	# app'"'"'s own tools, on PATH; NODE_ENV production unless set.
	export PATH="$HOME/.heroku/node/bin:$HOME/node_modules/.bin:$PATH"
	export NODE_ENV="${NODE_ENV:-production}"
	EOF
	test_cmp expect "$START_BUILD/.profile.d/nodejs.sh"
'

test_expect_success '.profile.d/nodejs.sh: NODE_ENV production unless already set' '
	env -i HOME=/app PATH=/usr/bin:/bin bash -c ". $START_BUILD/.profile.d/nodejs.sh; echo \$NODE_ENV; echo \$PATH" >got &&
	printf "production\n/app/.heroku/node/bin:/app/node_modules/.bin:/usr/bin:/bin\n" >expect &&
	test_cmp expect got &&
	env -i HOME=/app NODE_ENV=staging PATH=/bin bash -c ". $START_BUILD/.profile.d/nodejs.sh; echo \$NODE_ENV" >got &&
	echo staging >expect && test_cmp expect got
'

test_expect_success 'export: the next buildpack gets node, npm and NODE_ENV at build paths' '
	new_app node-start && compile_ok &&
	cat >expect <<-EOF &&
	export PATH=$B/.heroku/node/bin:$B/node_modules/.bin:"\$PATH"
	export NODE_ENV="\${NODE_ENV:-production}"
	EOF
	test_cmp expect "$BP/export" &&
	env -i PATH=/usr/bin:/bin bash -c ". $BP/export; command -v node; command -v npm; echo \$NODE_ENV; npm --version" >got &&
	printf "%s\n" "$B/.heroku/node/bin/node" "$B/.heroku/node/bin/npm" production "$REAL_NPM" >expect &&
	test_cmp expect got
'

test_expect_success 'export: a NODE_ENV config var is passed on, quoted' '
	new_app node-start && setvar NODE_ENV "it'"'"'s \$dev" &&
	compile_ok &&
	test_no_grep "NODE_ENV:-production" "$BP/export" &&
	env -i NODE_ENV=other PATH=/bin bash -c ". $BP/export; echo \"\$NODE_ENV\"" >got &&
	echo "it'"'"'s \$dev" >expect && test_cmp expect got
'

test_expect_success 'export: a build dir with spaces and quotes stays one path' '
	B="$TEST_TMP/my app'"'"'s \$dir" && mkdir -p "$B" &&
	cp -a "$NAPPS/node-start/." "$B/" && ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX") &&
	compile_ok &&
	env -i PATH=/usr/bin:/bin bash -c ". \"$BP/export\"; command -v node" >got &&
	echo "$B/.heroku/node/bin/node" >expect && test_cmp expect got
'

test_expect_success 'the slug boots from anywhere: moved, .profile.d sourced, npm start answers' '
	SLUG_HOME=$TEST_TMP/app-moved &&
	mv "$START_BUILD" "$SLUG_HOME" &&
	"$RELEASE" "$SLUG_HOME" >rel &&
	web=$(/usr/bin/python3 -c "import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))[\"default_process_types\"][\"web\"])" rel) &&
	test "$web" = "npm start" &&
	port=$(free_port) &&
	cd "$SLUG_HOME" &&
	{ env -i HOME="$SLUG_HOME" PORT=$port PATH=/usr/bin:/bin \
	    setsid bash -c "for f in .profile.d/*.sh; do . \"\$f\"; done; exec $web" \
	    >"$TEST_TMP/web.out" 2>&1 & } &&
	echo $! >"$TEST_TMP/web.pid" &&
	cd "$TEST_TMP" &&
	test_at_exit "kill -- -\$(cat $TEST_TMP/web.pid)" &&
	wait_for_http "http://127.0.0.1:$port/" 30 &&
	curl -fsS "http://127.0.0.1:$port/x" >body &&
	echo "Hello from Node.js v$REAL_VERSION (production)" >expect &&
	test_cmp expect body &&
	kill -- -$(cat "$TEST_TMP/web.pid") &&
	for i in $(seq 50); do kill -0 $(cat "$TEST_TMP/web.pid") 2>/dev/null || break; sleep 0.1; done &&
	test_must_fail kill -0 $(cat "$TEST_TMP/web.pid") 2>/dev/null
'

# --- release

rel_app() { B=$(mktemp -d "$TEST_TMP/rel.XXXXXX"); }

test_expect_success 'release: a start script gives web: npm start' '
	rel_app && cp "$NAPPS/node-start/package.json" "$B/" &&
	"$RELEASE" "$B" >rel &&
	cat >expect <<-\EOF &&
	---
	addons: []
	config_vars: {}
	default_process_types:
	  "web": "npm start"
	EOF
	test_cmp expect rel &&
	/usr/bin/python3 -c "import sys,yaml,json; print(json.dumps(yaml.safe_load(open(sys.argv[1])), sort_keys=True))" rel >got &&
	echo "{\"addons\": [], \"config_vars\": {}, \"default_process_types\": {\"web\": \"npm start\"}}" >want &&
	test_cmp want got
'

test_expect_success 'release: called with two arguments (herokuish), the same YAML' '
	"$RELEASE" "$B" "$TEST_TMP/some-cache" >rel2 &&
	test_cmp rel rel2
'

test_expect_success 'release: server.js alone gives web: node server.js' '
	rel_app && cp "$NAPPS/node-server/package.json" "$NAPPS/node-server/server.js" "$B/" &&
	"$RELEASE" "$B" >rel &&
	cat >expect <<-\EOF &&
	---
	addons: []
	config_vars: {}
	default_process_types:
	  "web": "node server.js"
	EOF
	test_cmp expect rel
'

test_expect_success 'release: a start script wins over server.js' '
	cp "$NAPPS/node-start/package.json" "$B/" &&
	"$RELEASE" "$B" >rel &&
	test_grep "^  \"web\": \"npm start\"\$" rel
'

test_expect_success 'release: neither gives no default web' '
	rel_app && cp "$NAPPS/node-nostart/package.json" "$B/" &&
	"$RELEASE" "$B" >rel &&
	/usr/bin/python3 -c "import sys,yaml,json; print(json.dumps(yaml.safe_load(open(sys.argv[1])), sort_keys=True))" rel >got &&
	echo "{\"addons\": [], \"config_vars\": {}, \"default_process_types\": {}}" >want &&
	test_cmp want got
'

test_expect_success 'release: a server.js linked out of the app does not count' '
	ln -s "$NAPPS/node-server/server.js" "$B/server.js" &&
	"$RELEASE" "$B" >rel &&
	test_no_grep "web" rel
'

test_expect_success 'release: the Procfile wins type by type over the default' '
	rel_app && cp "$NAPPS/node-start/package.json" "$B/" &&
	printf "worker: node worker.js\nweb: node --max-old-space-size=200 server.js\n" >"$B/Procfile" &&
	"$RELEASE" "$B" >rel &&
	cat >expect <<-\EOF &&
	---
	addons: []
	config_vars: {}
	default_process_types:
	  "web": "node --max-old-space-size=200 server.js"
	  "worker": "node worker.js"
	EOF
	test_cmp expect rel
'

test_expect_success 'release: a Procfile without web keeps npm start' '
	printf "worker: node worker.js\n" >"$B/Procfile" &&
	"$RELEASE" "$B" >rel &&
	test_grep "^  \"web\": \"npm start\"\$" rel &&
	test_grep "^  \"worker\": \"node worker.js\"\$" rel
'

test_expect_success 'release: no package.json is no default web, not an error' '
	rel_app &&
	"$RELEASE" "$B" >rel &&
	test_grep "^default_process_types: {}\$" rel
'

test_expect_success 'release: bad JSON is exit 2 with the line and column on stderr' '
	rel_app && cp "$NAPPS/node-badjson/package.json" "$B/" &&
	test_expect_code 2 "$RELEASE" "$B" >rel 2>err &&
	test_must_fail test -s rel &&
	test_grep "^release: package.json:4:" err
'

test_expect_success 'release: a package.json or Procfile linked out of the app is exit 2' '
	rel_app && ln -s "$NAPPS/node-start/package.json" "$B/package.json" &&
	test_expect_code 2 "$RELEASE" "$B" >rel 2>err &&
	test_must_fail test -s rel &&
	rel_app && cp "$NAPPS/node-start/package.json" "$B/" &&
	echo "web: x" >"$TEST_TMP/outside-procfile" &&
	ln -s "$TEST_TMP/outside-procfile" "$B/Procfile" &&
	test_expect_code 2 "$RELEASE" "$B" >rel 2>err &&
	test_grep "Procfile" err
'

test_expect_success 'release: a missing BUILD_DIR is exit 2; an unwritable stdout exit 4' '
	test_expect_code 2 "$RELEASE" "$TEST_TMP/nope" 2>err &&
	test_grep "nope: not a directory" err &&
	rel_app && cp "$NAPPS/node-start/package.json" "$B/" &&
	test_expect_code 4 "$RELEASE" "$B" >/dev/full 2>err &&
	test_grep "release: stdout" err
'

test_expect_success 'stop the tarball server' '
	faultd_stop
'

test_done
