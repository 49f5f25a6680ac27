# bench/warmbuild.sh - sourced by bench/run (it uses its harness, $W, $X and
# faultd's $URL_GZ): a warm `slugc build` of hello, alternating with the
# original bash buildpack's way of deploying it (bench/bashway.sh: download
# and unpack the runtime, xbuild, `tar czf` of the whole tree).  Target
# (issue 19): <= 0.25x.  Both write their slug; slugc's build is warm: its
# cache holds the runtime and the runtime's deflate segment (one build
# before the runs puts them there), and the build directory the previous
# build left is removed while this one runs.  Where each side's time goes
# comes from their stamped logs.

# wb_phases LOG WALL: slugc build's phases in seconds, from its stamped
# log: "take detect+runtime xbuild release pack after" (after: from the
# slug's Release: line to the exit).
wb_phases() {
	awk -v wall="$2" '
	/^[0-9.]+ -----> Building / && !/ with xbuild/ && tb == "" { tb = $1; next }
	/^[0-9.]+ -----> Building .* with xbuild/ { xs = $1; next }
	xs != "" && xe == "" && /^[0-9.]+ (       Default web process|       No Procfile| !     |-----> )/ { xe = $1 }
	/^[0-9.]+ -----> Compressing/ { cs = $1 }
	/^[0-9.]+        Release: / { re = $1 }
	END {
		if (tb == "" || xs == "" || xe == "" || cs == "" || re == "") { print "nan"; exit }
		printf "%.3f %.3f %.3f %.3f %.3f %.3f\n", tb, xs - tb, xe - xs, cs - xe, re - cs, wall - re }' "$1"
}

# wb_bash_phases LOG WALL: bashway.sh's "take runtime xbuild tar".
wb_bash_phases() {
	awk -v wall="$2" '
	/^[0-9.]+ -----> Installing Mono/ { ri = $1 }
	/^[0-9.]+ -----> Building / { xs = $1 }
	/^[0-9.]+ -----> Compressing/ { cs = $1 }
	END {
		if (ri == "" || xs == "" || cs == "") { print "nan"; exit }
		printf "%.3f %.3f %.3f %.3f\n", ri, xs - ri, cs - xs, wall - cs }' "$1"
}

# wb_medians FILE: the median of each column of FILE, space-separated.
wb_medians() {
	awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i; nf = NF }
	function med(c, n,   a, i, j, t) {
		for (i = 1; i <= n; i++) a[i] = v[c, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	END { for (i = 1; i <= nf; i++) printf "%.2f%s", med(i, NR), i < nf ? " " : "\n" }' "$1"
}

if [ -x "$SLUGC" ] && [ -x "$BPDIR/bin/compile" ]; then
	say "bench: warm slugc build of hello against the bash buildpack's way..."
	WB_APP=$X/wb-app
	WB_CACHE=$W/wb-cache
	cp -a "$REPO/tests/fixtures/apps/hello" "$WB_APP"
	wb_build() { # SLUG [measure options...]: one slugc build of hello
		local slug=$1
		shift
		"$@" "$SLUGC" build -b "$BPDIR" --cache "$WB_CACHE" -e MONO_URL="$URL_GZ" \
		    -e MONO_SHA256="$SHA_GZ" -o "$slug" "$WB_APP"
	}
	# The build that warms the cache: runtime installed, its segment kept.
	wb_build "$X/wb-prime.tgz" >"$W/log/wb-prime.out" 2>&1 || {
		say "bench: slugc build of hello failed:"; cat "$W/log/wb-prime.out" >&2; exit 1; }
	# A warm pack splices the kept segment and does not write it again.
	wb_seg() { find "$WB_CACHE" -name '*.seg-*' ! -name '.*' -printf '%i %T@ %s\n' | sort; }
	wb_seg0=$(wb_seg)
	[ -n "$wb_seg0" ] || { say "bench: the build that warms the cache kept no segment"; exit 1; }
	for ((i = 1; i <= RUNS; i++)); do
		wb_build "$X/wb-slug.$i.tgz" sample wb_slugc 1 0 -l "$W/log/wb_slugc.$i" --
		wb_phases "$W/log/wb_slugc.$i" "$(tail -1 "$S/wb_slugc.t")" >>"$S/wb_slugc.ph"
		sample wb_bash 1 0 -l "$W/log/wb_bash.$i" -- "$REPO/bench/bashway.sh" \
		    "$REPO/tests/fixtures/apps/hello" "$X/wb-bash.$i" "$URL_GZ" "$X/wb-bash.$i.tgz"
		wb_bash_phases "$W/log/wb_bash.$i" "$(tail -1 "$S/wb_bash.t")" >>"$S/wb_bash.ph"
	done
	if grep -q nan "$S/wb_slugc.ph" "$S/wb_bash.ph"; then
		say "bench: a warm build's log lacks a phase:"; cat "$W/log/wb_slugc.1" >&2; exit 1
	fi
	# Warm builds of one commit-less app give one slug.
	wb_ident=$([ "$(sha256sum "$X"/wb-slug.*.tgz | cut -d' ' -f1 | sort -u | wc -l)" = 1 ] &&
	    echo yes || echo no)
	[ "$(wb_seg)" = "$wb_seg0" ] || wb_ident="$wb_ident (but the segment was written again)"
	gzip -t "$X/wb-slug.1.tgz"
	read -r m lo hi < <(stats "$S/wb_slugc.t")
	read -r rm rlo rhi < <(stats "$S/wb_bash.t")
	r=$(ratio "$m" "$rm")
	row "Warm deploy of hello: \`slugc build\` (warm cache) against the bash buildpack's way" \
	    "$(fmt_t "$m" "$lo" "$hi" s)" \
	    "$(fmt_t "$rm" "$rlo" "$rhi" s) \`bench/bashway.sh\` (\`curl \| tar xz\`, xbuild, \`tar czf\`)" \
	    "$r" "$(mib "$(maxof "$S/wb_slugc.rss")")" "≤ 0.25×, identical slugs" \
	    "$(le "$r" 0.25 && [ "$wb_ident" = yes ] && echo yes || echo "**no**")"
	read -r p1 p2 p3 p4 p5 p6 < <(wb_medians "$S/wb_slugc.ph")
	read -r q1 q2 q3 q4 < <(wb_medians "$S/wb_bash.ph")
	note "- Warm deploy: CPU slugc build $(cpu wb_slugc), bash way $(cpu wb_bash); slug $(stat -c %s "$X/wb-slug.1.tgz") bytes (bash way $(stat -c %s "$X/wb-bash.1.tgz")), all $RUNS warm slugs identical, the runtime's kept segment ($(echo "$wb_seg0" | cut -d' ' -f3 | head -1) bytes) spliced, never written again: $wb_ident. Where the time goes (medians, s): slugc build: start and taking the app $p1, detect and placing the cached runtime $p2, xbuild $p3, release and process types $p4, packing (segment spliced) $p5, from the slug written to the exit $p6; bash way: taking the app $q1, \`curl | tar xz\` of the runtime $q2, xbuild $q3, \`tar czf\` $q4."
else
	row "Warm deploy of hello: \`slugc build\` against the bash buildpack's way" "pending" \
	    "—" "—" "—" "≤ 0.25×" "—"
	note "- Warm deploy: $SLUGC or $BPDIR/bin/compile is missing."
fi
