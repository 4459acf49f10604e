/* Pool XML of every supported type: checks, build and read-back. */
#include "virt/virt_pool_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_storage_xml.h"
#include "virt/virt_xml.h"

#include <string.h>

#define PATH_MAX_BYTES 4096
#define HOST_MAX_BYTES 253
#define IQN_MAX_BYTES 223 /* RFC 3720 */
#define VG_MAX_BYTES 127
#define MAX_DEVICES 16

const char *const virt_pool_types[] = {"dir", "fs", "netfs", "logical", "iscsi", NULL};
static const char *const fs_formats[] = {"auto", "ext2",  "ext3", "ext4",
                                         "xfs",  "btrfs", "vfat", NULL};
static const char *const netfs_formats[] = {"nfs", "cifs", "glusterfs", NULL};

void virt_pool_source_clear(VirtPoolSource *s)
{
    g_clear_pointer(&s->host, g_free);
    g_clear_pointer(&s->dir, g_free);
    g_clear_pointer(&s->devices, g_strfreev);
    g_clear_pointer(&s->name, g_free);
    g_clear_pointer(&s->format, g_free);
    g_clear_pointer(&s->iqn, g_free);
    g_clear_pointer(&s->initiator, g_free);
    s->port = 0;
}

void virt_pool_config_free(VirtPoolConfig *c)
{
    if (!c)
        return;
    g_free(c->type);
    g_free(c->name);
    g_free(c->path);
    virt_pool_source_clear(&c->source);
    g_free(c);
}

/* Absolute, normalized (no '.', '..' or empty segments), UTF-8, no control
 * characters, not "/" itself. */
static gboolean path_valid(const char *what, const char *path, GError **error)
{
    if (!path || !g_path_is_absolute(path) || strlen(path) > PATH_MAX_BYTES ||
        !g_utf8_validate(path, -1, NULL))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "the %s '%s' must be an absolute UTF-8 path", what,
                         path && g_utf8_validate(path, -1, NULL) ? path : "");
    if (strcmp(path, "/") == 0)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "the %s must not be '/'", what);
    g_auto(GStrv) parts = g_strsplit(path + 1, "/", -1);
    for (char **p = parts; *p; p++) {
        if (!**p || strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "the %s '%s' must be normalized (no '.', '..' or empty "
                             "segments)",
                             what, path);
        for (const char *c = *p; *c; c++)
            if ((guchar)*c < 0x20 || *c == 0x7f)
                return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                                 "the %s '%s' has control characters", what, path);
    }
    return TRUE;
}

/* A DNS name, IPv4 or IPv6 address: letters, digits, '.', '-', ':'. */
static gboolean host_valid(const char *host, GError **error)
{
    gsize n = host ? strlen(host) : 0;
    gboolean ok = n > 0 && n <= HOST_MAX_BYTES && host[0] != '-' && host[0] != '.';
    for (gsize i = 0; ok && i < n; i++)
        ok = g_ascii_isalnum(host[i]) || strchr(".-:", host[i]);
    return ok ? TRUE
              : virt_fail(error, VIRT_ERROR_INVALID_ARG,
                          "invalid host '%s': a DNS name or an IP address",
                          host && g_utf8_validate(host, -1, NULL) ? host : "");
}

/* iqn.YYYY-MM.reversed.domain[:anything], eui.<16 hex> or naa.<16|32 hex>:
 * printable ASCII without spaces. */
static gboolean iqn_valid(const char *what, const char *iqn, GError **error)
{
    gsize n = iqn ? strlen(iqn) : 0;
    gboolean ok = n > 4 && n <= IQN_MAX_BYTES &&
                  (g_str_has_prefix(iqn, "iqn.") || g_str_has_prefix(iqn, "eui.") ||
                   g_str_has_prefix(iqn, "naa."));
    for (gsize i = 0; ok && i < n; i++)
        ok = iqn[i] > 0x20 && iqn[i] < 0x7f && iqn[i] != '/' && iqn[i] != '\\';
    return ok ? TRUE
              : virt_fail(error, VIRT_ERROR_INVALID_ARG,
                          "invalid %s '%s': an iSCSI name like "
                          "iqn.2024-01.com.example:storage",
                          what, iqn && g_utf8_validate(iqn, -1, NULL) ? iqn : "");
}

/* LVM volume group names: letters, digits and "+_.-", not starting with
 * '-', not "." or "..". */
static gboolean vg_valid(const char *vg, GError **error)
{
    gsize n = vg ? strlen(vg) : 0;
    gboolean ok = n > 0 && n <= VG_MAX_BYTES && vg[0] != '-' && strcmp(vg, ".") != 0 &&
                  strcmp(vg, "..") != 0;
    for (gsize i = 0; ok && i < n; i++)
        ok = g_ascii_isalnum(vg[i]) || strchr("+_.-", vg[i]);
    return ok ? TRUE
              : virt_fail(error, VIRT_ERROR_INVALID_ARG,
                          "invalid volume group name '%s': letters, digits and +_.-",
                          vg && g_utf8_validate(vg, -1, NULL) ? vg : "");
}

static gboolean devices_valid(const VirtPoolConfig *cfg, guint min, guint max, GError **error)
{
    guint n = cfg->source.devices ? g_strv_length(cfg->source.devices) : 0;
    if (n < min || n > max)
        return min == max
                   ? virt_fail(error, VIRT_ERROR_INVALID_ARG,
                               "a %s pool needs exactly %u source device", cfg->type, min)
                   : virt_fail(error, VIRT_ERROR_INVALID_ARG,
                               "a %s pool takes %u to %u source devices", cfg->type, min, max);
    for (guint i = 0; i < n; i++) {
        if (!path_valid("source device", cfg->source.devices[i], error))
            return FALSE;
        if (!g_str_has_prefix(cfg->source.devices[i], "/dev/"))
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "the source device '%s' must be under /dev/", cfg->source.devices[i]);
    }
    return TRUE;
}

/* Members that do not apply to the type are refused rather than ignored:
 * a caller who sends them expects them to mean something. */
static gboolean only_members(const VirtPoolConfig *cfg, const char *allowed, GError **error)
{
    const struct {
        const char *name;
        gboolean set;
    } members[] = {
        {"host", cfg->source.host != NULL}, {"port", cfg->source.port != 0},
        {"dir", cfg->source.dir != NULL},   {"devices", cfg->source.devices != NULL},
        {"name", cfg->source.name != NULL}, {"format", cfg->source.format != NULL},
        {"iqn", cfg->source.iqn != NULL},   {"initiator", cfg->source.initiator != NULL},
    };
    g_auto(GStrv) ok = g_strsplit(allowed, ",", -1);
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
        if (members[i].set && !g_strv_contains((const char *const *)ok, members[i].name))
            return virt_fail(error, VIRT_ERROR_INVALID_ARG, "source.%s does not apply to a %s pool",
                             members[i].name, cfg->type);
    return TRUE;
}

static gboolean format_in(const VirtPoolConfig *cfg, const char *const *formats, const char *list,
                          GError **error)
{
    if (!cfg->source.format || g_strv_contains(formats, cfg->source.format))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_INVALID_ARG, "unknown %s pool format '%s' (%s)", cfg->type,
                     g_utf8_validate(cfg->source.format, -1, NULL) ? cfg->source.format : "", list);
}

gboolean virt_pool_config_check(VirtPoolConfig *cfg, GError **error)
{
    if (!cfg->type || !g_strv_contains(virt_pool_types, cfg->type))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "unsupported pool type '%s' (dir, fs, netfs, logical, iscsi)",
                         cfg->type && g_utf8_validate(cfg->type, -1, NULL) ? cfg->type : "");
    if (!virt_storage_name_valid(cfg->name, error))
        return FALSE;
    const char *type = cfg->type;
    if (strcmp(type, "logical") == 0) {
        if (!only_members(cfg, "name,devices", error))
            return FALSE;
        if (!cfg->source.name)
            cfg->source.name = g_strdup(cfg->name);
        if (!vg_valid(cfg->source.name, error) || !devices_valid(cfg, 0, MAX_DEVICES, error))
            return FALSE;
        /* libvirt puts a volume group's volumes under /dev/VG. */
        g_autofree char *want = g_strconcat("/dev/", cfg->source.name, NULL);
        if (cfg->path && strcmp(cfg->path, want) != 0)
            return virt_fail(error, VIRT_ERROR_INVALID_ARG, "a logical pool's path is %s", want);
        if (!cfg->path)
            cfg->path = g_steal_pointer(&want);
        return TRUE;
    }
    if (strcmp(type, "iscsi") == 0) {
        if (!cfg->path)
            cfg->path = g_strdup("/dev/disk/by-path");
        if (!only_members(cfg, "host,port,iqn,initiator", error) ||
            !host_valid(cfg->source.host, error) || !iqn_valid("target", cfg->source.iqn, error) ||
            (cfg->source.initiator && !iqn_valid("initiator", cfg->source.initiator, error)))
            return FALSE;
        if (cfg->source.port > 65535)
            return virt_fail(error, VIRT_ERROR_INVALID_ARG, "invalid port %u (1-65535)",
                             cfg->source.port);
        return path_valid("path", cfg->path, error);
    }
    if (!path_valid("path", cfg->path, error))
        return FALSE;
    if (strcmp(type, "dir") == 0)
        return only_members(cfg, "", error);
    if (strcmp(type, "fs") == 0)
        return only_members(cfg, "devices,format", error) && devices_valid(cfg, 1, 1, error) &&
               format_in(cfg, fs_formats, "auto, ext2, ext3, ext4, xfs, btrfs, vfat", error);
    /* netfs */
    return only_members(cfg, "host,dir,format", error) && host_valid(cfg->source.host, error) &&
           path_valid("source dir", cfg->source.dir, error) &&
           format_in(cfg, netfs_formats, "nfs, cifs, glusterfs", error);
}

gboolean virt_pool_needs_build(const VirtPoolConfig *cfg)
{
    if (strcmp(cfg->type, "logical") == 0)
        return cfg->source.devices && cfg->source.devices[0];
    return strcmp(cfg->type, "iscsi") != 0;
}

static void add_source(xmlNode *pool, const VirtPoolConfig *cfg)
{
    const VirtPoolSource *s = &cfg->source;
    if (strcmp(cfg->type, "dir") == 0)
        return;
    xmlNode *src = xmlNewChild(pool, NULL, BAD_CAST "source", NULL);
    if (s->host) {
        xmlNode *host = virt_xml_attr_child(src, "host", "name", s->host);
        if (s->port) {
            char port[8];
            g_snprintf(port, sizeof port, "%u", s->port);
            xmlSetProp(host, BAD_CAST "port", BAD_CAST port);
        }
    }
    for (char **d = s->devices; d && *d; d++)
        virt_xml_attr_child(src, "device", "path", *d);
    if (s->iqn) /* libvirt takes the target IQN as the device path */
        virt_xml_attr_child(src, "device", "path", s->iqn);
    if (s->dir)
        virt_xml_attr_child(src, "dir", "path", s->dir);
    if (s->name)
        virt_xml_text_child(src, "name", s->name);
    if (s->initiator)
        virt_xml_attr_child(xmlNewChild(src, NULL, BAD_CAST "initiator", NULL), "iqn", "name",
                            s->initiator);
    const char *format = s->format;
    if (!format && strcmp(cfg->type, "netfs") == 0)
        format = "nfs";
    else if (!format && strcmp(cfg->type, "fs") == 0)
        format = "auto";
    else if (strcmp(cfg->type, "logical") == 0)
        format = "lvm2";
    if (format)
        virt_xml_attr_child(src, "format", "type", format);
}

char *virt_pool_xml(const VirtPoolConfig *cfg, GError **error)
{
    if (!cfg->type || !g_strv_contains(virt_pool_types, cfg->type) || !cfg->path) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "the pool is not checked (type '%s')",
                  cfg->type ? cfg->type : "");
        return NULL;
    }
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *pool = xmlNewNode(NULL, BAD_CAST "pool");
    xmlDocSetRootElement(doc, pool);
    xmlSetProp(pool, BAD_CAST "type", BAD_CAST cfg->type);
    virt_xml_text_child(pool, "name", cfg->name);
    add_source(pool, cfg);
    xmlNode *target = xmlNewChild(pool, NULL, BAD_CAST "target", NULL);
    virt_xml_text_child(target, "path", cfg->path);
    return virt_xml_dump(doc);
}

VirtPoolConfig *virt_pool_config_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, len, error);
    if (!doc)
        return NULL;
    if (!xmlStrEqual(xmlDocGetRootElement(doc)->name, BAD_CAST "pool")) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "not a pool XML document");
        return NULL;
    }
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    VirtPoolConfig *c = g_new0(VirtPoolConfig, 1);
    c->type = virt_xml_string(ctx, NULL, "/pool/@type");
    c->name = virt_xml_string(ctx, NULL, "/pool/name");
    c->path = virt_xml_string(ctx, NULL, "/pool/target/path");
    VirtPoolSource *s = &c->source;
    s->host = virt_xml_string(ctx, NULL, "/pool/source/host/@name");
    g_autofree char *port = virt_xml_string(ctx, NULL, "/pool/source/host/@port");
    guint64 p = 0;
    if (port && g_ascii_string_to_unsigned(port, 10, 1, 65535, &p, NULL))
        s->port = (unsigned)p;
    s->dir = virt_xml_string(ctx, NULL, "/pool/source/dir/@path");
    s->name = virt_xml_string(ctx, NULL, "/pool/source/name");
    s->format = virt_xml_string(ctx, NULL, "/pool/source/format/@type");
    s->initiator = virt_xml_string(ctx, NULL, "/pool/source/initiator/iqn/@name");
    g_autoptr(xmlXPathObject) devs = virt_xml_nodes(ctx, NULL, "/pool/source/device");
    int n = virt_xml_count(devs);
    gboolean iscsi = g_strcmp0(c->type, "iscsi") == 0;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (int i = 0; i < n; i++) {
        g_autofree char *path = virt_xml_string(ctx, devs->nodesetval->nodeTab[i], "@path");
        if (path && iscsi && !s->iqn)
            s->iqn = g_steal_pointer(&path);
        else if (path)
            g_strv_builder_add(b, path);
    }
    if (!iscsi && n > 0)
        s->devices = g_strv_builder_end(b);
    return c;
}
