# tests/lib.sh - the end-to-end test library (after git's t/test-lib.sh).
#
# A test file sources this, calls test_expect_success for each case and ends
# with test_done, which prints "N passed, N failed" as its last line.  Bodies
# run with `eval` in the test's own shell (so they can set variables for later
# cases) with their output kept in a log shown only on failure.  Each file
# gets a fresh $TEST_TMP, removed on exit.

# No `set -u`: bodies run in this shell, and an unset variable in one
# must fail that case, not end the whole file.

TEST_NAME=$(basename "$0" .sh)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$REPO/$1" ;; esac; }
SLUGC_O=$(abspath "${SLUGC_O:-build}")
SLUGC_BPDIR=$(abspath "${SLUGC_BPDIR:-buildpacks/mono}")
SLUGC_BINDIR=$(abspath "${SLUGC_BINDIR:-bin}")
SLUGC_RUNTIME_DIR=$(abspath "${SLUGC_RUNTIME_DIR:-build/runtime}")
export SLUGC_O SLUGC_BPDIR SLUGC_BINDIR SLUGC_RUNTIME_DIR
FIXTURES=$REPO/tests/fixtures
APPS=$FIXTURES/apps
DETECT=$SLUGC_BPDIR/bin/detect
COMPILE=$SLUGC_BPDIR/bin/compile
RELEASE=$SLUGC_BPDIR/bin/release
SLUGC=$SLUGC_BINDIR/slugc
# Buildpacks run in a clean environment on a platform; tests pin the locale
# so byte order and messages are what the assertions expect.
export LC_ALL=C STACK=${STACK:-heroku-22}

# buildpack_copy: a private copy of the Mono buildpack for this test file,
# since compile writes its export file into the buildpack directory and
# tests run side by side.  Sets BP, DETECT, COMPILE and RELEASE.
buildpack_copy() {
	BP=$TEST_TMP/buildpack &&
	mkdir -p "$BP" &&
	cp -a "$SLUGC_BPDIR/bin" "$SLUGC_BPDIR/buildpack.yml" "$BP/" &&
	DETECT=$BP/bin/detect COMPILE=$BP/bin/compile RELEASE=$BP/bin/release
}

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/slugc-$TEST_NAME.XXXXXX")
# Apps' state (config vars, add-ons) stays in this test's directory, never
# in the $HOME of whoever runs the suite.
export XDG_STATE_HOME=$TEST_TMP/state
test_passed=0
test_failed=0
test_declared=0
test_cleanup_hooks=()

test_at_exit() { test_cleanup_hooks+=("$1"); }

test_cleanup() {
	local h
	for h in "${test_cleanup_hooks[@]+"${test_cleanup_hooks[@]}"}"; do
		eval "$h" >/dev/null 2>&1 || :
	done
	rm -rf "$TEST_TMP"
}
trap test_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

test_log=$TEST_TMP/.log
# Tests write their scratch files (out, log, expect...) into the current
# directory: make it the test's own.
cd "$TEST_TMP" || exit 1

# test_expect_success DESCRIPTION BODY
# The body runs inside a function of its own, so a `return 1` in it fails
# the case instead of returning from test_expect_success uncounted.
test_eval_inner_() {
	eval "$1"
}

test_expect_success() {
	local descr=$1 body=$2 rc
	test_declared=$((test_declared + 1))
	test_eval_inner_ "$body" >"$test_log" 2>&1 </dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		test_passed=$((test_passed + 1))
		echo "ok - $TEST_NAME: $descr"
	else
		test_failed=$((test_failed + 1))
		echo "not ok - $TEST_NAME: $descr (exit $rc)"
		sed -e 's/^/#   /' "$test_log" | tail -n 60
	fi
}

# test_must_fail CMD...: CMD must exit non-zero, but not by a signal (a
# crash is never the expected failure).
test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $rc -gt 128 ] && [ $rc -lt 160 ]; then
		echo "test_must_fail: '$*' died by signal $((rc - 128))" >&2
		return 1
	fi
	return 0
}

# test_expect_code N CMD...: CMD must exit with exactly N.
test_expect_code() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	if [ $rc -ne "$want" ]; then
		echo "test_expect_code: '$*' exited $rc, wanted $want" >&2
		return 1
	fi
	return 0
}

# test_cmp EXPECTED ACTUAL
test_cmp() { diff -u "$1" "$2"; }

# test_grep PATTERN FILE: like grep, but shows the file when it fails.
test_grep() {
	if ! grep "$@"; then
		echo "test_grep: no match for '$*'; the file holds:" >&2
		cat "${@: -1}" >&2
		return 1
	fi
}

# test_no_grep PATTERN FILE
test_no_grep() {
	if grep "$@"; then
		echo "test_no_grep: unexpected match for '$*'" >&2
		return 1
	fi
	return 0
}

# wait_for_http URL SECONDS: polls until URL answers or the time runs out.
wait_for_http() {
	local url=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "wait_for_http: $url did not answer within ${secs}s" >&2
	return 1
}

# free_port: an unused TCP port on 127.0.0.1, below the kernel's ephemeral
# range (32768-60999), from which any connect may take it meanwhile.
free_port() {
	local port
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((10000 + RANDOM % 22768))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

test_done() {
	# Every declared case must have been counted one way or the other.
	if [ $((test_passed + test_failed)) -ne "$test_declared" ]; then
		echo "not ok - $TEST_NAME: $test_declared cases declared, $((test_passed + test_failed)) counted"
		test_failed=$((test_failed + 1))
	fi
	echo "$test_passed passed, $test_failed failed"
	[ "$test_failed" -eq 0 ]
}
