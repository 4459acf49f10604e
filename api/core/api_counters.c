/* Request and error counters (see api_counters.h). */
#include "api/core/api_counters.h"

struct ApiCounters {
    guint64 requests[6];
    guint64 errors[API_ERROR_KINDS];
};

ApiCounters *api_counters_new(void)
{
    return g_new0(ApiCounters, 1);
}

void api_counters_free(ApiCounters *c)
{
    g_free(c);
}

void api_counters_request(ApiCounters *c, unsigned status)
{
    if (!c)
        return;
    unsigned klass = status / 100;
    __atomic_add_fetch(&c->requests[klass >= 1 && klass <= 5 ? klass : 0], 1, __ATOMIC_RELAXED);
}

void api_counters_error(ApiCounters *c, const GError *error)
{
    if (!c || !error)
        return;
    const char *code = api_error_code(error);
    for (int i = 0; i < API_ERROR_KINDS; i++)
        if (g_strcmp0(api_error_code_name((ApiErrorCode)i), code) == 0) {
            __atomic_add_fetch(&c->errors[i], 1, __ATOMIC_RELAXED);
            return;
        }
}

guint64 api_counters_requests(ApiCounters *c, int klass)
{
    if (!c || klass < 0 || klass > 5)
        return 0;
    return __atomic_load_n(&c->requests[klass], __ATOMIC_RELAXED);
}

guint64 api_counters_errors(ApiCounters *c, ApiErrorCode code)
{
    if (!c || code < 0 || code >= API_ERROR_KINDS)
        return 0;
    return __atomic_load_n(&c->errors[code], __ATOMIC_RELAXED);
}
