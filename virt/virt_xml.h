/* Small libxml2 helpers for reading libvirt XML with XPath. */
#pragma once
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

/* Parses untrusted XML: no network, no entity expansion, no DTD loading. */
xmlDoc *virt_xml_parse(const char *xml, gsize len, GError **error);
/* The string value of `expr` evaluated at `node` (the document when NULL),
 * or NULL when it is empty or absent. */
char *virt_xml_string(xmlXPathContext *ctx, xmlNode *node, const char *expr);
/* The nodes matched by `expr` at `node`; free with xmlXPathFreeObject. */
xmlXPathObject *virt_xml_nodes(xmlXPathContext *ctx, xmlNode *node, const char *expr);
/* Number of nodes in a node-set result (0 for NULL). */
int virt_xml_count(const xmlXPathObject *obj);

/* Writing: serializes `doc` as UTF-8 text (never NULL). */
char *virt_xml_dump(xmlDoc *doc);

/* A child element with escaped text content (xmlNewTextChild escapes; the
 * plain xmlNewChild would take '&' as the start of an entity). */
xmlNode *virt_xml_text_child(xmlNode *parent, const char *name, const char *text);

/* An empty child element carrying one attribute (escaped by libxml2). */
xmlNode *virt_xml_attr_child(xmlNode *parent, const char *name, const char *attr,
                             const char *value);
