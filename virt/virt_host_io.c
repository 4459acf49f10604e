/* Host disk and network counters from /proc, physical devices only (see
 * virt_host_io.h). */
#include "virt/virt_host_io.h"

#include <string.h>

void virt_host_io_clear(VirtHostIo *io)
{
    g_strfreev(io->disks);
    g_strfreev(io->interfaces);
    memset(io, 0, sizeof(*io));
}

static gboolean parse_u64(const char *s, guint64 *out)
{
    return g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, out, NULL);
}

/* Fields of one line, split on runs of blanks. */
static GStrv fields(const char *line)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    const char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (p > start) {
            g_autofree char *f = g_strndup(start, (gsize)(p - start));
            g_strv_builder_add(b, f);
        }
    }
    return g_strv_builder_end(b);
}

void virt_host_io_parse_diskstats(const char *text, VirtHostIoFilter accept, gconstpointer data,
                                  guint64 *read_bytes, guint64 *write_bytes, GPtrArray *names)
{
    *read_bytes = *write_bytes = 0;
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        /* major minor name reads merged sectors ms writes merged sectors ... */
        g_auto(GStrv) f = fields(*l);
        guint64 rd, wr;
        if (g_strv_length(f) < 10 || !parse_u64(f[5], &rd) || !parse_u64(f[9], &wr))
            continue;
        if (accept && !accept(f[2], data))
            continue;
        /* Always 512-byte units, whatever the device's sector size. */
        *read_bytes += rd * 512;
        *write_bytes += wr * 512;
        if (names)
            g_ptr_array_add(names, g_strdup(f[2]));
    }
}

void virt_host_io_parse_netdev(const char *text, VirtHostIoFilter accept, gconstpointer data,
                               guint64 *rx_bytes, guint64 *tx_bytes, GPtrArray *names)
{
    *rx_bytes = *tx_bytes = 0;
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        /* "  name: rx_bytes packets errs drop fifo frame compressed multicast
         *  tx_bytes ..."; the two header lines have no ':' before a number. */
        char *colon = strchr(*l, ':');
        if (!colon)
            continue;
        g_autofree char *name = g_strstrip(g_strndup(*l, (gsize)(colon - *l)));
        g_auto(GStrv) f = fields(colon + 1);
        guint64 rx, tx;
        if (!*name || g_strv_length(f) < 9 || !parse_u64(f[0], &rx) || !parse_u64(f[8], &tx))
            continue;
        if (accept && !accept(name, data))
            continue;
        *rx_bytes += rx;
        *tx_bytes += tx;
        if (names)
            g_ptr_array_add(names, g_steal_pointer(&name));
    }
}

/* A device the kernel ties to hardware (or to a hypervisor's virtual
 * hardware): /sys/<class>/<name>/device exists. */
static gboolean physical(const char *name, gconstpointer class_dir)
{
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return FALSE;
    g_autofree char *path = g_build_filename(class_dir, name, "device", NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GStrv sorted(GPtrArray *names)
{
    g_ptr_array_sort(names, by_name);
    g_ptr_array_add(names, NULL);
    return (GStrv)g_ptr_array_free(names, FALSE);
}

gboolean virt_host_io_read(VirtHostIo *out)
{
    memset(out, 0, sizeof(*out));
    g_autofree char *disks = NULL, *net = NULL;
    if (!g_file_get_contents("/proc/diskstats", &disks, NULL, NULL) ||
        !g_file_get_contents("/proc/net/dev", &net, NULL, NULL))
        return FALSE;
    GPtrArray *disk_names = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *if_names = g_ptr_array_new_with_free_func(g_free);
    virt_host_io_parse_diskstats(disks, physical, "/sys/block", &out->read_bytes, &out->write_bytes,
                                 disk_names);
    virt_host_io_parse_netdev(net, physical, "/sys/class/net", &out->rx_bytes, &out->tx_bytes,
                              if_names);
    g_ptr_array_set_free_func(disk_names, NULL);
    g_ptr_array_set_free_func(if_names, NULL);
    out->disks = sorted(disk_names);
    out->interfaces = sorted(if_names);
    return TRUE;
}
