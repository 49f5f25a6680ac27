/* xmldoc.h - reading small, untrusted XML files (packages.config,
 * nuget.config, a package's .nuspec) with libxml2, and saying where the
 * input is wrong the same way for every one of them.
 *
 * The input comes from the app or from a package feed, so the parser is
 * never allowed to reach anything beyond the bytes it is given: no network,
 * no external DTD or entity loading, no entity substitution, and a document
 * with a DOCTYPE is refused outright (none of these formats has one, and
 * that leaves no room for entity expansion tricks). */
#ifndef SLUGC_XMLDOC_H
#define SLUGC_XMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "err.h"

/* Parses the len bytes at buf.  name is what messages call the input (a
 * path).  Returns the document, which the caller frees with xmlFreeDoc, or
 * NULL with e holding one line "NAME:LINE: problem" (libxml2's own words,
 * or "DOCTYPE not allowed"). */
xmlDoc *xmldoc_parse(const char *buf, size_t len, const char *name,
    struct errbuf *e);

/* true when node is an element whose local name (any namespace) is name. */
bool xmldoc_is(const xmlNode *node, const char *name);

/* The first child element of parent named name (local name), or NULL. */
xmlNode *xmldoc_child(const xmlNode *parent, const char *name);

/* The value of attribute name (no namespace) of node, malloc'd, or NULL when
 * it has none (or when out of memory: *oom is set then).  Caller frees. */
char *xmldoc_attr(const xmlNode *node, const char *name, bool *oom);

/* The text content of node with leading and trailing white space removed,
 * malloc'd, or NULL when out of memory.  Caller frees. */
char *xmldoc_text(const xmlNode *node);

/* The 1-based line of node in its input (0 when unknown). */
long xmldoc_line(const xmlNode *node);

#endif
