/* test_yamldoc.c - yamldoc_load: documents in, one-line errors with the
 * position out, for each kind of libyaml failure. */
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
	struct errbuf e = { "" };
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
	struct errbuf e = { "" };
	int type;

	TEST("an unclosed quote names both positions",
	    load("a:\n  b: \"open\n", &type, &e) == -1 &&
	    strcmp(e.msg, "f.yml:3:1: found unexpected end of stream "
	    "(while scanning a quoted scalar at line 2, column 6)") == 0);
	printf("# %s\n", e.msg);
	TEST("a tab where indentation is expected",
	    load("a:\n\tb: 1\n", &type, &e) == -1 &&
	    strcmp(e.msg, "f.yml:2:1: found character that cannot start "
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

int
main(void)
{
	test_documents();
	test_errors();
	return test_report();
}
