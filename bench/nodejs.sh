# bench/nodejs.sh - the Node.js buildpack's cases of `make bench` (issue 20).
# Sourced by bench/run: it uses run's harness (sample, stats, row, note...),
# its work directory $W and its faultd, and adds rows to the same table.
#
#  - Cold runtime install: build/bench/runtime_install -k node, the runtime
#    step of src/nodejs/compile.c alone (runtime_install_logged into an empty
#    cache, then placed in BUILD_DIR/.heroku/node), against `curl -s URL |
#    tar xz` of the same .tar.gz from the same server.  Target <= 0.5x.
#  - Warm build overhead: buildpacks/nodejs/bin/compile of the express
#    fixture (npm ci, 68 packages) with a warm cache (runtime and npm's),
#    minus the time npm ci took, read from compile's timestamped log (from
#    the line compile prints before starting npm to the first line after
#    npm ended).  Beside it the bash way on the same app: `curl | tar xz` of
#    the same tarball, then `npm ci` with the same warm npm cache.  Target:
#    <= 0.2 s outside npm.
#  - detect on 10 000 files at the app's root, with and without a
#    package.json, against a bash detect (`[ -f $1/package.json ]`).
#    Target <= 5 ms.

NODE_RT=${SLUGC_NODE_RUNTIME_DIR:-$O/node-runtime}
NODE_BP=${SLUGC_NODE_BPDIR:-$REPO/buildpacks/nodejs}

# node_env VAR: VAR of the Node runtime's node.env, read in a subshell so
# that run's own TARBALL_GZ... (the Mono runtime's) stay as they are.
node_env() { (. "$NODE_RT/node.env" && eval "printf '%s\n' \"\$$1\""); }

if [ ! -f "$NODE_RT/node.env" ] || [ ! -x "$NODE_BP/bin/compile" ]; then
	for c in "cold runtime install" "warm build overhead outside npm" "detect"; do
		row "Node.js: $c" "pending" "—" "—" "—" "—" "—"
	done
	note "- Node.js: $NODE_RT/node.env or $NODE_BP/bin/compile is missing (make all node-runtime)."
	return 0
fi

say "bench: Node.js: cold runtime install..."
NODE_V=$(node_env NODE_VERSION)
NGZ=$W/srv/node.tar.gz
NZST=$W/srv/node.tar.zst
cp "$(node_env TARBALL_GZ)" "$NGZ"
cp "$(node_env TARBALL_ZST)" "$NZST"
NSHA_GZ=$(sha256sum "$NGZ" | cut -d' ' -f1)
NSHA_ZST=$(sha256sum "$NZST" | cut -d' ' -f1)
NURL_GZ=$FAULTD_URL/node.tar.gz
NURL_ZST=$FAULTD_URL/node.tar.zst
curl -sf -o /dev/null "$NURL_GZ"

for ((i = 1; i <= RUNS; i++)); do
	sample node_gz_slugc 1 0 -- "$B/runtime_install" -k node \
	    "$X/ngz-cache.$i" "$X/ngz.$i/.heroku/node" "$NURL_GZ" "$NSHA_GZ"
	mkdir -p "$X/nref.$i"
	sample node_gz_ref 1 0 -- sh -c 'curl -s "$1" | tar xz -C "$2"' sh \
	    "$NURL_GZ" "$X/nref.$i"
	sample node_zst_slugc 1 0 -- "$B/runtime_install" -k node \
	    "$X/nzst-cache.$i" "$X/nzst.$i/.heroku/node" "$NURL_ZST" "$NSHA_ZST"
	mkdir -p "$X/nzref.$i"
	sample node_zst_ref 1 0 -- sh -c 'curl -s "$1" | zstd -dcq | tar x -C "$2"' \
	    sh "$NURL_ZST" "$X/nzref.$i"
done
if ! diff -r --no-dereference "$X/ngz.1/.heroku/node" "$X/nref.1" >/dev/null; then
	say "bench: the installed Node runtime differs from tar's extraction"
	exit 1
fi
read -r m lo hi < <(stats "$S/node_gz_slugc.t")
read -r rm rlo rhi < <(stats "$S/node_gz_ref.t")
rss=$(maxof "$S/node_gz_slugc.rss")
r=$(ratio "$m" "$rm")
row "Node.js: cold runtime install, .tar.gz over HTTP" "$(fmt_t "$m" "$lo" "$hi" s)" \
    "$(fmt_t "$rm" "$rlo" "$rhi" s) \`curl -s URL \| tar xz\`" "$r" "$(mib "$rss")" \
    "≤ 0.50×" "$(yesno le "$r" 0.50)"
read -r zm zlo zhi < <(stats "$S/node_zst_slugc.t")
read -r zrm zrlo zrhi < <(stats "$S/node_zst_ref.t")
row "Node.js: cold runtime install, .tar.zst over HTTP" "$(fmt_t "$zm" "$zlo" "$zhi" s)" \
    "$(fmt_t "$zrm" "$zrlo" "$zrhi" s) \`curl -s URL \| zstd -dc \| tar x\`" \
    "$(ratio "$zm" "$zrm")" "$(mib "$(maxof "$S/node_zst_slugc.rss")")" "(reported)" "—"
note "- Node.js runtime: node $NODE_V (make-node-tarball.sh), $(du -sm "$X/nref.1" | cut -f1) MB raw, $(find "$X/nref.1" | wc -l) entries, $(($(stat -c %s "$NGZ") / 1000000)) MB .tar.gz, $(($(stat -c %s "$NZST") / 1000000)) MB .tar.zst. CPU: slugc gz $(cpu node_gz_slugc), \`curl | tar xz\` $(cpu node_gz_ref), slugc zst $(cpu node_zst_slugc), \`curl | zstd -dc | tar x\` $(cpu node_zst_ref); the zst install is $(ratio "$zm" "$rm")× the gz pipeline."

# ---- warm build --------------------------------------------------------

say "bench: Node.js: warm build (npm ci of the express fixture)..."
NAPP=$REPO/tests/fixtures/npm/express
NBP=$W/node-bp
NCACHE=$W/node-cache
mkdir -p "$NBP" "$W/node-env" "$NCACHE"
cp -a "$NODE_BP/bin" "$NBP/"
cp "$REPO/buildpacks/nodejs/buildpack.yml" "$NBP/"
printf '%s' "$NURL_GZ" >"$W/node-env/NODE_URL"
printf '%s' "$NSHA_GZ" >"$W/node-env/NODE_SHA256"
# npm's cache: the tests' seed (every package of the fixtures; the script
# does nothing when it is up to date), so no run waits for the registry.
SEED=$O/npm-cache
SLUGC_NODE_RUNTIME_DIR=$NODE_RT tests/fixtures/seed-npm-cache.sh "$SEED" >"$W/log/node-seed.out" 2>&1 || {
	say "bench: tests/fixtures/seed-npm-cache.sh failed:"; cat "$W/log/node-seed.out" >&2; exit 1; }
flock -s "$SEED/.lock" cp -a "$SEED/npm" "$NCACHE/npm"
# One build to warm the cache: the runtime installed and sealed, npm's
# cache holding every tarball.
cp -a "$NAPP" "$X/nprime"
"$NBP/bin/compile" "$X/nprime" "$NCACHE" "$W/node-env" >"$W/log/node-prime.out" 2>&1 || {
	say "bench: compile of the express fixture failed:"; cat "$W/log/node-prime.out" >&2; exit 1; }
cat >"$W/ref-node-compile" <<'EOF'
#!/usr/bin/env bash
# bin/compile BUILD_DIR CACHE_DIR URL the way a bash Node.js buildpack
# writes it: the runtime with curl | tar xz, then npm ci with npm's cache in
# CACHE_DIR and its output indented.
set -eo pipefail
mkdir -p "$1/.heroku/node"
echo "-----> Installing Node.js"
curl -s "$3" | tar xz -C "$1/.heroku/node"
export PATH="$1/.heroku/node/bin:$PATH" NODE_ENV=production
cd "$1"
echo "-----> Installing dependencies"
echo "       Installing node modules with npm ci"
npm ci --include=dev --cache "$2/npm" --prefer-offline --no-audit --no-fund \
	--no-update-notifier 2>&1 | sed -u 's/^/       /'
echo "-----> Build succeeded"
EOF
chmod +x "$W/ref-node-compile"

# npm_phase LOG: the seconds npm ci took in a stamped build log: from the
# "Installing node modules" line (printed just before npm starts) to the
# next header (printed once it has ended).
npm_phase() {
	awk '
	/^[0-9.]+        Installing node modules/ { s = $1; next }
	s != "" && e == "" && /^[0-9.]+ -----> / { e = $1 }
	END { if (s == "" || e == "") print "nan"; else printf "%.6f\n", e - s }' "$1"
}
for ((i = 1; i <= RUNS; i++)); do
	cp -a "$NAPP" "$X/nwarm.$i"
	cp -a "$NAPP" "$X/nwref.$i"
	sample node_warm_slugc 1 0 -l "$W/log/node_warm.$i" -- \
	    "$NBP/bin/compile" "$X/nwarm.$i" "$NCACHE" "$W/node-env"
	sample node_warm_ref 1 0 -l "$W/log/node_warm_ref.$i" -- \
	    "$W/ref-node-compile" "$X/nwref.$i" "$NCACHE" "$NURL_GZ"
	for k in node_warm node_warm_ref; do
		np=$(npm_phase "$W/log/$k.$i")
		[ "$np" != nan ] || { say "bench: $k: no npm phase in its log:"; cat "$W/log/$k.$i" >&2; exit 1; }
		echo "$np" >>"$S/$k.npm"
		key=$([ $k = node_warm ] && echo node_warm_slugc || echo node_warm_ref)
		awk -v w="$(tail -1 "$S/$key.t")" -v n="$np" 'BEGIN { printf "%.6f\n", w - n }' >>"$S/$k.over"
	done
done
grep -q "^[0-9.]*        added 68 packages" "$W/log/node_warm.1" || {
	say "bench: the warm build did not install express's 68 packages:"; cat "$W/log/node_warm.1" >&2; exit 1; }
read -r m lo hi < <(stats "$S/node_warm_slugc.t")
read -r rm rlo rhi < <(stats "$S/node_warm_ref.t")
row "Node.js: warm build of the express fixture (npm ci, 68 packages), \`bin/compile\`" \
    "$(fmt_t "$m" "$lo" "$hi" s)" \
    "$(fmt_t "$rm" "$rlo" "$rhi" s) \`curl \| tar xz\` + \`npm ci\`" "$(ratio "$m" "$rm")" \
    "$(mib "$(maxof "$S/node_warm_slugc.rss")")" "(reported)" "—"
read -r om olo ohi < <(stats "$S/node_warm.over")
read -r orm orlo orhi < <(stats "$S/node_warm_ref.over")
row "Node.js: warm build overhead outside npm (compile − npm ci)" \
    "$(fmt_t "$om" "$olo" "$ohi" s)" \
    "$(fmt_t "$orm" "$orlo" "$orhi" s) (the bash way, outside npm ci)" "$(ratio "$om" "$orm")" \
    "—" "≤ 0.2 s" "$(yesno le "$om" 0.2)"
note "- Node.js warm build: npm ci took $(fmt_t $(stats "$S/node_warm.npm") s) inside compile and $(fmt_t $(stats "$S/node_warm_ref.npm") s) in the bash way; CPU of the whole build: compile $(cpu node_warm_slugc), bash way $(cpu node_warm_ref). The peak RSS is npm's (node), not compile's. Last compile's log, first lines: $(sed -n '1,3{s/^[0-9.]* //;p}' "$W/log/node_warm.$RUNS" | paste -sd'|' | sed 's/|/ | /g')."

# ---- detect ------------------------------------------------------------

say "bench: Node.js: detect on 10 000 files..."
for v in pkg nopkg; do
	mkdir -p "$W/ndetect-$v"
	(cd "$W/ndetect-$v" && seq -f 'file%05g.js' 1 10000 | xargs touch)
done
echo '{"name": "x"}' >"$W/ndetect-pkg/package.json"
cat >"$W/ref-node-detect" <<'EOF'
#!/usr/bin/env bash
# bin/detect the way bash Node.js buildpacks write it.
if [ -f "$1/package.json" ]; then echo Node.js; exit 0; fi
echo no; exit 1
EOF
chmod +x "$W/ref-node-detect"
for v in pkg nopkg; do
	want=$([ $v = pkg ] && echo 0 || echo 1)
	for ((i = 1; i <= FAST_RUNS; i++)); do
		sample "ndetect_${v}_slugc" 0 "$want" -- "$NODE_BP/bin/detect" "$W/ndetect-$v"
		sample "ndetect_${v}_ref" 0 "$want" -- "$W/ref-node-detect" "$W/ndetect-$v"
		sample "ndetect_${v}_true" 0 0 -- /bin/true
	done
	read -r m lo hi < <(stats "$S/ndetect_${v}_slugc.t")
	read -r rm rlo rhi < <(stats "$S/ndetect_${v}_ref.t")
	row "Node.js: detect, 10 000 files at the root, $([ $v = pkg ] && echo "a package.json" || echo "no package.json")" \
	    "$(fmt_t "$m" "$lo" "$hi" ms)" "$(fmt_t "$rm" "$rlo" "$rhi" ms) \`[ -f \$1/package.json ]\`" \
	    "$(ratio "$m" "$rm")" "$(mib "$(maxof "$S/ndetect_${v}_slugc.rss")")" "≤ 5 ms" \
	    "$(yesno le "$m" 0.005)"
done
note "- Node.js detect: $FAST_RUNS runs each; \`/bin/true\` alternated with them takes $(fmt_t $(stats "$S/ndetect_pkg_true.t") ms). detect looks at package.json alone (one fstatat), so the 10 000 other files cost it nothing."
