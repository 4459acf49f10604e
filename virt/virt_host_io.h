/* The host's disk and network counters, from /proc/diskstats and
 * /proc/net/dev, summed over physical devices only (those with a
 * `device` link in /sys), so partitions, loop devices, device-mapper
 * volumes, bridges and VMs' tap devices are not counted twice or at all.
 * Local only: libvirt has no API for them. */
#pragma once
#include <glib.h>

typedef struct {
    guint64 read_bytes, write_bytes;
    guint64 rx_bytes, tx_bytes;
    GStrv disks; /* the devices counted, sorted */
    GStrv interfaces;
} VirtHostIo;

void virt_host_io_clear(VirtHostIo *io);

/* Decides whether a device name counts; `data` as given. */
typedef gboolean (*VirtHostIoFilter)(const char *name, gconstpointer data);

/* Sums the bytes read and written of /proc/diskstats text (512-byte
 * sectors) over the devices `accept` takes (NULL: all); their names go to
 * `names` (may be NULL). Malformed lines are skipped. */
void virt_host_io_parse_diskstats(const char *text, VirtHostIoFilter accept, gconstpointer data,
                                  guint64 *read_bytes, guint64 *write_bytes, GPtrArray *names);
/* The same for /proc/net/dev text: received and sent bytes. */
void virt_host_io_parse_netdev(const char *text, VirtHostIoFilter accept, gconstpointer data,
                               guint64 *rx_bytes, guint64 *tx_bytes, GPtrArray *names);

/* Reads this host's counters; FALSE when /proc cannot be read. */
gboolean virt_host_io_read(VirtHostIo *out);
