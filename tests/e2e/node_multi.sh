#!/usr/bin/env bash
# A multi-buildpack build through slugc: `slugc build -b nodejs -b mono` on
# an app with both a package.json and hello's solution.  Both runtimes end up
# in the slug, and the Mono buildpack's compile runs with the Node.js
# buildpack's export sourced: an AfterBuild step of the project runs `node`,
# which must be the vendored one in the build directory, not the machine's.
. "$(dirname "$0")/../lib.sh"

NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
. "$NODE_RUNTIME_DIR/node.env" || exit 1
NODE_TGZ=$TARBALL_ZST NODE_SHA=$SHA256_ZST REAL_VERSION=$NODE_VERSION
unset NODE_VERSION
. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
A=$TEST_TMP/both

# The runtimes by file:// URL: the test does not depend on either
# buildpack.local.yml.
build_both() {
	"$SLUGC" build -b "$NODE_BPDIR" -b "$SLUGC_BPDIR" \
		-e NODE_URL="file://$NODE_TGZ" -e NODE_SHA256="$NODE_SHA" \
		-e MONO_URL="file://$TARBALL_ZST" -e MONO_SHA256="$SHA256_ZST" \
		-o "$1" "$A"
}

test_expect_success 'setup: hello with a package.json, its build running node' '
	cp -R "$APPS/hello" "$A" &&
	cp "$FIXTURES/node/node-start/package.json" "$FIXTURES/node/node-start/server.js" "$A/" &&
	sed -i "s|^</Project>|  <Target Name=\"AfterBuild\">\n    <Exec Command=\"node -e \&quot;console.log(\&apos;node \&apos; + process.version + \&apos; at \&apos; + process.execPath)\&quot;\" />\n  </Target>\n</Project>|" \
		"$A/Hello/Hello.csproj" &&
	test_grep "<Exec Command=" "$A/Hello/Hello.csproj"
'

test_expect_success 'build: Node.js then Mono, both compile' '
	build_both "$TEST_TMP/both.tgz" >log 2>&1 &&
	cat log &&
	test_grep "^-----> Installing Node.js custom\$" log &&
	test_grep "^-----> Installing Mono " log &&
	test_grep "^-----> Building Hello.sln with xbuild (Release)\$" log &&
	test_no_grep -v -e "^-----> " -e "^       " -e "^ !     " -e "^\$" log
'

test_expect_success 'the Mono compile ran the node of the Node.js export' '
	test_grep "^[[:space:]]*node v$REAL_VERSION at /.*/\.heroku/node/bin/node\$" log
'

test_expect_success 'the slug holds both runtimes and both .profile.d scripts' '
	tar tzf "$TEST_TMP/both.tgz" >list &&
	test_grep "^./app/.heroku/node/bin/node\$" list &&
	test_grep "^./app/vendor/mono/bin/mono\$" list &&
	test_grep "^./app/.profile.d/nodejs.sh\$" list &&
	test_grep "^./app/.profile.d/mono.sh\$" list &&
	test_grep "^./app/Hello/bin/Release/Hello.exe\$" list
'

test_expect_success 'the last buildpack'"'"'s web wins: mono runs hello' '
	tar xzOf "$TEST_TMP/both.tgz" ./app/Procfile >procfile &&
	echo "web: mono Hello/bin/Release/Hello.exe" >expect &&
	test_cmp expect procfile
'

test_expect_success 'run: node and mono are both on the dyno'"'"'s PATH' '
	"$SLUGC" run "$TEST_TMP/both.tgz" -- bash -c "node -v; command -v node; command -v mono; echo \$NODE_ENV" >out 2>err &&
	sed -n 1p out >v && echo "v$REAL_VERSION" >expect && test_cmp expect v &&
	sed -n 2p out | grep "/\.heroku/node/bin/node\$" &&
	sed -n 3p out | grep "/vendor/mono/bin/mono\$" &&
	sed -n 4p out >env && echo production >expect && test_cmp expect env
'

test_expect_success 'a warm build downloads neither and gives the same slug' '
	build_both "$TEST_TMP/both2.tgz" >log2 2>&1 &&
	test_grep -c "Using the cached runtime" log2 >n &&
	echo 2 >expect && test_cmp expect n &&
	cmp "$TEST_TMP/both.tgz" "$TEST_TMP/both2.tgz"
'

test_done
