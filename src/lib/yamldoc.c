/* yamldoc.c - see yamldoc.h. */
#include "yamldoc.h"

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
		    name, p->problem_mark.line + 1,
		    p->problem_mark.column + 1, problem, p->context,
		    p->context_mark.line + 1, p->context_mark.column + 1);
	return errf(e, "%s:%zu:%zu: %s", name, p->problem_mark.line + 1,
	    p->problem_mark.column + 1, problem);
}
