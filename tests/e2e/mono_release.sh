#!/usr/bin/env bash
# bin/release on Procfile variants: every type and byte of the commands must
# survive the YAML 1.1 loaders platforms use (PyYAML, Ruby's Psych).
. "$(dirname "$0")/../lib.sh"

# loads FILE with PyYAML and with Psych and prints both as sorted JSON
# (ensure_ascii off so non-ASCII text is compared as bytes).
py_load() {
	/usr/bin/python3 -c '
import json, sys, yaml
d = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
print(json.dumps(d["default_process_types"], sort_keys=True, ensure_ascii=False))
' "$1"
}
rb_load() {
	ruby -ryaml -rjson -e '
d = YAML.safe_load(File.read(ARGV[0], encoding: "UTF-8"))
puts JSON.generate(d["default_process_types"].sort.to_h).gsub(",\"", ", \"").gsub("\":\"", "\": \"")
' "$1"
}

new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX")
}

test_expect_success 'a Procfile gives every type, commands byte-exact' '
	new_app &&
	cat >"$B/Procfile" <<-\EOF &&
	web: mono Hello/bin/Release/Hello.exe --port $PORT
	worker: mono Worker.exe
	EOF
	"$RELEASE" "$B" >rel &&
	cat >expect <<-\EOF &&
	---
	addons: []
	config_vars: {}
	default_process_types:
	  "web": "mono Hello/bin/Release/Hello.exe --port $PORT"
	  "worker": "mono Worker.exe"
	EOF
	test_cmp expect rel
'

test_expect_success 'nasty commands survive PyYAML and Psych' '
	new_app &&
	cp "$FIXTURES/apps/procfiles/nasty" "$B/Procfile" &&
	"$RELEASE" "$B" >rel &&
	py_load rel >py &&
	rb_load rel >rb &&
	/usr/bin/python3 -c "
import json, re, sys
types = {}
for line in open(sys.argv[1], encoding=\"utf-8\").read().splitlines():
    m = re.match(r\"^([A-Za-z0-9_-]+):[ \t]*(.*)$\", line)
    if m: types[m.group(1)] = m.group(2)
print(json.dumps(types, sort_keys=True, ensure_ascii=False))
" "$B/Procfile" >want &&
	test_cmp want py &&
	test_cmp want rb
'

test_expect_success 'strings that YAML 1.1 would retype stay strings' '
	new_app &&
	printf "%s\n" "a: yes" "b: on" "c: null" "d: ~" "e: 1e3" "f: *alias" \
	    "g: # not a comment" "h: key: value" "i: \"quoted\" '"'"'single'"'"'" \
	    "j: 日本語 — ünïcödé" "k: -1" "l: 0x1F" "m: [a, b]" "n: {x: 1}" >"$B/Procfile" &&
	"$RELEASE" "$B" >rel &&
	py_load rel >py && rb_load rel >rb &&
	cat >want <<-\EOF &&
	{"a": "yes", "b": "on", "c": "null", "d": "~", "e": "1e3", "f": "*alias", "g": "# not a comment", "h": "key: value", "i": "\"quoted\" '"'"'single'"'"'", "j": "日本語 — ünïcödé", "k": "-1", "l": "0x1F", "m": "[a, b]", "n": "{x: 1}"}
	EOF
	test_cmp want py &&
	test_cmp want rb
'

test_expect_success 'a malformed Procfile line is skipped; the platform reports it' '
	new_app &&
	cp "$FIXTURES/apps/procfiles/bad" "$B/Procfile" &&
	"$RELEASE" "$B" >rel 2>err &&
	test_must_fail test -s err &&
	py_load rel >py &&
	test_grep "\"web\"" py
'

test_expect_success 'no Procfile and no recorded executable: no default process' '
	new_app &&
	"$RELEASE" "$B" >rel &&
	test_grep "^default_process_types: {}" rel
'

test_expect_success 'release ignores a second argument (CACHE_DIR)' '
	new_app && echo "web: x" >"$B/Procfile" &&
	"$RELEASE" "$B" "$TEST_TMP/cache" >rel &&
	test_grep "\"web\": \"x\"" rel
'

test_expect_success 'release: a missing BUILD_DIR is exit 2 with a message' '
	test_expect_code 2 "$RELEASE" "$TEST_TMP/nope" >out 2>err &&
	test_must_fail test -s out &&
	test_grep "nope: not a directory" err
'

test_expect_success 'a type declared twice: the later wins, and release says nothing (the platform warns once)' '
	new_app &&
	printf "web: one\nweb: two\n" >"$B/Procfile" &&
	"$RELEASE" "$B" >rel 2>err &&
	test_grep "^  \"web\": \"two\"\$" rel &&
	test_must_fail test -s err
'

test_done
