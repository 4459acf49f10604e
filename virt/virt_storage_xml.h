/* Volume XML (pools: virt_pool_xml.h): built with libxml2 (so hostile names are
 * escaped, never injected) and read back with XPath. */
#pragma once
#include <glib.h>

/* Pool and volume names: 1-255 bytes of UTF-8, no '/', no control
 * characters, not starting with '.' (no ".", "..", hidden files). */
gboolean virt_storage_name_valid(const char *name, GError **error);
/* raw, qcow2, vdi, vmdk. */
gboolean virt_storage_format_valid(const char *format);

/* A new volume of `capacity` bytes (allocated lazily). `backing_path` (may
 * be NULL) with its `backing_format` becomes <backingStore>. */
char *virt_vol_xml(const char *name, guint64 capacity, const char *format, const char *backing_path,
                   const char *backing_format, GError **error);

typedef struct {
    char *format;       /* target/format/@type, NULL when absent */
    char *backing_path; /* backingStore/path, NULL when none */
    gint64 changed_at;  /* latest of the file's mtime and ctime, unix seconds; 0 unknown */
} VirtVolConfig;

VirtVolConfig *virt_vol_config_parse(const char *xml, gsize len, GError **error);
void virt_vol_config_free(VirtVolConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtVolConfig, virt_vol_config_free)
