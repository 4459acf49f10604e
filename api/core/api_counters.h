/* Counts of what vireod answered, for /metrics: requests by status class
 * (counted by server/ as each ends, static files and streams included)
 * and API errors by their machine code (counted by the dispatcher).
 * Atomic counters: any thread. */
#pragma once
#include "api/core/api.h"
#include "api/core/api_error.h"

#define API_ERROR_KINDS (API_ERROR_INSUFFICIENT_STORAGE + 1)

ApiCounters *api_counters_new(void);
void api_counters_free(ApiCounters *c);

/* A request ended with `status` (100-599). `c` may be NULL. */
void api_counters_request(ApiCounters *c, unsigned status);
/* An API error answer. `c` may be NULL. */
void api_counters_error(ApiCounters *c, const GError *error);

/* Requests of class N (1 for 1xx ... 5xx; 0: other), errors by ApiErrorCode. */
guint64 api_counters_requests(ApiCounters *c, int klass);
guint64 api_counters_errors(ApiCounters *c, ApiErrorCode code);
