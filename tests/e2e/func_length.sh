#!/usr/bin/env bash
# src/slugc stays thin: no function there is over 80 lines (issue 15).  A
# function's lines are counted as ctags counts them: from the line with its
# name at column 0 and "(" (the house style puts the return type on the
# line above) to the first "}" at column 0, both included; .clang-format
# (tests/e2e/format.sh) keeps the sources in that shape.
# One case per file, so a failure names the file and its long functions.
. "$(dirname "$0")/../lib.sh"

MAX=80

# Prints "FILE NAME LINES" for every function of the files given.
func_lengths() {
	awk '
	/^[A-Za-z_][A-Za-z0-9_]*\(/ && !infn {
		name = $0; sub(/\(.*/, "", name); start = FNR; infn = 1; next
	}
	infn && /^}/ { print FILENAME, name, FNR - start + 1; infn = 0 }
	' "$@"
}

# Prints the functions of FILE over MAX lines; fails if there are any.
too_long() {
	func_lengths "$1" >"$TEST_TMP/lengths" &&
	test -s "$TEST_TMP/lengths" &&
	awk -v max=$MAX '$3 > max' "$TEST_TMP/lengths" >"$TEST_TMP/long" &&
	cat "$TEST_TMP/long" &&
	test_must_fail test -s "$TEST_TMP/long"
}

test_expect_success 'the lengths are measured (known functions, their lengths)' '
	printf "%s\n" "static int" "f(void)" "{" "	return 0;" "}" "" \
		"int" "g(int a," "    int b)" "{" "	if (a) {" "		b++;" "	}" \
		"	return b;" "}" >"$TEST_TMP/x.c" &&
	func_lengths "$TEST_TMP/x.c" >out &&
	printf "%s\n" "$TEST_TMP/x.c f 4" "$TEST_TMP/x.c g 8" >expect &&
	test_cmp expect out
'

test_expect_success "a function of $MAX lines passes, one of $((MAX + 1)) does not" '
	{ echo "int" && echo "ok(void)" && echo "{" &&
	  for i in $(seq $((MAX - 3))); do echo "	i++;"; done && echo "}"; } >"$TEST_TMP/ok.c" &&
	{ echo "int" && echo "over(void)" && echo "{" &&
	  for i in $(seq $((MAX - 2))); do echo "	i++;"; done && echo "}"; } >"$TEST_TMP/over.c" &&
	too_long "$TEST_TMP/ok.c" &&
	test_must_fail too_long "$TEST_TMP/over.c" >out &&
	test_grep "over $((MAX + 1))\$" out
'

cd "$REPO" || exit 1
for f in src/slugc/*.c; do
	test_expect_success "$f: no function over $MAX lines" 'too_long "$f"'
done
test_done
