/* Disk usage across VMs (see virt_disk_usage.h). One XML read per VM (two
 * for a running persistent one): fine for edits and the storage page,
 * which are rare next to the VM list. */
#include "virt/virt_disk_usage.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"

#include <stdlib.h>
#include <string.h>

void virt_disk_user_free(VirtDiskUser *u)
{
    if (!u)
        return;
    g_free(u->name);
    g_free(u);
}

static void users_free(gpointer p)
{
    g_ptr_array_unref(p);
}

/* The entry of VM `dom` among the users of `path`, made on first use. */
static VirtDiskUser *user_entry(GHashTable *usage, const char *path, virDomainPtr dom,
                                const char *uuid, gboolean active)
{
    GPtrArray *users = g_hash_table_lookup(usage, path);
    if (!users) {
        users = g_ptr_array_new_with_free_func((GDestroyNotify)virt_disk_user_free);
        g_hash_table_insert(usage, g_strdup(path), users);
    }
    for (guint i = 0; i < users->len; i++) {
        VirtDiskUser *u = g_ptr_array_index(users, i);
        if (strcmp(u->uuid, uuid) == 0)
            return u;
    }
    VirtDiskUser *u = g_new0(VirtDiskUser, 1);
    g_strlcpy(u->uuid, uuid, sizeof(u->uuid));
    u->name = g_strdup(virDomainGetName(dom));
    u->active = active;
    g_ptr_array_add(users, u);
    return u;
}

static void add_xml(GHashTable *usage, virDomainPtr dom, const char *uuid, gboolean active,
                    const char *xml)
{
    if (!xml)
        return;
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), NULL);
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (d->source && d->source[0] == '/') {
            VirtDiskUser *u = user_entry(usage, d->source, dom, uuid, active);
            u->writable |= !d->readonly;
            u->disk |= strcmp(d->device, "cdrom") != 0 && strcmp(d->device, "floppy") != 0;
        }
        /* QEMU only reads a backing file, but nobody may write it. */
        for (char **b = d->backing; b && *b; b++)
            user_entry(usage, *b, dom, uuid, active);
    }
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    const VirtDiskUser *x = *(VirtDiskUser *const *)a, *y = *(VirtDiskUser *const *)b;
    return g_strcmp0(x->name, y->name);
}

GHashTable *virt_disk_usage(virConnectPtr conn, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing VMs");
        return NULL;
    }
    GHashTable *usage = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, users_free);
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        int active = virDomainIsActive(doms[i]);
        int persistent = virDomainIsPersistent(doms[i]);
        /* A VM gone in between uses nothing. */
        if (virDomainGetUUIDString(doms[i], uuid) == 0 && active >= 0 && persistent >= 0) {
            g_autofree char *live = active ? virDomainGetXMLDesc(doms[i], 0) : NULL;
            g_autofree char *config = persistent
                                          ? virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE)
                                          : NULL;
            add_xml(usage, doms[i], uuid, active == 1, live);
            add_xml(usage, doms[i], uuid, active == 1, config);
        }
        virResetLastError();
        virDomainFree(doms[i]);
    }
    free(doms);
    GHashTableIter it;
    gpointer users;
    g_hash_table_iter_init(&it, usage);
    while (g_hash_table_iter_next(&it, NULL, &users))
        g_ptr_array_sort(users, by_name);
    return usage;
}

const GPtrArray *virt_disk_users(GHashTable *usage, const char *path)
{
    return path ? g_hash_table_lookup(usage, path) : NULL;
}
