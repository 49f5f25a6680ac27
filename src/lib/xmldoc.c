/* xmldoc.c - see xmldoc.h. */
#include "xmldoc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

/* No XML_PARSE_NOENT (entities stay references, never substituted), no
 * XML_PARSE_DTDLOAD or DTDATTR (nothing external is read), NONET in case
 * anything still tries; NOERROR and NOWARNING keep libxml2 from printing:
 * the error goes into the caller's buffer instead. */
#define XMLDOC_OPTIONS                                                         \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |           \
	    XML_PARSE_NOCDATA)

/* What went wrong first: libxml2 goes on after an error and its last
 * one ("Premature end of data") is seldom the one to show. */
struct first_error {
	bool set;
	bool doctype;
	int line;
	char msg[400];
};

static void
on_error(void *ctx, xmlError *err)
{
	xmlParserCtxt *ctxt = ctx;
	struct first_error *fe = ctxt->_private;

	if (fe->set || err->level < XML_ERR_ERROR)
		return;
	fe->set = true;
	fe->line = err->line;
	snprintf(fe->msg, sizeof fe->msg, "%s",
	    err->message != NULL ? err->message : "not XML");
}

/* <!DOCTYPE: refused before any declaration inside it is read. */
static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
    const xmlChar *sys_id)
{
	xmlParserCtxt *ctxt = ctx;
	struct first_error *fe = ctxt->_private;

	(void)name;
	(void)ext_id;
	(void)sys_id;
	if (!fe->set) {
		fe->set = fe->doctype = true;
		fe->line = xmlSAX2GetLineNumber(ctxt);
		snprintf(fe->msg, sizeof fe->msg, "DOCTYPE not allowed");
	}
	xmlStopParser(ctxt);
}

xmlDoc *
xmldoc_parse(const char *buf, size_t len, const char *name, struct errbuf *e)
{
	struct first_error fe = {0};
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	size_t n;

	if (len > INT_MAX) {
		errf(e, "%s: too large to be read", name);
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		errf(e, "%s: out of memory", name);
		return NULL;
	}
	ctxt->_private = &fe;
	ctxt->sax->serror = on_error;
	ctxt->sax->internalSubset = on_doctype;
	doc =
	    xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL, XMLDOC_OPTIONS);
	if (fe.set || doc == NULL) {
		xmlFreeDoc(doc);
		doc = NULL;
		if (!fe.set)
			snprintf(fe.msg, sizeof fe.msg, "not XML");
		/* libxml2's messages end with a newline. */
		n = strlen(fe.msg);
		while (n > 0 && strchr(" \t\r\n", fe.msg[n - 1]) != NULL)
			fe.msg[--n] = '\0';
		if (fe.line > 0)
			errf(e, "%s:%d: %s", name, fe.line, fe.msg);
		else
			errf(e, "%s: %s", name, fe.msg);
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

bool
xmldoc_is(const xmlNode *node, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)node->name, name) == 0;
}

xmlNode *
xmldoc_child(const xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent->children; c != NULL; c = c->next)
		if (xmldoc_is(c, name))
			return c;
	return NULL;
}

char *
xmldoc_attr(const xmlNode *node, const char *name, bool *oom)
{
	xmlChar *v;
	char *s;

	*oom = false;
	if (xmlHasNsProp(node, (const xmlChar *)name, NULL) == NULL)
		return NULL;
	if ((v = xmlGetNoNsProp(node, (const xmlChar *)name)) == NULL) {
		*oom = true;
		return NULL;
	}
	if ((s = strdup((const char *)v)) == NULL)
		*oom = true;
	xmlFree(v);
	return s;
}

char *
xmldoc_text(const xmlNode *node)
{
	xmlChar *v = xmlNodeGetContent(node);
	const char *p;
	char *s;
	size_t n;

	if (v == NULL)
		return strdup("");
	for (p = (const char *)v; *p != '\0' && strchr(" \t\r\n", *p); p++)
		;
	n = strlen(p);
	while (n > 0 && strchr(" \t\r\n", p[n - 1]) != NULL)
		n--;
	s = strndup(p, n);
	xmlFree(v);
	return s;
}

long
xmldoc_line(const xmlNode *node)
{
	long l = xmlGetLineNo(node);

	return l > 0 ? l : 0;
}
