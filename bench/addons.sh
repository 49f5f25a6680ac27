# bench/addons.sh - sourced by bench/run: the add-on figures of issue 17.
#
# On the seed's app (tests/fixtures/sessions, express sessions in a
# redistogo add-on), built once by `slugc build` with the Node.js buildpack
# (the npm cache seeded, the runtime by file://), alternating, BENCH_RUNS
# times each:
#  - cold: the add-on's redis-server stopped, then `slugc start SLUG` until
#    GET / answers 200 (addon_bench answer polls every 2 ms): unpacking the
#    slug, starting Redis and waiting for its authenticated PING, booting
#    node, node connecting to Redis;
#  - warm: the same with the server running (left by the cold run);
#  - by hand: `node server.js` from a slug unpacked beforehand, with the
#    environment a dyno gets and Redis running: the floor of any warm start.
# Then FAST_RUNS rounds of the add-on's start-up alone (addon_bench redis):
# slugc's addon_start until an authenticated PING answers, against
# `redis-server redis.conf` (the same file) started by hand and asked AUTH
# + PING every 1 ms.
#
# Everything lives under $W/addons (the app's state too: XDG_STATE_HOME),
# the slug is unpacked under $W (TMPDIR), and the add-on is destroyed at
# the end, which stops its server.  Uses bench/run's W, S, B, O, REPO,
# SLUGC, RUNS, FAST_RUNS, say, stats, fmt_t, ratio, row and note.

AB=$B/addon_bench
ADDON_DIR=$W/addons
ADDON_NODE_RT=${SLUGC_NODE_RUNTIME_DIR:-$REPO/build/node-runtime}
ADDON_NODE_BP=${SLUGC_NODE_BPDIR:-$REPO/buildpacks/nodejs}
case $ADDON_NODE_RT in /*) ;; *) ADDON_NODE_RT=$REPO/$ADDON_NODE_RT ;; esac
case $ADDON_NODE_BP in /*) ;; *) ADDON_NODE_BP=$REPO/$ADDON_NODE_BP ;; esac

# addons_stop_server PIDFILE: SIGTERM to the server it names (ours: its
# command line names $W), then wait until it is gone.
addons_stop_server() {
	local pid i
	pid=$(cat "$1" 2>/dev/null) || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$W/" || return 0
	kill -TERM "$pid"
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.01
	done
	echo "bench: redis-server $pid did not stop" >&2
	return 1
}

addons_free_port() {
	local port
	for _ in $(seq 20); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# addons_measure: runs in a subshell (its own environment and EXIT trap);
# leaves its samples in $S/addon_*.
addons_measure() {
	set -euo pipefail
	local a=$ADDON_DIR tgz sha yml name port home url pidfile i
	export XDG_STATE_HOME=$a/state XDG_CACHE_HOME=$a/xdg TMPDIR=$a/tmp
	export SLUGC_NODE_RUNTIME_DIR=$ADDON_NODE_RT
	unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
	mkdir -p "$a/tmp" "$a/cache/nodejs" "$a/unpacked"
	trap 'for f in "$ADDON_DIR"/state/slugc/apps/sessions/addons/*/redis.pid; do
		addons_stop_server "$f"; done' EXIT
	"$REPO/tests/fixtures/seed-npm-cache.sh" "$REPO/build/npm-cache" >&2
	flock -s "$REPO/build/npm-cache/.lock" \
		cp -R "$REPO/build/npm-cache/npm" "$a/cache/nodejs/npm"
	cp -R "$REPO/tests/fixtures/sessions" "$a/sessions"
	tgz=$(. "$ADDON_NODE_RT/node.env" && echo "$TARBALL_ZST")
	sha=$(. "$ADDON_NODE_RT/node.env" && echo "$SHA256_ZST")
	"$SLUGC" build -b "$ADDON_NODE_BP" --cache "$a/cache" -o "$a/sessions.tgz" \
		-e NODE_URL="file://$tgz" -e NODE_SHA256="$sha" "$a/sessions" \
		>"$W/log/addons-build.log" 2>&1 || {
		cat "$W/log/addons-build.log" >&2
		return 1
	}
	grep -q "Provisioning add-ons" "$W/log/addons-build.log"
	yml=$(echo "$a"/state/slugc/apps/sessions/addons/*/addon.yml)
	name=$(basename "$(dirname "$yml")")
	pidfile=${yml%/addon.yml}/redis.pid
	tar -xzf "$a/sessions.tgz" -C "$a/unpacked"
	home=$a/unpacked/app
	[ -f "$home/server.js" ] || home=$a/unpacked
	url=$("$SLUGC" config:get REDISTOGO_URL -a sessions)
	port=$(addons_free_port)
	for ((i = 1; i <= RUNS; i++)); do
		addons_stop_server "$pidfile"
		"$AB" answer "http://127.0.0.1:$port/" 120 -- "$SLUGC" start \
			--app sessions -p "$port" "$a/sessions.tgz" >>"$S/addon_cold.t"
		[ -f "$pidfile" ]
		"$AB" answer "http://127.0.0.1:$port/" 120 -- "$SLUGC" start \
			--app sessions -p "$port" "$a/sessions.tgz" >>"$S/addon_warm.t"
		# The URL in the environment, never on a command line.
		(cd "$home" && HOME=$home PORT=$port NODE_ENV=production \
			REDISTOGO_URL=$url PATH=$home/.heroku/node/bin:$PATH \
			"$AB" answer "http://127.0.0.1:$port/" 120 -- \
			"$home/.heroku/node/bin/node" server.js) >>"$S/addon_node.t"
	done
	"$AB" redis sessions "$name" "$FAST_RUNS" >"$S/addon_start.stats"
	"$SLUGC" addons:destroy "$name" -a sessions --confirm sessions \
		>"$W/log/addons-destroy.log" 2>&1
	[ ! -e "$pidfile" ]
}

if [ -x "$AB" ] && [ -f "$ADDON_NODE_RT/node.env" ] &&
	[ -x "$ADDON_NODE_BP/bin/compile" ] && command -v redis-server >/dev/null; then
	say "bench: add-ons (the sessions app and its redistogo add-on)..."
	(addons_measure) || { say "bench: the add-on figures failed"; exit 1; }
	read -r m lo hi < <(stats "$S/addon_cold.t")
	read -r wm wlo whi < <(stats "$S/addon_warm.t")
	read -r nm nlo nhi < <(stats "$S/addon_node.t")
	row "\`slugc start\` → first answer, sessions app, add-on cold (redis-server stopped)" \
	    "$(fmt_t "$m" "$lo" "$hi" s)" "$(fmt_t "$wm" "$wlo" "$whi" s) add-on warm" \
	    "$(ratio "$m" "$wm")" "—" "(reported)" "—"
	row "\`slugc start\` → first answer, sessions app, add-on warm (running)" \
	    "$(fmt_t "$wm" "$wlo" "$whi" s)" "$(fmt_t "$nm" "$nlo" "$nhi" s) \`node server.js\` by hand" \
	    "$(ratio "$wm" "$nm")" "—" "(reported)" "—"
	read -r am alo ahi hm hlo hhi <"$S/addon_start.stats"
	row "Add-on start-up: redis-server until an authenticated PING (addon_start)" \
	    "$(fmt_t "$am" "$alo" "$ahi" ms)" "$(fmt_t "$hm" "$hlo" "$hhi" ms) \`redis-server redis.conf\` by hand" \
	    "$(ratio "$am" "$hm")" "—" "(reported)" "—"
	note "- Add-ons: cold minus warm start (the add-on's start inside \`slugc start\`): $(awk -v a="$m" -v b="$wm" 'BEGIN { printf "%.3f s", a - b }'); warm \`slugc start\` minus \`node server.js\` by hand (unpacking the $(($(stat -c %s "$ADDON_DIR/sessions.tgz") / 1000000)) MB slug onto $FS, the add-on check, the dyno's environment and .profile.d): $(awk -v a="$wm" -v b="$nm" 'BEGIN { printf "%.3f s", a - b }'). First answer polled every 2 ms; $RUNS alternating runs each (cold, warm, by hand), $FAST_RUNS rounds of the add-on start-up (slugc polls its PING every 10 ms, the by-hand reference every 1 ms)."
else
	row "\`slugc start\` → first answer, add-on cold / warm" "pending" "—" "—" "—" "(reported)" "—"
	note "- Add-ons: need $AB (make bench), $ADDON_NODE_RT/node.env (make node-runtime), the Node.js buildpack and redis-server."
fi
