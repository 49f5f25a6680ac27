#!/usr/bin/env bash
# Warm builds splice the runtime's kept deflate segment into the slug (pack.h,
# packlayer.h): the hello app built with the Mono buildpack gives the same
# slug byte for byte cold, warm, after its segment is damaged, from another
# cache entry of the same runtime; a buildpack that writes into vendor/mono
# gets a slug holding what it wrote.  The same for .heroku/node with the
# Node.js buildpack on the node-start fixture.
. "$(dirname "$0")/../lib.sh"

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
H=$TEST_TMP/hello
C=$TEST_TMP/cache
MONO_BP=$SLUGC_BPDIR

# build OUT [TARBALL SHA256 [slugc options...]]: hello, with the cache $C.
build() {
	local out=$1 tb=${2:-$TARBALL_GZ} sha=${3:-$SHA256_GZ}
	shift $(($# < 3 ? $# : 3))
	"$SLUGC" build --cache "$C" -e MONO_URL="file://$tb" \
		-e MONO_SHA256="$sha" "$@" -o "$TEST_TMP/$out" "$H" \
		>"$TEST_TMP/$out.log" 2>&1 || { cat "$TEST_TMP/$out.log"; return 1; }
}

# segments: the kept segments, one "inode path" line each.
segments() { find "$C" -name '*.seg-*' ! -name '.*' -printf '%i %p\n' | sort -k2; }

# flip FILE OFFSET: changes one byte of FILE in place.
flip() {
	printf '\377' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# slug_ok SLUG: gzip and tar accept it, and it holds the runtime.
slug_ok() {
	gzip -t "$1" &&
	tar tzf "$1" >"$TEST_TMP/list" &&
	test_grep "^./app/vendor/mono/bin/mono\$" "$TEST_TMP/list" &&
	test_grep "^./app/Hello/bin/Release/Hello.exe\$" "$TEST_TMP/list"
}

test_expect_success 'setup: a copy of hello' '
	cp -R "$APPS/hello" "$H"
'

test_expect_success 'cold build: the runtime compressed, its segment kept' '
	build h1.tgz &&
	slug_ok "$TEST_TMP/h1.tgz" &&
	segments >seg1 &&
	test $(wc -l <seg1) -eq 1
'

test_expect_success 'warm build: the segment spliced, the same slug byte for byte' '
	build h2.tgz &&
	cmp "$TEST_TMP/h1.tgz" "$TEST_TMP/h2.tgz" &&
	slug_ok "$TEST_TMP/h2.tgz" &&
	segments >seg2 &&
	test_cmp seg1 seg2
'

test_expect_success 'the spliced slug unpacks with tar to the cold one'"'"'s tree' '
	mkdir x1 x2 &&
	tar xzf "$TEST_TMP/h1.tgz" -C x1 &&
	tar xzf "$TEST_TMP/h2.tgz" -C x2 &&
	diff -r --no-dereference x1 x2 &&
	test -x x2/app/vendor/mono/bin/mono
'

test_expect_success 'a damaged segment is compressed again, never spliced' '
	seg=$(cut -d" " -f2 seg1) &&
	flip "$seg" $(( $(stat -c %s "$seg") / 2 )) &&
	build h3.tgz &&
	cmp "$TEST_TMP/h1.tgz" "$TEST_TMP/h3.tgz" &&
	segments >seg3 &&
	test $(wc -l <seg3) -eq 1 &&
	! test_cmp seg1 seg3 >/dev/null
'

test_expect_success 'the same runtime from another tarball: another entry, the same slug' '
	build h4.tgz "$TARBALL_ZST" "$SHA256_ZST" &&
	cmp "$TEST_TMP/h1.tgz" "$TEST_TMP/h4.tgz" &&
	segments >seg4 &&
	test $(wc -l <seg4) -eq 2
'

# A buildpack after Mono that writes into vendor/mono, as PATCH_MODE says.
test_expect_success 'setup: a buildpack that writes into the runtime' '
	P=$TEST_TMP/patch && mkdir -p "$P/bin" &&
	printf "#!/bin/sh\necho Patch\n" >"$P/bin/detect" &&
	cat >"$P/bin/compile" <<-\EOF &&
	#!/bin/sh
	set -e
	m=$1/vendor/mono
	case $(cat "$3/PATCH_MODE") in
	add) echo added >"$m/etc/added" ;;
	inplace) echo patched >>"$m/etc/mono/config" ;;
	esac
	EOF
	printf "#!/bin/sh\necho \"--- {}\"\n" >"$P/bin/release" &&
	chmod +x "$P/bin/detect" "$P/bin/compile" "$P/bin/release"
'

test_expect_success 'a file added to vendor/mono: packed cold, the slug holds it' '
	segments >before &&
	build h5.tgz "$TARBALL_GZ" "$SHA256_GZ" -b "$MONO_BP" -b "$TEST_TMP/patch" \
		-e PATCH_MODE=add &&
	tar xzOf "$TEST_TMP/h5.tgz" ./app/vendor/mono/etc/added >added &&
	echo added >expect && test_cmp expect added &&
	segments >after && test_cmp before after
'

test_expect_success 'a runtime file written in place: packed cold, the slug holds it' '
	build h6.tgz "$TARBALL_GZ" "$SHA256_GZ" -b "$MONO_BP" -b "$TEST_TMP/patch" \
		-e PATCH_MODE=inplace &&
	tar xzOf "$TEST_TMP/h6.tgz" ./app/vendor/mono/etc/mono/config >config &&
	test_grep "^patched\$" config &&
	segments >after && test_cmp before after
'

test_expect_success 'the next build replaces the damaged entry: the cold slug again' '
	build h7.tgz &&
	test_grep "The cached runtime is damaged" "$TEST_TMP/h7.tgz.log" &&
	cmp "$TEST_TMP/h1.tgz" "$TEST_TMP/h7.tgz"
'
# The Node.js buildpack: .heroku/node is a layer too.
NODE_BPDIR=$(abspath "${SLUGC_NODE_BPDIR:-$(dirname "$SLUGC_BPDIR")/nodejs}")
NODE_RUNTIME_DIR=$(abspath "${SLUGC_NODE_RUNTIME_DIR:-build/node-runtime}")
NC=$TEST_TMP/node-cache

build_node() {
	(. "$NODE_RUNTIME_DIR/node.env" &&
	"$SLUGC" build --cache "$NC" -b "$NODE_BPDIR" \
		-e NODE_URL="file://$TARBALL_ZST" -e NODE_SHA256="$SHA256_ZST" \
		-o "$TEST_TMP/$1" "$TEST_TMP/nodeapp" >"$TEST_TMP/$1.log" 2>&1) ||
	{ cat "$TEST_TMP/$1.log"; return 1; }
}

test_expect_success 'node: cold then warm, the same slug, .heroku/node spliced' '
	cp -R "$FIXTURES/node/node-start" "$TEST_TMP/nodeapp" &&
	build_node n1.tgz &&
	find "$NC" -name "*.seg-*" ! -name ".*" -printf "%i %p\n" >nseg1 &&
	test $(wc -l <nseg1) -eq 1 &&
	build_node n2.tgz &&
	cmp "$TEST_TMP/n1.tgz" "$TEST_TMP/n2.tgz" &&
	find "$NC" -name "*.seg-*" ! -name ".*" -printf "%i %p\n" >nseg2 &&
	test_cmp nseg1 nseg2 &&
	gzip -t "$TEST_TMP/n2.tgz" &&
	tar tzf "$TEST_TMP/n2.tgz" >nlist &&
	test_grep "^./app/.heroku/node/bin/node\$" nlist
'

test_done
