#!/usr/bin/env bash
# The C sources are formatted as .clang-format says (make format applies
# it): one case per file, so a failure names the file and shows the diff.
. "$(dirname "$0")/../lib.sh"

cd "$REPO" || exit 1
for f in src/*/*.c src/*/*.h src/lib/*/*.c src/lib/*/*.h \
    tests/unit/*.c tests/unit/*.h \
    tests/servers/*.c bench/*.c; do
	test_expect_success "$f is formatted" '
		clang-format "$f" >"$TEST_TMP/formatted" &&
		diff -u "$f" "$TEST_TMP/formatted"
	'
done
test_done
