/* Unit tests for manifest: exact emitted text, a round trip of nasty strings
 * through two independent YAML 1.1 loaders (PyYAML's pure-Python loader and
 * Ruby's Psych, run as real child processes), and parsing the release
 * output real buildpacks print.
 *
 * `test_manifest --emit YAML EXPECTED` writes the nasty-strings manifest and
 * the lines the loaders must print, for tests/unit/yaml_loaders.sh. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"
#include "testhelp.h"
#include "testwarn.h"

#define PYTHON "/usr/bin/python3"
#define RUBY "/usr/bin/ruby"

/* Both print the top-level keys, then every string as hex of its UTF-8
 * bytes, so that any difference shows and no escaping is involved. */
static const char py_script[] =
    "import sys, yaml\n"
    "def h(s):\n"
    "    if not isinstance(s, str):\n"
    "        return 'NOTSTR:' + repr(s)\n"
    "    return s.encode('utf-8').hex()\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    d = yaml.load(f, Loader=yaml.SafeLoader)\n"
    "print('K', ' '.join(d.keys()))\n"
    "for a in d['addons']:\n"
    "    print('A', h(a))\n"
    "for k, v in d['config_vars'].items():\n"
    "    print('C', h(k), h(v))\n"
    "for k, v in d['default_process_types'].items():\n"
    "    print('T', h(k), h(v))\n";

static const char rb_script[] =
    "def h(s)\n"
    "  s.is_a?(String) ? s.b.unpack1('H*') : 'NOTSTR:' + s.inspect\n"
    "end\n"
    "d = YAML.safe_load(File.binread(ARGV[0]).force_encoding('UTF-8'))\n"
    "puts 'K ' + d.keys.join(' ')\n"
    "d['addons'].each { |a| puts 'A ' + h(a) }\n"
    "d['config_vars'].each { |k, v| puts 'C ' + h(k) + ' ' + h(v) }\n"
    "d['default_process_types'].each { |k, v| "
    "puts 'T ' + h(k) + ' ' + h(v) }\n";

static const char *const nasty[] = {
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "NO",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    "*",
    "*a",
    "&a",
    "!tag",
    "!!str",
    "%x",
    "@x",
    "`x`",
    "#",
    "# x",
    "a #b",
    ": ",
    ":",
    "a: b",
    "- x",
    "-",
    "? x",
    "?",
    "[x]",
    "{x}",
    "|",
    "> x",
    ",",
    "'",
    "\"",
    "it's \"q\"",
    "back\\slash",
    "\\n",
    "tab\there",
    "new\nline",
    "cr\rret",
    "\x01\x1f\x7f ctrl",
    "日本語",
    "  lead",
    "trail  ",
    " both ",
    "0x1F",
    "1e3",
    "012",
    "0o17",
    "1_000",
    "+1",
    "-1.5",
    ".inf",
    ".NaN",
    "2001-12-14",
    "12:30:00",
    "=",
    "<<",
    "---",
    "...",
    "\xc2\x85 NEL",
    "\xe2\x80\xa8 LS",
    "\xef\xbb\xbf BOM",
    "emoji \xf0\x9f\x98\x80",
    "\xef\xbf\xbe",
    "mono Hello/bin/Release/Hello.exe --port $PORT # x: y 'z' \"w\"",
};

/* Process type names are [A-Za-z0-9_-]+, but YAML 1.1 still reads many of
 * them as something other than a string. */
static const char *const nasty_names[] = {
    "on",
    "yes",
    "No",
    "y",
    "OFF",
    "true",
    "null",
    "NULL",
    "1",
    "0x1F",
    "0777",
    "1_000",
    "-",
    "_",
    "web",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char *
hex(const char *s)
{
	static char buf[4][64 * 1024];
	static int i;
	size_t k;

	i = (i + 1) % 4;
	for (k = 0; s[k] != '\0' && 2 * k + 2 < sizeof buf[i]; k++)
		snprintf(buf[i] + 2 * k, 3, "%02x", (unsigned char)s[k]);
	buf[i][2 * k] = '\0';
	return buf[i];
}

/* The nasty manifest: every nasty string as an addon, as a config var
 * value and as a command; a 10 KiB command; nasty names.  *expected gets
 * what the loader scripts must print (malloc'd). */
static struct manifest *
nasty_manifest(char **expected)
{
	struct errbuf e = {""};
	struct manifest *m = manifest_new();
	char name[32], longname[300], *big, *exp;
	size_t i, k = 0, cap = 1024 * 1024;

	/* 10 KiB and more of every kind of character, whole ones only. */
	static const char unit[] = "run: 'a' \"b\" # c\\d\te-f 日 ";
	big = malloc(10 * 1024 + sizeof unit);
	for (i = 0; i < 10 * 1024; i += sizeof unit - 1)
		memcpy(big + i, unit, sizeof unit);
	exp = malloc(cap);
	k += (size_t)snprintf(exp + k, cap - k,
	    "K addons config_vars default_process_types\n");
	for (i = 0; i < NELEM(nasty); i++) {
		if (*nasty[i] == '\0')
			continue; /* an empty addon is no addon */
		manifest_add_addon(m, nasty[i], &e);
		k +=
		    (size_t)snprintf(exp + k, cap - k, "A %s\n", hex(nasty[i]));
	}
	for (i = 0; i < NELEM(nasty); i++) {
		snprintf(name, sizeof name, "V%zu", i);
		/* Some names are nasty too. */
		const char *n =
		    i < NELEM(nasty) / 2 && *nasty[i] != '\0' ? nasty[i] : name;
		manifest_set_var(m, n, nasty[i], &e);
		k += (size_t)snprintf(exp + k, cap - k, "C %s %s\n", hex(n),
		    hex(nasty[i]));
	}
	/* Keys over 128 characters go out in the "? key" form. */
	memset(longname, 'k', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	manifest_set_var(m, longname, "long key", &e);
	k += (size_t)snprintf(exp + k, cap - k, "C %s %s\n", hex(longname),
	    hex("long key"));
	for (i = 0; i < NELEM(nasty); i++) {
		if (*nasty[i] == '\0')
			continue; /* an empty command is no process type */
		snprintf(name, sizeof name, "t%zu", i);
		procfile_set(m->types, name, nasty[i], &e);
		k += (size_t)snprintf(exp + k, cap - k, "T %s %s\n", hex(name),
		    hex(nasty[i]));
	}
	for (i = 0; i < NELEM(nasty_names); i++) {
		procfile_set(m->types, nasty_names[i], nasty_names[i], &e);
		k += (size_t)snprintf(exp + k, cap - k, "T %s %s\n",
		    hex(nasty_names[i]), hex(nasty_names[i]));
	}
	procfile_set(m->types, longname, "long name", &e);
	k += (size_t)snprintf(exp + k, cap - k, "T %s %s\n", hex(longname),
	    hex("long name"));
	procfile_set(m->types, "big", big, &e);
	k += (size_t)snprintf(exp + k, cap - k, "T %s %s\n", hex("big"),
	    hex(big));
	free(big);
	*expected = exp;
	return m;
}

/* Runs argv with stdout to outpath; returns its exit status (127: could
 * not be run). */
static int
run(char *const argv[], const char *outpath)
{
	pid_t pid;
	int status, fd;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1)
			_exit(126);
		dup2(fd, 1);
		close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
show_diff(const char *want, const char *got)
{
	size_t i = 0;

	while (want[i] != '\0' && want[i] == got[i])
		i++;
	while (i > 0 && want[i - 1] != '\n')
		i--;
	printf("# first difference at byte %zu\n# want: %.200s\n# got:  "
	       "%.200s\n",
	    i, want + i, got + i);
}

static void
check_loader(const char *what, char *const argv[], const char *out,
    const char *expected)
{
	struct errbuf e = {""};
	char descr[128], *got;
	int rc;

	rc = run(argv, out);
	snprintf(descr, sizeof descr, "%s is installed and runs (exit %d)",
	    what, rc);
	if (rc == 127)
		printf("# %s not found: it is a test dependency, install it\n",
		    argv[0]);
	TEST(descr, rc == 0);
	got = fs_read_file(out, 8 * 1024 * 1024, NULL, &e);
	snprintf(descr, sizeof descr,
	    "%s reads back every string "
	    "byte-identical",
	    what);
	TEST(descr, got != NULL && strcmp(got, expected) == 0);
	if (got != NULL && strcmp(got, expected) != 0)
		show_diff(expected, got);
	free(got);
}

static void
test_loaders(const char *dir)
{
	struct errbuf e = {""};
	struct manifest *m, *back;
	char *yaml = NULL, *expected, ypath[PATH_MAX], opath[PATH_MAX];
	size_t len, i;
	bool same;

	m = nasty_manifest(&expected);
	TEST("nasty manifest emits", manifest_emit(m, &yaml, &len, &e) == 0);
	if (yaml == NULL)
		printf("# %s\n", e.msg);
	snprintf(ypath, sizeof ypath, "%s/release.yml", dir);
	snprintf(opath, sizeof opath, "%s/loader.out", dir);
	TEST("written",
	    yaml != NULL &&
		fs_write_file_atomic(ypath, yaml, len, 0644, &e) == 0);

	char *py[] = {PYTHON, "-c", (char *)py_script, ypath, NULL};
	char *rb[] = {RUBY, "-ryaml", "-e", (char *)rb_script, ypath, NULL};
	check_loader("PyYAML (" PYTHON ")", py, opath, expected);
	check_loader("Ruby Psych (" RUBY ")", rb, opath, expected);

	/* And our own parser reads back what we wrote. */
	back = NULL;
	TEST("own parser reads the nasty manifest",
	    yaml != NULL &&
		manifest_parse(yaml, len, NULL, &back, NULL, NULL, &e) == 0);
	same = back != NULL && back->naddons == m->naddons &&
	    back->nvars == m->nvars && back->types->ntypes == m->types->ntypes;
	for (i = 0; same && i < m->naddons; i++)
		same = strcmp(back->addons[i], m->addons[i]) == 0;
	for (i = 0; same && i < m->nvars; i++)
		same = strcmp(back->vars[i].name, m->vars[i].name) == 0 &&
		    strcmp(back->vars[i].value, m->vars[i].value) == 0;
	for (i = 0; same && i < m->types->ntypes; i++)
		same = strcmp(back->types->types[i].name,
			   m->types->types[i].name) == 0 &&
		    strcmp(back->types->types[i].command,
			m->types->types[i].command) == 0;
	TEST("own parser: emit then parse is the identity", same);
	TEST("no line was folded (the 10 KiB command is on one line)",
	    yaml != NULL && strstr(yaml, "\n  \"big\": \"run: ") != NULL);
	manifest_free(back);
	manifest_free(m);
	free(yaml);
	free(expected);
}

/* m emits exactly want (and its length is right); says where not. */
static bool
emits(struct manifest *m, const char *want)
{
	struct errbuf e = {""};
	char *out = NULL;
	size_t len = 0;
	bool ok;

	if (manifest_emit(m, &out, &len, &e) == -1) {
		printf("# emit: %s\n", e.msg);
		return false;
	}
	ok = len == strlen(out) && strcmp(out, want) == 0;
	if (!ok)
		show_diff(want, out);
	free(out);
	return ok;
}

static void
test_emit_exact(void)
{
	struct errbuf e = {""};
	struct manifest *m;
	char *y;

	m = manifest_new();
	TEST("empty manifest: [] and {}",
	    emits(m,
		"---\naddons: []\nconfig_vars: {}\ndefault_process_types: "
		"{}\n"));

	procfile_set(m->types, "web", "mono Hello/bin/Release/Hello.exe", &e);
	TEST("hello's release",
	    emits(m,
		"---\n"
		"addons: []\n"
		"config_vars: {}\n"
		"default_process_types:\n"
		"  \"web\": \"mono Hello/bin/Release/Hello.exe\"\n"));

	manifest_add_addon(m, "heroku-postgresql:hobby-dev", &e);
	manifest_add_addon(m, "heroku-postgresql:hobby-dev", &e);
	manifest_set_var(m, "LANG", "en_US.UTF-8", &e);
	manifest_set_var(m, "MONO_ENV", "old", &e);
	manifest_set_var(m, "MONO_ENV", "production", &e);
	procfile_set(m->types, "worker", "mono W.exe\t--x 'q' \"d\" \\ 日本語",
	    &e);
	TEST("addons, config vars, escapes",
	    emits(m,
		"---\n"
		"addons:\n"
		"- \"heroku-postgresql:hobby-dev\"\n"
		"config_vars:\n"
		"  \"LANG\": \"en_US.UTF-8\"\n"
		"  \"MONO_ENV\": \"production\"\n"
		"default_process_types:\n"
		"  \"web\": \"mono Hello/bin/Release/Hello.exe\"\n"
		"  \"worker\": \"mono W.exe\\t--x 'q' \\\"d\\\" \\\\ "
		"日本語\"\n"));
	TEST("get_var",
	    strcmp(manifest_get_var(m, "MONO_ENV"), "production") == 0 &&
		manifest_get_var(m, "NOPE") == NULL);
	TEST("set_var refuses an empty name",
	    manifest_set_var(m, "", "x", &e) == -1);

	procfile_set(m->types, "bad", "latin1 caf\xe9", &e);
	y = NULL;
	TEST("invalid UTF-8 is refused",
	    manifest_emit(m, &y, NULL, &e) == -1 && y == NULL);
	TEST("the error names the type, not the command",
	    strstr(e.msg, "process type bad") != NULL &&
		strstr(e.msg, "caf") == NULL);
	manifest_free(m);

	m = manifest_new();
	manifest_set_var(m, "SECRET", "\xc0\xafoverlong", &e);
	TEST("overlong UTF-8 is refused, naming the var",
	    manifest_emit(m, &y, NULL, &e) == -1 &&
		strstr(e.msg, "SECRET") != NULL &&
		strstr(e.msg, "overlong") == NULL);
	manifest_free(m);
	m = manifest_new();
	manifest_add_addon(m, "\xed\xa0\x80", &e); /* a surrogate */
	TEST("UTF-8 surrogates are refused",
	    manifest_emit(m, &y, NULL, &e) == -1);
	manifest_free(m);
	manifest_free(NULL);
}

static struct manifest *
parse(const char *text, struct warns *w, struct errbuf *e)
{
	struct manifest *m = NULL;

	memset(w, 0, sizeof *w);
	e->msg[0] = '\0';
	if (manifest_parse(text, strlen(text), "release output", &m, collect, w,
		e) == -1)
		return NULL;
	return m;
}

static bool
type_is(const struct manifest *m, size_t i, const char *name, const char *cmd)
{
	return m != NULL && i < m->types->ntypes &&
	    strcmp(m->types->types[i].name, name) == 0 &&
	    strcmp(m->types->types[i].command, cmd) == 0;
}

static void
test_parse_real(void)
{
	struct errbuf e = {""};
	struct manifest *m;
	struct warns w;

	m = parse("---\naddons: []\nconfig_vars: {}\ndefault_process_types:\n"
		  "  web: \"mono Hello/bin/Release/Hello.exe\"\n",
	    &w, &e);
	TEST("Heroku-like output",
	    m != NULL && m->types->ntypes == 1 &&
		type_is(m, 0, "web", "mono Hello/bin/Release/Hello.exe") &&
		m->nvars == 0 && m->naddons == 0 && w.n == 0);
	manifest_free(m);

	m = parse("---\ndefault_process_types:\n  web: bundle exec rackup -p "
		  "$PORT\n",
	    &w, &e);
	TEST("plain scalar command (ruby buildpack)",
	    m != NULL && type_is(m, 0, "web", "bundle exec rackup -p $PORT"));
	manifest_free(m);

	m = parse("---\n"
		  "addons:\n"
		  "- heroku-postgresql\n"
		  "config_vars:\n"
		  "  LANG: en_US.UTF-8\n"
		  "  WEB_CONCURRENCY: 2\n"
		  "  FLAG: yes\n"
		  "default_process_types:\n"
		  "  rake: bundle exec rake\n"
		  "  console: bin/rails console\n"
		  "  web: bin/rails server -p ${PORT:-5000} -e $RAILS_ENV\n",
	    &w, &e);
	TEST("rails-style output: addons",
	    m != NULL && m->naddons == 1 &&
		strcmp(m->addons[0], "heroku-postgresql") == 0);
	TEST("rails-style output: scalars taken as written",
	    m != NULL && m->nvars == 3 &&
		strcmp(manifest_get_var(m, "LANG"), "en_US.UTF-8") == 0 &&
		strcmp(manifest_get_var(m, "WEB_CONCURRENCY"), "2") == 0 &&
		strcmp(manifest_get_var(m, "FLAG"), "yes") == 0);
	TEST("rails-style output: types in order",
	    m != NULL && m->types->ntypes == 3 &&
		type_is(m, 0, "rake", "bundle exec rake") &&
		type_is(m, 1, "console", "bin/rails console") &&
		type_is(m, 2, "web",
		    "bin/rails server -p ${PORT:-5000} -e $RAILS_ENV"));
	manifest_free(m);

	m = parse("{addons: [a, 'b'], config_vars: {X: \"1\"}, "
		  "default_process_types: {web: 'python -m http.server $PORT', "
		  "\"worker\": celery}}",
	    &w, &e);
	TEST("flow style",
	    m != NULL && m->naddons == 2 && strcmp(m->addons[1], "b") == 0 &&
		strcmp(manifest_get_var(m, "X"), "1") == 0 &&
		type_is(m, 0, "web", "python -m http.server $PORT") &&
		type_is(m, 1, "worker", "celery"));
	manifest_free(m);

	m = parse("addons:\nconfig_vars: null\ndefault_process_types: ~\n", &w,
	    &e);
	TEST("null values mean nothing",
	    m != NULL && m->naddons == 0 && m->nvars == 0 &&
		m->types->ntypes == 0 && w.n == 0);
	manifest_free(m);

	m = parse("", &w, &e);
	TEST("empty output: empty manifest",
	    m != NULL && m->types->ntypes == 0);
	manifest_free(m);
	m = parse("---\n", &w, &e);
	TEST("bare '---': empty manifest", m != NULL && m->types->ntypes == 0);
	manifest_free(m);
	m = parse("# nothing to say\n", &w, &e);
	TEST("comment only: empty manifest",
	    m != NULL && m->types->ntypes == 0);
	manifest_free(m);

	m = parse("---\n"
		  "cmd: &c \"java -jar app.jar\"\n"
		  "future_key: {a: [1, 2]}\n"
		  "default_process_types:\n"
		  "  web: *c\n"
		  "  lit: |\n"
		  "    line one\n"
		  "    line two\n"
		  "  fold: >-\n"
		  "    folded\n"
		  "    text\n"
		  "  sq: 'it''s # here: ok'\n"
		  "  dq: \"tab\\there \\u65e5\"\n",
	    &w, &e);
	TEST("aliases, unknown keys, block and quoted scalars",
	    m != NULL && m->types->ntypes == 5 &&
		type_is(m, 0, "web", "java -jar app.jar") &&
		type_is(m, 1, "lit", "line one\nline two\n") &&
		type_is(m, 2, "fold", "folded text") &&
		type_is(m, 3, "sq", "it's # here: ok") &&
		type_is(m, 4, "dq", "tab\there 日") && w.n == 0);
	manifest_free(m);

	m = parse("default_process_types:\n"
		  "  web: a\n"
		  "  \"bad name\": b\n"
		  "  nocmd: ~\n"
		  "  empty: \"\"\n"
		  "  nul: \"a\\0b\"\n"
		  "  web: c\n"
		  "config_vars:\n"
		  "  UNSET:\n"
		  "  \"RED\\e[31m\\u202e\": ~\n",
	    &w, &e);
	TEST("unusable entries skipped",
	    m != NULL && m->types->ntypes == 1 && type_is(m, 0, "web", "c") &&
		m->nvars == 0);
	TEST("...each with a warning and its position",
	    strcmp(w.buf,
		"release output:3:3: process type 'bad\\x20name' skipped: "
		"names "
		"are letters, digits, '_' and '-'\n"
		"release output:4:10: process type nocmd has no command, "
		"skipped\n"
		"release output:5:10: process type empty has no command, "
		"skipped\n"
		"release output:6:8: process type nul: command holds a NUL "
		"byte, "
		"skipped\n"
		"release output:9:9: config var UNSET is null, skipped\n"
		"release output:10:22: config var RED\\x1b[31m\\xe2\\x80\\xae "
		"is "
		"null, skipped\n") == 0);
	if (m == NULL || w.n != 6)
		printf("# %s# %s\n", w.buf, e.msg);
	manifest_free(m);

	m = parse("default_process_types: {web: a}\n---\nother: doc\n", &w, &e);
	TEST("a second document is ignored with a warning",
	    m != NULL && type_is(m, 0, "web", "a") &&
		strcmp(w.buf,
		    "release output:3:1: "
		    "only the first YAML document is used\n") == 0);
	manifest_free(m);
}

static void
test_parse_errors(void)
{
	struct errbuf e = {""};
	struct manifest *m;
	struct warns w;
	char *deep;
	size_t i;

	m = parse("---\ndefault_process_types:\n  web: [unclosed\n", &w, &e);
	TEST("unclosed flow: error", m == NULL);
	TEST("unclosed flow: the message has a line and column",
	    strncmp(e.msg, "release output:4:1: ", 20) == 0);
	printf("# %s\n", e.msg);

	m = parse("---\ndefault_process_types:\n  web: a\n b: c\n", &w, &e);
	TEST("bad indentation: error with its line",
	    m == NULL && strncmp(e.msg, "release output:4:", 17) == 0);
	printf("# %s\n", e.msg);

	m = parse("-----> Discovering process types\nweb: x\n", &w, &e);
	TEST("log text instead of YAML: error",
	    m == NULL && strncmp(e.msg, "release output:", 15) == 0);
	printf("# %s\n", e.msg);

	m = parse("hello world\n", &w, &e);
	TEST("a scalar document: error at 1:1",
	    m == NULL &&
		strcmp(e.msg,
		    "release output:1:1: expected a mapping with addons, "
		    "config_vars "
		    "and default_process_types, found a scalar") == 0);

	m = parse("---\naddons: []\ndefault_process_types:\n  - web\n", &w, &e);
	TEST("default_process_types as a list: error with position",
	    m == NULL &&
		strcmp(e.msg,
		    "release output:4:3: "
		    "default_process_types must be a mapping, not a list") ==
		    0);

	m = parse("config_vars: [a]\n", &w, &e);
	TEST("config_vars as a list: error",
	    m == NULL &&
		strstr(e.msg,
		    "release output:1:14: config_vars must be a "
		    "mapping") != NULL);
	m = parse("addons: {a: b}\n", &w, &e);
	TEST("addons as a mapping: error",
	    m == NULL && strstr(e.msg, "addons must be a list") != NULL);
	m = parse("default_process_types:\n  web: [a, b]\n", &w, &e);
	TEST("a list as a command: error",
	    m == NULL &&
		strstr(e.msg, "release output:2:8: process type web") != NULL);

	m = parse("default_process_types: {web: a}\n---\n[garbage\n", &w, &e);
	TEST("garbage in a second document: error",
	    m == NULL && strncmp(e.msg, "release output:", 15) == 0);

	{
		static const char bad[] = "default_process_types:\n  web: "
					  "caf\xe9\n";

		m = NULL;
		TEST("invalid UTF-8 input: error with the byte offset",
		    manifest_parse(bad, sizeof bad - 1, NULL, &m, NULL, NULL,
			&e) == -1 &&
			m == NULL &&
			strstr(e.msg,
			    "release output: "
			    "incomplete UTF-8") != NULL &&
			strstr(e.msg, "at byte 33") != NULL);
		printf("# %s\n", e.msg);
	}

	deep = malloc(200001);
	for (i = 0; i < 200000; i++)
		deep[i] = '[';
	deep[i] = '\0';
	m = parse(deep, &w, &e);
	TEST("200000 nested '[' fail cleanly",
	    m == NULL && strncmp(e.msg, "release output:", 15) == 0);
	free(deep);

	{
		/* Aliases are references: nine levels of ten is 10^9 nodes
		 * if anything expanded them. */
		char buf[4096];
		size_t k = 0;
		int lvl, j;
		clock_t t0 = clock();

		k += (size_t)snprintf(buf + k, sizeof buf - k, "a0: &a0 lol\n");
		for (lvl = 1; lvl < 10; lvl++) {
			k += (size_t)snprintf(buf + k, sizeof buf - k,
			    "a%d: &a%d [", lvl, lvl);
			for (j = 0; j < 10; j++)
				k += (size_t)snprintf(buf + k, sizeof buf - k,
				    "%s*a%d", j ? "," : "", lvl - 1);
			k += (size_t)snprintf(buf + k, sizeof buf - k, "]\n");
		}
		snprintf(buf + k, sizeof buf - k,
		    "default_process_types: {web: *a0}\n");
		m = parse(buf, &w, &e);
		TEST("billion laughs: parsed quickly, nothing expanded",
		    m != NULL && type_is(m, 0, "web", "lol") &&
			(clock() - t0) < CLOCKS_PER_SEC);
		manifest_free(m);
	}
}

/* Two releases merged as a multi-buildpack build merges them. */
static void
test_merge(void)
{
	struct errbuf e = {""};
	struct manifest *a, *b;
	struct warns w;

	a = parse("config_vars:\n  A: \"1\"\n  B: \"2\"\naddons: [x]\n"
		  "default_process_types:\n  web: one\n  worker: w\n",
	    &w, &e);
	b = parse("config_vars:\n  B: \"3\"\n  C: \"4\"\naddons: [y, x]\n"
		  "default_process_types:\n  web: two\n  clock: c\n",
	    &w, &e);
	TEST("merge: both parsed", a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		goto out;
	TEST("merge: succeeds", manifest_merge(a, b, &e) == 0);
	TEST("merge: later vars win in place, new ones appended",
	    a->nvars == 3 && strcmp(a->vars[0].name, "A") == 0 &&
		strcmp(a->vars[1].value, "3") == 0 &&
		strcmp(a->vars[2].name, "C") == 0 &&
		strcmp(a->vars[2].value, "4") == 0);
	TEST("merge: addons accumulate once each",
	    a->naddons == 2 && strcmp(a->addons[0], "x") == 0 &&
		strcmp(a->addons[1], "y") == 0);
	TEST("merge: types replaced type by type",
	    a->types->ntypes == 3 && type_is(a, 0, "web", "two") &&
		type_is(a, 1, "worker", "w") && type_is(a, 2, "clock", "c"));
	manifest_free(b);
	b = manifest_new();
	TEST("merge: an empty release changes nothing",
	    b != NULL && manifest_merge(a, b, &e) == 0 && a->nvars == 3 &&
		a->naddons == 2 && a->types->ntypes == 3);
out:
	manifest_free(a);
	manifest_free(b);
}

static int
emit_mode(const char *ypath, const char *epath)
{
	struct errbuf e = {""};
	struct manifest *m;
	char *yaml = NULL, *expected;
	size_t len;
	int rc = 1;

	m = nasty_manifest(&expected);
	if (manifest_emit(m, &yaml, &len, &e) == -1 ||
	    fs_write_file_atomic(ypath, yaml, len, 0644, &e) == -1 ||
	    fs_write_file_atomic(epath, expected, strlen(expected), 0644, &e) ==
		-1)
		fprintf(stderr, "test_manifest: %s\n", e.msg);
	else
		rc = 0;
	free(yaml);
	free(expected);
	manifest_free(m);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct errbuf e = {""};
	char *dir;

	if (argc == 4 && strcmp(argv[1], "--emit") == 0)
		return emit_mode(argv[2], argv[3]);
	test_emit_exact();
	test_parse_real();
	test_parse_errors();
	test_merge();
	dir = fs_mkdtemp("/tmp", "test_manifest.", &e);
	TEST("temp dir", dir != NULL);
	if (dir != NULL) {
		test_loaders(dir);
		fs_rm_rf(dir, &e);
		free(dir);
	}
	return test_report();
}
