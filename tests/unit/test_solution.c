/* Unit tests for solution: finding *.sln files and built executables. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "solution.h"
#include "testhelp.h"

static char root[256];

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
	struct errbuf e = { "" };
	struct strlist l = { 0 };
	bool found = true;
	char *tmp = fs_mkdtemp("/tmp", "test_solution.", &e);

	snprintf(root, sizeof root, "%s", tmp);
	free(tmp);

	TEST("empty dir: no solution", solution_any(root, &found, &e) == 0 && !found);
	mkdirs("sub");
	touch("sub/Deep.sln");
	mkdirs("Dir.sln");
	touch("README.sln.txt");
	touch(".sln");
	TEST("a .sln in a subdirectory, a directory named *.sln, and a bare "
	    "'.sln' do not count", solution_any(root, &found, &e) == 0 && !found);
	touch("b.sln");
	touch("B.sln");
	touch("a b.sln");
	TEST("a root *.sln is found", solution_any(root, &found, &e) == 0 && found);
	TEST("list", solution_list(root, &l, &e) == 0 && l.n == 3);
	TEST("byte order: 'B.sln' < 'a b.sln' < 'b.sln'", l.n == 3 &&
	    strcmp(l.v[0], "B.sln") == 0 && strcmp(l.v[1], "a b.sln") == 0 &&
	    strcmp(l.v[2], "b.sln") == 0);
	strlist_free(&l);
	{
		char *link = fs_join(root, "linked.sln");
		TEST("symlink made", symlink("sub/Deep.sln", link) == 0);
		free(link);
	}
	TEST("a symlink to a file counts", solution_list(root, &l, &e) == 0 &&
	    l.n == 4 && strcmp(l.v[3], "linked.sln") == 0);
	strlist_free(&l);

	TEST("SOLUTION naming a root file", solution_check_name(root, "b.sln", &e) == 0);
	TEST("SOLUTION naming a subdirectory file",
	    solution_check_name(root, "sub/Deep.sln", &e) == 0);
	TEST("SOLUTION missing", solution_check_name(root, "c.sln", &e) == -1 &&
	    strstr(e.msg, "'c.sln' not found") != NULL);
	TEST("SOLUTION with ..", solution_check_name(root, "sub/../b.sln", &e) == -1 &&
	    strstr(e.msg, "must not leave") != NULL);
	TEST("SOLUTION absolute", solution_check_name(root, "/etc/passwd", &e) == -1);
	TEST("SOLUTION not .sln", solution_check_name(root, "README.sln.txt", &e) == -1);
	TEST("SOLUTION a directory", solution_check_name(root, "Dir.sln", &e) == -1);

	mkdirs("App/bin/Release");
	mkdirs("App/obj/Release");
	mkdirs("vendor/mono/lib");
	mkdirs(".git");
	touch("App/bin/Release/App.exe");
	touch("App/obj/Release/App.exe");
	touch("vendor/mono/lib/tool.exe");
	touch(".git/x.exe");
	touch("App/bin/Release/App.dll");
	TEST("executables", solution_find_executables(root, 0, &l, &e) == 0 &&
	    l.n == 1 && strcmp(l.v[0], "App/bin/Release/App.exe") == 0);
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
