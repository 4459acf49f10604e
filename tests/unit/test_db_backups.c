/* Backup jobs and backups in the inventory keep their VMs' hosts
 * (docs/backups.md, migration 15): a job's VM list and its hosts round
 * trip, a job from before (no vm_hosts) is every VM on the local host,
 * each backup keeps its VM's host, and a removed host's are marked so.
 * On a temporary file. */
#include "unit_db.h"

#include "db/db_backups.h"
#include "db/db_hosts.h"

#include <sqlite3.h>

typedef struct {
    char *dir;
    char *path;
    Db *db;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->db = unit_db_open(&f->dir, &f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    unit_db_close(f->db, f->dir, f->path);
    g_free(f);
    return 0;
}

static DbBackupJob *job(const char *const *vms, const gint64 *hosts)
{
    DbBackupJob *j = g_new0(DbBackupJob, 1);
    j->name = g_strdup("nightly");
    j->every = g_strdup("day");
    j->vms = g_strdupv((char **)vms);
    guint n = g_strv_length(j->vms);
    j->vm_hosts = g_new0(gint64, MAX(n, 1));
    for (guint i = 0; hosts && i < n; i++)
        j->vm_hosts[i] = hosts[i];
    j->pool = g_strdup("backups");
    j->keep = 2;
    return j;
}

static void test_job_keeps_each_vms_host(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    static const char *const vms[] = {"u-web", "u-web", "u-db", NULL};
    static const gint64 hosts[] = {1, 2, 1};
    g_autoptr(DbBackupJob) j = job(vms, hosts);
    j->id = db_backup_job_create(f->db, j, &error);
    assert_true(j->id > 0);
    g_autoptr(DbBackupJob) got = db_backup_job_get(f->db, "nightly", &error);
    assert_int_equal(g_strv_length(got->vms), 3);
    for (guint i = 0; i < 3; i++) {
        assert_string_equal(got->vms[i], vms[i]);
        assert_int_equal(got->vm_hosts[i], hosts[i]);
    }
    /* An edit to VMs of the local host only writes no hosts at all. */
    g_strfreev(j->vms);
    j->vms = g_strdupv((char **)(const char *const[]){"u-one", NULL});
    j->vm_hosts[0] = 0;
    assert_true(db_backup_job_update(f->db, j, &error));
    g_autoptr(DbBackupJob) local = db_backup_job_get(f->db, "nightly", &error);
    assert_int_equal(g_strv_length(local->vms), 1);
    assert_int_equal(local->vm_hosts[0], 0);
    assert_null(error);
}

static void test_job_from_before_is_the_local_hosts(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    static const char *const vms[] = {"u-a", "u-b", NULL};
    static const gint64 hosts[] = {3, 4};
    g_autoptr(DbBackupJob) j = job(vms, hosts);
    assert_true(db_backup_job_create(f->db, j, &error) > 0);
    /* As a row of a file from before migration 15, or one whose host list
     * is short or damaged: the VMs it does not name are the local host's. */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "UPDATE backup_jobs SET vm_hosts = NULL", NULL, NULL, NULL),
                     SQLITE_OK);
    g_autoptr(DbBackupJob) before = db_backup_job_get(f->db, "nightly", &error);
    assert_int_equal(before->vm_hosts[0], 0);
    assert_int_equal(before->vm_hosts[1], 0);
    assert_int_equal(sqlite3_exec(raw, "UPDATE backup_jobs SET vm_hosts = 'x'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    g_autoptr(DbBackupJob) damaged = db_backup_job_get(f->db, "nightly", &error);
    assert_int_equal(damaged->vm_hosts[0], 0);
    assert_int_equal(damaged->vm_hosts[1], 0);
    g_autofree gint64 *short_list = db_backup_job_hosts_parse("7", 2);
    assert_int_equal(short_list[0], 7);
    assert_int_equal(short_list[1], 0);
    assert_null(error);
}

static void test_backup_keeps_its_vms_host(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    DbBackup on_b = {.job_name = "nightly",
                     .vm_uuid = "u-web",
                     .vm_name = "web",
                     .pool = "backups",
                     .volume = "web.1-h2.vireo.tar",
                     .size = 10,
                     .created_at = 100,
                     .host_id = 2};
    DbBackup local = on_b;
    local.volume = "web.1.vireo.tar";
    local.host_id = 0;
    gint64 b = db_backup_add(f->db, &on_b, &error);
    gint64 l = db_backup_add(f->db, &local, &error);
    assert_true(b > 0 && l > 0);
    g_autoptr(DbBackup) got_b = db_backup_get(f->db, b, &error);
    g_autoptr(DbBackup) got_l = db_backup_get(f->db, l, &error);
    assert_int_equal(got_b->host_id, 2);
    assert_int_equal(got_l->host_id, 0);
    /* One UUID lists both: the caller tells the hosts apart. */
    g_autoptr(GPtrArray) both = db_backup_list(f->db, 0, "u-web", &error);
    assert_int_equal(both->len, 2);
    assert_null(error);
}

/* A removed host's id may be the next host's: its backups and job VMs are
 * marked removed (-1) when it goes, whatever their place in the list. */
static void test_removed_host_is_never_the_next_ones(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    DbHost here = {.name = "here", .uri = "qemu:///system", .local = TRUE};
    DbHost b = {.name = "b", .uri = "qemu+tcp://b/system"};
    DbHost b12 = {.name = "b12", .uri = "qemu+tcp://b12/system"};
    gint64 a = db_host_create(f->db, &here, &error);
    gint64 hb = db_host_create(f->db, &b, &error);
    assert_true(a > 0 && hb > 0);
    /* Ids of other hosts that contain b's as digits stay as they are. */
    gint64 other = hb * 10 + hb;
    const char *const vms[] = {"u-1", "u-2", "u-3", "u-4", "u-5", NULL};
    const gint64 hosts[] = {hb, hb, a, other, hb};
    g_autoptr(DbBackupJob) j = job(vms, hosts);
    assert_true(db_backup_job_create(f->db, j, &error) > 0);
    DbBackup kept = {.job_name = "nightly",
                     .vm_uuid = "u-1",
                     .vm_name = "one",
                     .pool = "backups",
                     .volume = "one.vireo.tar",
                     .host_id = hb};
    gint64 id = db_backup_add(f->db, &kept, &error);
    assert_true(db_host_delete(f->db, hb, &error));
    assert_int_equal(db_host_create(f->db, &b12, &error), hb);
    g_autoptr(DbBackupJob) got = db_backup_job_get(f->db, "nightly", &error);
    const gint64 want[] = {-1, -1, a, other, -1};
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        assert_int_equal(got->vm_hosts[i], want[i]);
    g_autoptr(DbBackup) backup = db_backup_get(f->db, id, &error);
    assert_int_equal(backup->host_id, -1);
    assert_null(error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_job_keeps_each_vms_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_from_before_is_the_local_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_keeps_its_vms_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_host_is_never_the_next_ones, setup, teardown),
    };
    return cmocka_run_group_tests_name("db_backups", tests, NULL, NULL);
}
