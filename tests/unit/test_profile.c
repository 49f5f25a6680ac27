/* Unit tests for profile: the TargetFrameworkVersion of project files, the
 * profiles a runtime tree has, the projects of a solution, and the check
 * compile runs before xbuild. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile.h"
#include "testhelp.h"
#include "testtmp.h"

static struct errbuf e;

#define tpath_static(rel) at(tmpdir, rel)

#define MSB "xmlns=\"http://schemas.microsoft.com/developer/msbuild/2003\""

/* A project file whose PropertyGroup holds props, with extra after it. */
static void
project(const char *rel, const char *props, const char *extra)
{
	char *text;

	if (asprintf(&text,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<Project ToolsVersion=\"4.0\" DefaultTargets=\"Build\" " MSB
		">\n"
		"  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n%s"
		"  </PropertyGroup>\n%s"
		"  <Import "
		"Project=\"$(MSBuildToolsPath)\\Microsoft.CSharp.targets\" />\n"
		"</Project>\n",
		props, extra) < 0)
		abort();
	put(rel, text, 0644);
	free(text);
}

/* profile_required on rel: the version it found ("-" for none, "ERR" when
 * it failed), with "*" appended when implicit. */
static const char *
required(const char *rel)
{
	static char out[64];
	char *v = NULL;
	bool implicit = true;

	e.msg[0] = '\0';
	if (profile_required(tpath_static(rel), &v, &implicit, &e) == -1) {
		TEST("a failure leaves no version", v == NULL && !implicit);
		return "ERR";
	}
	snprintf(out, sizeof out, "%s%s", v != NULL ? v : "-",
	    implicit ? "*" : "");
	free(v);
	return out;
}

static void
test_required(void)
{
	project("p/explicit.csproj",
	    "    <TargetFrameworkVersion>v4.5.1</TargetFrameworkVersion>\n",
	    "");
	TEST("required: explicit v4.5.1",
	    strcmp(required("p/explicit.csproj"), "v4.5.1") == 0);

	project("p/none.csproj", "", "");
	TEST("required: none set: xbuild's default v4.0, implicit",
	    strcmp(required("p/none.csproj"), "v4.0*") == 0);

	project("p/empty.csproj",
	    "    <TargetFrameworkVersion></TargetFrameworkVersion>\n", "");
	TEST("required: an empty one is none",
	    strcmp(required("p/empty.csproj"), "v4.0*") == 0);

	project("p/ws.csproj",
	    "    <TargetFrameworkVersion>\n\t v4.7.2 "
	    "\r\n</TargetFrameworkVersion>\n",
	    "");
	TEST("required: blanks around it are trimmed",
	    strcmp(required("p/ws.csproj"), "v4.7.2") == 0);

	project("p/cdata.csproj",
	    "    "
	    "<TargetFrameworkVersion><![CDATA[v4.6]]></"
	    "TargetFrameworkVersion>\n",
	    "");
	TEST("required: CDATA is text",
	    strcmp(required("p/cdata.csproj"), "v4.6") == 0);

	project("p/prop.csproj",
	    "    <TargetFrameworkVersion>$(Fx)</TargetFrameworkVersion>\n", "");
	TEST("required: a property reference cannot be told",
	    strcmp(required("p/prop.csproj"), "-") == 0);

	project("p/nov.csproj",
	    "    <TargetFrameworkVersion>4.5</TargetFrameworkVersion>\n", "");
	TEST("required: no leading v: xbuild's to judge",
	    strcmp(required("p/nov.csproj"), "-") == 0);

	project("p/junk.csproj",
	    "    <TargetFrameworkVersion>v4.x</TargetFrameworkVersion>\n", "");
	TEST("required: not a version",
	    strcmp(required("p/junk.csproj"), "-") == 0);

	project("p/twice.csproj",
	    "    <TargetFrameworkVersion>v4.6</TargetFrameworkVersion>\n",
	    "  <PropertyGroup Condition=\" '$(X)' == '' \">\n"
	    "    <TargetFrameworkVersion>v4.6</TargetFrameworkVersion>\n"
	    "  </PropertyGroup>\n");
	TEST("required: the same value twice",
	    strcmp(required("p/twice.csproj"), "v4.6") == 0);

	project("p/differ.csproj",
	    "    <TargetFrameworkVersion>v4.6</TargetFrameworkVersion>\n",
	    "  <PropertyGroup Condition=\" '$(X)' == 'old' \">\n"
	    "    <TargetFrameworkVersion>v4.0</TargetFrameworkVersion>\n"
	    "  </PropertyGroup>\n");
	TEST("required: two values under conditions cannot be told",
	    strcmp(required("p/differ.csproj"), "-") == 0);

	project("p/portable.csproj",
	    "    "
	    "<TargetFrameworkIdentifier>.NETPortable</"
	    "TargetFrameworkIdentifier>\n"
	    "    <TargetFrameworkVersion>v4.5</TargetFrameworkVersion>\n",
	    "");
	TEST("required: another framework than .NETFramework",
	    strcmp(required("p/portable.csproj"), "-") == 0);

	project("p/netfx.csproj",
	    "    "
	    "<TargetFrameworkIdentifier>.NETFramework</"
	    "TargetFrameworkIdentifier>\n"
	    "    <TargetFrameworkVersion>v3.5</TargetFrameworkVersion>\n",
	    "");
	TEST("required: .NETFramework named",
	    strcmp(required("p/netfx.csproj"), "v3.5") == 0);

	project("p/ownimport.csproj", "",
	    "  <Import Project=\"..\\Common.props\" />\n");
	TEST("required: none set but an import of the app's may set it",
	    strcmp(required("p/ownimport.csproj"), "-") == 0);

	project("p/groupimport.csproj", "",
	    "  <ImportGroup Label=\"x\">\n"
	    "    <Import Project=\"$(SolutionDir)\\Fx.props\" />\n"
	    "  </ImportGroup>\n");
	TEST("required: the same in an ImportGroup",
	    strcmp(required("p/groupimport.csproj"), "-") == 0);

	project("p/toolset.csproj", "",
	    "  <Import "
	    "Project=\"$(MSBuildExtensionsPath)\\$(MSBuildToolsVersion)"
	    "\\Microsoft.Common.props\" />\n");
	TEST("required: MSBuild's own imports do not count",
	    strcmp(required("p/toolset.csproj"), "v4.0*") == 0);

	put("p/sdk.csproj",
	    "<Project Sdk=\"Microsoft.NET.Sdk\">\n"
	    "  <PropertyGroup><TargetFramework>net472</TargetFramework>"
	    "</PropertyGroup>\n</Project>\n",
	    0644);
	TEST("required: an SDK-style project cannot be told",
	    strcmp(required("p/sdk.csproj"), "-") == 0);

	put("p/other.xml",
	    "<Root><PropertyGroup><TargetFrameworkVersion>"
	    "v4.0</TargetFrameworkVersion></PropertyGroup></Root>\n",
	    0644);
	TEST("required: another root element cannot be told",
	    strcmp(required("p/other.xml"), "-") == 0);

	/* VS2010 writes a BOM and CRLF line ends. */
	put("p/vs2010.csproj",
	    "\xef\xbb\xbf<?xml version=\"1.0\" "
	    "encoding=\"utf-8\"?>\r\n<Project ToolsVersion=\"4.0\" " MSB ">\r\n"
	    "  <PropertyGroup>\r\n    <TargetFrameworkVersion>v4.0"
	    "</TargetFrameworkVersion>\r\n  </PropertyGroup>\r\n</Project>\r\n",
	    0644);
	TEST("required: a BOM and CRLF",
	    strcmp(required("p/vs2010.csproj"), "v4.0") == 0);

	put("p/broken.csproj",
	    "<Project " MSB ">\n  <PropertyGroup>\n"
	    "</Project>\n",
	    0644);
	TEST("required: not well-formed: an error naming the file and line",
	    strcmp(required("p/broken.csproj"), "ERR") == 0 &&
		strstr(e.msg,
		    "p/broken.csproj:4: Premature end of data in tag "
		    "Project line 1") != NULL &&
		strchr(e.msg, '\\') == NULL);

	TEST("required: a missing file",
	    strcmp(required("p/missing.csproj"), "ERR") == 0 &&
		strstr(e.msg, "p/missing.csproj") != NULL &&
		strstr(e.msg, "No such file") != NULL);
}

/* Entities are never substituted nor loaded: a value made of one cannot be
 * told, a file named by one is not read, and nesting does not blow up. */
static void
test_entities(void)
{
	struct timespec t0, t1;
	const char *r;

	put("p/secret", "v4.8", 0644);
	put("p/internal.csproj",
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE Project [ <!ENTITY fx \"v4.8\"> ]>\n"
	    "<Project " MSB "><PropertyGroup><TargetFrameworkVersion>&fx;"
	    "</TargetFrameworkVersion></PropertyGroup></Project>\n",
	    0644);
	TEST("entities: an internal entity is not substituted",
	    strcmp(required("p/internal.csproj"), "-") == 0);

	put("p/external.csproj",
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE Project [ <!ENTITY fx SYSTEM \"secret\"> ]>\n"
	    "<Project " MSB "><PropertyGroup><TargetFrameworkVersion>&fx;"
	    "</TargetFrameworkVersion></PropertyGroup></Project>\n",
	    0644);
	TEST("entities: an external entity is not loaded",
	    strcmp(required("p/external.csproj"), "-") == 0);

	put("p/laughs.csproj",
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE Project [\n"
	    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	    " <!ENTITY b "
	    "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    " <!ENTITY c "
	    "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    " <!ENTITY d "
	    "\"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    " <!ENTITY e "
	    "\"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    " <!ENTITY f "
	    "\"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    " <!ENTITY g "
	    "\"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	    "]>\n<Project " MSB "><PropertyGroup><TargetFrameworkVersion>&g;"
	    "</TargetFrameworkVersion></PropertyGroup></Project>\n",
	    0644);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = required("p/laughs.csproj");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TEST("entities: nested entities (a billion laughs) cannot be told",
	    strcmp(r, "-") == 0 || strcmp(r, "ERR") == 0);
	TEST("entities: ... and take no time", t1.tv_sec - t0.tv_sec < 2);

	if (mkfifo(tpath_static("p/fifo.csproj"), 0644) == 0)
		TEST("a FIFO is refused, not waited on",
		    strcmp(required("p/fifo.csproj"), "ERR") == 0 &&
			strstr(e.msg, "not a regular file") != NULL);
	else
		TEST("mkfifo", 0);
}

static void
test_available(void)
{
	struct strlist l = {0};
	char joined[256] = "";

	e.msg[0] = '\0';
	TEST("available: no lib/mono: none, no error",
	    profile_available(tpath_static("rt0"), &l, &e) == 0 && l.n == 0);

	put("rt/lib/mono/4.5-api/mscorlib.dll", "", 0644);
	put("rt/lib/mono/4.5.1-api/mscorlib.dll", "", 0644);
	put("rt/lib/mono/4.10-api/mscorlib.dll", "", 0644);
	put("rt/lib/mono/2.0-api/mscorlib.dll", "", 0644);
	put("rt/lib/mono/4.6-api/mscorlib.dll", "", 0644);
	put("rt/lib/mono/4.7-api", "a file, not a profile", 0644);
	put("rt/lib/mono/foo-api/x", "", 0644);
	put("rt/lib/mono/4-api/x", "", 0644);
	put("rt/lib/mono/4.5/mscorlib.dll", "", 0644);
	put_link("rt/lib/mono/4.8-api", "4.6-api");
	put_link("rt/lib/mono/4.9-api", "missing");
	TEST("available: listed",
	    profile_available(tpath_static("rt"), &l, &e) == 0);
	for (size_t i = 0; i < l.n; i++) {
		strcat(joined, i ? " " : "");
		strcat(joined, l.v[i]);
	}
	TEST("available: X.Y-api directories (and links to one), in version "
	     "order",
	    strcmp(joined, "2.0 4.5 4.5.1 4.6 4.8 4.10") == 0);
	if (strcmp(joined, "2.0 4.5 4.5.1 4.6 4.8 4.10") != 0)
		fprintf(stderr, "  got '%s'\n", joined);

	TEST("has: v4.5.1", profile_has(&l, "v4.5.1"));
	TEST("has: not v4.0", !profile_has(&l, "v4.0"));
	TEST("has: v2.0", profile_has(&l, "v2.0"));
	TEST("has: v3.0 is 2.0-api", profile_has(&l, "v3.0"));
	TEST("has: v3.5 needs 3.5-api too", !profile_has(&l, "v3.5"));
	strlist_free(&l);

	put("rt3/lib/mono/3.5-api/x", "", 0644);
	TEST("has: v3.5 without 2.0-api",
	    profile_available(tpath_static("rt3"), &l, &e) == 0 &&
		!profile_has(&l, "v3.5"));
	put("rt3/lib/mono/2.0-api/x", "", 0644);
	strlist_free(&l);
	TEST("has: v3.5 with both",
	    profile_available(tpath_static("rt3"), &l, &e) == 0 &&
		profile_has(&l, "v3.5") && profile_has(&l, "v3.0"));
	strlist_free(&l);
}

static const char sln_text[] =
    "\xef\xbb\xbf\r\nMicrosoft Visual Studio Solution File, Format Version "
    "11.00\r\n"
    "# Visual Studio 2010\r\n"
    "Project(\"{2150E333-8FDC-42A3-9474-1A3956D46DE8}\") = \"Folder\", "
    "\"Folder\", \"{00000000-0000-0000-0000-000000000001}\"\r\nEndProject\r\n"
    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Web\", "
    "\"src\\Web\\Web.csproj\", \"{AAAAAAAA-0000-0000-0000-000000000002}\"\r\n"
    "EndProject\r\n"
    "Project(\"{F2A71F9B-5D33-465A-A702-920D77279786}\") = \"Lib\", "
    "\"Lib\\Lib.FSPROJ\", \"{AAAAAAAA-0000-0000-0000-000000000003}\"\r\n"
    "EndProject\r\n"
    "Project(\"{F184B08F-C81C-45F6-A57F-5ABD9991F28F}\") = \"Vb\", "
    "\"Vb\\Vb.vbproj\", \"{AAAAAAAA-0000-0000-0000-000000000004}\"\r\n"
    "EndProject\r\n"
    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Tests\", "
    "\"Tests\\Tests.csproj\", \"{AAAAAAAA-0000-0000-0000-000000000005}\"\r\n"
    "EndProject\r\n"
    "Global\r\n"
    "\tGlobalSection(ProjectConfigurationPlatforms) = postSolution\r\n"
    "\t\t{aaaaaaaa-0000-0000-0000-000000000002}.Release|Any CPU.ActiveCfg = "
    "Release|Any CPU\r\n"
    "\t\t{aaaaaaaa-0000-0000-0000-000000000002}.Release|Any CPU.Build.0 = "
    "Release|Any CPU\r\n"
    "\t\t{AAAAAAAA-0000-0000-0000-000000000003}.release|x86.Build.0 = "
    "Release|x86\r\n"
    "\t\t{AAAAAAAA-0000-0000-0000-000000000004}.Release|Any CPU.ActiveCfg = "
    "Release|Any CPU\r\n"
    "\t\t{AAAAAAAA-0000-0000-0000-000000000005}.Debug|Any CPU.Build.0 = "
    "Debug|Any CPU\r\n"
    "\tEndGlobalSection\r\nEndGlobal\r\n";

static void
test_solution_projects(void)
{
	struct strlist l = {0}, skipped = {0};

	put("s/App.sln", sln_text, 0644);
	e.msg[0] = '\0';
	TEST("solution: read",
	    profile_solution_projects(tpath_static("s/App.sln"), "Release", &l,
		&skipped, &e) == 0);
	TEST("solution: the project files Release builds, '\\' made '/', "
	     "GUIDs and configurations matched in any case",
	    l.n == 2 && strcmp(l.v[0], "src/Web/Web.csproj") == 0 &&
		strcmp(l.v[1], "Lib/Lib.FSPROJ") == 0);
	TEST("solution: the projects Release does not build are named",
	    skipped.n == 2 && strcmp(skipped.v[0], "Vb/Vb.vbproj") == 0 &&
		strcmp(skipped.v[1], "Tests/Tests.csproj") == 0);
	strlist_free(&skipped);
	strlist_free(&l);
	TEST("solution: Debug builds another",
	    profile_solution_projects(tpath_static("s/App.sln"), "Debug", &l,
		NULL, &e) == 0 &&
		l.n == 1 && strcmp(l.v[0], "Tests/Tests.csproj") == 0);
	strlist_free(&l);

	put("s/Plain.sln",
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"A\", \"A\\A.csproj\", \"{1}\"\nEndProject\n"
	    "Project(\"{F184B08F-C81C-45F6-A57F-5ABD9991F28F}\") = \"B\", "
	    "\"B.vbproj\", \"{2}\"\nEndProject\n",
	    0644);
	TEST("solution: without Build.0 lines, every project",
	    profile_solution_projects(tpath_static("s/Plain.sln"), "Release",
		&l, &skipped, &e) == 0 &&
		skipped.n == 0 && l.n == 2 &&
		strcmp(l.v[0], "A/A.csproj") == 0 &&
		strcmp(l.v[1], "B.vbproj") == 0);
	strlist_free(&l);

	TEST("solution: a missing one",
	    profile_solution_projects(tpath_static("s/None.sln"), "Release", &l,
		NULL, &e) == -1 &&
		strstr(e.msg, "s/None.sln") != NULL && l.n == 0);
}

/* The solution of an app in app/ with one project targeting fx ("" for
 * none), against the runtime rt. */
static int
check(const char *solution, const char *runtime)
{
	e.msg[0] = '\0';
	return profile_check(tpath_static("app"), solution, "Release",
	    tpath_static(runtime), &e);
}

static void
test_check(void)
{
	put("rt45/lib/mono/4.5-api/mscorlib.dll", "", 0644);
	put("rt45/lib/mono/4.7.2-api/mscorlib.dll", "", 0644);
	put("rtall/lib/mono/4.0-api/mscorlib.dll", "", 0644);
	put("rtall/lib/mono/4.5-api/mscorlib.dll", "", 0644);
	put("rtnone/lib/mono/4.5/mscorlib.dll", "", 0644);

	put("app/Net40.sln",
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"Net40\", \"Net40\\Net40.csproj\", \"{1}\"\r\nEndProject\r\n",
	    0644);
	project("app/Net40/Net40.csproj",
	    "    <TargetFrameworkVersion>v4.0</TargetFrameworkVersion>\n", "");
	TEST("check: v4.0 against a runtime without 4.0-api: one line",
	    check("Net40.sln", "rt45") == 1 &&
		strcmp(e.msg,
		    "Net40/Net40.csproj targets TargetFrameworkVersion v4.0, "
		    "but this "
		    "Mono runtime has the reference assemblies of v4.5, v4.7.2 "
		    "only: "
		    "retarget the project, or use a runtime with "
		    "lib/mono/4.0-api "
		    "(MONO_URL)") == 0);
	TEST("check: SOLUTION naming the project itself",
	    check("Net40/Net40.csproj", "rt45") == 1 &&
		strncmp(e.msg, "Net40/Net40.csproj targets", 26) == 0);
	TEST("check: a runtime with 4.0-api",
	    check("Net40.sln", "rtall") == 0 && e.msg[0] == '\0');
	TEST("check: a runtime with no *-api at all: xbuild judges",
	    check("Net40.sln", "rtnone") == 0);
	TEST("check: a runtime with no lib/mono",
	    check("Net40.sln", "rt0") == 0);

	put("app/sub/Old.sln",
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"Old\", \"Old\\Old.csproj\", \"{1}\"\nEndProject\n"
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"Out\", \"..\\..\\outside\\Out.csproj\", "
	    "\"{2}\"\nEndProject\n",
	    0644);
	project("outside/Out.csproj",
	    "    <TargetFrameworkVersion>v2.0</TargetFrameworkVersion>\n", "");
	project("app/sub/Old/Old.csproj", "", "");
	TEST("check: a project that sets none, in a subdirectory's solution",
	    check("sub/Old.sln", "rt45") == 1 &&
		strcmp(e.msg,
		    "sub/Old/Old.csproj sets no TargetFrameworkVersion, so "
		    "xbuild "
		    "targets v4.0, but this Mono runtime has the reference "
		    "assemblies "
		    "of v4.5, v4.7.2 only: add <TargetFrameworkVersion> for "
		    "one of "
		    "these, or use a runtime with lib/mono/4.0-api "
		    "(MONO_URL)") == 0);
	project("app/sub/Old/Old.csproj",
	    "    <TargetFrameworkVersion>v4.7.2</TargetFrameworkVersion>\n",
	    "");
	TEST("check: a project outside the app is not read",
	    check("sub/Old.sln", "rt45") == 0);

	put("app/Esc.sln",
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"Esc\", \"Esc.csproj\", \"{2}\"\nEndProject\n",
	    0644);
	put_link("app/Esc.csproj", "../outside/Out.csproj");
	TEST("check: nor through a symlink leading out",
	    check("Esc.sln", "rt45") == 0);
	put_link("app/In.csproj", "Net40/Net40.csproj");
	TEST("check: a symlink inside is followed",
	    check("In.csproj", "rt45") == 1);

	put("app/Bad.sln",
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"B\", \"B\\B.csproj\", \"{1}\"\nEndProject\n"
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"M\", \"M\\M.csproj\", \"{2}\"\nEndProject\n"
	    "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\")"
	    " = \"N\", \"Net40\\Net40.csproj\", \"{3}\"\nEndProject\n",
	    0644);
	put("app/B/B.csproj", "<Project>", 0644);
	TEST("check: broken and missing projects are xbuild's to report; the "
	     "next is checked",
	    check("Bad.sln", "rt45") == 1 &&
		strncmp(e.msg, "Net40/Net40.csproj targets", 26) == 0);
	TEST("check: a missing solution is xbuild's to report",
	    check("Missing.sln", "rt45") == 0);
}

int
main(void)
{
	if (tmp_init("test_profile") == -1)
		return 1;
	test_required();
	test_entities();
	test_available();
	test_solution_projects();
	test_check();
	tmp_done();
	return test_report();
}
