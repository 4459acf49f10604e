/* POST /api/vms/import: an appliance (.ova) or one disk image (vmdk, vdi,
 * qcow2, raw) as the streamed request body becomes a VM. The upload is an
 * "import" task from its first byte; once the body is in and checked,
 * the answer is 202 with that task, whose worker converts the disks and
 * defines the VM (see api_import.h for who does what).
 *
 * libmicrohttpd cannot answer in the middle of a body, so an upload found
 * bad part-way (a '..' name, a lying size, a wrong digest) is undone at
 * once, its task fails, and the rest of the body is read and dropped: the
 * client then gets the 400 that says why, not a cut connection. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/import/api_import.h"
#include "api/tasks/api_tasks.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_ova.h"
#include "virt/virt_tar.h"

#include <gio/gio.h>
#include <string.h>

/* Shares of the task's progress: the upload, then the conversions, then
 * the definition. */
#define PCT_UPLOAD 60
#define PCT_CONVERT 35
/* Bytes looked at to tell an OVA (a tar archive) from a disk image. */
#define SNIFF_BYTES VIRT_TAR_BLOCK
#define MIB (1024.0 * 1024.0)

typedef struct {
    ApiTransfer base;
    ImportJob *job; /* NULL once handed to the task's worker */
    VirtOva *ova;   /* an OVA, once told apart */
    ImportDisk *single;
    gboolean sniffed;
    guint8 head[SNIFF_BYTES];
    gsize head_len;
    guint64 done;
    int last_percent;
    GError *refused; /* the upload was refused part-way: the rest is dropped */
} Upload;

void import_job_free(ImportJob *job)
{
    if (!job)
        return;
    for (guint i = 0; i < job->disks->len; i++) {
        ImportDisk *d = g_ptr_array_index(job->disks, i);
        import_disk_undo(d, job->defined);
        g_free(d->label);
        g_free(d->scratch_path);
        api_image_info_free(d->info);
        g_free(d->name);
        g_free(d->path);
        g_free(d);
    }
    g_ptr_array_unref(job->disks);
    g_ptr_array_unref(job->notes);
    virt_ovf_free(job->ovf);
    api_vm_spec_free(job->spec);
    virt_host_info_free(job->host);
    api_quota_hold_free(job->quota);
    if (job->pool)
        virStoragePoolFree(job->pool);
    if (job->conn)
        virConnectClose(job->conn);
    g_free(job->pool_name);
    g_free(job->name);
    g_free(job->format);
    g_free(job->os);
    g_free(job->firmware);
    g_free(job->network);
    g_free(job->uuid);
    g_free(job->serial_log);
    g_free(job);
}

/* ---- the worker: conversions and the definition ---- */

typedef struct {
    Task *task;
    guint disk, disks;
} ConvertProgress;

static gboolean convert_progress(int percent, gpointer data)
{
    ConvertProgress *p = data;
    int share = (int)((p->disk * 100 + (guint)percent) * PCT_CONVERT / (p->disks * 100));
    task_progress(p->task, PCT_UPLOAD + share, NULL);
    return !task_cancel_requested(p->task);
}

static char *final_message(const ImportJob *job)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_string_printf(s, "imported as VM '%s'", job->name);
    for (guint i = 0; i < job->notes->len; i++)
        g_string_append_printf(s, "; %s", (const char *)g_ptr_array_index(job->notes, i));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean run_import(Task *task, gpointer data, char **result, GError **error)
{
    ImportJob *job = data;
    ConvertProgress p = {.task = task, .disks = job->disks->len};
    for (p.disk = 0; p.disk < job->disks->len; p.disk++) {
        if (task_cancel_requested(task))
            return api_fail(error, API_ERROR_CONFLICT, "cancelled");
        g_autofree char *msg = g_strdup_printf("converting disk %u of %u to %s", p.disk + 1,
                                               p.disks, job->format);
        task_progress(task, PCT_UPLOAD + (int)(p.disk * PCT_CONVERT / p.disks), msg);
        if (!import_disk_convert(job, p.disk, convert_progress, &p, error))
            return FALSE;
    }
    task_set_cancellable(task, FALSE); /* the definition is quick and all-or-nothing */
    g_autoptr(GError) stale = NULL;
    if (!virt_pool_refresh(job->pool, &stale))
        g_message("import: refreshing pool %s: %s", job->pool_name, stale->message);
    task_progress(task, PCT_UPLOAD + PCT_CONVERT, "defining the VM");
    if (!import_vm_define(job, error))
        return FALSE;
    g_autofree char *message = final_message(job);
    task_progress(task, 100, message);
    *result = g_strconcat("/api/vms/", job->name, NULL);
    return TRUE;
}

/* ---- the upload ---- */

/* Undoes what the upload made and ends its task with `why`. */
static void undo(Upload *u, const GError *why)
{
    if (!u->job)
        return;
    Task *task = u->job->task;
    g_clear_pointer(&u->ova, virt_ova_free);
    g_clear_pointer(&u->job, import_job_free);
    task_finish(task, NULL, why);
}

/* A disk member begins. At the first, the descriptor is known: one
 * ImportDisk per disk it attaches, in its order, so each is found by its
 * index. */
static gboolean ova_begin(const VirtOvf *ovf, guint disk, guint64 size, gpointer data,
                          GError **error)
{
    Upload *u = data;
    for (guint i = u->job->disks->len; i < ovf->disks->len; i++) {
        const VirtOvfDisk *d = g_ptr_array_index(ovf->disks, i);
        const VirtOvfFile *f = g_ptr_array_index(ovf->files, d->file_index);
        import_disk_add(u->job, g_strdup_printf("disk %u ('%s')", i + 1, f->href), d->format,
                        d->capacity);
    }
    return import_disk_open(u->job, g_ptr_array_index(u->job->disks, disk), size, error);
}

static gboolean ova_data(guint disk, const guint8 *buf, gsize len, gpointer data, GError **error)
{
    Upload *u = data;
    return import_disk_write(g_ptr_array_index(u->job->disks, disk), buf, len, error);
}

static gboolean ova_end(guint disk, gpointer data, GError **error)
{
    Upload *u = data;
    return import_disk_close(g_ptr_array_index(u->job->disks, disk), error);
}

static const VirtOvaSink ova_sink = {ova_begin, ova_data, ova_end};

/* A tar header's ustar mark tells an OVA from a disk image (no disk
 * format Vireo takes has those bytes there). */
static gboolean is_tar(const guint8 *head, gsize len)
{
    return len >= VIRT_TAR_BLOCK && memcmp(head + 257, "ustar", 5) == 0;
}

/* The first bytes decided what the body is: a reader for the rest. */
static gboolean start(Upload *u, GError **error)
{
    u->sniffed = TRUE;
    if (is_tar(u->head, u->head_len)) {
        u->ova = virt_ova_new(u->base.length, &ova_sink, u);
        return virt_ova_feed(u->ova, u->head, u->head_len, error);
    }
    u->single = import_disk_add(u->job, g_strdup("the disk image"), NULL, 0);
    return import_disk_open(u->job, u->single, u->base.length, error) &&
           import_disk_write(u->single, u->head, u->head_len, error);
}

static gboolean take(Upload *u, const guint8 *data, gsize len, GError **error)
{
    if (!u->sniffed) {
        gsize n = MIN(len, SNIFF_BYTES - u->head_len);
        memcpy(u->head + u->head_len, data, n);
        u->head_len += n;
        data += n;
        len -= n;
        if (u->head_len < SNIFF_BYTES && u->done + n < u->base.length)
            return TRUE;
        if (!start(u, error))
            return FALSE;
    }
    if (!len)
        return TRUE;
    return u->ova ? virt_ova_feed(u->ova, data, len, error)
                  : import_disk_write(u->single, data, len, error);
}

static void report(Upload *u)
{
    int percent = (int)(u->done * PCT_UPLOAD / u->base.length);
    if (percent == u->last_percent && u->done != u->base.length)
        return;
    u->last_percent = percent;
    g_autofree char *msg = g_strdup_printf("received %.1f of %.1f MiB", (double)u->done / MIB,
                                           (double)u->base.length / MIB);
    task_progress(u->job->task, percent, msg);
}

static gboolean upload_write(ApiTransfer *base, const char *data, gsize len, GError **error)
{
    Upload *u = (Upload *)base;
    if (u->done + len > base->length)
        return api_fail(error, API_ERROR_INVALID_ARGUMENT,
                        "the body is longer than its Content-Length");
    if (u->refused) {
        u->done += len;
        return TRUE;
    }
    if (task_cancel_requested(u->job->task)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the import was cancelled");
        return FALSE;
    }
    GError *why = NULL;
    gboolean taken = take(u, (const guint8 *)data, len, &why);
    u->done += len;
    if (taken) {
        report(u);
    } else {
        /* Undone now; the rest of the body is dropped (see the top). */
        u->refused = why;
        undo(u, why);
    }
    return TRUE;
}

static void upload_abort(ApiTransfer *base, const char *why)
{
    Upload *u = (Upload *)base;
    if (!u->job)
        return;
    g_autoptr(GError) error = api_transfer_aborted_error("import", u->done, base->length, why);
    undo(u, error);
}

/* The whole body is in: the archive's end, the descriptor's promises and
 * each disk are checked, the VM is planned; then the worker takes over. */
static gboolean finish_body(Upload *u, GError **error)
{
    ImportJob *job = u->job;
    if (u->done != u->base.length)
        return api_invalid(error,
                           "the body had %" G_GUINT64_FORMAT " bytes, not the %" G_GUINT64_FORMAT
                           " announced",
                           u->done, u->base.length);
    if (!u->sniffed && !start(u, error))
        return FALSE;
    if (u->ova) {
        if (!(job->ovf = virt_ova_finish(u->ova, error)))
            return FALSE;
        for (guint i = 0; i < job->ovf->notes->len; i++)
            g_ptr_array_add(job->notes, g_strdup(g_ptr_array_index(job->ovf->notes, i)));
    } else if (!import_disk_close(u->single, error)) {
        return FALSE;
    }
    task_progress(job->task, PCT_UPLOAD, "checking the disks");
    for (guint i = 0; i < job->disks->len; i++)
        if (!import_disk_inspect(g_ptr_array_index(job->disks, i), error))
            return FALSE;
    return import_vm_plan(job, error) && import_vm_quota(job, error);
}

static gboolean upload_finish(ApiTransfer *base, ApiResponse *resp, GError **error)
{
    Upload *u = (Upload *)base;
    if (u->refused) {
        g_propagate_error(error, g_steal_pointer(&u->refused));
        return FALSE;
    }
    if (!finish_body(u, error)) {
        undo(u, *error);
        return FALSE;
    }
    /* The worker owns the job from here; the answer shows the task as it
     * is then (still running, most likely). */
    ImportJob *job = g_steal_pointer(&u->job);
    ApiContext *ctx = job->ctx;
    gint64 id = task_id(job->task);
    return task_continue(job->task, run_import, job, (GDestroyNotify)import_job_free, error) &&
           api_answer_task(ctx, resp, id, error);
}

static void upload_free(ApiTransfer *base)
{
    Upload *u = (Upload *)base;
    if (u->job)
        base->abort(base, "the upload was dropped");
    virt_ova_free(u->ova);
    if (u->refused)
        g_error_free(u->refused);
    g_free(u);
}

/* ---- the request ---- */

static gboolean query_number(const ApiRequest *req, const char *name, guint64 min, guint64 max,
                             guint64 *out, GError **error)
{
    const char *v = api_query_get(req, name);
    if (v && !g_ascii_string_to_unsigned(v, 10, min, max, out, NULL))
        return api_invalid(error,
                           "query '%s' must be a whole number from %" G_GUINT64_FORMAT
                           " to %" G_GUINT64_FORMAT,
                           name, min, max);
    return TRUE;
}

static gboolean one_of(const ApiRequest *req, const char *name, const char *const *allowed,
                       const char **out, GError **error)
{
    const char *v = api_query_get(req, name);
    if (v && !g_strv_contains(allowed, v)) {
        g_autofree char *list = g_strjoinv(", ", (char **)allowed);
        return api_invalid(error, "query '%s' must be one of %s", name, list);
    }
    if (v)
        *out = v;
    return TRUE;
}

/* The query: what to call the VM, where its disks go, in which format,
 * and what the descriptor (or, for a disk image, the defaults) should not
 * decide. */
static gboolean read_query(const ApiRequest *req, ImportJob *job, GError **error)
{
    static const char *const allowed[] = {"name", "pool",     "format",  "vcpus", "memory",
                                          "os",   "firmware", "network", NULL};
    static const char *const formats[] = {"qcow2", "raw", NULL};
    static const char *const firmwares[] = {"bios", "uefi", NULL};
    const char *name = api_query_get(req, "name"), *pool = api_query_get(req, "pool");
    const char *format = "qcow2", *firmware = NULL, *os = api_query_get(req, "os");
    guint64 vcpus = 0, memory = 0;
    g_autoptr(GError) why = NULL;
    if (!api_query_only(req, allowed, error) || !one_of(req, "format", formats, &format, error) ||
        !one_of(req, "firmware", firmwares, &firmware, error) ||
        !query_number(req, "vcpus", 1, 4096, &vcpus, error) ||
        !query_number(req, "memory", API_VM_SPEC_MIN_MEMORY_MIB, G_GUINT64_CONSTANT(1) << 32,
                      &memory, error))
        return FALSE;
    if (!name || !pool)
        return api_invalid(error, "give the VM's name and the storage pool for its disks "
                                  "(?name=NAME&pool=POOL)");
    if (!virt_domain_name_valid(name, &why) || !virt_storage_name_valid(pool, &why))
        return api_invalid(error, "%s", why->message);
    if (os &&
        (strlen(os) > 64 || strspn(os, "abcdefghijklmnopqrstuvwxyz0123456789.+-_") != strlen(os)))
        return api_invalid(error, "query 'os' must be a libosinfo short id such as 'debian11'");
    job->name = g_strdup(name);
    job->pool_name = g_strdup(pool);
    job->format = g_strdup(format);
    job->firmware = g_strdup(firmware);
    job->os = g_strdup(os);
    job->vcpus = (guint)vcpus;
    job->memory_mib = memory;
    return TRUE;
}

/* qemu-img must see the pool's files: libvirt on this host, a pool with a
 * directory, running, with room for the upload. */
static gboolean check_pool(ImportJob *job, guint64 length, GError **error)
{
    g_autofree char *uri = virConnectGetURI(job->conn);
    if (!virt_conn_is_local(job->conn))
        return api_fail(error, API_ERROR_UNSUPPORTED,
                        "imports need libvirt on this host (the connection is %s)",
                        uri ? uri : "unknown");
    if (!(job->pool = virt_pool_lookup(job->conn, job->pool_name, error)))
        return FALSE;
    g_autoptr(VirtPool) info = virt_pool_info(job->pool, error);
    if (!info)
        return FALSE;
    static const char *const types[] = {"dir", "fs", "netfs", NULL};
    if (!g_strv_contains(types, info->type) || !info->path)
        return api_invalid(error,
                           "storage pool '%s' is of type %s: imports go into dir, fs or netfs "
                           "pools",
                           info->name, info->type);
    if (info->state != VIR_STORAGE_POOL_RUNNING)
        return api_fail(error, API_ERROR_CONFLICT, "storage pool '%s' is not running", info->name);
    if (info->available < length)
        return api_fail(error, API_ERROR_INSUFFICIENT_STORAGE,
                        "storage pool '%s' has %" G_GUINT64_FORMAT
                        " bytes free; the upload alone needs %" G_GUINT64_FORMAT,
                        info->name, info->available, length);
    return TRUE;
}

/* Where the NICs go: ?network= (one the caller may use; "none": no NIC),
 * else "default" when it runs and the caller may use it; when not, the VM
 * has no NIC and the task's message says why. */
static gboolean choose_network(const ApiRequest *req, ImportJob *job, GError **error)
{
    const char *asked = api_query_get(req, "network");
    if (g_strcmp0(asked, "none") == 0)
        return TRUE;
    const char *name = asked ? asked : "default";
    g_autoptr(GError) why = NULL;
    virNetworkPtr net = virt_storage_name_valid(name, &why) &&
                                api_scope_network(req->scope, name, &why)
                            ? virNetworkLookupByName(job->conn, name)
                            : NULL;
    virResetLastError();
    int active = net ? virNetworkIsActive(net) : 0;
    if (net)
        virNetworkFree(net);
    if (!net && asked)
        return api_invalid(error, "query 'network': there is no network '%s' that you may use",
                           asked);
    if (!net || (active != 1 && !asked)) {
        g_ptr_array_add(job->notes,
                        g_strdup(!net ? "no NIC: there is no network 'default' that you may use "
                                        "(give ?network=)"
                                      : "no NIC: the network 'default' is not running (give "
                                        "?network=)"));
        return TRUE;
    }
    job->network = g_strdup(name);
    if (active != 1)
        g_ptr_array_add(job->notes, g_strdup_printf("the network '%s' is not running: start it "
                                                    "before the VM",
                                                    name));
    return TRUE;
}

gboolean api_vms_import(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    if (req->content_length == 0)
        return api_invalid(error, "send the OVA or the disk image as the body, with its "
                                  "Content-Length");
    if (!ctx->tasks)
        return api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
    if (req->content_length > ctx->max_upload)
        return api_fail(error, API_ERROR_PAYLOAD_TOO_LARGE,
                        "uploads are limited to %" G_GUINT64_FORMAT " bytes", ctx->max_upload);
    ImportJob *job = g_new0(ImportJob, 1);
    job->ctx = ctx;
    job->owner_id = req->auth->user_id;
    job->caller = api_quota_caller(req);
    job->disks = g_ptr_array_new();
    job->notes = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = read_query(req, job, error) &&
                  api_scope_pool(req->scope, job->pool_name, API_POOL_DISKS, error) &&
                  (job->conn = api_conn(ctx, req, error)) &&
                  check_pool(job, req->content_length, error);
    g_autoptr(virDomain) clash = ok ? virDomainLookupByName(job->conn, job->name) : NULL;
    virResetLastError();
    if (clash)
        ok = api_fail(error, API_ERROR_CONFLICT, "a VM named '%s' exists", job->name);
    ok = ok && choose_network(req, job, error);
    g_autoptr(VirtHost) host = api_req_host(ctx, req);
    if (ok)
        job->task = task_begin(ctx->tasks, "import", job->name, job->owner_id, host, TRUE, error);
    if (!ok || !job->task) {
        import_job_free(job);
        return FALSE;
    }
    Upload *u = g_new0(Upload, 1);
    u->base = (ApiTransfer){.write = upload_write,
                            .finish = upload_finish,
                            .abort = upload_abort,
                            .free = upload_free,
                            .length = req->content_length};
    u->job = job;
    u->last_percent = -1;
    task_progress(job->task, 0, "receiving the upload");
    resp->transfer = &u->base;
    resp->status = 202; /* what the audit log records: the import began */
    resp->audit_detail = g_strdup_printf("task %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes",
                                         task_id(job->task), req->content_length);
    return TRUE;
}
