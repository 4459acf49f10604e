/* Storage pool XML for every pool type Vireo creates (dir, fs, netfs,
 * logical, iscsi): validated, built with libxml2 (hostile names escaped,
 * never injected) and read back with XPath. */
#pragma once
#include <glib.h>

/* What a pool is made from; which members apply depends on the type. */
typedef struct {
    char *host;      /* netfs, iscsi: server name or address */
    unsigned port;   /* iscsi: 0 = default (3260) */
    char *dir;       /* netfs: exported directory */
    GStrv devices;   /* fs: the one block device; logical: physical volumes */
    char *name;      /* logical: volume group name */
    char *format;    /* fs: ext4, xfs ...; netfs: nfs, cifs, glusterfs */
    char *iqn;       /* iscsi: target IQN */
    char *initiator; /* iscsi: initiator IQN, optional */
} VirtPoolSource;

typedef struct {
    char *type; /* dir, fs, netfs, logical, iscsi (or what libvirt says) */
    char *name;
    char *path; /* target path; NULL when the pool has none */
    VirtPoolSource source;
} VirtPoolConfig;

void virt_pool_source_clear(VirtPoolSource *s);
void virt_pool_config_free(VirtPoolConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtPoolConfig, virt_pool_config_free)

/* The pool types Vireo can create, NULL-terminated. */
extern const char *const virt_pool_types[];

/* Checks a requested pool and fills what the type implies (an iscsi pool's
 * target path, a logical pool's volume group and target path); FALSE with
 * an INVALID_ARG error naming the member otherwise. */
gboolean virt_pool_config_check(VirtPoolConfig *cfg, GError **error);

/* <pool> XML for a checked config. */
char *virt_pool_xml(const VirtPoolConfig *cfg, GError **error);

VirtPoolConfig *virt_pool_config_parse(const char *xml, gsize len, GError **error);

/* Whether creating the pool needs virStoragePoolBuild: making the target
 * directory (dir, fs, netfs) or the volume group (logical with devices). */
gboolean virt_pool_needs_build(const VirtPoolConfig *cfg);
