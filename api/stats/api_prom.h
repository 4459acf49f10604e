/* Writing the Prometheus text exposition format (version 0.0.4): metric
 * families with HELP and TYPE, samples with escaped label values. */
#pragma once
#include <glib.h>

#define API_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A label value as the format wants it: \ " and newline escaped, any
 * invalid UTF-8 (a VM name libvirt took as bytes) replaced. */
char *api_prom_escape(const char *value);

/* "# HELP name help\n# TYPE name type\n"; every sample of the family
 * must follow before the next family begins. */
void api_prom_family(GString *out, const char *name, const char *type, const char *help);

/* Labels under construction: name="value" pairs joined by commas. */
void api_prom_label(GString *labels, const char *name, const char *value);

/* One sample line; `labels` may be NULL or empty. */
void api_prom_sample(GString *out, const char *name, const GString *labels, double value);
void api_prom_sample_u64(GString *out, const char *name, const GString *labels, guint64 value);
