/* Due times of backup jobs (see api_backup_schedule.h). */
#include "api/backup/api_backup_schedule.h"

#include <string.h>

static const char *const weekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};

const char *api_backup_weekday_name(int weekday)
{
    return weekday >= 1 && weekday <= 7 ? weekdays[weekday - 1] : NULL;
}

gboolean api_backup_parse_weekday(const char *text, int *weekday)
{
    if (!text || strlen(text) < 3)
        return FALSE;
    for (int i = 0; i < 7; i++)
        if (g_ascii_strcasecmp(text, weekdays[i]) == 0 ||
            (strlen(text) == 3 && g_ascii_strncasecmp(text, weekdays[i], 3) == 0)) {
            *weekday = i + 1;
            return TRUE;
        }
    return FALSE;
}

gboolean api_backup_parse_time(const char *text, int *minute)
{
    if (!text || strlen(text) != 5 || text[2] != ':' || !g_ascii_isdigit(text[0]) ||
        !g_ascii_isdigit(text[1]) || !g_ascii_isdigit(text[3]) || !g_ascii_isdigit(text[4]))
        return FALSE;
    int h = (text[0] - '0') * 10 + (text[1] - '0');
    int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59)
        return FALSE;
    *minute = h * 60 + m;
    return TRUE;
}

gint64 api_backup_next_run(const ApiBackupSchedule *s, gint64 after, GTimeZone *tz)
{
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(after);
    g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
    int y, m, d;
    g_date_time_get_ymd(local, &y, &m, &d);
    /* Calendar days, not 24-hour steps: a day of 23 or 25 hours is one. */
    GDate day;
    g_date_clear(&day, 1);
    g_date_set_dmy(&day, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
    for (int i = 0; i < 16; i++, g_date_add_days(&day, 1)) {
        if (s->weekly && (int)g_date_get_weekday(&day) != s->weekday)
            continue;
        g_autoptr(GDateTime)
            at = g_date_time_new(tz, g_date_get_year(&day), g_date_get_month(&day),
                                 g_date_get_day(&day), s->at_minute / 60, s->at_minute % 60, 0);
        if (at && g_date_time_to_unix(at) > after)
            return g_date_time_to_unix(at);
    }
    return G_MAXINT64; /* not reached: a week holds every weekday */
}

gint64 api_backup_due(const ApiBackupSchedule *s, gint64 since, gint64 now, GTimeZone *tz)
{
    gint64 next = api_backup_next_run(s, since, tz);
    return next <= now ? next : 0;
}
