/* Builds a system container's domain XML (virt_container_xml.h) with
 * libxml2, so no value can inject markup. */
#include "virt/virt_container_xml.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <string.h>

static gboolean absolute_clean(const char *what, const char *p, GError **error)
{
    if (!p || !g_path_is_absolute(p) || strstr(p, "/../") || g_str_has_suffix(p, "/..") ||
        strlen(p) > 1024)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "%s must be an absolute path without '..' (at most 1024 characters)",
                         what);
    return TRUE;
}

char *virt_container_xml(const VirtContainerSpec *s, GError **error)
{
    if (!virt_domain_name_valid(s->name, error) ||
        !absolute_clean("root_dir", s->root_dir, error) || !absolute_clean("init", s->init, error))
        return NULL;
    if (s->memory_mib < 16)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "memory_mib must be at least 16"), NULL;
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *dom = xmlNewNode(NULL, BAD_CAST "domain");
    xmlDocSetRootElement(doc, dom);
    xmlNewProp(dom, BAD_CAST "type", BAD_CAST(s->domain_type ? s->domain_type : "lxc"));
    virt_xml_text_child(dom, "name", s->name);
    if (s->uuid)
        virt_xml_text_child(dom, "uuid", s->uuid);
    g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT, s->memory_mib);
    xmlNewProp(virt_xml_text_child(dom, "memory", mem), BAD_CAST "unit", BAD_CAST "MiB");
    g_autofree char *vcpus = g_strdup_printf("%u", s->vcpus ? s->vcpus : 1);
    virt_xml_text_child(dom, "vcpu", vcpus);
    xmlNode *os = xmlNewChild(dom, NULL, BAD_CAST "os", NULL);
    virt_xml_text_child(os, "type", "exe");
    virt_xml_text_child(os, "init", s->init);
    xmlNode *devices = xmlNewChild(dom, NULL, BAD_CAST "devices", NULL);
    xmlNode *fs = xmlNewChild(devices, NULL, BAD_CAST "filesystem", NULL);
    xmlNewProp(fs, BAD_CAST "type", BAD_CAST "mount");
    virt_xml_attr_child(fs, "source", "dir", s->root_dir);
    virt_xml_attr_child(fs, "target", "dir", "/");
    virt_xml_attr_child(devices, "console", "type", "pty");
    return virt_xml_dump(doc);
}
