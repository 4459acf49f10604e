/* The quota check and the holds of checked requests (see api_quota.h and
 * docs/quotas.md). Usage comes from api_quota_usage.c. */
#include "api/core/api_host_resolve.h"
#include "api/auth/api_quota.h"
#include "api/auth/api_quota_usage.h"
#include "api/core/api_error.h"
#include "api/core/api_locks.h"

#include <string.h>

/* One per user: "quota:ID". A leaf: whoever holds it takes no other lock
 * (usage is read from the inventory and libvirt, neither of which waits on
 * a request's locks), so it may be taken while a VM's or a volume's lock
 * is held without breaking the one sorted order of api_locks.h. */
#define QUOTA_LOCK "quota:%" G_GINT64_FORMAT

struct ApiQuotas {
    GMutex lock;
    GHashTable *held; /* user id (gint64*) -> DbQuota* held by checked requests */
    GHashTable *last; /* "host id\npath" -> guint64*: a volume's capacity last read there */
};

struct ApiQuotaHold {
    ApiContext *ctx;
    gint64 user_id;
    DbQuota amounts;
    ApiLockSet *settled; /* the user's quota lock, from api_quota_hold_settle */
    gboolean released;
};

static const struct {
    const char *name;
    const char *noun; /* "your 4 vCPUs", "your 256 MiB of memory" */
} KINDS[DB_QUOTA_KINDS] = {
    [DB_QUOTA_VMS] = {"vms", "VMs"},
    [DB_QUOTA_VCPUS] = {"vcpus", "vCPUs"},
    [DB_QUOTA_MEMORY] = {"memory", "of memory"},
    [DB_QUOTA_DISK] = {"disk", "of disk"},
};

const char *api_quota_kind_name(DbQuotaKind kind)
{
    return kind < DB_QUOTA_KINDS ? KINDS[kind].name : "?";
}

ApiQuotas *api_quotas_new(void)
{
    ApiQuotas *q = g_new0(ApiQuotas, 1);
    g_mutex_init(&q->lock);
    q->held = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    q->last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return q;
}

void api_quotas_remember_volume(ApiQuotas *q, gint64 host_id, const char *path,
                                const guint64 *capacity)
{
    if (!q)
        return;
    char *key = g_strdup_printf("%" G_GINT64_FORMAT "\n%s", host_id, path);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&q->lock);
    if (capacity)
        g_hash_table_replace(q->last, key, g_memdup2(capacity, sizeof *capacity));
    else {
        g_hash_table_remove(q->last, key);
        g_free(key);
    }
}

gboolean api_quotas_last_volume(ApiQuotas *q, gint64 host_id, const char *path, guint64 *capacity)
{
    if (!q)
        return FALSE;
    g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT "\n%s", host_id, path);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&q->lock);
    const guint64 *known = g_hash_table_lookup(q->last, key);
    if (known)
        *capacity = *known;
    return known != NULL;
}

void api_quotas_free(ApiQuotas *q)
{
    if (!q)
        return;
    g_warn_if_fail(g_hash_table_size(q->held) == 0);
    g_hash_table_unref(q->held);
    g_hash_table_unref(q->last);
    g_mutex_clear(&q->lock);
    g_free(q);
}

/* Adds `sign` times `amounts` to what the user holds. */
static void book_add(ApiQuotas *q, gint64 user_id, const DbQuota *amounts, int sign)
{
    if (!q)
        return;
    g_mutex_lock(&q->lock);
    DbQuota *held = g_hash_table_lookup(q->held, &user_id);
    if (!held) {
        held = g_new0(DbQuota, 1);
        g_hash_table_insert(q->held, g_memdup2(&user_id, sizeof user_id), held);
    }
    gboolean empty = TRUE;
    for (int k = 0; k < DB_QUOTA_KINDS; k++) {
        held->v[k] += sign * amounts->v[k];
        empty = empty && held->v[k] == 0;
    }
    if (empty)
        g_hash_table_remove(q->held, &user_id);
    g_mutex_unlock(&q->lock);
}

/* Adds what the user holds to `into`. */
static void book_read(ApiQuotas *q, gint64 user_id, DbQuota *into)
{
    if (!q)
        return;
    g_mutex_lock(&q->lock);
    const DbQuota *held = g_hash_table_lookup(q->held, &user_id);
    for (int k = 0; held && k < DB_QUOTA_KINDS; k++)
        into->v[k] += held->v[k];
    g_mutex_unlock(&q->lock);
}

int api_quota_exceeded(const DbQuota *limits, const DbQuota *used, const DbQuota *more)
{
    for (int k = 0; k < DB_QUOTA_KINDS; k++) {
        if (limits->v[k] < 0 || more->v[k] <= 0)
            continue;
        gint64 total;
        if (__builtin_add_overflow(used->v[k], more->v[k], &total) || total > limits->v[k])
            return k;
    }
    return -1;
}

/* "5", "512 MiB", "3.0 GiB" (g_format_size would put a no-break space in
 * the middle, which a reader searching the log does not type). */
static char *amount(DbQuotaKind kind, gint64 v)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (kind == DB_QUOTA_MEMORY)
        return g_strdup_printf("%" G_GINT64_FORMAT " MiB", v);
    if (kind != DB_QUOTA_DISK)
        return g_strdup_printf("%" G_GINT64_FORMAT, v);
    if (v < 1024)
        return g_strdup_printf("%" G_GINT64_FORMAT " bytes", v);
    double x = (double)v;
    guint u = 0;
    while (x >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
        x /= 1024;
        u++;
    }
    return g_strdup_printf("%.1f %s", x, units[u]);
}

char *api_quota_refusal(DbQuotaKind kind, const DbQuota *limits, const DbQuota *used,
                        const DbQuota *more, gboolean yours)
{
    g_autofree char *total = amount(kind, used->v[kind] + more->v[kind]);
    g_autofree char *limit = amount(kind, limits->v[kind]);
    g_autofree char *in_use = amount(kind, used->v[kind]);
    g_autofree char *asked = amount(kind, more->v[kind]);
    return g_strdup_printf("quota '%s': this would use %s of %s%s %s%s (%s in use, %s more "
                           "asked; quota set by an admin)",
                           KINDS[kind].name, total, yours ? "your " : "the ", limit,
                           KINDS[kind].noun, yours ? "" : " that the owner may use", in_use, asked);
}

/* What grows: the positive parts of `more`; FALSE when nothing does. */
static gboolean growth(const DbQuota *more, DbQuota *out)
{
    gboolean any = FALSE;
    for (int k = 0; k < DB_QUOTA_KINDS; k++) {
        out->v[k] = MAX(more->v[k], 0);
        any = any || out->v[k] > 0;
    }
    return any;
}

/* Whether any limit applies to what grows. */
static gboolean limited(const DbQuota *limits, const DbQuota *grows)
{
    for (int k = 0; k < DB_QUOTA_KINDS; k++)
        if (limits->v[k] >= 0 && grows->v[k] > 0)
            return TRUE;
    return FALSE;
}

ApiQuotaCaller api_quota_caller(const ApiRequest *req)
{
    const ApiAuth *auth = req ? req->auth : NULL;
    return (ApiQuotaCaller){.user_id = auth ? auth->user_id : 0,
                            .admin = auth && auth->role == API_ROLE_ADMIN};
}

gboolean api_quota_check(ApiContext *ctx, const ApiRequest *req, gint64 owner_id,
                         const DbQuota *more, ApiQuotaHold **hold, GError **error)
{
    return api_quota_check_by(ctx, api_quota_caller(req), owner_id, more, hold, error);
}

gboolean api_quota_check_by(ApiContext *ctx, ApiQuotaCaller caller, gint64 owner_id,
                            const DbQuota *more, ApiQuotaHold **hold, GError **error)
{
    *hold = NULL;
    DbQuota grows;
    if (!growth(more, &grows) || owner_id <= 0 || caller.admin)
        return TRUE;
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, QUOTA_LOCK, owner_id);
    /* Under the lock: limits an admin changed meanwhile count. */
    g_autoptr(DbUser) owner = db_user_by_id(ctx->db, owner_id, error);
    if (!owner)
        return !*error; /* deleted meanwhile: nobody's quota */
    if (strcmp(owner->role, "admin") == 0 || !limited(&owner->quota, &grows))
        return TRUE;
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    DbQuota used;
    if (!conn || !api_quota_usage(ctx, conn, owner_id, &used, error))
        return FALSE;
    book_read(ctx->quotas, owner_id, &used);
    int over = api_quota_exceeded(&owner->quota, &used, &grows);
    if (over >= 0) {
        g_autofree char *msg = api_quota_refusal(over, &owner->quota, &used, &grows,
                                                 caller.user_id == owner_id);
        g_set_error_literal(error, API_ERROR, API_ERROR_QUOTA_EXCEEDED, msg);
        return FALSE;
    }
    book_add(ctx->quotas, owner_id, &grows, 1);
    ApiQuotaHold *h = g_new0(ApiQuotaHold, 1);
    *h = (ApiQuotaHold){.ctx = ctx, .user_id = owner_id, .amounts = grows};
    *hold = h;
    return TRUE;
}

void api_quota_hold_settle(ApiQuotaHold *h)
{
    if (h && !h->released && !h->settled)
        h->settled = api_lock(h->ctx->locks, QUOTA_LOCK, h->user_id);
}

void api_quota_hold_release(ApiQuotaHold *h)
{
    if (!h || h->released)
        return;
    /* Under the lock: a check reads usage and holds as one. */
    g_autoptr(ApiLockSet) lock = h->settled ? g_steal_pointer(&h->settled)
                                            : api_lock(h->ctx->locks, QUOTA_LOCK, h->user_id);
    book_add(h->ctx->quotas, h->user_id, &h->amounts, -1);
    h->released = TRUE;
}

void api_quota_hold_free(ApiQuotaHold *h)
{
    if (!h)
        return;
    api_quota_hold_release(h);
    g_free(h);
}
