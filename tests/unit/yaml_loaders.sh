#!/usr/bin/env bash
# yaml_loaders.sh - cross-checks the release YAML slugc emits against two
# independent YAML 1.1 loaders: PyYAML's pure-Python SafeLoader (Debian's
# /usr/bin/python3, python3-yaml) and Ruby's Psych (ruby).
#
# `test_manifest --emit YAML EXPECTED` writes a manifest full of nasty
# strings (yes, on, null, ~, *, #, ": ", quotes, backslashes, control
# characters, non-ASCII, a 10 KiB command...) and the lines each loader must
# print: the top-level keys, then every string as hex of its UTF-8 bytes.
# Usage: tests/unit/yaml_loaders.sh [PATH/TO/test_manifest]
# The last line is "N passed, N failed"; the exit status is 0 only if all
# passed.  A missing python3, PyYAML or ruby is a failure (test dependencies).
set -u
cd "$(dirname "$0")/../.."
bin=${1:-${SLUGC_O:-build}/tests/test_manifest}
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/yaml_loaders.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }

py_script='
import sys, yaml
def h(s):
    if not isinstance(s, str):
        return "NOTSTR:" + repr(s)
    return s.encode("utf-8").hex()
with open(sys.argv[1], "rb") as f:
    d = yaml.load(f, Loader=yaml.SafeLoader)
print("K", " ".join(d.keys()))
for a in d["addons"]:
    print("A", h(a))
for k, v in d["config_vars"].items():
    print("C", h(k), h(v))
for k, v in d["default_process_types"].items():
    print("T", h(k), h(v))
'

rb_script='
def h(s)
  s.is_a?(String) ? s.b.unpack1("H*") : "NOTSTR:" + s.inspect
end
d = YAML.safe_load(File.binread(ARGV[0]).force_encoding("UTF-8"))
puts "K " + d.keys.join(" ")
d["addons"].each { |a| puts "A " + h(a) }
d["config_vars"].each { |k, v| puts "C " + h(k) + " " + h(v) }
d["default_process_types"].each { |k, v| puts "T " + h(k) + " " + h(v) }
'

if "$bin" --emit "$tmp/release.yml" "$tmp/expected"; then
	ok "test_manifest --emit wrote the nasty manifest"
else
	not_ok "test_manifest --emit wrote the nasty manifest ($bin)"
fi

check() {
	local what=$1 rc
	shift
	"$@" "$tmp/release.yml" >"$tmp/got" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$what loads the release YAML"
	else
		not_ok "$what loads the release YAML (exit $rc)"
		sed 's/^/# /' "$tmp/err"
		[ "$rc" -eq 127 ] && echo "# $1 missing: it is a test dependency"
	fi
	if [ -s "$tmp/expected" ] && cmp -s "$tmp/expected" "$tmp/got"; then
		ok "$what reads back every string byte-identical"
	else
		not_ok "$what reads back every string byte-identical"
		diff -u "$tmp/expected" "$tmp/got" | head -n 20 | sed 's/^/# /'
	fi
}

check "PyYAML" /usr/bin/python3 -c "$py_script"
check "Ruby Psych" ruby -ryaml -e "$rb_script"

# The two loaders also agree with each other line for line.
/usr/bin/python3 -c "$py_script" "$tmp/release.yml" >"$tmp/py" 2>/dev/null
ruby -ryaml -e "$rb_script" "$tmp/release.yml" >"$tmp/rb" 2>/dev/null
if [ -s "$tmp/py" ] && cmp -s "$tmp/py" "$tmp/rb"; then
	ok "PyYAML and Psych agree"
else
	not_ok "PyYAML and Psych agree"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
