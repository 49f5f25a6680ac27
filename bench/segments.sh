# bench/segments.sh - sourced by bench/run after the slug packing case (it
# uses its harness and $APP, hello compiled with $WARM_CACHE as CACHE_DIR):
# a warm slug pack, the runtime's kept deflate segment spliced in (pack.h,
# packlayer.h), against `tar czf` of the same tree, alternating; every
# warm slug must be byte-identical to a cold pack (PACK_SEGMENTS=cold).
# Where the warm pack's time goes comes from pack_slug's stderr.

if [ -x "$B/pack_slug" ] && [ -d "${APP:-}/vendor/mono" ]; then
	say "bench: warm slug packing (runtime segment spliced)..."
	PACK_SEGMENTS=cold "$B/pack_slug" "$APP" "$X/seg-cold.tgz" "$WARM_CACHE" \
	    >"$W/log/seg-cold.out" 2>&1
	# The first pack with the cache keeps the segment.
	"$B/pack_slug" "$APP" "$X/seg-prime.tgz" "$WARM_CACHE" >"$W/log/seg-prime.out" 2>&1
	for ((i = 1; i <= RUNS; i++)); do
		sample seg_warm 1 0 -o "$W/log/seg_warm.out" -- "$B/pack_slug" \
		    "$APP" "$X/seg-warm.$i.tgz" "$WARM_CACHE"
		# "COMPRESSED RAW ENTRIES LAYERS REUSED STORED DAMAGED"
		awk '{ print $5 }' "$W/log/seg_warm.out" >>"$S/seg_warm.reused"
		sed -n 's/^walk \([0-9.]*\) layers \([0-9.]*\) splice \([0-9.]*\) rest \([0-9.]*\) ms$/\1 \2 \3 \4/p' \
		    "$W/log/seg_warm.err" >>"$S/seg_warm.phases"
		sample seg_ref 1 0 -- tar czf "$X/seg-ref.$i.tgz" -C "$APP" .
	done
	read -r m lo hi < <(stats "$S/seg_warm.t")
	read -r rm rlo rhi < <(stats "$S/seg_ref.t")
	r=$(ratio "$m" "$rm")
	ssize=$(stat -c %s "$X/seg-warm.1.tgz")
	rsize=$(stat -c %s "$X/seg-ref.1.tgz")
	sr=$(awk -v a="$ssize" -v b="$rsize" 'BEGIN { printf "%.3f\n", a / b }')
	ident=yes
	for f in "$X"/seg-warm.*.tgz "$X/seg-prime.tgz"; do
		cmp -s "$X/seg-cold.tgz" "$f" || ident=no
	done
	gzip -t "$X/seg-warm.1.tgz"
	# Every warm run must have spliced the runtime's segment.
	[ "$(sort -u "$S/seg_warm.reused")" = 1 ] || ident="no (not spliced)"
	row "Warm slug packing of built hello (runtime segment spliced)" \
	    "$(fmt_t "$m" "$lo" "$hi" s)" "$(fmt_t "$rm" "$rlo" "$rhi" s) \`tar czf\`" \
	    "$r" "$(mib "$(maxof "$S/seg_warm.rss")")" \
	    "≤ 0.10×, size ≤ 1.02×, identical to cold" \
	    "$(le "$r" 0.10 && le "$sr" 1.02 && [ "$ident" = yes ] && echo yes || echo "**no**")"
	ph=$(awk '{ w[NR] = $1; l[NR] = $2; s[NR] = $3; r[NR] = $4 }
	    function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	    END { printf "walk %.0f ms, layer check %.0f ms, splice %.0f ms, the rest %.0f ms",
		med(w, NR), med(l, NR), med(s, NR), med(r, NR) }' "$S/seg_warm.phases")
	note "- Warm slug pack: $ssize bytes against \`tar czf\`'s $rsize (size ratio $sr); all $RUNS warm slugs byte-identical to a cold pack (PACK_SEGMENTS=cold): $ident; CPU warm $(cpu seg_warm), \`tar czf\` $(cpu seg_ref). Where the warm pack's time goes (median): $ph; the kept segment is $(find "$WARM_CACHE" -name '*.seg-*' ! -name '.*' -printf '%s\n' | head -1) bytes."
else
	row "Warm slug packing of built hello (runtime segment spliced)" "pending" \
	    "—" "—" "—" "≤ 0.10×, size ≤ 1.02×, identical to cold" "—"
	note "- Warm slug packing: $B/pack_slug or the built hello is missing."
fi
