/* Drives the migration engine (virt/virt_migrate.c) from the command line,
 * for its integration test (tests/api/test_migrate_engine.py) and its
 * benchmark (tests/bench/migrate.sh). Built from vireod's own objects.
 *
 *   vireo-migrate SRC_URI DST_URI VM [--live] [--copy-storage] [--check]
 *                 [--stop-after N] [--max-speed MIB_S]
 *
 * --check runs the checks only; --stop-after N stops the move at its Nth
 * progress report; --max-speed caps the source's migration bandwidth
 * (so that a test can stop a move before it ends).
 * Output, one line each: "progress DONE TOTAL FRACTION", then
 * "moved elapsed_ms=E downtime_ms=D wall_ms=W" (exit 0), "checked" (exit
 * 0), "refused CODE MESSAGE" (exit 3), "stopped MESSAGE" (exit 4) or
 * "error MESSAGE" (exit 1). */
#include "virt/virt_conn.h"
#include "virt/virt_error.h"
#include "virt/virt_migrate.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    guint64 reports, stop_after;
} Follow;

static gboolean on_progress(guint64 done, guint64 total, double fraction, gpointer data)
{
    Follow *f = data;
    f->reports++;
    printf("progress %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %.3f\n", done, total, fraction);
    fflush(stdout);
    return !(f->stop_after && f->reports >= f->stop_after);
}

static int report(GError *error)
{
    if (error->domain == VIRT_MIGRATE_ERROR) {
        printf("refused %s %s\n", virt_migrate_refusal_name(error->code), error->message);
        return 3;
    }
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        printf("stopped %s\n", error->message);
        return 4;
    }
    printf("error %s\n", error->message);
    return 1;
}

static gboolean number(const char *text, guint64 *out)
{
    return g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT32, out, NULL);
}

int main(int argc, char **argv)
{
    VirtMigrateOptions opts = {FALSE, FALSE};
    Follow follow = {0, 0};
    gboolean check_only = FALSE;
    guint64 max_speed = 0;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--live") == 0)
            opts.live = TRUE;
        else if (strcmp(argv[i], "--copy-storage") == 0)
            opts.copy_storage = TRUE;
        else if (strcmp(argv[i], "--check") == 0)
            check_only = TRUE;
        else if (strcmp(argv[i], "--stop-after") == 0 && i + 1 < argc &&
                 number(argv[i + 1], &follow.stop_after))
            i++;
        else if (strcmp(argv[i], "--max-speed") == 0 && i + 1 < argc &&
                 number(argv[i + 1], &max_speed))
            i++;
        else if (argv[i][0] != '-' && npos < 3)
            pos[npos++] = argv[i];
        else
            npos = -99;
    }
    if (npos != 3) {
        fprintf(stderr, "usage: vireo-migrate SRC_URI DST_URI VM [--live] [--copy-storage] "
                        "[--check] [--stop-after N] [--max-speed MIB_S]\n");
        return 2;
    }
    virt_init();
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) src = virConnectOpen(pos[0]);
    if (!src) {
        virt_error_from_libvirt(&error, "connecting to the source");
        return report(error);
    }
    g_autoptr(virConnect) dst = virConnectOpen(pos[1]);
    if (!dst) {
        virt_error_from_libvirt(&error, "connecting to the target");
        return report(error);
    }
    g_autoptr(virDomain) dom = virDomainLookupByName(src, pos[2]);
    if (!dom) {
        virt_error_from_libvirt(&error, "finding the VM");
        return report(error);
    }
    if (check_only) {
        if (!virt_migrate_check(src, dom, dst, &opts, &error))
            return report(error);
        printf("checked\n");
        return 0;
    }
    if (max_speed && virDomainMigrateSetMaxSpeed(dom, max_speed, 0) < 0) {
        virt_error_from_libvirt(&error, "capping the migration's speed");
        return report(error);
    }
    VirtMigrateResult result;
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(virDomain)
        moved = virt_migrate_run(src, dom, dst, &opts, on_progress, &follow, &result, &error);
    gint64 wall_ms = (g_get_monotonic_time() - t0) / 1000;
    if (!moved)
        return report(error);
    printf("moved elapsed_ms=%" G_GUINT64_FORMAT " downtime_ms=%" G_GUINT64_FORMAT
           " wall_ms=%" G_GINT64_FORMAT "\n",
           result.elapsed_ms, result.downtime_ms, wall_ms);
    return 0;
}
