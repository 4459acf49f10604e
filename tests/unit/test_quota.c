/* Quotas without HTTP: the arithmetic of usage and limits, the refusal's
 * words, the "quota" body, the inventory's columns (and migration 7 on a
 * file made before it), usage read from libvirt's test driver, the check
 * with its holds, and checks from many threads at once. */
#include "unit.h"

#include "api/auth/api_quota.h"
#include "api/auth/api_quota_json.h"
#include "api/auth/api_quota_usage.h"
#include "api/core/api_error.h"
#include "api/core/api_locks.h"
#include "db/db_auth.h"
#include "virt/virt_conn.h"
#include "virt/virt_footprint.h"
#include "virt/virt_storage.h"

#include <libvirt/virterror.h>

#include <sqlite3.h>
#include <string.h>

#define MIB (1024 * 1024)

static DbQuota quota(gint64 vms, gint64 vcpus, gint64 memory, gint64 disk)
{
    return (DbQuota){.v = {vms, vcpus, memory, disk}};
}

static void assert_quota(const DbQuota *got, gint64 vms, gint64 vcpus, gint64 memory, gint64 disk)
{
    if (got->v[0] != vms || got->v[1] != vcpus || got->v[2] != memory || got->v[3] != disk)
        fail_msg("got {%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                 ", %" G_GINT64_FORMAT "}, want {%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                 ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "}",
                 got->v[0], got->v[1], got->v[2], got->v[3], vms, vcpus, memory, disk);
}

/* ---- arithmetic and words ---- */

static void test_amounts_and_limits(void **state)
{
    (void)state;
    DbQuota a;
    api_quota_amounts(&(VirtFootprint){.vcpus = 2, .memory_kib = 1025, .disk_bytes = 7}, 1, &a);
    assert_int_equal(a.v[DB_QUOTA_VMS], 1);
    assert_int_equal(a.v[DB_QUOTA_VCPUS], 2);
    assert_int_equal(a.v[DB_QUOTA_MEMORY], 2); /* a started MiB counts whole */
    assert_int_equal(a.v[DB_QUOTA_DISK], 7);
    api_quota_amounts(&(VirtFootprint){.memory_kib = 256 * 1024}, 0, &a);
    assert_int_equal(a.v[DB_QUOTA_MEMORY], 256);
    DbQuota sum = quota(1, 1, 1, 1);
    api_quota_sum(&sum, &(DbQuota){.v = {1, 2, 3, 4}});
    assert_quota(&sum, 2, 3, 4, 5);

    DbQuota none = quota(-1, -1, -1, -1), used = quota(1, 2, 256, 10);
    DbQuota limits = quota(2, 4, 512, 10);
    assert_int_equal(api_quota_exceeded(&none, &used, &(DbQuota){.v = {99, 99, 99, 99}}), -1);
    /* Exactly at the limit fits; one more does not. */
    assert_int_equal(api_quota_exceeded(&limits, &used, &(DbQuota){.v = {1, 2, 256, 0}}), -1);
    assert_int_equal(api_quota_exceeded(&limits, &used, &(DbQuota){.v = {0, 3, 0, 0}}),
                     DB_QUOTA_VCPUS);
    assert_int_equal(api_quota_exceeded(&limits, &used, &(DbQuota){.v = {0, 0, 0, 1}}),
                     DB_QUOTA_DISK);
    /* Only what grows is checked: a user already over a limit may shrink. */
    DbQuota over = quota(5, 9, 999, 99);
    assert_int_equal(api_quota_exceeded(&limits, &over, &(DbQuota){.v = {0, -2, 0, 0}}), -1);
    /* The first limit passed is named, whatever else is passed too. */
    assert_int_equal(api_quota_exceeded(&limits, &used, &(DbQuota){.v = {5, 5, 5000, 5}}),
                     DB_QUOTA_VMS);
    DbQuota huge = quota(-1, -1, -1, G_MAXINT64 - 1);
    DbQuota big = quota(0, 0, 0, G_MAXINT64 - 1);
    assert_int_equal(api_quota_exceeded(&huge, &big, &(DbQuota){.v = {0, 0, 0, 5}}), DB_QUOTA_DISK);
}

static void test_refusal_words(void **state)
{
    (void)state;
    DbQuota limits = quota(1, 4, 256, 2LL << 30), used = quota(1, 3, 200, 1LL << 30);
    DbQuota more = quota(1, 2, 312, 1536LL << 20);
    g_autofree char *vcpus = api_quota_refusal(DB_QUOTA_VCPUS, &limits, &used, &more, TRUE);
    assert_string_equal(vcpus, "quota 'vcpus': this would use 5 of your 4 vCPUs (3 in use, 2 "
                               "more asked; quota set by an admin)");
    g_autofree char *memory = api_quota_refusal(DB_QUOTA_MEMORY, &limits, &used, &more, TRUE);
    assert_string_equal(memory, "quota 'memory': this would use 512 MiB of your 256 MiB of memory "
                                "(200 MiB in use, 312 MiB more asked; quota set by an admin)");
    g_autofree char *disk = api_quota_refusal(DB_QUOTA_DISK, &limits, &used, &more, TRUE);
    assert_string_equal(disk, "quota 'disk': this would use 2.5 GiB of your 2.0 GiB of disk (1.0 "
                              "GiB in use, 1.5 GiB more asked; quota set by an admin)");
    g_autofree char *vms = api_quota_refusal(DB_QUOTA_VMS, &limits, &used, &more, FALSE);
    assert_string_equal(vms, "quota 'vms': this would use 2 of the 1 VMs that the owner may use "
                             "(1 in use, 1 more asked; quota set by an admin)");
    DbQuota tiny = quota(0, 0, 0, 100);
    g_autofree char *bytes = api_quota_refusal(DB_QUOTA_DISK, &tiny, &tiny, &tiny, TRUE);
    assert_non_null(strstr(bytes, "200 bytes of your 100 bytes of disk"));
}

static void expect_bad_quota(const char *text, const char *words)
{
    g_autoptr(json_t) v = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    DbQuota out = quota(7, 7, 7, 7), current = quota(-1, -1, -1, -1);
    g_autoptr(GError) e = NULL;
    assert_false(api_quota_parse(v, &current, &out, &e));
    assert_int_equal(api_error_status(e), 400);
    if (!strstr(e->message, words))
        fail_msg("%s: message '%s' lacks '%s'", text, e->message, words);
}

static void test_quota_body_and_audit_text(void **state)
{
    (void)state;
    g_autoptr(json_t) body = json_loads("{\"vcpus\": 4, \"disk\": null, \"memory\": 0}", 0, NULL);
    DbQuota current = quota(1, 2, 3, 4), out;
    g_autoptr(GError) e = NULL;
    assert_true(api_quota_parse(body, &current, &out, &e));
    assert_quota(&out, 1, 4, 0, -1);
    g_autofree char *text = api_quota_change_text(&current, &out);
    assert_string_equal(text, "quota vcpus 2 -> 4, memory 3 -> 0, disk 4 -> unlimited");
    assert_null(api_quota_change_text(&out, &out));
    g_autoptr(json_t) limits = api_quota_limits_json(&out);
    g_autofree char *dumped = json_dumps(limits, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(dumped, "{\"disk\":null,\"memory\":0,\"vcpus\":4,\"vms\":1}");
    expect_bad_quota("5", "field 'quota'");
    expect_bad_quota("[]", "field 'quota'");
    expect_bad_quota("{\"cpus\": 1}", "'cpus'");
    expect_bad_quota("{\"vms\": -1}", "quota.vms");
    expect_bad_quota("{\"vcpus\": 1.5}", "quota.vcpus");
    expect_bad_quota("{\"memory\": \"1G\"}", "quota.memory");
    expect_bad_quota("{\"disk\": true}", "quota.disk");
    expect_bad_quota("{\"disk\": 9007199254740992}", "quota.disk");
}

/* ---- the inventory ---- */

static void test_inventory_columns_and_migration(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(dir, "vireo.db", NULL);
    g_autoptr(GError) e = NULL;
    gint64 id;
    {
        g_autoptr(Db) db = db_open(path, &e);
        assert_non_null(db);
        id = db_user_create(db, "olga", "x", "operator", "local", &e);
        assert_true(id > 0);
        g_autoptr(DbUser) u = db_user_by_id(db, id, &e);
        assert_quota(&u->quota, -1, -1, -1, -1);
        assert_true(db_user_set_quota(db, id, &(DbQuota){.v = {0, 4, -1, 1LL << 40}}, &e));
        g_autoptr(DbUser) v = db_user_by_id(db, id, &e);
        assert_quota(&v->quota, 0, 4, -1, 1LL << 40);
    }
    /* The schema refuses a negative limit however it is written. */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(raw, "UPDATE users SET quota_vcpus = -3", NULL, NULL, NULL),
                         SQLITE_OK);
    /* A file of schema 6, as vireod wrote it before backups and quotas
     * (whose later migrations add columns to the backup tables, hosts, the
     * metric series' host, the tasks' host and the volume owners' host,
     * the hosts of backups and of what tasks make), with a user. */
    assert_int_equal(sqlite3_exec(raw,
                                  "DROP TRIGGER tasks_adopted;"
                                  "DROP TRIGGER tasks_host_removed;"
                                  "ALTER TABLE task_artifacts DROP COLUMN host_id;"
                                  "ALTER TABLE tasks DROP COLUMN host_id;"
                                  "DROP INDEX stats_series_host;"
                                  "ALTER TABLE stats_series DROP COLUMN host;"
                                  "DROP TABLE hosts;"
                                  "DROP TABLE volume_owners;"
                                  "CREATE TABLE volume_owners ("
                                  "  key TEXT PRIMARY KEY NOT NULL,"
                                  "  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE "
                                  "CASCADE,"
                                  "  created_at INTEGER NOT NULL);"
                                  "DROP TABLE backups;"
                                  "DROP TABLE backup_jobs;"
                                  "ALTER TABLE users DROP COLUMN quota_vms;"
                                  "ALTER TABLE users DROP COLUMN quota_vcpus;"
                                  "ALTER TABLE users DROP COLUMN quota_memory_mib;"
                                  "ALTER TABLE users DROP COLUMN quota_disk_bytes;"
                                  "PRAGMA user_version = 6;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    {
        g_autoptr(Db) db = db_open(path, &e);
        assert_non_null(db);
        assert_int_equal(db_schema_version(db), db_schema_latest());
        g_autoptr(DbUser) u = db_user_by_name(db, "olga", &e);
        assert_non_null(u);
        assert_quota(&u->quota, -1, -1, -1, -1);
    }
    unit_rmtree(dir);
}

/* ---- usage and the check, on libvirt's test driver ---- */

typedef struct {
    char *dir;
    ApiContext ctx;
    virConnectPtr conn;
    gint64 op, admin;
    ApiAuth op_auth, admin_auth;
    ApiRequest op_req, admin_req;
} Fixture;

static int setup(void **state)
{
    virt_init();
    Fixture *f = g_new0(Fixture, 1);
    f->dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(f->dir, "vireo.db", NULL);
    f->ctx.db = db_open(path, NULL);
    assert_non_null(f->ctx.db);
    f->ctx.locks = api_locks_new();
    f->ctx.quotas = api_quotas_new();
    /* Started by the tests that check (start_checks), once their VMs are
     * defined: libvirt's event loop then runs in its own thread, and a
     * define from this one would wake it in a way TSan cannot follow. */
    f->ctx.virt = virt_conn_new("test:///default", NULL, NULL, NULL);
    f->conn = virConnectOpen("test:///default");
    assert_non_null(f->conn);
    f->op = db_user_create(f->ctx.db, "olga", "x", "operator", "local", NULL);
    f->admin = db_user_create(f->ctx.db, "root", "x", "admin", "local", NULL);
    assert_true(f->op > 0 && f->admin > 0);
    f->op_auth = (ApiAuth){.user_id = f->op, .role = API_ROLE_OPERATOR};
    f->admin_auth = (ApiAuth){.user_id = f->admin, .role = API_ROLE_ADMIN};
    f->op_req.auth = &f->op_auth;
    f->admin_req.auth = &f->admin_auth;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    /* The event loop's thread ends first (see setup). */
    virt_conn_free(f->ctx.virt);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(f->conn, &doms, 0);
    for (int i = 0; i < n; i++) {
        if (g_str_has_prefix(virDomainGetName(doms[i]), "q-")) {
            if (virDomainIsActive(doms[i]) == 1)
                virDomainDestroy(doms[i]);
            virDomainUndefine(doms[i]);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virStorageVolPtr vol = virStorageVolLookupByPath(f->conn, "/default-pool/q-disk.img");
    if (vol) {
        virStorageVolDelete(vol, 0);
        virStorageVolFree(vol);
    }
    virResetLastError();
    virConnectClose(f->conn);
    api_quotas_free(f->ctx.quotas);
    api_locks_free(f->ctx.locks);
    db_close(f->ctx.db);
    unit_rmtree(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* Defines a VM owned by `owner` (0: nobody). */
static virDomainPtr vm(Fixture *f, const char *name, const char *vcpu, unsigned memory_mib,
                       gint64 owner)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='test'><name>%s</name><memory unit='MiB'>%u</memory>"
        "<currentMemory unit='MiB'>%u</currentMemory>%s<os><type>hvm</type></os></domain>",
        name, memory_mib, memory_mib / 2, vcpu);
    virDomainPtr dom = virDomainDefineXML(f->conn, xml);
    assert_non_null(dom);
    char uuid[VIR_UUID_STRING_BUFLEN];
    assert_int_equal(virDomainGetUUIDString(dom, uuid), 0);
    if (owner)
        assert_true(db_vm_set_owner(f->ctx.db, uuid, owner, NULL));
    return dom;
}

static DbQuota usage_of(Fixture *f, gint64 user)
{
    DbQuota u;
    g_autoptr(GError) e = NULL;
    if (!api_quota_usage(&f->ctx, f->conn, user, &u, &e))
        fail_msg("usage: %s", e->message);
    return u;
}

static void test_usage_from_libvirt(void **state)
{
    Fixture *f = *state;
    g_autoptr(virDomain) a = vm(f, "q-a", "<vcpu>2</vcpu>", 256, f->op);
    /* Current vCPUs count, not the hot-plug maximum; memory counts its maximum. */
    g_autoptr(virDomain) b = vm(f, "q-b", "<vcpu current='1'>4</vcpu>", 100, f->op);
    g_autoptr(virDomain) c = vm(f, "q-c", "<vcpu>8</vcpu>", 512, 0);
    g_autoptr(virDomain) d = vm(f, "q-d", "<vcpu>3</vcpu>", 64, f->admin);
    g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(f->conn, "default-pool");
    assert_non_null(pool);
    g_autoptr(virStorageVol) vol = virStorageVolCreateXML(
        pool,
        "<volume><name>q-disk.img</name><capacity unit='MiB'>3</capacity>"
        "<allocation>0</allocation></volume>",
        0);
    assert_non_null(vol);
    g_autofree char *vol_path = virStorageVolGetPath(vol);
    assert_true(db_volume_owner_set(f->ctx.db, DB_HOST_UNREGISTERED, vol_path, f->op, NULL));
    /* A volume that is gone counts nothing. */
    assert_true(db_volume_owner_set(f->ctx.db, DB_HOST_UNREGISTERED, "/default-pool/q-gone.img",
                                    f->op, NULL));

    DbQuota u = usage_of(f, f->op);
    assert_quota(&u, 2, 3, 356, 3 * MIB);
    g_autoptr(GHashTable) all = api_quota_usage_by_user(&f->ctx, f->conn, 0, NULL);
    assert_non_null(all);
    assert_int_equal(g_hash_table_size(all), 2);
    const DbQuota *admin = g_hash_table_lookup(all, &f->admin);
    assert_quota(admin, 1, 3, 64, 0);

    /* Running with fewer vCPUs waiting for the next boot: the running
     * figure counts until then. */
    assert_int_equal(virDomainCreate(a), 0);
    assert_int_equal(virDomainSetVcpusFlags(a, 1, VIR_DOMAIN_AFFECT_CONFIG), 0);
    assert_int_equal(usage_of(f, f->op).v[DB_QUOTA_VCPUS], 3);
    assert_int_equal(virDomainDestroy(a), 0);
    assert_int_equal(usage_of(f, f->op).v[DB_QUOTA_VCPUS], 2);

    /* Removed behind Vireo's back: it counts no more. */
    assert_int_equal(virDomainUndefine(b), 0);
    u = usage_of(f, f->op);
    assert_quota(&u, 1, 1, 256, 3 * MIB);
}

static void test_plan_footprint(void **state)
{
    Fixture *f = *state;
    g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(f->conn, "default-pool");
    g_autoptr(virStorageVol) src = virStorageVolCreateXML(
        pool, "<volume><name>q-disk.img</name><capacity unit='MiB'>3</capacity></volume>", 0);
    assert_non_null(src);
    static const char seed[] = "abc";
    VirtVmVolume vols[] = {
        {.kind = VIRT_VM_VOL_NEW, .device = "disk", .pool = "default-pool", .size = MIB},
        {.kind = VIRT_VM_VOL_CLONE, .device = "disk", .from = "default-pool/q-disk.img", .size = 1},
        {.kind = VIRT_VM_VOL_OVERLAY,
         .device = "disk",
         .from = "default-pool/q-disk.img",
         .size = 5 * MIB},
        {.kind = VIRT_VM_VOL_DATA, .device = "cdrom", .data = seed, .data_len = 3},
        {.kind = VIRT_VM_VOL_EXISTING, .device = "disk", .pool = "default-pool", .name = "x"},
    };
    VirtVmPlan plan = {.domain = {.name = "q-new", .vcpus = 3, .memory_mib = 192},
                       .volumes = vols,
                       .n_volumes = G_N_ELEMENTS(vols)};
    VirtFootprint fp;
    g_autoptr(GError) e = NULL;
    assert_true(virt_vm_plan_footprint(f->conn, &plan, &fp, &e));
    assert_int_equal(fp.vcpus, 3);
    assert_int_equal(fp.memory_kib, 192 * 1024);
    /* new 1 MiB + a copy as large as its source + an overlay grown to its
     * size + the seed's bytes; the existing volume adds nothing */
    assert_int_equal(fp.disk_bytes, MIB + 3 * MIB + 5 * MIB + 3);
    /* A clone takes what the definition it copies says. */
    plan.clone_of = "<domain type='test'><name>src</name><memory unit='MiB'>300</memory>"
                    "<currentMemory unit='MiB'>100</currentMemory><vcpu current='2'>6</vcpu>"
                    "<os><type>hvm</type></os></domain>";
    plan.n_volumes = 0;
    assert_true(virt_vm_plan_footprint(f->conn, &plan, &fp, &e));
    assert_int_equal(fp.vcpus, 2);
    assert_int_equal(fp.memory_kib, 300 * 1024);
    assert_int_equal(fp.disk_bytes, 0);
    /* A source that is not there is the plan check's to word: an error. */
    VirtVmVolume missing = {.kind = VIRT_VM_VOL_CLONE, .device = "disk", .from = "default-pool/no"};
    plan.volumes = &missing;
    plan.n_volumes = 1;
    assert_false(virt_vm_plan_footprint(f->conn, &plan, &fp, &e));
}

/* The checks ask for libvirt through the daemon's connection manager. */
static void start_checks(Fixture *f)
{
    virt_conn_start(f->ctx.virt);
}

static gboolean check(Fixture *f, const ApiRequest *req, gint64 owner, DbQuota more,
                      ApiQuotaHold **hold, GError **error)
{
    return api_quota_check(&f->ctx, req, owner, &more, hold, error);
}

static void test_check_and_holds(void **state)
{
    Fixture *f = *state;
    g_autoptr(virDomain) a = vm(f, "q-a", "<vcpu>1</vcpu>", 128, f->op);
    assert_true(db_user_set_quota(f->ctx.db, f->op, &(DbQuota){.v = {3, -1, 256, -1}}, NULL));
    start_checks(f);
    g_autoptr(GError) e = NULL;
    ApiQuotaHold *h1 = NULL, *h2 = NULL, *h3 = NULL;
    /* 1 in use + 1 held + 1 = 3 VMs: fits; a third would be 4. */
    assert_true(check(f, &f->op_req, f->op, quota(1, 1, 64, 0), &h1, &e));
    assert_non_null(h1);
    assert_true(check(f, &f->op_req, f->op, quota(1, 1, 64, 0), &h2, &e));
    assert_false(check(f, &f->op_req, f->op, quota(1, 1, 0, 0), &h3, &e));
    assert_null(h3);
    assert_true(g_error_matches(e, API_ERROR, API_ERROR_QUOTA_EXCEEDED));
    assert_int_equal(api_error_status(e), 403);
    assert_string_equal(api_error_code(e), "quota_exceeded");
    assert_true(g_str_has_prefix(e->message, "quota 'vms': this would use 4 of your 3 VMs"));
    g_clear_error(&e);
    /* Memory: 128 in use + 128 held; 1 MiB more is too much. */
    assert_false(check(f, &f->op_req, f->op, quota(0, 0, 1, 0), &h3, &e));
    assert_true(g_str_has_prefix(e->message, "quota 'memory': this would use 257 MiB"));
    g_clear_error(&e);
    /* Settled and released, a hold stops counting. */
    api_quota_hold_settle(h1);
    api_quota_hold_release(h1);
    api_quota_hold_release(h1);
    assert_true(check(f, &f->op_req, f->op, quota(1, 0, 64, 0), &h3, &e));
    api_quota_hold_free(h1);
    api_quota_hold_free(h2);
    api_quota_hold_free(h3);
    h1 = h2 = h3 = NULL;
    /* What does not grow, admins, an admin owner, a VM of nobody and a
     * deleted user are not checked and hold nothing. */
    assert_true(check(f, &f->op_req, f->op, quota(0, -1, -64, 0), &h1, &e));
    assert_true(check(f, &f->admin_req, f->op, quota(50, 50, 5000, 0), &h1, &e));
    assert_true(db_user_set_quota(f->ctx.db, f->admin, &(DbQuota){.v = {0, 0, 0, 0}}, NULL));
    assert_true(check(f, &f->op_req, f->admin, quota(1, 1, 1, 1), &h1, &e));
    assert_true(check(f, &f->op_req, 0, quota(1, 1, 1, 1), &h1, &e));
    assert_true(check(f, &f->op_req, 424242, quota(1, 1, 1, 1), &h1, &e));
    assert_null(h1);
    /* Someone else's VM: the message says whose limit it is. */
    ApiAuth other = {.user_id = f->admin + 100, .role = API_ROLE_OPERATOR};
    ApiRequest other_req = {.auth = &other};
    assert_false(check(f, &other_req, f->op, quota(0, 0, 512, 0), &h1, &e));
    assert_non_null(strstr(e->message, "of the 256 MiB of memory that the owner may use"));
    assert_int_equal(api_locks_count(f->ctx.locks), 0);
}

typedef struct {
    Fixture *f;
    GMutex lock;
    GPtrArray *holds;
    int refused;
} Race;

static gpointer race_one(gpointer data)
{
    Race *r = data;
    ApiQuotaHold *hold = NULL;
    g_autoptr(GError) e = NULL;
    gboolean ok = check(r->f, &r->f->op_req, r->f->op, quota(0, 1, 0, 0), &hold, &e);
    g_mutex_lock(&r->lock);
    if (ok)
        g_ptr_array_add(r->holds, hold);
    else if (g_error_matches(e, API_ERROR, API_ERROR_QUOTA_EXCEEDED))
        r->refused++;
    g_mutex_unlock(&r->lock);
    return NULL;
}

static void test_checks_at_once(void **state)
{
    Fixture *f = *state;
    g_autoptr(virDomain) a = vm(f, "q-a", "<vcpu>2</vcpu>", 64, f->op);
    assert_true(db_user_set_quota(f->ctx.db, f->op, &(DbQuota){.v = {-1, 7, -1, -1}}, NULL));
    start_checks(f);
    Race r = {.f = f, .holds = g_ptr_array_new_with_free_func((GDestroyNotify)api_quota_hold_free)};
    g_mutex_init(&r.lock);
    GThread *threads[12];
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("quota", race_one, &r);
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        g_thread_join(threads[i]);
    /* 2 in use: exactly 5 more fit. */
    assert_int_equal(r.holds->len, 5);
    assert_int_equal(r.refused, 7);
    g_ptr_array_unref(r.holds);
    g_mutex_clear(&r.lock);
    ApiQuotaHold *again = NULL;
    g_autoptr(GError) e = NULL;
    assert_true(check(f, &f->op_req, f->op, quota(0, 5, 0, 0), &again, &e));
    api_quota_hold_free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amounts_and_limits),
        cmocka_unit_test(test_refusal_words),
        cmocka_unit_test(test_quota_body_and_audit_text),
        cmocka_unit_test(test_inventory_columns_and_migration),
        cmocka_unit_test_setup_teardown(test_usage_from_libvirt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_footprint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_and_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks_at_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
