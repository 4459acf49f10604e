/* The GLib log handler that writes vireod's log lines. */
#include "server/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static GLogLevelFlags threshold = G_LOG_LEVEL_MESSAGE;

static const char *level_name(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return "error";
    if (level & G_LOG_LEVEL_WARNING)
        return "warn";
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return "info";
    return "debug";
}

/* GLib's levels grow less severe as the flag value grows. */
static int severity(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return 3;
    if (level & G_LOG_LEVEL_WARNING)
        return 2;
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return 1;
    return 0;
}

static void handler(const char *domain, GLogLevelFlags level, const char *message,
                    gpointer data G_GNUC_UNUSED)
{
    if (severity(level) < severity(threshold))
        return;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
    /* One write per line keeps lines whole when threads log at once. */
    g_autofree char *line = g_strdup_printf(
        "%s.%03dZ level=%s%s%s %s\n", stamp, g_date_time_get_microsecond(now) / 1000,
        level_name(level), domain ? " module=" : "", domain ? domain : "", message);
    if (write(STDERR_FILENO, line, strlen(line)) < 0) {
        /* nowhere left to report it */
    }
}

void log_init(const char *level)
{
    if (g_strcmp0(level, "debug") == 0)
        threshold = G_LOG_LEVEL_DEBUG;
    else if (g_strcmp0(level, "warn") == 0)
        threshold = G_LOG_LEVEL_WARNING;
    else if (g_strcmp0(level, "error") == 0)
        threshold = G_LOG_LEVEL_CRITICAL;
    else
        threshold = G_LOG_LEVEL_MESSAGE;
    g_log_set_default_handler(handler, NULL);
}
