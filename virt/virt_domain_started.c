/* A running VM's start time from its QEMU process (see
 * virt_domain_started.h). */
#include "virt/virt_domain_started.h"

#include <string.h>
#include <unistd.h>

gboolean virt_uri_is_local(const char *uri)
{
    g_autoptr(GUri) u = uri ? g_uri_parse(uri, G_URI_FLAGS_NONE, NULL) : NULL;
    if (!u)
        return FALSE;
    const char *host = g_uri_get_host(u);
    return !host || !*host;
}

const char *virt_qemu_run_dir(const char *uri)
{
    g_autoptr(GUri) u = uri ? g_uri_parse(uri, G_URI_FLAGS_NONE, NULL) : NULL;
    if (!u || !virt_uri_is_local(uri))
        return NULL;
    const char *scheme = g_uri_get_scheme(u);
    if (g_strcmp0(g_uri_get_path(u), "/system") != 0 ||
        (g_strcmp0(scheme, "qemu") != 0 && g_strcmp0(scheme, "qemu+unix") != 0))
        return NULL;
    return "/run/libvirt/qemu";
}

gint64 virt_proc_start_time(const char *pid_stat, const char *proc_stat, long ticks)
{
    if (!pid_stat || !proc_stat || ticks <= 0)
        return 0;
    /* "pid (comm) state ppid ...": comm may hold blanks and parentheses;
     * after the last ')' come fields 3 on, starttime being field 22. */
    const char *close = strrchr(pid_stat, ')');
    if (!close)
        return 0;
    g_auto(GStrv) f = g_strsplit_set(close + 1, " \n", -1);
    guint64 start_ticks = 0;
    int field = 2;
    for (char **p = f; *p; p++) {
        if (!**p)
            continue;
        if (++field == 22) {
            if (!g_ascii_string_to_unsigned(*p, 10, 0, G_MAXUINT64, &start_ticks, NULL))
                return 0;
            break;
        }
    }
    if (field != 22)
        return 0;
    const char *bt = strstr(proc_stat, "\nbtime ");
    bt = bt ? bt + 7 : (g_str_has_prefix(proc_stat, "btime ") ? proc_stat + 6 : NULL);
    guint64 boot = 0;
    if (!bt)
        return 0;
    g_autofree char *num = g_strndup(bt, strcspn(bt, "\n"));
    if (!g_ascii_string_to_unsigned(num, 10, 1, G_MAXINT64, &boot, NULL))
        return 0;
    return (gint64)(boot + start_ticks / (guint64)ticks);
}

gboolean virt_cmdline_has_uuid(const char *cmdline, gsize len, const char *uuid)
{
    const char *end = cmdline + len;
    gboolean after_flag = FALSE;
    for (const char *a = cmdline; a < end; a += strnlen(a, (gsize)(end - a)) + 1) {
        gsize n = strnlen(a, (gsize)(end - a));
        if (after_flag)
            return n == strlen(uuid) && g_ascii_strncasecmp(a, uuid, n) == 0;
        after_flag = n == 5 && memcmp(a, "-uuid", 5) == 0;
    }
    return FALSE;
}

gint64 virt_domain_process_start(const char *run_dir, const char *name, const char *uuid)
{
    if (!run_dir || !name || !*name || strchr(name, '/') || !uuid)
        return 0;
    g_autofree char *pidfile = g_strdup_printf("%s/%s.pid", run_dir, name);
    g_autofree char *pidtext = NULL;
    guint64 pid = 0;
    if (!g_file_get_contents(pidfile, &pidtext, NULL, NULL) ||
        !g_ascii_string_to_unsigned(g_strstrip(pidtext), 10, 1, G_MAXINT32, &pid, NULL))
        return 0;
    g_autofree char *cmd_path = g_strdup_printf("/proc/%" G_GUINT64_FORMAT "/cmdline", pid);
    g_autofree char *stat_path = g_strdup_printf("/proc/%" G_GUINT64_FORMAT "/stat", pid);
    g_autofree char *cmdline = NULL, *pid_stat = NULL, *proc_stat = NULL;
    gsize len = 0;
    if (!g_file_get_contents(cmd_path, &cmdline, &len, NULL) ||
        !virt_cmdline_has_uuid(cmdline, len, uuid) ||
        !g_file_get_contents(stat_path, &pid_stat, NULL, NULL) ||
        !g_file_get_contents("/proc/stat", &proc_stat, NULL, NULL))
        return 0;
    return virt_proc_start_time(pid_stat, proc_stat, sysconf(_SC_CLK_TCK));
}
