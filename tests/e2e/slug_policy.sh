#!/usr/bin/env bash
# slugc writes only slugs that slugc runs: an app's absolute or escaping
# symlinks, FIFOs, sockets and devices are left out of the slug by `build`
# and `pack`, each named in a warning, and `run`, `start` and `smoke --slug`
# boot the slug.  And a slug that does not fit on its disk fails the pack,
# naming the slug, with nothing left behind.
. "$(dirname "$0")/../lib.sh"

BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH

# hostile_app DIR: a web app holding symlinks `slugc run` refuses (absolute,
# above the slug's root, '..' after a name) beside ones it accepts.
hostile_app() {
	local d=$1
	mkdir -p "$d/sub" "$d/lib" &&
	printf 'web: python3 -m http.server $PORT --bind 127.0.0.1\n' >"$d/Procfile" &&
	echo hello >"$d/lib/index.html" &&
	ln -s /etc/passwd "$d/passwd" &&
	ln -s ../../x "$d/escape" &&
	ln -s ../../../etc "$d/sub/etc" &&
	ln -s lib/../../x "$d/sub/detour" &&
	ln -s lib/index.html "$d/index.html" &&
	ln -s ../lib "$d/sub/lib" &&
	ln -s ../tmp "$d/tmp"
}

# The warnings a build or pack of hostile_app (+ specials) prints, sorted.
expect_dropped() {
	{
		printf '%s\n' \
		    " !     'escape' left out of the slug: symlink target '../../x' escapes the root" \
		    " !     'passwd' left out of the slug: symlink to absolute path '/etc/passwd' refused" \
		    " !     'sub/detour' left out of the slug: symlink target 'lib/../../x' has '..' after a name" \
		    " !     'sub/etc' left out of the slug: symlink target '../../../etc' escapes the root"
		for l in "$@"; do printf '%s\n' "$l"; done
	} | sort >expect
}

# bg CMD...: runs CMD in the background with output in bg.out; BG is its
# pid, killed when the test file ends.
bg() {
	"$@" >bg.out 2>&1 &
	BG=$!
	test_at_exit "kill $BG"
}

# boots SLUG: `slugc run` of SLUG serves the app's index.html on $PORT.
boots() {
	local port
	port=$(free_port) &&
	bg "$SLUGC" run -p "$port" "$1" &&
	wait_for_http "http://127.0.0.1:$port/" 20 &&
	curl -fsS "http://127.0.0.1:$port/index.html" >body &&
	test_grep "^hello\$" body &&
	kill -TERM $BG &&
	{ wait $BG; :; }
}

# A buildpack that, like a careless compile, leaves a FIFO and a socket in
# the build directory (the app's own copy refuses them before that).
SPECIAL_BP=$TEST_TMP/special-bp
mkdir -p "$SPECIAL_BP/bin"
cp -a "$BP/null/bin/detect" "$BP/null/bin/release" "$SPECIAL_BP/bin/"
cat >"$SPECIAL_BP/bin/compile" <<EOF
#!/bin/bash
set -eu
"$BP/null/bin/compile" "\$@"
mkdir -p "\$1/run"
mkfifo "\$1/run/fifo"
cd "\$1/run" && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("app.sock")'
EOF
chmod +x "$SPECIAL_BP/bin/compile"

A=$TEST_TMP/app
S=$TEST_TMP/app.tgz

test_expect_success 'setup: an app with real absolute and escaping symlinks' '
	hostile_app "$A" &&
	test -L "$A/passwd" && test -L "$A/sub/etc"
'

test_expect_success 'build: names each entry left out of the slug' '
	"$SLUGC" build -b "$SPECIAL_BP" -o "$S" "$A" >log 2>&1 &&
	cat log &&
	expect_dropped \
	    " !     '\''run/app.sock'\'' left out of the slug: socket refused" \
	    " !     '\''run/fifo'\'' left out of the slug: FIFO refused" &&
	grep "left out of the slug" log | sort >got &&
	test_cmp expect got &&
	test_grep "^-----> Compiled slug size is" log
'

test_expect_success 'build: the slug holds the rest, links it accepts included' '
	tar tzvf "$S" >list &&
	test_grep " ./app/index.html -> lib/index.html\$" list &&
	test_grep " ./app/sub/lib -> ../lib\$" list &&
	test_grep " ./app/tmp -> ../tmp\$" list &&
	test_grep " ./app/run/\$" list &&
	test_no_grep -e passwd -e escape -e sub/etc -e detour -e fifo -e app.sock list
'

test_expect_success 'run: the built slug boots' '
	boots "$S"
'

test_expect_success 'smoke --slug: builds, packs and boots it' '
	"$SLUGC" smoke --slug -b "$SPECIAL_BP" "$A" >out 2>&1 &&
	cat out &&
	test_grep "'\''passwd'\'' left out of the slug" out &&
	test_grep "'\''run/fifo'\'' left out of the slug: FIFO refused" out
'

test_expect_success 'pack: a directory with FIFOs and sockets of its own' '
	P=$TEST_TMP/packed && cp -a "$A" "$P" &&
	mkfifo "$P/fifo" "$P/sub/fifo" &&
	(cd "$P" && python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"sock\")") &&
	test -p "$P/fifo" && test -S "$P/sock" &&
	"$SLUGC" pack -o "$TEST_TMP/packed.tgz" "$P" >log 2>&1 &&
	cat log &&
	expect_dropped \
	    " !     '\''fifo'\'' left out of the slug: FIFO refused" \
	    " !     '\''sock'\'' left out of the slug: socket refused" \
	    " !     '\''sub/fifo'\'' left out of the slug: FIFO refused" &&
	grep "left out of the slug" log | sort >got &&
	test_cmp expect got &&
	tar tzf "$TEST_TMP/packed.tgz" >list &&
	test_no_grep -e fifo -e sock -e passwd list
'

test_expect_success 'run: the packed slug boots' '
	boots "$TEST_TMP/packed.tgz"
'

test_expect_success 'build: FIFOs and sockets in the app itself are left out, named' '
	"$SLUGC" build -b "$FIXTURES/buildpacks/null" -o "$TEST_TMP/built-p.tgz" "$P" >log 2>&1 &&
	cat log &&
	test_grep "^ !     '\''fifo'\'' left out of the slug: FIFO refused\$" log &&
	test_grep "^ !     '\''sub/fifo'\'' left out of the slug: FIFO refused\$" log &&
	test_grep "^ !     '\''sock'\'' left out of the slug: socket refused\$" log &&
	tar tzf "$TEST_TMP/built-p.tgz" >list &&
	test_no_grep -e fifo -e sock list &&
	boots "$TEST_TMP/built-p.tgz"
'

test_expect_success 'pack: a device node is left out too' '
	D=$TEST_TMP/dev-app && mkdir -p "$D" &&
	printf "web: true\n" >"$D/Procfile" &&
	mknod "$D/null" c 1 3 &&
	"$SLUGC" pack -o "$TEST_TMP/dev.tgz" "$D" >log 2>&1 &&
	test_grep "^ !     '\''null'\'' left out of the slug: device node refused\$" log &&
	tar tzf "$TEST_TMP/dev.tgz" >list &&
	test_no_grep null list
'

# A disk too small for the slug: a 64 KiB tmpfs, and an app of 256 KiB of
# incompressible bytes.
FULL=$TEST_TMP/full
mkdir -p "$FULL"
test_expect_success 'setup: a 64 KiB tmpfs' '
	mount -t tmpfs -o size=64k tmpfs "$FULL" &&
	test_at_exit "umount \"$FULL\"" &&
	B=$TEST_TMP/big && mkdir -p "$B" &&
	printf "web: true\n" >"$B/Procfile" &&
	head -c 262144 /dev/urandom >"$B/random.bin"
'

test_expect_success 'pack: ENOSPC fails with exit 4, naming the slug and the errno' '
	test_expect_code 4 "$SLUGC" pack -o "$FULL/slug.tgz" "$B" >log 2>&1 &&
	cat log &&
	test_grep "^ !     write $FULL/slug.tgz: No space left on device\$" log
'

test_expect_success 'pack: ENOSPC leaves no slug and no temporary file' '
	ls -A "$FULL" >left &&
	test_cmp /dev/null left
'

test_expect_success 'pack: an older slug there is left as it was' '
	echo old >"$FULL/slug.tgz" &&
	test_expect_code 4 "$SLUGC" pack -o "$FULL/slug.tgz" "$B" >log 2>&1 &&
	test_grep "write $FULL/slug.tgz: No space left on device" log &&
	echo old >expect &&
	test_cmp expect "$FULL/slug.tgz" &&
	ls -A "$FULL" >left &&
	echo slug.tgz >expect &&
	test_cmp expect left
'

test_done
