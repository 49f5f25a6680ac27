/* test_yamldoc.c - yamldoc_load: documents in, one-line errors with the
 * position out, for each kind of libyaml failure; yamldoc_parse: the first
 * document of a buffer, and what follows it. */
#include <string.h>

#include "testhelp.h"
#include "yamldoc.h"

/* Loads the first document of text; returns yamldoc_load's result, with
 * *root_type the root node's type (0 for no root) on success. */
static int
load(const char *text, int *root_type, struct errbuf *e)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	*root_type = 0;
	if (!yaml_parser_initialize(&p))
		return -2;
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
	    strlen(text));
	rc = yamldoc_load(&p, &doc, "f.yml", e);
	if (rc == 0) {
		if ((root = yaml_document_get_root_node(&doc)) != NULL)
			*root_type = root->type;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	return rc;
}

static void
test_documents(void)
{
	struct errbuf e = {""};
	int type;

	TEST("a mapping loads",
	    load("a: 1\nb: [x, y]\n", &type, &e) == 0 &&
		type == YAML_MAPPING_NODE);
	TEST("empty input is a document without a root",
	    load("", &type, &e) == 0 && type == 0);
	TEST("a comment alone has no root either",
	    load("# nothing\n", &type, &e) == 0 && type == 0);
}

static void
test_errors(void)
{
	struct errbuf e = {""};
	int type;

	TEST("an unclosed quote names both positions",
	    load("a:\n  b: \"open\n", &type, &e) == -1 &&
		strcmp(e.msg,
		    "f.yml:3:1: found unexpected end of stream "
		    "(while scanning a quoted scalar at line 2, column 6)") ==
		    0);
	printf("# %s\n", e.msg);
	TEST("a tab where indentation is expected",
	    load("a:\n\tb: 1\n", &type, &e) == -1 &&
		strcmp(e.msg,
		    "f.yml:2:1: found character that cannot start "
		    "any token (while scanning for the next token at line 2, "
		    "column 1)") == 0);
	printf("# %s\n", e.msg);
	TEST("a problem without context names one position",
	    load("%YAML 1.1\n%YAML 1.1\n--- a\n", &type, &e) == -1 &&
		strncmp(e.msg, "f.yml:2:1: ", 11) == 0 &&
		strchr(e.msg, '(') == NULL);
	printf("# %s\n", e.msg);
	TEST("invalid UTF-8 is named by its byte offset",
	    load("a: \xff\xfe\n", &type, &e) == -1 &&
		strncmp(e.msg, "f.yml: ", 7) == 0 &&
		strstr(e.msg, " at byte 3") != NULL);
	printf("# %s\n", e.msg);
	TEST("every message is one line", strchr(e.msg, '\n') == NULL);
}

/* yamldoc_parse on text: its result, the root's type and, with a second
 * document, where it starts (1-based line, or 0). */
static int
parse(const char *text, int *root_type, size_t *second_line, struct errbuf *e)
{
	yaml_document_t doc;
	yaml_mark_t second = {0, 0, 0};
	yaml_node_t *root;
	int rc;

	*root_type = 0;
	*second_line = 0;
	rc = yamldoc_parse(text, strlen(text), "f.yml", &doc, &second, e);
	if (rc == -1)
		return rc;
	if ((root = yaml_document_get_root_node(&doc)) != NULL)
		*root_type = root->type;
	if (rc == 1)
		*second_line = second.line + 1;
	yaml_document_delete(&doc);
	return rc;
}

static void
test_parse(void)
{
	struct errbuf e = {""};
	size_t line;
	int type;

	TEST("parse: one document",
	    parse("a: 1\n", &type, &line, &e) == 0 &&
		type == YAML_MAPPING_NODE && line == 0);
	TEST("parse: one document with an explicit end",
	    parse("--- [1]\n...\n", &type, &line, &e) == 0 &&
		type == YAML_SEQUENCE_NODE && line == 0);
	TEST("parse: empty input",
	    parse("", &type, &line, &e) == 0 && type == 0 && line == 0);
	TEST("parse: a second document is reported with its line",
	    parse("a: 1\n---\n\nb: 2\n", &type, &line, &e) == 1 &&
		type == YAML_MAPPING_NODE && line == 4);
	{
		yaml_document_t doc;
		int rc =
		    yamldoc_parse("a\n--- b\n", 8, "f.yml", &doc, NULL, &e);
		TEST("parse: a second document, second not wanted", rc == 1);
		if (rc != -1)
			yaml_document_delete(&doc);
	}
	TEST("parse: a stray trailing --- is not a second document",
	    parse("a: 1\n---\n", &type, &line, &e) == 0 &&
		type == YAML_MAPPING_NODE && line == 0);
	TEST("parse: several empty documents are not a second document",
	    parse("a: 1\n---\n---\n...\n", &type, &line, &e) == 0 &&
		type == YAML_MAPPING_NODE && line == 0);
	TEST("parse: a second document after an empty one is reported",
	    parse("a: 1\n---\n---\nb: 2\n", &type, &line, &e) == 1 &&
		line == 4);
	TEST("parse: an explicit null is a second document",
	    parse("a: 1\n--- ~\n", &type, &line, &e) == 1 && line == 2);
	TEST("parse: a tagged empty scalar is a second document",
	    parse("a: 1\n--- !!null\n", &type, &line, &e) == 1);
	TEST("parse: garbage after an empty document is an error",
	    parse("a: 1\n---\n---\n[open\n", &type, &line, &e) == -1 &&
		strncmp(e.msg, "f.yml:5:1: ", 11) == 0);
	TEST("parse: garbage after the first document is an error",
	    parse("a: 1\n---\n[open\n", &type, &line, &e) == -1 &&
		strncmp(e.msg, "f.yml:4:1: ", 11) == 0);
	printf("# %s\n", e.msg);
	TEST("parse: an error in the first document",
	    parse("a: \"open\n", &type, &line, &e) == -1 &&
		strncmp(e.msg, "f.yml:2:1: ", 11) == 0);
}

int
main(void)
{
	test_documents();
	test_errors();
	test_parse();
	return test_report();
}
