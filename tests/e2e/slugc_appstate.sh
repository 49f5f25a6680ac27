#!/usr/bin/env bash
# run, start and smoke with an app that has state ($XDG_STATE_HOME/slugc/
# apps/NAME): its config vars reach the processes, over the release's and
# below the user's --env and -e; an app without state runs as before.  (Add-ons in the state are started
# before the processes: tests/unit/test_supervise.c does that with a real
# redis-server.)
. "$(dirname "$0")/../lib.sh"

BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg XDG_STATE_HOME=$TEST_TMP/state
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH

A=$TEST_TMP/apps/shop
S=$TEST_TMP/shop.tgz

test_expect_success 'setup: an app, and config vars in its state' '
	mkdir -p "$A" && printf "web: exec sleep 300\n" >"$A/Procfile" &&
	"$SLUGC" build -b "$BP/null" -o "$S" "$A" >log 2>&1 &&
	mkdir -p -m 0700 "$XDG_STATE_HOME/slugc" "$XDG_STATE_HOME/slugc/apps" \
		"$XDG_STATE_HOME/slugc/apps/shop" &&
	printf "%s\n" "\"GREETING\": \"from state\"" "\"NULL_RELEASE\": \"state wins\"" \
		>"$XDG_STATE_HOME/slugc/apps/shop/config.yml" &&
	chmod 0600 "$XDG_STATE_HOME/slugc/apps/shop/config.yml"
'

test_expect_success 'run: the app state config vars reach the process' '
	"$SLUGC" run "$S" -- printenv GREETING NULL_RELEASE >out 2>err &&
	printf "%s\n" "from state" "state wins" >expect && test_cmp expect out &&
	test_must_fail test -s err
'

test_expect_success 'run: -e wins over the app state' '
	"$SLUGC" run -e GREETING=mine "$S" -- printenv GREETING >out &&
	echo mine >expect && test_cmp expect out
'

# The precedence chain, pair by pair: the release's config_vars < the
# app's config < --env files (a later file winning) < -e, whatever the
# order of --env and -e on the command line.
test_expect_success 'setup: .env files' '
	printf "%s\n" "GREETING=from file" "NULL_RELEASE=file wins" >"$TEST_TMP/a.env" &&
	printf "%s\n" "GREETING=from b" >"$TEST_TMP/b.env"
'

test_expect_success 'run: --env wins over the app state' '
	"$SLUGC" run --env "$TEST_TMP/a.env" "$S" -- printenv GREETING NULL_RELEASE >out &&
	printf "%s\n" "from file" "file wins" >expect && test_cmp expect out
'

test_expect_success 'run: a later --env file wins over an earlier one' '
	"$SLUGC" run --env "$TEST_TMP/a.env" --env "$TEST_TMP/b.env" "$S" \
		-- printenv GREETING >out &&
	echo "from b" >expect && test_cmp expect out
'

test_expect_success 'run: -e wins over --env, given after it' '
	"$SLUGC" run --env "$TEST_TMP/a.env" -e GREETING=mine "$S" -- printenv GREETING >out &&
	echo mine >expect && test_cmp expect out
'

test_expect_success 'run: -e wins over --env, given before it' '
	"$SLUGC" run -e GREETING=mine --env "$TEST_TMP/a.env" "$S" \
		-- printenv GREETING NULL_RELEASE >out &&
	printf "%s\n" mine "file wins" >expect && test_cmp expect out
'

test_expect_success 'run: without state, --env and -e win over the release' '
	"$SLUGC" run --app other "$S" -- printenv NULL_RELEASE >out &&
	echo "set by release" >expect && test_cmp expect out &&
	"$SLUGC" run --app other --env "$TEST_TMP/a.env" "$S" -- printenv NULL_RELEASE >out &&
	echo "file wins" >expect && test_cmp expect out &&
	"$SLUGC" run --app other -e NULL_RELEASE=mine --env "$TEST_TMP/a.env" "$S" \
		-- printenv NULL_RELEASE >out &&
	echo mine >expect && test_cmp expect out
'

test_expect_success 'start: the same chain, -e before --env' '
	P=$TEST_TMP/apps/shop-start && mkdir -p "$P" &&
	printf "web: printenv GREETING NULL_RELEASE; exec sleep 300\n" >"$P/Procfile" &&
	"$SLUGC" build -b "$BP/null" --app shop -o "$TEST_TMP/start.tgz" "$P" >log 2>&1 &&
	test_expect_code 124 "$SLUGC" start --app shop -p "$(free_port)" --boot-timeout 1 \
		-e GREETING=mine --env "$TEST_TMP/a.env" "$TEST_TMP/start.tgz" >out 2>err &&
	test_grep "^web.1 *| mine\$" out &&
	test_grep "^web.1 *| file wins\$" out &&
	test_grep "R10" err
'

test_expect_success 'build: ENV_DIR has -e over --env, whatever their order' '
	printf "NULL_FAIL=3\n" >"$TEST_TMP/fail.env" &&
	test_expect_code 3 "$SLUGC" build -b "$BP/null" --env "$TEST_TMP/fail.env" \
		-o "$TEST_TMP/b.tgz" "$A" >log 2>&1 &&
	"$SLUGC" build -b "$BP/null" -e NULL_FAIL= --env "$TEST_TMP/fail.env" \
		-o "$TEST_TMP/b.tgz" "$A" >log 2>&1
'

test_expect_success 'build: ENV_DIR has the app config of the directory name' '
	"$SLUGC" config:set NULL_FAIL=3 -a shop >log 2>&1 &&
	test_expect_code 3 "$SLUGC" build -b "$BP/null" -o "$TEST_TMP/b.tgz" \
		"$A" >log 2>&1 &&
	"$SLUGC" build -b "$BP/null" -e NULL_FAIL= -o "$TEST_TMP/b.tgz" \
		"$A" >log 2>&1 &&
	test_expect_code 3 "$SLUGC" build -b "$BP/null" --app shop \
		-o "$TEST_TMP/b.tgz" "$P" >log 2>&1 &&
	"$SLUGC" config:unset NULL_FAIL -a shop >log 2>&1 &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/b.tgz" "$A" >log 2>&1
'

test_expect_success 'run: another app name has none of them' '
	test_expect_code 1 "$SLUGC" run --app other "$S" -- printenv GREETING >out &&
	test_must_fail test -s out
'

test_expect_success 'run: a state directory that is not ours is refused, named' '
	mkdir -p -m 0700 "$XDG_STATE_HOME/slugc/apps/shared" &&
	chown 12345 "$XDG_STATE_HOME/slugc/apps/shared" &&
	test_expect_code 4 "$SLUGC" run --app shared "$S" -- true 2>err &&
	test_grep "apps/shared" err
'

test_done
