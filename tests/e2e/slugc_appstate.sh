#!/usr/bin/env bash
# run, start and smoke with an app that has state ($XDG_STATE_HOME/slugc/
# apps/NAME): its config vars reach the processes, below the user's -e;
# an app without state runs as before.  (Add-ons in the state are started
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
