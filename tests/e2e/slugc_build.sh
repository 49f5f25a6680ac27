#!/usr/bin/env bash
# slugc build with the small shell buildpacks of tests/fixtures/buildpacks:
# the build log, the slug and its release, caches, config vars, buildpack
# selection, multi-buildpack exports, .slugignore, size limits, failures and
# Ctrl-C.  The Mono app is in slugc_mono.sh.
. "$(dirname "$0")/../lib.sh"

BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH

# new_app NAME: a fresh app directory $A with a Procfile.
new_app() {
	A=$TEST_TMP/apps/$1
	mkdir -p "$A" &&
	printf 'web: python3 -m http.server $PORT --bind 127.0.0.1\n' >"$A/Procfile"
}

# listing SLUG: the slug's entry names, one per line.
listing() { tar tzf "$1"; }

# snapshot DIR: names, sizes, modes and mtimes of everything under DIR.
snapshot() { find "$1" -printf '%P %s %m %T@\n' | sort; }

test_expect_success 'build: a plain app with the null buildpack' '
	new_app plain && echo hi >"$A/index.html" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/plain.tgz" "$A" >log 2>&1 &&
	cat log &&
	test_grep "^-----> Building $A\$" log &&
	test_grep "^-----> Null app detected\$" log &&
	test_grep "^-----> Discovering process types\$" log &&
	test_grep "^       Procfile declares types -> web\$" log &&
	test_grep "^-----> Compiled slug size is [0-9.]* [KMG]*B\$" log &&
	test_grep "^       Slug:    $TEST_TMP/plain.tgz\$" log &&
	gzip -t "$TEST_TMP/plain.tgz" &&
	listing "$TEST_TMP/plain.tgz" >list &&
	test_grep "^./app/\$" list &&
	test_grep "^./app/index.html\$" list &&
	test_grep "^./app/Procfile\$" list &&
	test_grep "^./app/.profile.d/null.sh\$" list
'

test_expect_success 'build: every log line is a header, indented, or a warning' '
	test_no_grep -v -e "^-----> " -e "^       " -e "^ !     " log
'

test_expect_success 'build: the release beside the slug has types and config vars' '
	rel=$TEST_TMP/plain.release.yml &&
	cat "$rel" &&
	test_grep "^  \"web\": \"python3 -m http.server \$PORT --bind 127.0.0.1\"\$" "$rel" &&
	test_grep "^  \"NULL_RELEASE\": \"set by release\"\$" "$rel" &&
	python3 -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d[\"default_process_types\"][\"web\"].startswith(\"python3\"), d" "$rel"
'

test_expect_success 'build: entries are sorted, owned by 0:0, with one mtime' '
	tar tvzf "$TEST_TMP/plain.tgz" --numeric-owner >long &&
	test_no_grep -v " 0/0 " long &&
	awk "{print \$4, \$5}" long | sort -u >times &&
	test $(wc -l <times) -eq 1 &&
	listing "$TEST_TMP/plain.tgz" >names &&
	LC_ALL=C sort -c names
'

test_expect_success 'build: the app directory is never written to' '
	snapshot "$A" >before &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/plain2.tgz" "$A" >log 2>&1 &&
	snapshot "$A" >after &&
	test_cmp before after
'

test_expect_success 'build: the second build of an app is warm' '
	test_grep "^-----> Null build number 2\$" log &&
	test_grep "^       cache is warm\$" log
'

test_expect_success 'build: two builds of the same app give byte-identical slugs' '
	cmp "$TEST_TMP/plain.tgz" "$TEST_TMP/plain2.tgz"
'

test_expect_success 'build: --no-cache builds cold and leaves the cache alone' '
	"$SLUGC" build --no-cache -b "$BP/null" -o "$TEST_TMP/p3.tgz" "$A" >log 2>&1 &&
	test_grep "^-----> Null build number 1\$" log &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/p3.tgz" "$A" >log 2>&1 &&
	test_grep "^-----> Null build number 3\$" log
'

test_expect_success 'build: --cache DIR keeps a subdirectory per buildpack there' '
	"$SLUGC" build --cache "$TEST_TMP/mycache" -b "$BP/null" -o "$TEST_TMP/p4.tgz" "$A" >log 2>&1 &&
	test_grep "^-----> Null build number 1\$" log &&
	test -f "$TEST_TMP/mycache/null/builds"
'

test_expect_success 'build: with --cache DIR (relative too), the app keeps its slug there, not in the cache home' '
	CA=$TEST_TMP/apps/cached && mkdir -p "$CA" && echo hi >"$CA/index.html" &&
	printf "web: true\n" >"$CA/Procfile" &&
	(cd "$TEST_TMP" && "$SLUGC" build --cache rel-cache -b "$BP/null" "$CA") >log 2>&1 &&
	slug=$(sed -n "s/^       Slug:    //p" log) &&
	case $slug in "$TEST_TMP"/rel-cache/apps/cached-*/slug.tgz) ;; *) false ;; esac &&
	test -f "$slug" &&
	test -f "$TEST_TMP/rel-cache/null/builds" &&
	test_must_fail ls -d "$XDG_CACHE_HOME"/slugc/cached-* &&
	(cd "$TEST_TMP" && "$SLUGC" build --cache rel-cache -b "$BP/null" "$CA") >log 2>&1 &&
	test $(ls "$TEST_TMP"/rel-cache/apps/cached-*/*.tgz | wc -l) -eq 1
'

test_expect_success 'build: default slug path is per app under XDG_CACHE_HOME' '
	"$SLUGC" build -b "$BP/null" "$A" >log 2>&1 &&
	slug=$(sed -n "s/^       Slug:    //p" log) &&
	case $slug in "$XDG_CACHE_HOME"/slugc/plain-*/slug.tgz) ;; *) false ;; esac &&
	test -f "$slug" &&
	test -f "${slug%.tgz}.release.yml" &&
	# The build directory stays for the next build to remove while it
	# runs (removing it here is what a warm build waited for most).
	d=$(dirname "$slug") &&
	test -f "$d/build/.build-info" &&
	echo stale >"$d/build/stale" &&
	"$SLUGC" build -b "$BP/null" "$A" >log 2>&1 &&
	test -f "$d/build/.build-info" &&
	test_must_fail test -e "$d/build/stale" &&
	test_must_fail ls -d "$d"/trash.* "$d"/tmp.* &&
	test_must_fail tar tzf "$slug" ./app/stale
'

test_expect_success 'build --no-cache: the build directory is removed' '
	new_app nocachedir &&
	"$SLUGC" build --no-cache -b "$BP/null" "$A" >log 2>&1 &&
	slug=$(sed -n "s/^       Slug:    //p" log) &&
	test -f "$slug" &&
	test_must_fail test -d "$(dirname "$slug")/build"
'

test_expect_success 'config vars: --env and -e reach ENV_DIR, values never printed' '
	new_app vars &&
	printf "SECRET_TOKEN=\"s3cr3t-value\"\n# a comment\nexport BAD=1\nPLAIN=x y\n" >"$TEST_TMP/vars.env" &&
	"$SLUGC" build -b "$BP/null" --env "$TEST_TMP/vars.env" -e OTHER=t0p-s3cr3t \
		-o "$TEST_TMP/vars.tgz" "$A" >log 2>err &&
	cat log err &&
	tar xzOf "$TEST_TMP/vars.tgz" ./app/.build-info >info &&
	test_grep "^ENV_DIR_VARS=OTHER PLAIN SECRET_TOKEN \$" info &&
	test_no_grep -r -e s3cr3t-value -e t0p-s3cr3t log err "$XDG_CACHE_HOME" &&
	test_grep "vars.env:3: not KEY=VALUE" err
'

test_expect_success 'config vars: a bad -e is a usage error (exit 2)' '
	test_expect_code 2 "$SLUGC" build -b "$BP/null" -e NOEQUALS "$A" 2>err &&
	test_grep "KEY=VALUE" err &&
	test_expect_code 2 "$SLUGC" build -b "$BP/null" -e 1BAD=x "$A" 2>err &&
	test_expect_code 2 "$SLUGC" build -b "$BP/null" --env "$TEST_TMP/nope.env" "$A" 2>err &&
	test_grep "nope.env" err
'

test_expect_success 'build env: STACK, no SOURCE_VERSION outside git, a clean environment' '
	FOO_LEAK=1 "$SLUGC" build -b "$BP/null" --stack heroku-24 -o "$TEST_TMP/env.tgz" "$A" >log 2>&1 &&
	tar xzOf "$TEST_TMP/env.tgz" ./app/.build-info >info &&
	tar xzOf "$TEST_TMP/env.tgz" ./app/.build-env-names >names &&
	cat info names &&
	test_grep "^STACK=heroku-24\$" info &&
	test_grep "^SOURCE_VERSION=\$" info &&
	test_grep "^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\$" info &&
	test_no_grep "^FOO_LEAK\$" names &&
	test_no_grep "^XDG_CACHE_HOME\$" names &&
	test_grep "^HOME\$" names
'

test_expect_success 'buildpacks: by default the first in name order that detects the app' '
	mkdir -p "$TEST_TMP/bps" &&
	cp -R "$BP/never" "$TEST_TMP/bps/a-never" &&
	cp -R "$BP/null" "$TEST_TMP/bps/b-null" &&
	cp -R "$BP/first" "$TEST_TMP/bps/c-first" &&
	SLUGC_BUILDPACKS=$TEST_TMP/bps "$SLUGC" build -o "$TEST_TMP/d.tgz" "$A" >log 2>&1 &&
	test_grep "^-----> Null app detected\$" log &&
	test_no_grep "First" log
'

test_expect_success 'buildpacks: none detects the app: Unable to select a buildpack, exit 1' '
	mkdir -p "$TEST_TMP/bps2" && cp -R "$BP/never" "$TEST_TMP/bps2/" &&
	SLUGC_BUILDPACKS=$TEST_TMP/bps2 test_expect_code 1 "$SLUGC" build -o "$TEST_TMP/u.tgz" "$A" >log 2>&1 &&
	cat log &&
	test_grep "^-----> Unable to select a buildpack\$" log &&
	test_must_fail test -e "$TEST_TMP/u.tgz"
'

test_expect_success 'buildpacks: -b one that does not detect the app: exit 1' '
	test_expect_code 1 "$SLUGC" build -b "$BP/never" -o "$TEST_TMP/u.tgz" "$A" >log 2>&1 &&
	test_grep "^-----> App not compatible with buildpack: $BP/never\$" log
'

test_expect_success 'buildpacks: -b DIR that is not a buildpack: usage error' '
	test_expect_code 2 "$SLUGC" build -b "$TEST_TMP" "$A" 2>err &&
	test_grep "not a buildpack" err
'

test_expect_success 'multi-buildpack: the second sees what the first exported' '
	new_app multi &&
	"$SLUGC" build -b "$BP/first" -b "$BP/second" -o "$TEST_TMP/multi.tgz" "$A" >log 2>&1 &&
	cat log &&
	test_grep "^-----> Using buildpack: $BP/first\$" log &&
	test_grep "^-----> First app detected\$" log &&
	test_grep "^-----> Using buildpack: $BP/second\$" log &&
	test_grep "^-----> Second app detected\$" log &&
	tar xzOf "$TEST_TMP/multi.tgz" ./app/second.txt >second &&
	printf "%s\n" "from first" "a b \$(not run) \"q\"" >expect &&
	test_cmp expect second &&
	tar xzOf "$TEST_TMP/multi.tgz" ./app/first.txt >first &&
	echo "first ran" >expect && test_cmp expect first
'

test_expect_success 'multi-buildpack: releases merge in order, the Procfile wins' '
	rel=$TEST_TMP/multi.release.yml && cat "$rel" &&
	test_grep "^  \"SHARED\": \"second\"\$" "$rel" &&
	test_grep "^  \"FROM_FIRST\": \"first\"\$" "$rel" &&
	test_grep "^  \"web\": \"python3 -m http.server \$PORT --bind 127.0.0.1\"\$" "$rel" &&
	test_grep "^  \"worker\": \"echo first worker\"\$" "$rel" &&
	test_grep "^       Procfile declares types -> web\$" log &&
	test_grep "^       Default types for Second -> worker\$" log
'

test_expect_success 'build: the slug Procfile gets the default types it lacked' '
	tar xzOf "$TEST_TMP/multi.tgz" ./app/Procfile >procfile &&
	printf "%s\n" "web: python3 -m http.server \$PORT --bind 127.0.0.1" "worker: echo first worker" >expect &&
	test_cmp expect procfile
'

test_expect_success 'multi-buildpack: no export, the second fails with its status (3)' '
	test_expect_code 3 "$SLUGC" build -b "$BP/second" -o "$TEST_TMP/m2.tgz" "$A" >log 2>&1 &&
	cat log &&
	tail -n 1 log >last &&
	test_grep "^ !     Push rejected, failed to compile Second app: .*status 3\$" last &&
	test_must_fail test -e "$TEST_TMP/m2.tgz"
'

test_expect_success 'failing compile: its status is ours, the previous slug stays' '
	cp "$TEST_TMP/plain.tgz" "$TEST_TMP/keep.tgz" &&
	cp "$TEST_TMP/plain.tgz" "$TEST_TMP/prev.tgz" &&
	test_expect_code 7 "$SLUGC" build -b "$BP/null" -e NULL_FAIL=7 -o "$TEST_TMP/prev.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     failing on purpose\$" log &&
	test_grep "^ !     Push rejected, failed to compile Null app" log &&
	cmp "$TEST_TMP/keep.tgz" "$TEST_TMP/prev.tgz"
'

test_expect_success '.slugignore: what it names is removed before the build' '
	new_app ign &&
	mkdir -p "$A/docs" "$A/src/docs" "$A/art" "$A/tmp" &&
	printf "%s\n" "# art" "*.psd" "/docs/" "tmp" "!keep.psd" >"$A/.slugignore" &&
	echo d >"$A/docs/index.md" && echo s >"$A/src/docs/kept.md" &&
	echo p >"$A/art/logo.psd" && echo p >"$A/keep.psd" && echo t >"$A/tmp/x" &&
	echo k >"$A/art/kept.txt" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/ign.tgz" "$A" >log 2>&1 &&
	cat log &&
	listing "$TEST_TMP/ign.tgz" >list &&
	test_no_grep -e "psd" -e "^./app/docs/" -e "^./app/tmp/" list &&
	test_grep "^./app/src/docs/kept.md\$" list &&
	test_grep "^./app/art/kept.txt\$" list &&
	test_grep "^       Removed 4 paths matching .slugignore\$" log &&
	test_grep "^ !     .slugignore: 1 negated pattern" log
'

test_expect_success 'slug size: over --slug-max is refused (exit 5), no slug' '
	test_expect_code 5 "$SLUGC" build -b "$BP/null" --slug-max 0.0001 -o "$TEST_TMP/big.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     Compiled slug size is too large (max is " log &&
	test_must_fail test -e "$TEST_TMP/big.tgz" &&
	ls "$TEST_TMP" >files && test_no_grep "big.tgz" files
'

test_expect_success 'slug size: over --slug-warn warns' '
	"$SLUGC" build -b "$BP/null" --slug-warn 0.0001 -o "$TEST_TMP/w.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     Warning: Your slug size (.*) exceeds our soft limit" log &&
	test -f "$TEST_TMP/w.tgz"
'

test_expect_success 'Ctrl-C during compile: the buildpack tree is stopped, no slug' '
	new_app slow &&
	rm -f "$TEST_TMP/pids" &&
	{ "$SLUGC" build -b "$BP/null" -e NULL_SLEEP=1 -e NULL_PIDFILE="$TEST_TMP/pids" \
		-o "$TEST_TMP/slow.tgz" "$A" >log 2>&1 & } &&
	pid=$! &&
	for i in $(seq 100); do test -s "$TEST_TMP/pids" && break; sleep 0.1; done &&
	read p1 p2 <"$TEST_TMP/pids" &&
	kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	cat log &&
	test_grep "^       sleeping\$" log &&
	alive=0 &&
	for p in $p1 $p2; do
		case $(ps -o stat= -p $p) in ""|Z*) ;; *) alive=1 ;; esac
	done &&
	test $alive = 0 &&
	test_must_fail test -e "$TEST_TMP/slow.tgz"
'

test_expect_success 'pack: a directory as a slug, .slugignore honoured, reproducible' '
	D=$TEST_TMP/packme && mkdir -p "$D/sub" "$D/logs" &&
	echo a >"$D/sub/a.txt" && echo l >"$D/logs/x.log" && echo p >"$D/b.psd" &&
	printf "*.psd\nlogs/\n" >"$D/.slugignore" &&
	(cd "$TEST_TMP" && "$SLUGC" pack "$D") >log &&
	test_grep "^-----> Compiled slug size is" log &&
	tar tzf "$TEST_TMP/slug.tgz" >list &&
	test_grep "^./app/sub/a.txt\$" list &&
	test_no_grep -e psd -e logs list &&
	touch "$D/sub/a.txt" &&
	"$SLUGC" pack -o "$TEST_TMP/again.tgz" "$D" >log &&
	cmp "$TEST_TMP/slug.tgz" "$TEST_TMP/again.tgz" &&
	test_expect_code 5 "$SLUGC" pack --slug-max 0.0001 -o "$TEST_TMP/no.tgz" "$D" >log &&
	test_must_fail test -e "$TEST_TMP/no.tgz" &&
	"$SLUGC" pack --slug-max 0 --slug-warn 0 -o "$TEST_TMP/nolimit.tgz" "$D" >log &&
	test_no_grep "^ !     " log && gzip -t "$TEST_TMP/nolimit.tgz" &&
	test_expect_code 2 "$SLUGC" pack 2>err &&
	test_expect_code 2 "$SLUGC" pack -e A=b "$D" 2>err
'

test_expect_success 'usage: bad commands and options exit 2' '
	test_expect_code 2 "$SLUGC" 2>err &&
	test_expect_code 2 "$SLUGC" frobnicate 2>err &&
	test_expect_code 2 "$SLUGC" build a b 2>err &&
	test_expect_code 2 "$SLUGC" build --port 1 . 2>err &&
	test_grep "build does not take" err &&
	test_expect_code 2 "$SLUGC" run 2>err &&
	test_expect_code 2 "$SLUGC" build "$TEST_TMP/no-such-app" 2>err &&
	test_grep "no-such-app" err &&
	"$SLUGC" help >out && test_grep "^usage: slugc build" out
'

test_expect_success 'build: a Procfile or .slugignore linked out of the app is refused, named' '
	new_app linkout && echo "web: cat /etc/hostname" >"$TEST_TMP/outside" &&
	rm "$A/Procfile" && ln -s "$TEST_TMP/outside" "$A/Procfile" &&
	test_expect_code 4 "$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/lo.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     Procfile: a symlink out of the app.s directory, refused\$" log &&
	test_must_fail test -e "$TEST_TMP/lo.tgz" &&
	new_app linkout2 && ln -s "$TEST_TMP/outside" "$A/.slugignore" &&
	test_expect_code 4 "$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/lo.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     .*\.slugignore.*: a symlink out of the app.s directory, refused\$" log &&
	new_app linkin && mkdir "$A/config" && mv "$A/Procfile" "$A/config/Procfile" &&
	ln -s config/Procfile "$A/Procfile" &&
	"$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/li.tgz" "$A" >log 2>&1 &&
	test_grep "^       Procfile declares types -> web\$" log
'

test_expect_success 'build: Procfile problems are reported once, with their line' '
	new_app dup && printf "web: one\nweb: two\n" >"$A/Procfile" &&
	"$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/dup.tgz" "$A" >log 2>&1 &&
	grep "Procfile:2:" log >dups && test $(wc -l <dups) -eq 1 &&
	new_app bad && cp "$FIXTURES/apps/procfiles/bad" "$A/Procfile" &&
	"$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/bad.tgz" "$A" >log 2>&1 &&
	grep "Procfile:3:" log >bad && test $(wc -l <bad) -eq 1
'

test_done
