#!/usr/bin/env bash
# Full disks (issue 14): compile and slugc run on real, size-limited tmpfs
# mounts (the tests run as root), including space that comes back in the
# middle of an unpack.  A write that fails must fail the build naming the
# path and the error, or, in the cache, make the build go on without it;
# never may a file hold zeros where the runtime has bytes, in the app or in
# a sealed cache entry.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"
buildpack_copy || exit 1

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
RT_GZ=$(basename "$TARBALL_GZ")
SERVE=$TEST_TMP/serve
mkdir -p "$SERVE" && ln -s "$TARBALL_GZ" "$SERVE/$RT_GZ"
MiB=$((1024 * 1024))

new_app() {
	B=$(mktemp -d "${1:-$TEST_TMP}/build.XXXXXX") &&
	cp -a "$APPS/hello/." "$B/" &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX") &&
	setvar MONO_URL "file://$TARBALL_GZ" &&
	setvar MONO_SHA256 "$SHA256_GZ"
}
setvar() { printf '%s' "$2" >"$ENVD/$1"; }

# mount_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 64m) on DIR, unmounted when
# the file ends.
mount_tmpfs() {
	mkdir -p "$1" &&
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" &&
	test_at_exit "umount -l '$1'"
}

# avail DIR: bytes free on DIR's file system.
avail() { echo $(($(stat -f -c '%a * %S' "$1"))); }

# fill FILE MiB: FILE takes all but MiB of its file system's free space.
fill() {
	local n=$(($(avail "$(dirname "$1")") - $2 * MiB))
	[ "$n" -le 0 ] || head -c "$n" /dev/zero >"$1"
}

# manifest DIR: each file's mode and sha256, each symlink's target, each
# directory: trees with one manifest hold the same runtime, byte for byte.
manifest() {
	(cd "$1" &&
	find . -type d -printf 'd %p\n' | sort &&
	find . -type l -printf 'l %p -> %l\n' | sort &&
	find . -type f -printf 'm %p %m\n' | sort &&
	find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

# same_runtime DIR: DIR holds exactly the runtime tarball's tree.
same_runtime() {
	manifest "$1" >got.manifest && test_cmp "$TEST_TMP/ref.manifest" got.manifest
}

# no_partial_cache C: no temporary install directory, no entry without its
# seal, and every sealed entry is the runtime, byte for byte.
cache_good() {
	if find "$1" -name ".*.part-*" | grep .; then
		echo "cache_good: temporary directories left in $1" >&2
		return 1
	fi
	local d
	for d in "$1"/mono/*; do
		[ -e "$d" ] || continue
		case $d in *.ok) continue ;; esac
		if [ ! -f "$d.ok" ]; then
			echo "cache_good: $d has no seal" >&2
			return 1
		fi
		same_runtime "$d" || return 1
	done
}

# no_entry C: the cache holds no runtime at all.
no_entry() {
	test -z "$(find "$1" -mindepth 2 -maxdepth 2 2>/dev/null)" || {
		find "$1" >&2
		return 1
	}
}

test_expect_success 'setup: the runtime as tar unpacks it, and the server' '
	mkdir "$TEST_TMP/ref" &&
	tar -xzf "$TARBALL_GZ" -C "$TEST_TMP/ref" &&
	manifest "$TEST_TMP/ref" >"$TEST_TMP/ref.manifest" &&
	test $(wc -l <"$TEST_TMP/ref.manifest") -gt 1000 &&
	faultd_start "$SERVE" &&
	test_at_exit faultd_stop
'

# Before: the unpack took write_disk's "Write failed" for a warning and
# went on, so compile failed later (exit 3 or in xbuild) or not at all.
test_expect_success 'a full BUILD_DIR (the cache on it too): exit 4, path named, nothing left' '
	M1=$TEST_TMP/fs1 && mount_tmpfs "$M1" 64m &&
	new_app "$M1" && C=$M1/cache &&
	test_expect_code 4 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	cat log &&
	grep "^ !     " log >err &&
	test_grep "install file://.*: archive entry .*: write $B/vendor/\.mono\.part-[^/]*/.*: No space left on device" err &&
	test_grep "Cannot use the build cache (.*No space left on device.*); building without it\." log &&
	test_must_fail test -e "$B/vendor/mono" &&
	test -z "$(find "$M1" -name ".*.part-*")" &&
	no_entry "$C" &&
	test $(avail "$M1") -gt $((60 * MiB))
'

test_expect_success 'a full BUILD_DIR, the cache elsewhere: exit 4 naming the path; the cache is sound' '
	M2=$TEST_TMP/fs2 && mount_tmpfs "$M2" 64m &&
	new_app "$M2" && C=$(mktemp -d "$TEST_TMP/cache.XXXXXX") &&
	test_expect_code 4 "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	cat log &&
	test_grep "^ !     .*$B/vendor/mono/.*: No space left on device" log &&
	test_must_fail test -e "$B/vendor/mono" &&
	cache_good "$C" &&
	test $(avail "$M2") -gt $((60 * MiB))
'

# Before: exit 3, the deploy failed for want of a cache.
test_expect_success 'a full CACHE_DIR: built without the cache, no partial entry' '
	M3=$TEST_TMP/fs3 && mount_tmpfs "$M3" 16m &&
	new_app && C=$M3/cache &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	cat log &&
	test_grep "Cannot use the build cache (install file://.*: archive entry .*: write $C/.*: No space left on device); building without it\." log &&
	test -f "$B/Hello/bin/Release/Hello.exe" &&
	same_runtime "$B/vendor/mono" &&
	no_entry "$C" &&
	test -z "$(find "$M3" -name ".*.part-*")"
'

# The cache's tmpfs is filled but for 40 MiB and the download throttled, so
# that the unpack into the cache (~160 MB) runs out of space early; the
# filler is removed as soon as that shows (the disk full, or compile saying
# it gives up the cache).  Before: the writes that failed were warnings,
# the later ones succeeded, the files were padded with zeros to their size,
# the sha256 of the download matched, and the corrupt entry was sealed:
# every later build hit it.
test_expect_success 'space back mid-unpack: no zero-filled file, no corrupt seal' '
	M4=$TEST_TMP/fs4 && mount_tmpfs "$M4" 256m &&
	new_app && C=$M4/cache && mkdir "$C" &&
	setvar MONO_URL "$(faultd_url rate=12000000 "/$RT_GZ")" &&
	fill "$M4/filler" 40 &&
	test $(avail "$M4") -le $((41 * MiB)) &&
	{ "$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 & pid=$!; } &&
	test_at_exit "kill $pid" &&
	for i in $(seq 1500); do
		if [ $(avail "$M4") -lt $MiB ]; then
			sleep 0.3
			break
		fi
		grep -q "Cannot use the build cache" log && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.02
	done &&
	rm -f "$M4/filler" &&
	{ wait $pid; rc=$?; } &&
	cat log &&
	echo "compile exited $rc" &&
	test_grep "No space left on device" log &&
	if [ $rc -eq 0 ]; then same_runtime "$B/vendor/mono"; fi &&
	cache_good "$C"
'

test_expect_success 'space back: the next build heals the cache, the one after hits it' '
	new_app && setvar MONO_URL "$(faultd_url rate=12000000 "/$RT_GZ")" &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	same_runtime "$B/vendor/mono" &&
	test -f "$B/Hello/bin/Release/Hello.exe" &&
	ls "$C"/mono/*.ok &&
	cache_good "$C" &&
	new_app &&
	"$COMPILE" "$B" "$C" "$ENVD" >log 2>&1 &&
	test_grep "Using the cached runtime" log &&
	same_runtime "$B/vendor/mono"
'

# slugc run unpacks the slug with the same unpack.  Before: the app ran on
# zero-filled files and slugc exited 0.
test_expect_success 'slugc run with a TMPDIR too small for the slug: fails naming the file, runs nothing' '
	A=$TEST_TMP/bigapp && mkdir -p "$A" &&
	head -c $((4 * MiB)) /dev/urandom >"$A/big.bin" &&
	printf "web: sleep 1\n" >"$A/Procfile" &&
	XDG_CACHE_HOME=$TEST_TMP/xdg "$SLUGC" build -b "$FIXTURES/buildpacks/null" \
	    -o "$TEST_TMP/big.tgz" "$A" >log 2>&1 &&
	M5=$TEST_TMP/fs5 && mount_tmpfs "$M5" 2m &&
	test_expect_code 4 env TMPDIR="$M5" "$SLUGC" run "$TEST_TMP/big.tgz" -- \
	    touch "$TEST_TMP/ran" >out 2>err &&
	cat err &&
	test_grep "big\.bin.*$M5/.*: No space left on device" err &&
	test_must_fail test -e "$TEST_TMP/ran" &&
	test -z "$(ls -A "$M5")"
'

test_expect_success 'slugc run with room: the same slug runs, its file intact' '
	env TMPDIR="$TEST_TMP" "$SLUGC" run "$TEST_TMP/big.tgz" -- \
	    sha256sum big.bin >out 2>err &&
	sha256sum <"$A/big.bin" | cut -d" " -f1 >want &&
	cut -d" " -f1 out >got &&
	test_cmp want got
'

test_done
