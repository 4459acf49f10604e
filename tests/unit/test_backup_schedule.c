/* When backup jobs run (api_backup_schedule.h): daily and weekly times in
 * local time, on days clocks skip or repeat an hour (Europe/Berlin,
 * spring and autumn 2026: once each day, never twice), missed runs due
 * once, and the parsing of "HH:MM" and weekdays. */
#include "unit.h"
#include "api/backup/api_backup_schedule.h"

/* Unix seconds of a local time in `tz`. */
static gint64 at(GTimeZone *tz, int y, int mo, int d, int h, int mi)
{
    g_autoptr(GDateTime) t = g_date_time_new(tz, y, mo, d, h, mi, 0);
    assert_non_null(t);
    return g_date_time_to_unix(t);
}

/* "YYYY-MM-DD HH:MM" of `unix` in `tz`. */
static char *local(GTimeZone *tz, gint64 seconds)
{
    g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(seconds);
    g_autoptr(GDateTime) l = g_date_time_to_timezone(u, tz);
    return g_date_time_format(l, "%Y-%m-%d %H:%M");
}

static void expect_next(GTimeZone *tz, const ApiBackupSchedule *s, gint64 after, const char *want)
{
    g_autofree char *got = local(tz, api_backup_next_run(s, after, tz));
    assert_string_equal(got, want);
}

static void test_daily(void **state)
{
    (void)state;
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Europe/Berlin");
    assert_non_null(tz);
    ApiBackupSchedule s = {.weekly = FALSE, .at_minute = 3 * 60};
    expect_next(tz, &s, at(tz, 2026, 6, 10, 2, 59), "2026-06-10 03:00");
    /* Strictly after: a run at 03:00 is followed by the next day's. */
    expect_next(tz, &s, at(tz, 2026, 6, 10, 3, 0), "2026-06-11 03:00");
    expect_next(tz, &s, at(tz, 2026, 12, 31, 22, 0), "2027-01-01 03:00");
}

static void test_weekly(void **state)
{
    (void)state;
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Europe/Berlin");
    /* 2026-06-10 is a Wednesday. */
    ApiBackupSchedule s = {.weekly = TRUE, .at_minute = 23 * 60 + 30, .weekday = 7};
    expect_next(tz, &s, at(tz, 2026, 6, 10, 12, 0), "2026-06-14 23:30");
    expect_next(tz, &s, at(tz, 2026, 6, 14, 23, 30), "2026-06-21 23:30");
    s.weekday = 3;
    expect_next(tz, &s, at(tz, 2026, 6, 10, 12, 0), "2026-06-10 23:30");
    expect_next(tz, &s, at(tz, 2026, 6, 10, 23, 31), "2026-06-17 23:30");
}

/* Clocks go from 02:00 to 03:00 on 2026-03-29 and from 03:00 back to
 * 02:00 on 2026-10-25 in Berlin: a 02:30 job runs once on each. */
static void test_dst(void **state)
{
    (void)state;
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Europe/Berlin");
    ApiBackupSchedule s = {.weekly = FALSE, .at_minute = 2 * 60 + 30};
    gint64 before = at(tz, 2026, 3, 28, 2, 30);
    gint64 spring = api_backup_next_run(&s, before, tz);
    g_autofree char *day = local(tz, spring);
    assert_true(g_str_has_prefix(day, "2026-03-29 "));
    assert_true(spring - before < 24 * 3600);
    expect_next(tz, &s, spring, "2026-03-30 02:30");
    /* The day after the change is a whole day again. */
    gint64 after = at(tz, 2026, 3, 30, 2, 30);
    assert_int_equal(api_backup_next_run(&s, after, tz) - after, 24 * 3600);
    gint64 autumn_eve = at(tz, 2026, 10, 24, 2, 30);
    gint64 autumn = api_backup_next_run(&s, autumn_eve, tz);
    g_autofree char *aday = local(tz, autumn);
    assert_string_equal(aday, "2026-10-25 02:30");
    /* 02:30 happens twice that night: the job does not run again. */
    expect_next(tz, &s, autumn, "2026-10-26 02:30");
    expect_next(tz, &s, autumn + 3600, "2026-10-26 02:30");
    /* Across the change, weekly jobs keep their wall-clock time. */
    ApiBackupSchedule w = {.weekly = TRUE, .at_minute = 4 * 60, .weekday = 7};
    expect_next(tz, &w, at(tz, 2026, 10, 20, 0, 0), "2026-10-25 04:00");
    expect_next(tz, &w, at(tz, 2026, 10, 25, 4, 0), "2026-11-01 04:00");
}

static void test_missed(void **state)
{
    (void)state;
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    ApiBackupSchedule s = {.weekly = FALSE, .at_minute = 60};
    gint64 now = at(tz, 2026, 6, 10, 12, 0);
    /* Last ran three days ago: due now (the missed runs count once). */
    gint64 due = api_backup_due(&s, now - 3 * 86400, now, tz);
    assert_int_equal(due, at(tz, 2026, 6, 8, 1, 0));
    /* Once run now, the next is tomorrow's: nothing is due. */
    assert_int_equal(api_backup_due(&s, now, now, tz), 0);
    assert_int_equal(api_backup_next_run(&s, now, tz), at(tz, 2026, 6, 11, 1, 0));
    /* A job made at 11:00 for 01:00 is not due the same day. */
    assert_int_equal(api_backup_due(&s, now - 3600, now, tz), 0);
    /* Made at 00:30: due at 01:00. */
    assert_int_equal(api_backup_due(&s, at(tz, 2026, 6, 10, 0, 30), now, tz),
                     at(tz, 2026, 6, 10, 1, 0));
}

static void test_parse(void **state)
{
    (void)state;
    int m = -1, d = -1;
    assert_true(api_backup_parse_time("00:00", &m));
    assert_int_equal(m, 0);
    assert_true(api_backup_parse_time("23:59", &m));
    assert_int_equal(m, 23 * 60 + 59);
    const char *bad[] = {"24:00", "3:00", "03:60", "03-00", "0300", "", "03:00 ", "aa:bb"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_false(api_backup_parse_time(bad[i], &m));
    assert_true(api_backup_parse_weekday("Sunday", &d));
    assert_int_equal(d, 7);
    assert_true(api_backup_parse_weekday("mon", &d));
    assert_int_equal(d, 1);
    assert_false(api_backup_parse_weekday("mo", &d));
    assert_false(api_backup_parse_weekday("funday", &d));
    assert_false(api_backup_parse_weekday(NULL, &d));
    assert_string_equal(api_backup_weekday_name(3), "wednesday");
    assert_null(api_backup_weekday_name(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily),  cmocka_unit_test(test_weekly), cmocka_unit_test(test_dst),
        cmocka_unit_test(test_missed), cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests_name("backup schedule", tests, NULL, NULL);
}
