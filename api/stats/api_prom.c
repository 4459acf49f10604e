/* Prometheus text format writer (see api_prom.h). */
#include "api/stats/api_prom.h"

#include <math.h>
#include <string.h>

char *api_prom_escape(const char *value)
{
    g_autofree char *valid = g_utf8_make_valid(value ? value : "", -1);
    GString *out = g_string_sized_new(strlen(valid) + 8);
    for (const char *c = valid; *c; c++) {
        if (*c == '\\')
            g_string_append(out, "\\\\");
        else if (*c == '"')
            g_string_append(out, "\\\"");
        else if (*c == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *c);
    }
    return g_string_free(out, FALSE);
}

/* HELP text escapes only \ and newline. */
static void append_help(GString *out, const char *help)
{
    for (const char *c = help; *c; c++) {
        if (*c == '\\')
            g_string_append(out, "\\\\");
        else if (*c == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *c);
    }
}

void api_prom_family(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s ", name);
    append_help(out, help);
    g_string_append_printf(out, "\n# TYPE %s %s\n", name, type);
}

void api_prom_label(GString *labels, const char *name, const char *value)
{
    g_autofree char *escaped = api_prom_escape(value);
    g_string_append_printf(labels, "%s%s=\"%s\"", labels->len ? "," : "", name, escaped);
}

static void begin(GString *out, const char *name, const GString *labels)
{
    g_string_append(out, name);
    if (labels && labels->len)
        g_string_append_printf(out, "{%s}", labels->str);
    g_string_append_c(out, ' ');
}

void api_prom_sample(GString *out, const char *name, const GString *labels, double value)
{
    begin(out, name, labels);
    if (isnan(value)) {
        g_string_append(out, "NaN\n");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    /* 15 digits: exact for whole counts up to 10^15, no binary noise. */
    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.15g", value));
    g_string_append_c(out, '\n');
}

void api_prom_sample_u64(GString *out, const char *name, const GString *labels, guint64 value)
{
    begin(out, name, labels);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", value);
}
