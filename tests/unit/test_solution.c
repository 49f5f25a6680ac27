/* Unit tests for solution: finding *.sln files and built executables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "monoapp/solution.h"
#include "testhelp.h"

static char root[256];

/* "root/rel" in a static buffer. */
static char *
at(const char *rel)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "%s/%s", root, rel);
	return buf;
}

static void
touch(const char *rel)
{
	char *p = fs_join(root, rel);

	fs_write_file_atomic(p, "", 0, 0644, NULL);
	free(p);
}

static void
mkdirs(const char *rel)
{
	char *p = fs_join(root, rel);

	fs_mkdir_p(p, 0755, NULL);
	free(p);
}

int
main(void)
{
	struct errbuf e = {""};
	struct strlist l = {0};
	bool found = true;
	char *tmp = fs_mkdtemp("/tmp", "test_solution.", &e);

	snprintf(root, sizeof root, "%s", tmp);
	free(tmp);

	TEST("empty dir: no solution",
	    solution_any(root, &found, &e) == 0 && !found);
	mkdirs("sub");
	touch("sub/Deep.sln");
	mkdirs("Dir.sln");
	touch("README.sln.txt");
	touch(".sln");
	TEST("a .sln in a subdirectory, a directory named *.sln, and a bare "
	     "'.sln' do not count",
	    solution_any(root, &found, &e) == 0 && !found);
	touch("b.sln");
	touch("B.sln");
	touch("a b.sln");
	TEST("a root *.sln is found",
	    solution_any(root, &found, &e) == 0 && found);
	TEST("list", solution_list(root, &l, &e) == 0 && l.n == 3);
	TEST("byte order: 'B.sln' < 'a b.sln' < 'b.sln'",
	    l.n == 3 && strcmp(l.v[0], "B.sln") == 0 &&
		strcmp(l.v[1], "a b.sln") == 0 && strcmp(l.v[2], "b.sln") == 0);
	strlist_free(&l);
	{
		char *link = fs_join(root, "linked.sln");
		TEST("symlink made", symlink("sub/Deep.sln", link) == 0);
		free(link);
	}
	TEST("a symlink to a file counts",
	    solution_list(root, &l, &e) == 0 && l.n == 4 &&
		strcmp(l.v[3], "linked.sln") == 0);
	strlist_free(&l);

	TEST("SOLUTION naming a root file",
	    solution_check_name(root, "b.sln", &e) == 0);
	TEST("SOLUTION naming a subdirectory file",
	    solution_check_name(root, "sub/Deep.sln", &e) == 0);
	TEST("SOLUTION missing",
	    solution_check_name(root, "c.sln", &e) == -1 &&
		strstr(e.msg, "'c.sln' not found") != NULL);
	TEST("SOLUTION with ..",
	    solution_check_name(root, "sub/../b.sln", &e) == -1 &&
		strstr(e.msg, "must not leave") != NULL);
	TEST("SOLUTION absolute",
	    solution_check_name(root, "/etc/passwd", &e) == -1);
	TEST("SOLUTION not .sln",
	    solution_check_name(root, "README.sln.txt", &e) == -1);
	TEST("SOLUTION a directory",
	    solution_check_name(root, "Dir.sln", &e) == -1);
	touch("sub/App.csproj");
	touch("sub/App.fsproj");
	touch("App.vbproj");
	TEST("SOLUTION naming a .csproj",
	    solution_check_name(root, "sub/App.csproj", &e) == 0);
	TEST("SOLUTION naming a .fsproj",
	    solution_check_name(root, "sub/App.fsproj", &e) == 0);
	TEST("SOLUTION naming a .vbproj",
	    solution_check_name(root, "App.vbproj", &e) == 0);
	TEST("SOLUTION naming another file",
	    solution_check_name(root, "README.sln.txt", &e) == -1 &&
		strstr(e.msg, "not a .sln, .csproj, .fsproj or .vbproj file") !=
		    NULL);

	/* Links: inside the app they work; out of it (a file, or a directory
	 * on the way) they are refused before xbuild could read or write
	 * there, even though the text of the name stays inside. */
	{
		char out[512], rel[600], *p;

		snprintf(out, sizeof out, "%s.outside", root);
		fs_mkdir_p(out, 0755, NULL);
		p = fs_join(out, "Evil.sln");
		fs_write_file_atomic(p, "", 0, 0644, NULL);
		free(p);
		snprintf(rel, sizeof rel, "..%s/Evil.sln", strrchr(out, '/'));
		TEST("links made",
		    symlink(out, at("outdir")) == 0 &&
			symlink("../", at("sub/up")) == 0 &&
			symlink("sub", at("subdir")) == 0 &&
			symlink(rel, at("evil.sln")) == 0);
		TEST("SOLUTION through a directory link inside",
		    solution_check_name(root, "subdir/Deep.sln", &e) == 0);
		TEST("SOLUTION through a link to .. that stays inside",
		    solution_check_name(root, "sub/up/b.sln", &e) == 0);
		TEST("SOLUTION through a directory link out: refused",
		    solution_check_name(root, "outdir/Evil.sln", &e) == -1 &&
			errno == EXDEV &&
			strcmp(e.msg,
			    "SOLUTION 'outdir/Evil.sln' "
			    "leads through a symlink out of the app's "
			    "directory, "
			    "refused") == 0);
		TEST("SOLUTION a link out: refused",
		    solution_check_name(root, "evil.sln", &e) == -1 &&
			errno == EXDEV);
		TEST("a root solution linked inside passes",
		    solution_check_file(root, "linked.sln", &e) == 0);
		TEST("a root solution linked out is refused, one line",
		    solution_check_file(root, "evil.sln", &e) == -1 &&
			errno == EXDEV &&
			strcmp(e.msg,
			    "evil.sln: a symlink out of "
			    "the app's directory, refused") == 0);
		TEST("a root solution that is a directory is refused",
		    solution_check_file(root, "Dir.sln", &e) == -1);
		unlink(at("outdir"));
		unlink(at("sub/up"));
		unlink(at("subdir"));
		unlink(at("evil.sln"));
		fs_rm_rf(out, NULL);
	}

	mkdirs("App/bin/Release");
	mkdirs("App/obj/Release");
	mkdirs("vendor/mono/lib");
	mkdirs(".git");
	touch("App/bin/Release/App.exe");
	touch("App/obj/Release/App.exe");
	touch("vendor/mono/lib/tool.exe");
	touch(".git/x.exe");
	touch("App/bin/Release/App.dll");
	TEST("executables",
	    solution_find_executables(root, 0, &l, &e) == 0 && l.n == 1 &&
		strcmp(l.v[0], "App/bin/Release/App.exe") == 0);
	strlist_free(&l);
	TEST("executables older than the build are ignored",
	    solution_find_executables(root, time(NULL) + 3600, &l, &e) == 0 &&
		l.n == 0);
	strlist_free(&l);
	TEST("missing dir is an error naming it",
	    solution_find_executables("/nonexistent/x", 0, &l, &e) == -1 &&
		strstr(e.msg, "/nonexistent/x") != NULL);

	fs_rm_rf(root, NULL);
	return test_report();
}
