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

/* Parses the len bytes at buf as YAML into doc: the first document, with
 * everything after it parsed too, so that garbage after the first document
 * is an error, not ignored.  Returns 0 when the input ends after the first
 * document (doc has no root node for empty input), 1 when a second document
 * follows (*second, when not NULL, says where its content starts; callers
 * warn or refuse), -1 with e as for yamldoc_load.  Unless it returns -1,
 * the caller deletes doc with yaml_document_delete. */
int yamldoc_parse(const char *buf, size_t len, const char *name,
    yaml_document_t *doc, yaml_mark_t *second, struct errbuf *e);

#endif
