#!/usr/bin/env bash
# make demo: a real local deploy of the hello example.  The relocatable Mono
# runtime tarball (make runtime) is served over HTTP from 127.0.0.1, slugc
# builds hello with the Mono buildpack (the runtime downloaded, verified and
# cached; real xbuild), packs the slug, boots web from the unpacked slug with
# $PORT set and asks it over HTTP.  Then it deploys again to show the warm,
# cached build.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/servers/servers.sh
. build/runtime/mono.env

work=$(mktemp -d "${TMPDIR:-/tmp}/slugc-demo.XXXXXX")
trap 'faultd_stop >/dev/null 2>&1 || :; rm -rf "$work"' EXIT

faultd_start build/runtime
url=$FAULTD_URL/$(basename "$TARBALL_GZ")
echo "Serving the Mono runtime at $url"

deploy() {
	bin/slugc smoke --slug --cache "$work/cache" \
	    -e MONO_URL="$url" -e MONO_SHA256="$SHA256_GZ" \
	    --expect-body "Hello from Mono on slugc" tests/fixtures/apps/hello
}

echo "== Cold deploy (empty cache)"
deploy
echo "== Warm deploy (cached runtime)"
deploy
echo "Both deploys answered over HTTP."
