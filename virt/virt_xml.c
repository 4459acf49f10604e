/* libxml2 helpers shared by the readers of domain and capabilities XML. */
#include "virt/virt_xml.h"
#include "virt/virt_error.h"

#include <limits.h>

xmlDoc *virt_xml_parse(const char *xml, gsize len, GError **error)
{
    if (len > INT_MAX) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "XML document too large");
        return NULL;
    }
    xmlDoc *doc = xmlReadMemory(xml, (int)len, "libvirt.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !xmlDocGetRootElement(doc)) {
        const xmlError *e = xmlGetLastError();
        g_autofree char *why = g_strdup(e && e->message ? e->message : "empty document");
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "malformed XML: %s",
                    g_strstrip(why));
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

xmlXPathObject *virt_xml_nodes(xmlXPathContext *ctx, xmlNode *node, const char *expr)
{
    ctx->node = node ? node : xmlDocGetRootElement(ctx->doc);
    return xmlXPathEvalExpression((const xmlChar *)expr, ctx);
}

int virt_xml_count(const xmlXPathObject *obj)
{
    if (!obj || obj->type != XPATH_NODESET || !obj->nodesetval)
        return 0;
    return obj->nodesetval->nodeNr;
}

char *virt_xml_string(xmlXPathContext *ctx, xmlNode *node, const char *expr)
{
    g_autofree char *wrapped = g_strdup_printf("string(%s)", expr);
    ctx->node = node ? node : xmlDocGetRootElement(ctx->doc);
    g_autoptr(xmlXPathObject) obj = xmlXPathEvalExpression((const xmlChar *)wrapped, ctx);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval || !*obj->stringval)
        return NULL;
    return g_strdup((const char *)obj->stringval);
}

char *virt_xml_dump(xmlDoc *doc)
{
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
    char *out = g_strndup(mem ? (const char *)mem : "", mem ? (gsize)len : 0);
    xmlFree(mem);
    return out;
}

xmlNode *virt_xml_text_child(xmlNode *parent, const char *name, const char *text)
{
    return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

xmlNode *virt_xml_attr_child(xmlNode *parent, const char *name, const char *attr, const char *value)
{
    xmlNode *node = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    xmlSetProp(node, (const xmlChar *)attr, (const xmlChar *)value);
    return node;
}
