/* A VM archive read back into a new VM (see api_archive.h). The members
 * must come in the order Vireo writes them: vireo.json, domain.xml, the
 * disks as vireo.json lists them, SHA256SUMS. Disks go straight into new
 * volumes as they pass; the VM is defined only once every digest matched
 * and the archive ended. */
#include "api/backup/api_archive.h"
#include "api/backup/api_archive_media.h"
#include "api/core/api_error.h"
#include "api/tasks/api_tasks.h"
#include "api/vms/api_vm_unit.h"
#include "db/db_auth.h"
#include "virt/virt_archive.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_footprint.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_nvram.h"
#include "virt/virt_storage.h"
#include "virt/virt_tar.h"
#include "virt/virt_volume_copy.h"

#include <string.h>

#define MAX_DISKS 64

typedef struct {
    char *target, *member, *format;
    char *volume;         /* the new volume's name */
    guint64 capacity;     /* what vireo.json says the guest sees */
    virStorageVolPtr vol; /* once made */
    char hex[65];         /* its digest, once read */
} InDisk;

typedef enum { WANT_META, WANT_DOMAIN, WANT_DISK, WANT_NVRAM, WANT_SUMS, WANT_END } Want;

struct ApiArchiveIn {
    ApiArchiveTo to;
    char *pool_name;
    virConnectPtr conn;
    virStoragePoolPtr pool;
    VirtTar *tar;
    Want want;
    guint disk;     /* the disk member expected next */
    GString *small; /* vireo.json, domain.xml or SHA256SUMS being read */
    GChecksum *sum; /* of the member being read */
    virStreamPtr stream;
    char meta_hex[65], domain_hex[65], nvram_hex[65];
    gboolean has_nvram; /* vireo.json says nvram.fd follows the disks */
    GBytes *nvram;      /* once read */
    json_t *meta;
    char *xml;
    char *name;
    GArray *disks;    /* InDisk */
    GPtrArray *media; /* ApiArchiveMedium*: the VM's own CD-ROM media */
    gint64 owner;     /* who owns the VM made */
    ApiQuotaHold *quota;
    guint64 fed;
    gboolean defined;
};

static void disk_clear(gpointer p)
{
    InDisk *d = p;
    g_free(d->target);
    g_free(d->member);
    g_free(d->format);
    g_free(d->volume);
    if (d->vol)
        virStorageVolFree(d->vol);
}

static gboolean bad(GError **error, const char *fmt, const char *what)
{
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, fmt, what);
    return FALSE;
}

static gboolean target_ok(const char *t)
{
    gsize n = t ? strlen(t) : 0;
    if (n < 2 || n > 12 || !g_ascii_islower(t[0]))
        return FALSE;
    for (const char *c = t; *c; c++)
        if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c))
            return FALSE;
    return TRUE;
}

static gint64 meta_owner(ApiContext *ctx, json_t *meta)
{
    const char *name = json_string_value(json_object_get(meta, "owner"));
    g_autoptr(DbUser) u = name ? db_user_by_name(ctx->db, name, NULL) : NULL;
    return u ? u->id : 0;
}

static gboolean read_meta_disks(ApiArchiveIn *in, json_t *disks, GError **error);

/* A restore over the VM: the archive must be of that VM, which must be
 * ready (shut off, no snapshots); the VM keeps its name and owner. */
static gboolean read_meta_replace(ApiArchiveIn *in, GError **error)
{
    const char *uuid = json_string_value(json_object_get(in->meta, "uuid"));
    if (g_strcmp0(uuid, in->to.replace) != 0)
        return bad(error, "the archive is of another VM (%s)", uuid ? uuid : "no UUID");
    g_autoptr(virDomain) dom = virt_domain_lookup(in->conn, in->to.replace, error);
    if (!dom || !api_archive_replace_ready(dom, error) ||
        !db_vm_owner(in->to.ctx->db, in->to.replace, &in->owner, error))
        return FALSE;
    in->name = g_strdup(virDomainGetName(dom));
    return TRUE;
}

/* vireo.json: the disks and what else the VM gets back. */
static gboolean read_meta(ApiArchiveIn *in, GError **error)
{
    json_error_t jerr;
    in->meta = json_loadb(in->small->str, in->small->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(in->meta))
        return bad(error, "the archive's " VIRT_ARCHIVE_META " is not a JSON object%s", "");
    const char *format = json_string_value(json_object_get(in->meta, "format"));
    json_t *disks = json_object_get(in->meta, "disks");
    if (g_strcmp0(format, "vireo-vm-archive") != 0)
        return bad(error, "not a Vireo VM archive (" VIRT_ARCHIVE_META " says format '%s')",
                   format ? format : "");
    if (json_integer_value(json_object_get(in->meta, "version")) != API_ARCHIVE_VERSION)
        return bad(error, "the archive's version is not %s: made by a newer Vireo?", "1");
    if (!json_is_array(disks) || json_array_size(disks) > MAX_DISKS)
        return bad(error, VIRT_ARCHIVE_META " lists no disks, or more than %s", "64");
    json_t *nvram = json_object_get(in->meta, "nvram");
    if (nvram && !json_is_boolean(nvram))
        return bad(error, VIRT_ARCHIVE_META "'s nvram is not true or false%s", "");
    in->has_nvram = json_is_true(nvram);
    if (in->to.replace)
        return read_meta_replace(in, error) && read_meta_disks(in, disks, error);
    const char *name = in->to.name ? in->to.name
                                   : json_string_value(json_object_get(in->meta, "name"));
    GError *why = NULL;
    if (!name || !virt_domain_name_valid(name, &why)) {
        if (!why)
            return bad(error, VIRT_ARCHIVE_META " names no VM%s", "");
        return api_field_error(error, "name", why);
    }
    virDomainPtr taken = virDomainLookupByName(in->conn, name);
    virResetLastError();
    if (taken) {
        virDomainFree(taken);
        return api_fail(error, API_ERROR_CONFLICT,
                        "a VM named '%s' exists: import the archive under another name (?name=)",
                        name);
    }
    in->name = g_strdup(name);
    in->owner = in->to.owner_id ? in->to.owner_id : meta_owner(in->to.ctx, in->meta);
    return read_meta_disks(in, disks, error);
}

/* vireo.json's disks, each with the name of the new volume it goes into:
 * "<vm>-diskI.<ext>", or beside the disks it replaces with the time in
 * its name. */
static gboolean read_meta_disks(ApiArchiveIn *in, json_t *disks, GError **error)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    size_t i;
    json_t *d;
    json_array_foreach (disks, i, d) {
        const char *t = json_string_value(json_object_get(d, "target"));
        const char *f = json_string_value(json_object_get(d, "format"));
        const char *m = json_string_value(json_object_get(d, "member"));
        if (!target_ok(t) || (g_strcmp0(f, "raw") != 0 && g_strcmp0(f, "qcow2") != 0))
            return bad(error, VIRT_ARCHIVE_META " disk %s has no valid target and format",
                       t ? t : "?");
        g_autofree char *want = g_strdup_printf(VIRT_ARCHIVE_DISKS "%s.%s", t, f);
        if (g_strcmp0(m, want) != 0)
            return bad(error, VIRT_ARCHIVE_META " disk %s is not in its member", t);
        for (guint k = 0; k < in->disks->len; k++)
            if (strcmp(g_array_index(in->disks, InDisk, k).target, t) == 0)
                return bad(error, VIRT_ARCHIVE_META " lists disk %s twice", t);
        json_int_t capacity = json_integer_value(json_object_get(d, "capacity"));
        InDisk disk = {.target = g_strdup(t),
                       .member = g_steal_pointer(&want),
                       .format = g_strdup(f),
                       .capacity = capacity > 0 ? (guint64)capacity : 0};
        const char *ext = strcmp(f, "qcow2") == 0 ? "qcow2" : "img";
        disk.volume = in->to.replace ? g_strdup_printf("%s-disk%u-restored-%" G_GINT64_FORMAT ".%s",
                                                       in->name, (guint)i, now, ext)
                                     : g_strdup_printf("%s-disk%u.%s", in->name, (guint)i, ext);
        g_array_append_val(in->disks, disk);
    }
    return TRUE;
}

/* What the VM restored over takes now: its vCPUs and memory, and the
 * capacities of its disk volumes (which the restore replaces). */
static gboolean replaced_footprint(ApiArchiveIn *in, VirtFootprint *was, GError **error)
{
    g_autoptr(virDomain) dom = virt_domain_lookup(in->conn, in->to.replace, error);
    g_autoptr(GPtrArray) vols = dom ? virt_domain_disk_volumes(in->conn, dom, error) : NULL;
    if (!vols || !virt_domain_footprint(dom, was, error))
        return FALSE;
    for (guint i = 0; i < vols->len; i++) {
        g_autoptr(VirtVolume) info = virt_volume_info(g_ptr_array_index(vols, i), NULL);
        was->disk_bytes += info ? info->capacity : 0;
    }
    return TRUE;
}

/* domain.xml: its writable disks must be those of vireo.json. */
static gboolean read_domain(ApiArchiveIn *in, GError **error)
{
    in->xml = g_strndup(in->small->str, in->small->len);
    g_autoptr(GError) why = NULL;
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(in->xml, strlen(in->xml), &why);
    if (!cfg)
        return bad(error, "the archive's " VIRT_ARCHIVE_DOMAIN " is not a VM definition: %s",
                   why->message);
    guint writable = 0;
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *vd = g_ptr_array_index(cfg->disks, i);
        if (!virt_disk_writable(vd))
            continue;
        gboolean listed = FALSE;
        for (guint k = 0; k < in->disks->len; k++)
            listed |= g_strcmp0(g_array_index(in->disks, InDisk, k).target, vd->target) == 0;
        if (!listed)
            return bad(error, VIRT_ARCHIVE_DOMAIN " has disk %s, which the archive does not hold",
                       vd->target ? vd->target : "?");
        writable++;
    }
    if (writable != in->disks->len)
        return bad(error, VIRT_ARCHIVE_META " lists disks that %s does not have",
                   VIRT_ARCHIVE_DOMAIN);
    if (!(in->media = api_archive_media(in->conn, in->xml, in->name, error)))
        return FALSE;
    /* Before any disk is written: a refusal leaves nothing to undo. */
    VirtFootprint fp = {.vcpus = cfg->vcpus,
                        .memory_kib = cfg->max_memory_kib,
                        .disk_bytes = api_archive_media_bytes(in->media)};
    for (guint k = 0; k < in->disks->len; k++)
        fp.disk_bytes += g_array_index(in->disks, InDisk, k).capacity;
    VirtFootprint was;
    if (in->to.replace && !replaced_footprint(in, &was, error))
        return FALSE;
    return api_quota_check_vm(in->to.ctx, in->to.caller, in->owner, &fp,
                              in->to.replace ? &was : NULL, &in->quota, error);
}

/* SHA256SUMS: every member, nothing else, each digest as read. */
static gboolean read_sums(ApiArchiveIn *in, GError **error)
{
    g_autoptr(GError) why = NULL;
    g_autoptr(GHashTable) sums = virt_archive_sums_parse(in->small->str, in->small->len, &why);
    if (!sums)
        return bad(error, "%s", why->message);
    guint n = in->disks->len + 2 + (in->has_nvram ? 1 : 0);
    if (g_hash_table_size(sums) != n)
        return bad(error, VIRT_ARCHIVE_SUMS " does not list every member%s", "");
    struct {
        const char *name, *hex;
    } seen[MAX_DISKS + 3] = {{VIRT_ARCHIVE_META, in->meta_hex},
                             {VIRT_ARCHIVE_DOMAIN, in->domain_hex}};
    for (guint k = 0; k < in->disks->len; k++) {
        const InDisk *d = &g_array_index(in->disks, InDisk, k);
        seen[k + 2].name = d->member;
        seen[k + 2].hex = d->hex;
    }
    if (in->has_nvram) {
        seen[n - 1].name = VIRT_ARCHIVE_NVRAM;
        seen[n - 1].hex = in->nvram_hex;
    }
    for (guint k = 0; k < n; k++) {
        const char *want = g_hash_table_lookup(sums, seen[k].name);
        if (!want)
            return bad(error, VIRT_ARCHIVE_SUMS " does not list %s", seen[k].name);
        if (strcmp(want, seen[k].hex) != 0)
            return bad(error,
                       "the SHA-256 of %s is not the one in " VIRT_ARCHIVE_SUMS
                       ": the archive is damaged",
                       seen[k].name);
    }
    return TRUE;
}

/* A disk member begins: its volume is written down, made and opened. */
static gboolean disk_begin(ApiArchiveIn *in, InDisk *d, guint64 size, GError **error)
{
    g_autoptr(VirtPool) info = virt_pool_info(in->pool, error);
    if (!info || !virt_volume_name_free(in->pool, d->volume, error))
        return FALSE;
    if (info->available < size)
        return virt_fail(error, VIRT_ERROR_NO_SPACE,
                         "storage pool '%s' has %" G_GUINT64_FORMAT
                         " bytes free; disk %s needs %" G_GUINT64_FORMAT,
                         in->pool_name, info->available, d->target, size);
    g_autofree char *ref = g_strdup_printf("%s/%s", in->pool_name, d->volume);
    gint64 noted = in->to.task ? task_will_make(in->to.task, "volume", ref, error) : -1;
    if (!noted)
        return FALSE;
    /* Raw, exactly the member's size: the bytes are the image as stored,
     * whatever its format; libvirt tells the format once they are in. */
    d->vol = virt_volume_create(in->pool, d->volume, MAX(size, 1), "raw", NULL, error);
    if (!d->vol)
        return FALSE;
    if (in->to.task)
        task_made(in->to.task, noted);
    if (size && !(in->stream = virt_volume_upload_stream(d->vol, size, error)))
        return FALSE;
    return TRUE;
}

static gboolean member_begin(const VirtTarMember *member, gpointer data, GError **error)
{
    ApiArchiveIn *in = data;
    const char *name = member->name;
    guint64 size = member->size;
    const char *expect = in->want == WANT_META     ? VIRT_ARCHIVE_META
                         : in->want == WANT_DOMAIN ? VIRT_ARCHIVE_DOMAIN
                         : in->want == WANT_NVRAM  ? VIRT_ARCHIVE_NVRAM
                         : in->want == WANT_SUMS   ? VIRT_ARCHIVE_SUMS
                         : in->want == WANT_DISK ? g_array_index(in->disks, InDisk, in->disk).member
                                                 : NULL;
    if (!expect)
        return bad(error, "the archive holds '%s' after " VIRT_ARCHIVE_SUMS, name);
    if (strcmp(name, expect) != 0)
        return bad(error, "the archive's members are not in Vireo's order (found '%s')", name);
    if (in->want == WANT_NVRAM && size > VIRT_ARCHIVE_NVRAM_MAX)
        return bad(error, "%s is larger than 4 MiB", name);
    if (in->want != WANT_DISK && in->want != WANT_NVRAM && size > VIRT_ARCHIVE_SMALL_MAX)
        return bad(error, "%s is larger than 1 MiB", name);
    g_string_truncate(in->small, 0);
    in->sum = g_checksum_new(G_CHECKSUM_SHA256);
    if (in->want == WANT_DISK)
        return disk_begin(in, &g_array_index(in->disks, InDisk, in->disk), size, error);
    return TRUE;
}

static gboolean member_data(const guint8 *buf, gsize len, gpointer data, GError **error)
{
    ApiArchiveIn *in = data;
    g_checksum_update(in->sum, buf, (gssize)len);
    if (in->want != WANT_DISK) {
        g_string_append_len(in->small, (const char *)buf, (gssize)len);
        return TRUE;
    }
    return virt_stream_send_all(in->stream, (const char *)buf, len, error);
}

static gboolean member_end(gpointer data, GError **error)
{
    ApiArchiveIn *in = data;
    const char *hex = g_checksum_get_string(in->sum);
    gboolean ok = TRUE;
    switch (in->want) {
    case WANT_META:
        g_strlcpy(in->meta_hex, hex, sizeof in->meta_hex);
        ok = read_meta(in, error);
        in->want = WANT_DOMAIN;
        break;
    case WANT_DOMAIN:
        g_strlcpy(in->domain_hex, hex, sizeof in->domain_hex);
        ok = read_domain(in, error);
        in->want = in->disks->len ? WANT_DISK : in->has_nvram ? WANT_NVRAM : WANT_SUMS;
        break;
    case WANT_DISK: {
        InDisk *d = &g_array_index(in->disks, InDisk, in->disk);
        g_strlcpy(d->hex, hex, sizeof d->hex);
        if (in->stream) {
            ok = virt_stream_finish(in->stream, error);
            virStreamFree(g_steal_pointer(&in->stream));
        }
        if (++in->disk == in->disks->len)
            in->want = in->has_nvram ? WANT_NVRAM : WANT_SUMS;
        break;
    }
    case WANT_NVRAM:
        g_strlcpy(in->nvram_hex, hex, sizeof in->nvram_hex);
        in->nvram = g_bytes_new(in->small->str, in->small->len);
        in->want = WANT_SUMS;
        break;
    case WANT_SUMS:
    default:
        ok = read_sums(in, error);
        in->want = WANT_END;
        break;
    }
    g_checksum_free(g_steal_pointer(&in->sum));
    return ok;
}

ApiArchiveIn *api_archive_in_new(const ApiArchiveTo *to, GError **error)
{
    static const VirtTarHandler handler = {member_begin, member_data, member_end};
    g_autoptr(ApiArchiveIn) in = g_new0(ApiArchiveIn, 1);
    in->to = *to;
    in->pool_name = g_strdup(to->pool);
    in->to.pool = in->pool_name;
    in->to.name = NULL;
    in->name = NULL;
    in->small = g_string_new(NULL);
    in->disks = g_array_new(FALSE, TRUE, sizeof(InDisk));
    g_array_set_clear_func(in->disks, disk_clear);
    in->tar = virt_tar_new(to->length, &handler, in);
    if (to->name)
        in->to.name = g_strdup(to->name);
    in->to.replace = g_strdup(to->replace);
    /* The VM is made on the task's host (a restore's or an import's). */
    in->conn = to->task ? api_task_conn(to->ctx, to->task, error)
                        : virt_conn_get(to->ctx->virt, error);
    if (!in->conn || !(in->pool = virt_pool_lookup(in->conn, to->pool, error)))
        return NULL;
    return g_steal_pointer(&in);
}

gboolean api_archive_in_feed(ApiArchiveIn *in, const guint8 *buf, gsize len, GError **error)
{
    Task *task = in->to.task;
    if (task && task_cancel_requested(task))
        return api_fail(error, API_ERROR_CONFLICT, "cancelled");
    if (!virt_tar_feed(in->tar, buf, len, error))
        return FALSE;
    in->fed += len;
    if (task && in->to.length)
        task_progress(task, (int)(in->fed * 90 / in->to.length), NULL);
    return TRUE;
}

/* Each disk's bytes are of the format the archive says, standing alone. */
static gboolean check_volumes(ApiArchiveIn *in, GError **error)
{
    if (!virt_pool_refresh(in->pool, error))
        return FALSE;
    for (guint k = 0; k < in->disks->len; k++) {
        InDisk *d = &g_array_index(in->disks, InDisk, k);
        g_autoptr(virStorageVol) fresh = virt_volume_lookup(in->pool, d->volume, error);
        g_autoptr(VirtVolume) info = fresh ? virt_volume_info(fresh, error) : NULL;
        if (!info)
            return FALSE;
        if (g_strcmp0(info->format ? info->format : "raw", d->format) != 0 || info->backing)
            return bad(error, "disk %s is not the stand-alone image the archive says", d->target);
        /* The quota was checked against what vireo.json says. */
        if (info->capacity > d->capacity)
            return bad(error, "disk %s is larger than " VIRT_ARCHIVE_META " says", d->target);
    }
    return TRUE;
}

static GStrv meta_tags(json_t *meta)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(meta, "tags"), i, t)
        if (json_is_string(t))
            g_strv_builder_add(b, json_string_value(t));
    return g_strv_builder_end(b);
}

/* The VM restored over gets the archive's definition on the new disks;
 * its own media stay as they are. */
static gboolean write_nvram(virConnectPtr conn, Task *task, gpointer data, GError **error);

static char *finish_replace(ApiArchiveIn *in, const char *xml, GError **error)
{
    g_autofree VirtDiskMove *moves = g_new0(VirtDiskMove, in->disks->len + 1);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < in->disks->len; k++) {
        const InDisk *d = &g_array_index(in->disks, InDisk, k);
        char *path = virStorageVolGetPath(d->vol);
        if (!path)
            return virt_error_from_libvirt(error, "reading a new volume's path"), NULL;
        g_ptr_array_add(paths, path);
        moves[k] = (VirtDiskMove){.target = d->target, .path = path, .format = d->format};
    }
    ApiArchiveReplace r = {.ctx = in->to.ctx,
                           .conn = in->conn,
                           .host = in->to.task ? task_host(in->to.task) : NULL,
                           .uuid = in->to.replace,
                           .xml = xml,
                           .moves = moves,
                           .n_moves = in->disks->len,
                           .owner_id = in->owner,
                           .quota = in->quota,
                           .start = in->to.start};
    if (in->to.task)
        task_progress(in->to.task, 95, "putting the backup in place of the VM");
    if (!api_archive_replace(&r, &in->defined, error))
        return NULL;
    /* The disks and definition are back; the firmware's variables follow
     * them (a failure there leaves the VM's current ones, and says so). */
    g_autoptr(GError) why = NULL;
    if (in->nvram && !write_nvram(in->conn, NULL, in, &why))
        g_warning("restore over %s: its NVRAM was not put back: %s", in->name, why->message);
    return g_strdup(in->name);
}

/* Once the VM is defined: the archive's NVRAM becomes its own, before it
 * may start. libvirt on another host: the VM starts from the template. */
static gboolean write_nvram(virConnectPtr conn, Task *task G_GNUC_UNUSED, gpointer data,
                            GError **error)
{
    ApiArchiveIn *in = data;
    g_autoptr(virDomain) dom = virt_domain_lookup(conn, in->name, error);
    g_autofree char *xml = dom ? virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE) : NULL;
    if (!xml) {
        if (dom)
            virt_error_from_libvirt(error, "reading the new VM's definition");
        return FALSE;
    }
    GError *why = NULL;
    if (virt_nvram_write(conn, xml, in->nvram, &why))
        return TRUE;
    if (!g_error_matches(why, VIRT_ERROR, VIRT_ERROR_UNSUPPORTED)) {
        g_propagate_error(error, why);
        return FALSE;
    }
    g_warning("import-archive: %s; VM '%s' gets a fresh NVRAM", why->message, in->name);
    g_error_free(why);
    return TRUE;
}

char *api_archive_in_finish(ApiArchiveIn *in, GError **error)
{
    if (!virt_tar_finish(in->tar, error) || !check_volumes(in, error))
        return NULL;
    g_autoptr(GArray) vols = g_array_new(TRUE, TRUE, sizeof(VirtVmVolume));
    g_autoptr(GPtrArray) adopt = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < in->disks->len; k++) {
        const InDisk *d = &g_array_index(in->disks, InDisk, k);
        VirtVmVolume v = {.kind = VIRT_VM_VOL_EXISTING,
                          .device = "disk",
                          .pool = in->pool_name,
                          .name = d->volume,
                          .target = d->target};
        g_array_append_val(vols, v);
        g_ptr_array_add(adopt, virStorageVolGetPath(d->vol));
    }
    g_ptr_array_add(adopt, NULL);
    g_autofree char *xml = api_archive_media_xml(in->xml, in->media, error);
    if (!xml)
        return NULL;
    if (in->to.replace)
        return finish_replace(in, xml, error);
    api_archive_media_plan(in->media, in->pool_name, vols);
    g_autofree char *uuid = g_uuid_string_random();
    VirtVmPlan plan = {.domain = {.name = in->name, .uuid = uuid},
                       .volumes = (const VirtVmVolume *)vols->data,
                       .n_volumes = vols->len,
                       .clone_of = xml};
    g_auto(GStrv) tags = meta_tags(in->meta);
    /* On the task's host, whose connection in->conn is. */
    ApiVmUnit unit = {.host = in->to.task ? task_host(in->to.task) : NULL,
                      .owner_id = in->owner,
                      .start = in->to.start ? 1 : 0,
                      .tags = (const char *const *)tags,
                      .quota = in->quota,
                      .adopt = (const char *const *)adopt->pdata,
                      .after = in->nvram ? write_nvram : NULL,
                      .data = in};
    char made[VIR_UUID_STRING_BUFLEN];
    if (in->to.task)
        task_progress(in->to.task, 95, "defining the VM");
    if (!api_vm_unit_run(in->to.ctx, in->conn, &plan, &unit, in->to.task, made, error))
        return NULL;
    in->defined = TRUE;
    return g_strdup(in->name);
}

void api_archive_in_free(ApiArchiveIn *in)
{
    if (!in)
        return;
    if (in->stream) {
        virt_stream_abort(in->stream);
        virStreamFree(in->stream);
    }
    for (guint k = in->disks->len; !in->defined && k-- > 0;) {
        virStorageVolPtr vol = g_array_index(in->disks, InDisk, k).vol;
        if (vol && virStorageVolDelete(vol, 0) < 0) {
            g_warning("import: deleting the half-made volume %s failed", virStorageVolGetName(vol));
            virResetLastError();
        }
    }
    g_array_unref(in->disks);
    if (in->media)
        g_ptr_array_unref(in->media);
    api_quota_hold_free(in->quota);
    virt_tar_free(in->tar);
    if (in->sum)
        g_checksum_free(in->sum);
    g_string_free(in->small, TRUE);
    json_decref(in->meta);
    if (in->nvram)
        g_bytes_unref(in->nvram);
    g_free(in->xml);
    g_free(in->name);
    g_free((char *)in->to.name);
    g_free((char *)in->to.replace);
    g_free(in->pool_name);
    if (in->pool)
        virStoragePoolFree(in->pool);
    if (in->conn)
        virConnectClose(in->conn);
    g_free(in);
}
