/* When backup jobs run: every day or every week on one weekday, at one
 * local time of day. Times are computed on the calendar in the host's
 * time zone with GDateTime, so a job at 02:30 runs once on the day
 * clocks skip or repeat that hour (in the gap: at the moment GLib maps
 * it to; when repeated: once). A run missed while vireod was down is due
 * at once, and only once. */
#pragma once
#include <glib.h>

typedef struct {
    gboolean weekly;
    int at_minute; /* minutes after local midnight, 0-1439 */
    int weekday;   /* weekly: 1 Monday .. 7 Sunday */
} ApiBackupSchedule;

/* The first run strictly after `after` (unix seconds) in `tz`. */
gint64 api_backup_next_run(const ApiBackupSchedule *s, gint64 after, GTimeZone *tz);
/* The run due at `now`, if any: the first after the last run (or after
 * the job was made, `since`) when that is not later than `now`; else 0. */
gint64 api_backup_due(const ApiBackupSchedule *s, gint64 since, gint64 now, GTimeZone *tz);

/* "HH:MM" (00:00 to 23:59) into minutes; FALSE for anything else. */
gboolean api_backup_parse_time(const char *text, int *minute);
/* "monday" or "mon" (any case) into 1-7; FALSE for anything else. */
gboolean api_backup_parse_weekday(const char *text, int *weekday);
/* 1-7 into "monday" .. "sunday". */
const char *api_backup_weekday_name(int weekday);
