#!/usr/bin/env bash
# Apps of every .NET Framework profile, and of the original buildpack, on the
# default runtime (make runtime): the net40 (VS2010, x86, a DLL from lib/),
# net451, net472 and monobuild fixtures built and booted with `slugc smoke`
# against the runtime served from 127.0.0.1 by faultd; the runtime's hard
# links; a runtime that lacks a profile stopping compile before xbuild with
# one line; SOLUTION naming a project file.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/servers/servers.sh"
buildpack_copy || exit 1

. "$SLUGC_RUNTIME_DIR/mono.env" || exit 1
RT_GZ=$(basename "$TARBALL_GZ")
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
CACHE=$TEST_TMP/cache

# smoke FIXTURE BODY [SLUGC-OPTIONS...]: a copy of the fixture, built with
# the served runtime and booted, must answer BODY; its log in smoke.FIXTURE.
smoke() {
	local app=$1 body=$2
	shift 2
	rm -rf "$TEST_TMP/$app" &&
	cp -R "$APPS/$app" "$TEST_TMP/$app" &&
	"$SLUGC" smoke --cache "$CACHE" -e MONO_URL="$FAULTD_URL/$RT_GZ" \
		-e MONO_SHA256="$SHA256_GZ" --expect-body "$body" "$@" \
		"$TEST_TMP/$app" >"smoke.$app" 2>&1 || { cat "smoke.$app"; return 1; }
	cat "smoke.$app" &&
	test_grep "^-----> Smoke test passed: GET / -> 200 " "smoke.$app"
}

# new_app FIXTURE: a copy in a fresh BUILD_DIR ($B) with a fresh ENV_DIR
# ($ENVD) pointing at RUNTIME (a URL; default: the served .tar.gz) whose
# sha256 is SHA (default: $SHA256_GZ), for running compile directly.
new_app() {
	B=$(mktemp -d "$TEST_TMP/build.XXXXXX") &&
	cp -a "$APPS/$1/." "$B/" &&
	ENVD=$(mktemp -d "$TEST_TMP/env.XXXXXX") &&
	printf '%s' "${2:-$FAULTD_URL/$RT_GZ}" >"$ENVD/MONO_URL" &&
	printf '%s' "${3:-$SHA256_GZ}" >"$ENVD/MONO_SHA256"
}

test_expect_success 'setup: the runtime server' '
	faultd_start "$SLUGC_RUNTIME_DIR"
'

test_expect_success 'the runtime: reference assemblies of every profile' '
	tar tzvf "$TARBALL_GZ" >list &&
	for p in 2.0 3.5 4.0 4.5 4.5.1 4.5.2 4.6 4.6.1 4.6.2 4.7 4.7.1 4.7.2 4.8; do
		test_grep "^d.* lib/mono/$p-api/\$" list &&
		test_grep " lib/mono/$p-api/[^ /]*\.dll" list || return 1
	done &&
	test_grep " lib/mono/4.0-api/mscorlib.dll\$" list
'

test_expect_success 'the runtime: identical files stored once, as hard links' '
	test "$(wc -l <list)" -eq "$ENTRIES" &&
	test "$(grep -c "^h" list)" -eq "$HARDLINKS" &&
	test "$HARDLINKS" -gt 1000 &&
	test_grep "^h.* lib/mono/4.5.1-api/System.Xml.dll link to lib/mono/" list &&
	test "$((RAW_BYTES + LINKED_BYTES))" -gt "$TAR_BYTES"
'

test_expect_success 'net40: lib/Greeting.dll is what mcs -deterministic makes of Greeting.cs' '
	mkdir greeting && cp "$APPS/net40/lib/Greeting.cs" greeting/ &&
	(cd greeting && mcs -sdk:4 -target:library -deterministic \
		-out:Greeting.dll Greeting.cs) &&
	cmp greeting/Greeting.dll "$APPS/net40/lib/Greeting.dll"
'

test_expect_success 'net40 (VS2010, v4.0 Client, x86, OutputPath bin\, a DLL from lib/): smoke passes' '
	smoke net40 "net40: Greetings, v4.0, from lib/Greeting.dll" &&
	test_grep "^-----> Building Net40.sln with xbuild (Release)\$" smoke.net40 &&
	test_grep "Default web process: mono Net40/bin/Net40.exe\$" smoke.net40 &&
	test_no_grep "CS0518\|warning" smoke.net40
'

test_expect_success 'net451 (a v4.5.1 API): smoke passes' '
	smoke net451 "net451: GCLargeObjectHeapCompactionMode" &&
	test_no_grep "CS0518" smoke.net451
'

test_expect_success 'net472 (ValueTuple from v4.7.2 mscorlib): smoke passes' '
	smoke net472 "net472: ValueTuple from mscorlib" &&
	test_no_grep "CS0518" smoke.net472
'

test_expect_success 'monobuild: the Procfile runs ./mono-build/bin/mono unchanged, from the slug' '
	smoke monobuild "monobuild: Hello from ./mono-build/bin/mono" --slug &&
	test "$(grep -c "linked mono-build -> vendor/mono" smoke.monobuild)" -eq 1 &&
	test_grep "^       The Procfile runs mono-build/ (the original buildpack.s layout): linked mono-build -> vendor/mono\$" smoke.monobuild
'

test_expect_success 'monobuild: the slug holds mono-build as a relative link' '
	"$SLUGC" build --cache "$CACHE" -e MONO_URL="$FAULTD_URL/$RT_GZ" \
		-e MONO_SHA256="$SHA256_GZ" -o slug.tgz "$TEST_TMP/monobuild" >log 2>&1 &&
	tar tzvf slug.tgz >slist &&
	test_grep "^l.* ./app/mono-build -> vendor/mono\$" slist
'

test_expect_success 'compile: an app with its own mono-build keeps it, unlinked, unsaid' '
	new_app monobuild &&
	mkdir -p "$B/mono-build/bin" && echo mine >"$B/mono-build/bin/mono" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test -d "$B/mono-build" && test ! -h "$B/mono-build" &&
	echo mine >expect && test_cmp expect "$B/mono-build/bin/mono" &&
	test_no_grep "mono-build" log
'

test_expect_success 'compile: no mono-build link when the Procfile does not name it' '
	new_app hello-procfile &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test ! -e "$B/mono-build" && test ! -h "$B/mono-build" &&
	test_no_grep "mono-build" log
'

test_expect_success 'a project the solution does not build in Release is named' '
	new_app hello && mkdir "$B/Extra" &&
	cp "$B/Hello/Hello.csproj" "$B/Extra/Extra.csproj" &&
	guid={6F4D2C3A-1B8E-4C5D-9A7F-2E3B4C5D6E02} &&
	sed -i "s|^Global\r*\$|Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Extra\", \"Extra\\\\Extra.csproj\", \"$guid\"\nEndProject\n&|" "$B"/*.sln &&
	sed -i "s|^\(\tGlobalSection(ProjectConfigurationPlatforms) = postSolution\)\r*\$|&\n\t\t$guid.Release\|Any CPU.ActiveCfg = Release\|Any CPU|" "$B"/*.sln &&
	grep -c Extra "$B"/*.sln &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     Hello.sln maps Extra/Extra.csproj to no Release build (no Build.0 line): xbuild will not build it\$" log &&
	test_no_grep "maps Hello/Hello.csproj" log &&
	test ! -e "$B/Extra/bin/Release"
'

test_expect_success 'SOLUTION naming a .csproj builds that project' '
	new_app net451 && printf Net451/Net451.csproj >"$ENVD/SOLUTION" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^-----> Building Net451/Net451.csproj with xbuild (Release)\$" log &&
	test -f "$B/Net451/bin/Release/Net451.exe"
'

test_expect_success 'SOLUTION naming another kind of file: one line, exit 2' '
	new_app net451 && printf Net451/Program.cs >"$ENVD/SOLUTION" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test_grep "^ !     SOLUTION .Net451/Program.cs. is not a .sln, .csproj, .fsproj or .vbproj file\$" log
'

# A runtime like an older or custom one: the default minus lib/mono/4.0-api,
# repacked here (GNU tar keeps the hard links) and given as a file:// URL.
test_expect_success 'setup: a runtime without the v4.0 profile' '
	mkdir no40 &&
	tar -xzf "$TARBALL_GZ" -C no40 &&
	rm -rf no40/lib/mono/4.0-api &&
	test ! -e no40/lib/mono/4.0-api &&
	tar -C no40 -I "gzip -1" -cf no40.tar.gz . &&
	NO40_URL=file://$TEST_TMP/no40.tar.gz &&
	NO40_SHA=$(sha256sum <no40.tar.gz | cut -d" " -f1) &&
	NO40_HAS=$(ls no40/lib/mono | sed -n "s/-api\$//p" | sort -V |
		sed "s/^/v/" | paste -sd, | sed "s/,/, /g") &&
	rm -rf no40 &&
	echo "$NO40_HAS" | grep "^v2.0, v3.5, v4.5, .*, v4.8\$"
'

test_expect_success 'missing profile: v4.0 app: one line naming project, version and profiles; exit 2; no xbuild' '
	new_app net40 "$NO40_URL" "$NO40_SHA" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	cat log &&
	test "$(grep -c "^ !     " log)" -eq 1 &&
	echo " !     Net40/Net40.csproj targets TargetFrameworkVersion v4.0, but this Mono runtime has the reference assemblies of $NO40_HAS only: retarget the project, or use a runtime with lib/mono/4.0-api (MONO_URL)" >expect &&
	grep "^ !     " log >actual && test_cmp expect actual &&
	test_no_grep "Building\|xbuild\|CS0518" log &&
	test ! -e "$B/Net40/obj" && test ! -e "$B/Net40/bin"
'

test_expect_success 'missing profile: a project with no TargetFrameworkVersion (xbuild takes v4.0)' '
	new_app monobuild "$NO40_URL" "$NO40_SHA" &&
	test_expect_code 2 "$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test "$(grep -c "^ !     " log)" -eq 1 &&
	test_grep "^ !     src/App.csproj sets no TargetFrameworkVersion, so xbuild targets v4.0, but this Mono runtime has the reference assemblies of $NO40_HAS only: " log &&
	test ! -e "$B/src/obj"
'

test_expect_success 'missing profile: apps of the profiles it has still build' '
	new_app net472 "$NO40_URL" "$NO40_SHA" &&
	"$COMPILE" "$B" "$CACHE" "$ENVD" >log 2>&1 &&
	test -f "$B/Net472/bin/Release/Net472.exe"
'

test_done
