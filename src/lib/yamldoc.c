/* yamldoc.c - see yamldoc.h. */
#include "yamldoc.h"

#include <string.h>

int
yamldoc_load(yaml_parser_t *p, yaml_document_t *doc, const char *name,
    struct errbuf *e)
{
	const char *problem;

	if (yaml_parser_load(p, doc))
		return 0;
	problem = p->problem != NULL ? p->problem : "syntax error";
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return errf(e, "%s: out of memory", name);
	case YAML_READER_ERROR:
		/* The reader only knows the byte offset. */
		return errf(e, "%s: %s at byte %zu", name, problem,
		    p->problem_offset);
	default:
		break;
	}
	if (p->context != NULL)
		return errf(e, "%s:%zu:%zu: %s (%s at line %zu, column %zu)",
		    name, p->problem_mark.line + 1, p->problem_mark.column + 1,
		    problem, p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
	return errf(e, "%s:%zu:%zu: %s", name, p->problem_mark.line + 1,
	    p->problem_mark.column + 1, problem);
}

/* A stray "---" with nothing after it loads as a document whose root is an
 * empty, untagged plain scalar.  It carries no content, so it does not count
 * as a second document; "--- ~" or "--- ''" are content and do. */
static int
is_empty_document(yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);

	return root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0 &&
	    root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    strcmp((const char *)root->tag, YAML_DEFAULT_SCALAR_TAG) == 0;
}

int
yamldoc_parse(const char *buf, size_t len, const char *name,
    yaml_document_t *doc, yaml_mark_t *second, struct errbuf *e)
{
	yaml_parser_t parser;
	yaml_document_t next;
	yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		return errf(e, "%s: out of memory", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (yamldoc_load(&parser, doc, name, e) == -1)
		goto out;
	rc = 0;
	if (yaml_document_get_root_node(doc) == NULL)
		goto out; /* empty input: nothing can follow */
	/* Read on to the end, past empty documents, so that garbage anywhere
	 * after the first document is still an error. */
	for (;;) {
		if (yamldoc_load(&parser, &next, name, e) == -1) {
			yaml_document_delete(doc);
			rc = -1;
			goto out;
		}
		if ((root = yaml_document_get_root_node(&next)) == NULL) {
			yaml_document_delete(&next);
			break;
		}
		if (!is_empty_document(&next)) {
			if (second != NULL)
				*second = root->start_mark;
			yaml_document_delete(&next);
			rc = 1;
			break;
		}
		yaml_document_delete(&next);
	}
out:
	yaml_parser_delete(&parser);
	return rc;
}
