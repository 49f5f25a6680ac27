#!/usr/bin/env bash
# bench/push.sh - `git push` deploys (issue 18): sourced by bench/run, whose
# harness (W, S, B, REPO, SLUGC, RUNS, RT, say, sample, stats, fmt_t, row,
# note, yesno, le) it uses; or run alone (`bench/push.sh`, after make all
# tests runtime and make build/bench/measure), with a small harness of its
# own and its table on stdout.
#
# The hello app gets a remote (apps:create) and runs under the supervisor
# (ps:start) on its first push; the Mono buildpack finds this machine's
# runtime by file:// (local-runtime.sh), so nothing waits on a network.
# Then, alternating, BENCH_RUNS times each, all warm:
#  - push: a new commit (one file changed), `git push slugc main` and a GET
#    of web: the hook builds, releases, and the supervisor restarts web on
#    the new release, answering the push once web is bound, so the GET
#    after it is answered by the new release;
#  - build: `slugc build --app APP -o SLUG` of the same work tree: what the
#    hook's build does;
#  - boot: `slugc ps:restart` of the current release: the old web stopped,
#    the slug unpacked, web booted until bound, as after a push.
# slugc's overhead is push - build - boot: the transfer, the hook, the
# repository the build takes the commit from, the release (the slug's
# sha256, its hard link, fsync, rename) and telling the supervisor.
# Target: <= 0.3 s.
# Everything lives under $W/push (the app's state too: XDG_STATE_HOME).

set -uo pipefail
PUSH_ALONE=0
if ! declare -F sample >/dev/null; then
	# Alone: the bits of bench/run's harness this file uses.
	set -e
	PUSH_ALONE=1
	REPO=$(cd "$(dirname "$0")/.." && pwd)
	O=${SLUGC_O:-$REPO/build}
	case $O in /*) ;; *) O=$REPO/$O ;; esac
	B=$O/bench
	RT=${SLUGC_RUNTIME_DIR:-$O/runtime}
	SLUGC=${SLUGC_BINDIR:-$REPO/bin}/slugc
	RUNS=${BENCH_RUNS:-5}
	export LC_ALL=C STACK=${STACK:-heroku-22}
	[ -x "$B/measure" ] || { echo "bench: $B/measure is missing (make $B/measure)" >&2; exit 2; }
	W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/slugc-bench-push.XXXXXX")
	S=$W/samples
	mkdir -p "$S" "$W/log"
	trap '"$SLUGC" ps:stop -a bench-hello >/dev/null 2>&1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"' EXIT
	say() { printf '%s\n' "$*" >&2; }
	sample() {
		local key=$1 expect=$3 out
		shift 3
		out=$("$B/measure" "$@" 2>"$W/log/$key.err") || return 1
		set -- $out
		[ "$3" = "$expect" ] || { say "bench: $key: exit status $3"; cat "$W/log/$key.err" >&2; return 1; }
		echo "$1" >>"$S/$key.t"
		echo "$4" >>"$S/$key.cpu"
	}
	stats() {
		sort -g "$1" | awk '{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }'
	}
	fmt_t() { awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN { printf "%.3f s (%.3f–%.3f)\n", m, lo, hi }'; }
	le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
	yesno() { if "$@"; then echo yes; else echo "**no**"; fi; }
	ROWS=() NOTES=()
	row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }
	note() { NOTES+=("$*"); }
fi

PW=$W/push
PAPP=bench-hello
PSRC=$PW/src/$PAPP
# Each variable for the commands here only, so that bench/run's own
# state and cache stay as they were.
PENV=(env XDG_STATE_HOME="$PW/state" XDG_CACHE_HOME="$PW/cache"
    SLUGC_BUILDPACKS="$PW/bps" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com)
pslugc() { "${PENV[@]}" "$SLUGC" "$@"; }
pgit() { "${PENV[@]}" git -C "$PSRC" "$@"; }

push_setup() {
	mkdir -p "$PW/bps/mono" "$PW/src" &&
	cp -a "${SLUGC_BPDIR:-$REPO/buildpacks/mono}/bin" \
	    "$REPO/buildpacks/mono/buildpack.yml" "$PW/bps/mono/" &&
	"$REPO/tests/fixtures/local-runtime.sh" "$RT/mono.env" "$PW/bps/mono" >/dev/null &&
	pslugc apps:create $PAPP >"$PW/remote" 2>/dev/null &&
	cp -a "$REPO/tests/fixtures/apps/hello" "$PSRC" &&
	pgit init -q -b main && pgit add -A && pgit commit -q -m v1 &&
	(cd "$PSRC" && eval "$(cat "$PW/remote")") &&
	pgit push -q slugc main >"$PW/first.log" 2>&1 &&
	git init -q --bare "$PW/plain.git" &&
	pgit push -q "$PW/plain.git" main >>"$PW/first.log" 2>&1 &&
	PPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') &&
	pslugc ps:start -p "$PPORT" -a $PAPP >"$PW/start.log" 2>&1 &&
	curl -fsS -o /dev/null "http://127.0.0.1:$PPORT/"
}

# push_phases LOG WALL: "OVERHEAD BUILD RESTART" (s) of one push from its
# log, each line stamped with the seconds since the start (measure -l):
# the build runs from its first line ("Building commit") to its last
# ("Compiled slug size"), the restart from "Launching... done" to the
# supervisor's "Restarted on"; the rest of WALL is slugc's (and git's).
push_phases() {
	awk -v wall="$2" '
	/-----> Building commit/ && !b0 { b0 = $1 }
	/-----> Compiled slug size/ { b1 = $1 }
	/-----> Launching\.\.\. done/ { l = $1 }
	/Restarted on v/ { r = $1 }
	END {
		if (!b0 || !b1 || !l || !r) { print "nan nan nan"; exit }
		printf "%.6f %.6f %.6f\n", wall - (b1 - b0) - (r - l), b1 - b0, r - l
	}' "$1"
}

say "bench: git push deploys (hello, warm)..."
if ! push_setup; then
	say "bench: push: setup failed:"
	cat "$PW/first.log" "$PW/start.log" >&2 2>/dev/null
	row "\`git push\` to release answering, hello, warm" "failed" "—" "—" "—" "(reported)" "—"
else
	for ((i = 1; i <= RUNS; i++)); do
		echo "$i" >"$PSRC/bench.txt" && pgit add -A && pgit commit -q -m "v$i"
		sample push_deploy 0 0 -l "$W/log/push.$i" -- "${PENV[@]}" sh -c \
		    'git -C "$1" push slugc main && curl -fsS -o /dev/null "http://127.0.0.1:$2/"' \
		    sh "$PSRC" "$PPORT"
		push_phases "$W/log/push.$i" "$(tail -1 "$S/push_deploy.t")" >>"$S/push_phase.t"
		# git's own share: the same commit to a bare repository with
		# no hook (objects sent, refs updated, nothing built).
		sample push_git 0 0 -- "${PENV[@]}" git -C "$PSRC" push -q \
		    "$PW/plain.git" main
		sample push_build 0 0 -- "${PENV[@]}" "$SLUGC" build --app $PAPP \
		    -o "$PW/slug.$i.tgz" "$PSRC"
		sample push_boot 0 0 -- "${PENV[@]}" "$SLUGC" ps:restart -a $PAPP
		rm -f "$PW/slug.$i.tgz" "$PW/slug.$i.release.yml"
	done
	paste "$S/push_deploy.t" "$S/push_build.t" "$S/push_boot.t" |
	    awk '{ print $1 - $2 - $3 }' >"$S/push_over.t"
	paste "$S/push_deploy.cpu" "$S/push_build.cpu" |
	    awk '{ print $1 - $2 }' >"$S/push_overcpu.t"
	cut -d' ' -f1 "$S/push_phase.t" >"$S/push_ph_over.t"
	paste -d' ' "$S/push_ph_over.t" "$S/push_git.t" |
	    awk '{ print $1 - $2 }' >"$S/push_slugc_over.t"
	read -r m lo hi < <(stats "$S/push_deploy.t")
	read -r om olo ohi < <(stats "$S/push_ph_over.t")
	read -r gm glo ghi < <(stats "$S/push_git.t")
	read -r sm slo shi < <(stats "$S/push_slugc_over.t")
	row "\`git push\` to release answering HTTP, hello, warm" "$(fmt_t "$m" "$lo" "$hi" s)" \
	    "—" "—" "—" "(reported)" "—"
	row "\`git push\`: slugc's overhead beyond build + boot (and git's own push)" \
	    "$(fmt_t "$sm" "$slo" "$shi" s)" \
	    "$(fmt_t "$gm" "$glo" "$ghi" s) \`git push\` to a bare repository, no hook" \
	    "—" "—" "≤ 0.3 s" "$(yesno le "$sm" 0.3)"
	note "- git push (hello, warm): $(fmt_t $(stats "$S/push_deploy.t") s) from \`git push\` to the new release answering.  slugc's overhead, from each push's timestamped log: before the build's first line (transfer, hook, lock, build start-up, export of the commit), from the build's last line to the release (release_create: sha256, link, fsync) and after the supervisor's answer (git's end, the GET): $(fmt_t "$om" "$olo" "$ohi" s); the build within the push $(fmt_t $(stats <(cut -d' ' -f2 "$S/push_phase.t")) s), the restart within it $(fmt_t $(stats <(cut -d' ' -f3 "$S/push_phase.t")) s)."
	note "- git push: git's own push of the same commit to a bare repository without a hook takes $(fmt_t "$gm" "$glo" "$ghi" s); the overhead less that, pair by pair, is slugc's: the hook's start, the push lock, the export of the commit, the release and telling the supervisor: $(fmt_t "$sm" "$slo" "$shi" s)."
	note "- git push, the same by separate runs: \`slugc build\` of the same tree $(fmt_t $(stats "$S/push_build.t") s), \`slugc ps:restart\` $(fmt_t $(stats "$S/push_boot.t") s), push − build − restart $(fmt_t $(stats "$S/push_over.t") s) (noisy: three runs' variances add up); CPU time of push minus build (git, the hook, export, release; the supervisor's restart is not in either) $(fmt_t $(stats "$S/push_overcpu.t") s)."
	grep -q "Launching... done, v$((RUNS + 1))" "$W/log/push.$RUNS" 2>/dev/null ||
	    note "- git push: the last push's log did not show the expected release (see $W/log/push.$RUNS)."
fi
pslugc ps:stop -a $PAPP >/dev/null 2>&1 || :

if [ "$PUSH_ALONE" = 1 ]; then
	echo "| Case | slugc | Reference | slugc/ref | slugc peak RSS | Target | Met |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	printf '%s\n' "${NOTES[@]}"
fi
