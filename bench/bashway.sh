#!/usr/bin/env bash
# bench/bashway.sh APP WORK URL SLUG - a deploy of a Mono app the way the
# original bash buildpack did it under herokuish, for `make bench` to time
# against a warm `slugc build` (issue 19).  Nothing is kept between deploys,
# so every deploy does the same steps:
#
#  1. the app copied into a fresh build directory (herokuish's /tmp/build);
#  2. the runtime downloaded and unpacked into vendor/mono
#     (`curl -s URL | tar xz`);
#  3. .profile.d/mono.sh written, then xbuild (Release) on the app's first
#     .sln with the runtime first on PATH and LD_LIBRARY_PATH, its output
#     indented;
#  4. `tar czf` of the whole build directory into SLUG.
#
# WORK must not exist or be empty; it gets the build directory and a HOME.
# Each step prints a "----->" line first (the bench stamps them to tell
# where the time goes).  Exits non-zero when a step fails.
set -eo pipefail
[ $# -eq 4 ] || { echo "usage: bashway.sh APP WORK URL SLUG" >&2; exit 2; }
app=$1 work=$2 url=$3 slug=$4
build=$work/build
mkdir -p "$build" "$work/home"

echo "-----> Taking the app"
cp -a "$app/." "$build/"

echo "-----> Installing Mono"
mkdir -p "$build/vendor/mono"
curl -sf "$url" | tar xz -C "$build/vendor/mono"
mkdir -p "$build/.profile.d"
cat >"$build/.profile.d/mono.sh" <<'EOF'
export PATH="$HOME/vendor/mono/bin:$PATH"
export LD_LIBRARY_PATH="$HOME/vendor/mono/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
EOF

set -- "$build"/*.sln
sln=./${1##*/}
echo "-----> Building $sln with xbuild (Release)"
(
	cd "$build"
	export HOME=$work/home
	export PATH=$build/vendor/mono/bin:$PATH
	export LD_LIBRARY_PATH=$build/vendor/mono/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	xbuild /p:Configuration=Release "$sln" 2>&1 | sed -u 's/^/       /'
)

echo "-----> Compressing..."
tar czf "$slug" -C "$build" .
echo "-----> Done"
