/* Watching a shut-off VM while its archive is read (export, backups):
 * VM actions take no lock, so someone may start the VM meanwhile. Before
 * each disk and before the digests, the VM must still be shut off and no
 * disk may have changed since the archive began; else the archive is cut
 * short, so that no reader takes it. */
#pragma once
#include "api/core/api.h"

typedef struct ApiArchiveWatch ApiArchiveWatch;

/* 409 (saying what to do instead) unless `dom` is shut off. */
gboolean api_archive_shut_off(virDomainPtr dom, GError **error);

ApiArchiveWatch *api_archive_watch_new(virDomainPtr dom);
void api_archive_watch_free(ApiArchiveWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiArchiveWatch, api_archive_watch_free)
/* The disks' volumes (virStorageVolPtr, as api_archive_out fills them):
 * their change times now are what later checks compare with. */
gboolean api_archive_watch_begin(ApiArchiveWatch *w, GPtrArray *volumes, GError **error);
/* A VirtArchiveCheck (data: the watch). */
gboolean api_archive_watch_check(guint member, gpointer w, GError **error);
