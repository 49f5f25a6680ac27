#!/usr/bin/env bash
# slugc addons[:VERB] and config[:VERB] driving Debian's real redis-server
# (one per app, through the library), spoken to with redis-cli: create,
# list, info, config with masked URLs, config:get, AUTH as both ACL users,
# destroy (refused without the app's name), export/import round trips, a
# refused import, config:set/unset, `config -s` read back by `slugc run
# --env` and by foreman, provisioning on an app's first build only, and
# no password anywhere in the output, the process list or the servers'
# logs.
#
# State lives in this test's own XDG_STATE_HOME; the servers stopped at
# exit are those whose pidfiles are there and whose process is ours (its
# command line or working directory under $TEST_TMP), nothing else.
. "$(dirname "$0")/../lib.sh"

STATE=$TEST_TMP/state
export XDG_STATE_HOME=$STATE XDG_CACHE_HOME=$TEST_TMP/cache
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH REDISCLI_AUTH
APPDIR=$STATE/slugc/apps

# ours PID: the process is a server of this test's state.
ours() {
	local pid=$1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$TEST_TMP/" ||
		case $(readlink "/proc/$pid/cwd" 2>/dev/null) in
		"$TEST_TMP"/*) return 0 ;;
		*) return 1 ;;
		esac
}

stop_our_servers() {
	local f pid
	for f in "$APPDIR"/*/addons/*/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		ours "$pid" && kill -KILL "$pid"
	done
}
test_at_exit stop_our_servers

# gone PID: no such process, or only its zombie (init reaps when it
# likes).
gone() {
	local st
	st=$(sed -n "s/^[0-9]* (.*) \([A-Z]\) .*/\1/p" "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}

# sc ARGS...: slugc with stdout in $TEST_TMP/out, stderr in err, both kept
# in seen/ (everything printed that is not a value asked for), status
# kept.
mkdir -p "$TEST_TMP/seen"
sc() {
	local rc f
	"$SLUGC" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	f=$(mktemp "$TEST_TMP/seen/XXXXXX") &&
	cat "$TEST_TMP/out" "$TEST_TMP/err" >"$f"
	return $rc
}

# url_parts URL: sets URL_USER, URL_PW and URL_PORT.
url_parts() {
	[[ $1 =~ ^redis://([a-z]+):([0-9a-f]{64})@127\.0\.0\.1:([0-9]+)/$ ]] ||
		{ echo "not an add-on URL" >&2; return 1; }
	URL_USER=${BASH_REMATCH[1]} URL_PW=${BASH_REMATCH[2]}
	URL_PORT=${BASH_REMATCH[3]}
}

# rcli ARGS...: redis-cli on the app's add-on as URL_USER, the password
# from the environment (never in an argv).
rcli() {
	REDISCLI_AUTH=$URL_PW redis-cli --no-auth-warning --user "$URL_USER" \
		-h 127.0.0.1 -p "$URL_PORT" "$@"
}

mkdir -p "$TEST_TMP/my-app"

test_expect_success 'addons: none yet, and no state made for asking' '
	(cd my-app && sc addons) &&
	echo "No add-ons for app my-app." >expect &&
	test_cmp expect out &&
	test_must_fail test -e "$APPDIR/my-app"
'

test_expect_success 'addons:create redistogo:nano, the app from the directory' '
	(cd my-app && sc addons:create redistogo:nano) &&
	test_grep -E "^Created redistogo-[0-9]{5} as REDISTOGO_URL, REDIS_URL$" out &&
	echo "Creating redistogo:nano on my-app... done" >expect &&
	test_cmp expect err &&
	NAME=$(sed -n "s/^Created \([a-z0-9-]*\) as.*/\1/p" out) &&
	test -n "$NAME" &&
	test "$(stat -c %a "$APPDIR/my-app")" = 700 &&
	test "$(stat -c %a "$APPDIR/my-app/config.yml")" = 600
'

test_expect_success 'addons: lists it, running, with its attachment' '
	sc addons -a my-app &&
	PORT=$(awk "NR == 2 { print \$4 }" out) &&
	case $PORT in "" | *[!0-9]*) false ;; esac &&
	printf "%-27s  %-4s  %-5s  %s\n" "Add-on" "Plan" "Port" "State" \
		"redistogo ($NAME)" nano "$PORT" running >expect &&
	printf " \342\224\224\342\224\200 as REDISTOGO\n" >>expect &&
	test_cmp expect out
'

test_expect_success 'addons:info by name, attachment or config var' '
	for what in "$NAME" REDISTOGO REDIS_URL; do
		sc addons:info "$what" --app my-app || return 1
		test_grep -x "=== $NAME" out &&
		test_grep -x "Plan:         redistogo:nano" out &&
		test_grep -x "Attachments:  my-app::REDISTOGO" out &&
		test_grep -x "Config vars:  REDISTOGO_URL, REDIS_URL" out &&
		test_grep -x "Owning app:   my-app" out &&
		test_grep -x "Port:         $PORT" out &&
		test_grep -E "^State:        running \(pid [0-9]+\)$" out ||
		return 1
	done
'

test_expect_success 'config masks the password in the URLs' '
	sc config -a my-app &&
	cat >expect <<-EOF &&
	=== my-app Config Vars

	REDISTOGO_URL: redis://redistogo:*****@127.0.0.1:$PORT/
	REDIS_URL:     redis://redistogo:*****@127.0.0.1:$PORT/
	EOF
	test_cmp expect out
'

test_expect_success 'config:get prints the URL; config KEY too' '
	URL=$("$SLUGC" config:get REDISTOGO_URL -a my-app) &&
	url_parts "$URL" &&
	test "$URL_USER" = redistogo && test "$URL_PORT" = "$PORT" &&
	test "$("$SLUGC" config REDIS_URL -a my-app)" = "$URL" &&
	PW=$URL_PW &&
	printf "%s\n\n" "$URL" >expect &&
	"$SLUGC" config:get REDIS_URL NOT_SET -a my-app >actual &&
	test_cmp expect actual
'

test_expect_success 'redis-cli answers PONG as redistogo and as default' '
	test "$(rcli ping)" = PONG &&
	test "$(URL_USER=default rcli ping)" = PONG &&
	test "$(URL_PW=0000 rcli ping 2>&1)" != PONG
'

test_expect_success 'the password is on no command line' '
	pid=$(cat "$APPDIR/my-app/addons/$NAME/redis.pid") &&
	ours "$pid" &&
	test_must_fail grep -qF "$PW" "/proc/$pid/cmdline" &&
	test_must_fail grep -qF "$PW" "/proc/$pid/environ"
'

test_expect_success 'a second Redis: REDIS_URL is taken, its own var; --as' '
	sc addons:create heroku-redis:mini -a my-app --name cache-one &&
	echo "Created cache-one as CACHE_ONE_URL" >expect &&
	test_cmp expect out &&
	sc addons:create redis --as sessions -a my-app &&
	test_grep -E "^Created redis-[0-9]{5} as SESSIONS_URL$" out &&
	test_expect_code 2 sc addons:create redis --as sessions -a my-app &&
	test_grep "SESSIONS_URL is set already" err &&
	test_expect_code 2 sc addons:create redis --name cache-one -a my-app &&
	test_grep "has an add-on cache-one already" err &&
	sc addons -a my-app &&
	test "$(grep -c "as " out)" = 3
'

test_expect_success 'a service with no local equivalent: a warning, exit 0' '
	sc addons:create papertrail:choklad -a my-app &&
	test_must_fail test -s out &&
	echo "slugc: warning: papertrail:choklad has no local equivalent: not provisioned" >expect &&
	test_cmp expect err &&
	sc addons -a my-app &&
	test_no_grep papertrail out
'

test_expect_success 'usage errors and unknown add-ons exit 2' '
	test_expect_code 2 sc addons:create -a my-app &&
	test_grep "wants one SERVICE" err &&
	test_expect_code 2 sc addons:info nosuch -a my-app &&
	echo "slugc: no add-on nosuch for app my-app" >expect &&
	test_cmp expect err &&
	test_expect_code 2 sc addons:info x -a other-app &&
	test_grep "no add-on x for app other-app" err &&
	test_expect_code 2 sc addons:frob -a my-app &&
	test_grep "unknown command addons:frob" err &&
	test_expect_code 2 sc addons:info REDIS --as X -a my-app &&
	test_expect_code 2 sc config:set NOEQUALS -a my-app &&
	test_grep "NOEQUALS is invalid: must be in the format FOO=bar" err &&
	test_expect_code 2 sc config:set "1BAD=x" -a my-app &&
	test_expect_code 2 sc addons -a "Not An App" &&
	test_expect_code 2 sc addons:info REDIS
'

test_expect_success 'addons:destroy wants the app name, and the right one' '
	test_expect_code 2 sc addons:destroy REDISTOGO -a my-app &&
	test_grep "re-run with --confirm my-app" err &&
	test_expect_code 2 sc addons:destroy REDISTOGO -a my-app --confirm other &&
	echo "slugc: confirmation other did not match my-app: aborted" >expect &&
	test_cmp expect err &&
	test "$(rcli ping)" = PONG &&
	test -d "$APPDIR/my-app/addons/$NAME"
'

test_expect_success 'export, change, import: the old data are back' '
	test "$(rcli set visits 41)" = OK &&
	sc addons:export REDISTOGO -a my-app &&
	mv out dump.rdb &&
	test "$(head -c 5 dump.rdb)" = REDIS &&
	echo "Exporting $NAME of my-app... done" >expect &&
	test_cmp expect err &&
	test "$(rcli set visits 99)" = OK &&
	test "$(rcli set later yes)" = OK &&
	"$SLUGC" addons:import "$NAME" -a my-app <dump.rdb >out 2>err &&
	echo "Importing into $NAME of my-app... done" >expect &&
	test_cmp expect err &&
	test "$(rcli get visits)" = 41 &&
	test "$(rcli exists later)" = 0
'

test_expect_success 'import refuses what is not a dump, keeping the data' '
	echo "not a dump" >bad.rdb &&
	test_expect_code 2 "$SLUGC" addons:import REDISTOGO -a my-app <bad.rdb \
		>out 2>err &&
	test_grep "import refused, its data are unchanged" err &&
	test_grep "not a Redis dump" err &&
	test "$(rcli get visits)" = 41
'

test_expect_success 'export wants a file, not the terminal, and import too' '
	test_expect_code 2 script -qec "$SLUGC addons:export REDIS -a my-app" /dev/null >tty.out &&
	test_grep "redirect it to a file" tty.out
'

VALUES=(
	"with spaces"
	"it's \"quoted\""
	"$(printf "two\nlines")"
	"# not a comment"
	"back\\slash and \\n"
	"  lead and trail  "
	"\$HOME \`x\`"
	""
)

test_expect_success 'config:set and config:get round-trip any value' '
	args=() &&
	for i in "${!VALUES[@]}"; do args+=("V$i=${VALUES[$i]}"); done &&
	sc config:set "${args[@]}" -a my-app &&
	echo "Setting V0, V1, V2, V3, V4, V5, V6, V7 on my-app... done" >expect &&
	test_cmp expect err &&
	test_must_fail test -s out &&
	for i in "${!VALUES[@]}"; do
		"$SLUGC" config:get "V$i" -a my-app >actual &&
		printf "%s\n" "${VALUES[$i]}" >expect &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'config: one line per var, control characters escaped' '
	sc config -a my-app &&
	test_grep -x "V2:            two\\\\nlines" out &&
	test "$(wc -l <out)" = 14
'

test_expect_success 'setup: a slug to run with the exported .env' '
	mkdir -p envapp &&
	echo "web: sleep 1" >envapp/Procfile &&
	"$SLUGC" pack -o env.tgz envapp >log 2>&1 || { cat log; false; }
'

# show VAR: prints $VAR exactly, between brackets.
SHOW=(python3 -c "import os, sys; sys.stdout.write(\"[%s]\" % os.environ.get(sys.argv[1], \"<unset>\"))")

test_expect_success 'config -s is a .env that slugc run --env reads back exactly' '
	"$SLUGC" config -s -a my-app >app.env &&
	test_grep -x "V0='\''with spaces'\''" app.env &&
	for i in "${!VALUES[@]}"; do
		"$SLUGC" run --env app.env env.tgz -- "${SHOW[@]}" "V$i" \
			>actual 2>run.err || { cat run.err; return 1; }
		printf "[%s]" "${VALUES[$i]}" >expect &&
		test_cmp expect actual || return 1
	done &&
	"$SLUGC" run --env app.env env.tgz -- "${SHOW[@]}" REDISTOGO_URL >actual &&
	printf "[%s]" "$URL" >expect &&
	test_cmp expect actual
'

test_expect_success 'foreman reads the same .env back exactly' '
	for i in "${!VALUES[@]}"; do
		foreman run -e app.env "${SHOW[@]}" "V$i" >actual 2>fm.err ||
			{ cat fm.err; return 1; }
		printf "[%s]" "${VALUES[$i]}" >expect &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'config:unset removes, and only what it names' '
	sc config:unset V0 V1 NEVER_SET -a my-app &&
	echo "Unsetting V0, V1, NEVER_SET on my-app... done" >expect &&
	test_cmp expect err &&
	test "$("$SLUGC" config:get V0 -a my-app)" = "" &&
	test "$("$SLUGC" config:get V3 -a my-app)" = "# not a comment" &&
	sc config -a my-app && test_no_grep "^V0:" out &&
	sc config:unset V2 V3 V4 V5 V6 V7 -a my-app &&
	"$SLUGC" config -s -a my-app | sed "s/=.*//" >actual &&
	printf "%s\n" CACHE_ONE_URL REDISTOGO_URL REDIS_URL SESSIONS_URL >expect &&
	test_cmp expect actual
'

test_expect_success 'addons:destroy --confirm: stopped, data and vars gone' '
	pid=$(cat "$APPDIR/my-app/addons/$NAME/redis.pid") &&
	sc addons:destroy REDISTOGO_URL -a my-app --confirm my-app &&
	echo "Destroying $NAME on my-app... done" >expect &&
	test_cmp expect err &&
	test_must_fail test -e "$APPDIR/my-app/addons/$NAME" &&
	gone "$pid" &&
	test_must_fail rcli ping &&
	test "$("$SLUGC" config:get REDISTOGO_URL -a my-app)" = "" &&
	test "$("$SLUGC" config:get REDIS_URL -a my-app)" = "" &&
	sc addons -a my-app && test_no_grep redistogo out
'

BPX=$TEST_TMP/bp-addons
test_expect_success 'setup: a buildpack whose release asks for add-ons' '
	mkdir -p "$BPX/bin" web &&
	cp "$FIXTURES/buildpacks/null/bin/detect" "$FIXTURES/buildpacks/null/bin/compile" "$BPX/bin/" &&
	cat >"$BPX/bin/release" <<-\EOF &&
	#!/bin/sh
	printf "%s\n" "---" "addons:" "  - \"redistogo:nano\"" \
		"  - \"papertrail:choklad\"" "default_process_types: {}"
	EOF
	chmod +x "$BPX/bin/release" &&
	echo "web: sleep 1" >web/Procfile &&
	echo "{\"addons\": [{\"plan\": \"heroku-redis:mini\", \"as\": \"CACHE\", \"options\": {}}]}" \
		>web/app.json
'

test_expect_success 'a build that asks for no add-ons touches no state' '
	mkdir -p plain &&
	echo "web: sleep 1" >plain/Procfile &&
	"$SLUGC" build -b "$FIXTURES/buildpacks/null" --worktree -o plain.tgz plain \
		>build0 2>&1 || { cat build0; false; } &&
	test_no_grep -i provision build0 &&
	test_must_fail test -e "$APPDIR/plain"
'

test_expect_success 'the first build provisions them, and says so' '
	"$SLUGC" build -b "$BPX" --worktree -o web.tgz web >build1 2>&1 ||
		{ cat build1; false; } &&
	test_grep -x -- "-----> Provisioning add-ons (the app'\''s first build)" build1 &&
	test_grep -E "^       Created redistogo-[0-9]{5} as REDISTOGO_URL, REDIS_URL$" build1 &&
	test_grep -E "^       Created heroku-redis-[0-9]{5} as CACHE_URL$" build1 &&
	test_grep -x " !     papertrail:choklad has no local equivalent: not provisioned" build1 &&
	test_grep -x " !     app.json: addons\[0\]: options are ignored by local add-ons" build1 &&
	sc addons -a web &&
	test "$(grep -c " as " out)" = 2 &&
	test "$(grep -c stopped out)" = 2
'

test_expect_success 'a later build provisions nothing' '
	sc addons:destroy CACHE --confirm web -a web &&
	"$SLUGC" build -b "$BPX" --worktree -o web.tgz web >build2 2>&1 ||
		{ cat build2; false; } &&
	test_no_grep -i provision build2 &&
	test_no_grep "options are ignored" build2 &&
	sc addons -a web &&
	test "$(grep -c " as " out)" = 1
'

test_expect_success 'no password in any output but those asked for' '
	for d in "$APPDIR"/*/addons/*/; do
		pw=$(sed -n "s/^\"password\": \"\(.*\)\"$/\1/p" "$d/addon.yml")
		test -n "$pw" || { echo "no password in $d" >&2; return 1; }
		! grep -rlF "$pw" seen build1 build2 "$d/redis.log" || return 1
	done &&
	! grep -rlF "$PW" seen build1 build2 &&
	test "$(ls seen | wc -l)" -gt 30
'

test_expect_success 'cleanup: every add-on destroyed, every server gone' '
	for app in my-app web; do
		for d in "$APPDIR/$app"/addons/*/; do
			[ -d "$d" ] || continue
			a=$(basename "$d")
			pid=$(cat "$d/redis.pid" 2>/dev/null)
			"$SLUGC" addons:destroy "$a" -a $app --confirm $app ||
				return 1
			if [ -n "$pid" ]; then gone "$pid" || return 1; fi
		done
	done &&
	test_must_fail ls "$APPDIR"/*/addons/*/redis.pid
'

test_done
