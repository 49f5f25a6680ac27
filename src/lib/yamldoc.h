/* yamldoc.h - loading YAML documents with libyaml, and saying where the
 * input is wrong the same way for every file we read (buildpack.yml, a
 * buildpack's release output). */
#ifndef SLUGC_YAMLDOC_H
#define SLUGC_YAMLDOC_H

#include <yaml.h>

#include "err.h"

/* Loads the parser's next document into doc (yaml_parser_load).  On a
 * syntax or reader error returns -1 with e holding one line that starts with
 * name and the 1-based line and column ("NAME:LINE:COL: problem (context at
 * line L, column C)"), or the byte offset for an encoding error; doc then
 * needs no yaml_document_delete.  On success the caller deletes doc; a doc
 * without a root node means the input held no more documents. */
int yamldoc_load(yaml_parser_t *p, yaml_document_t *doc, const char *name,
    struct errbuf *e);

#endif
