/* The one error type of the API: an HTTP status, a stable machine code and a
 * human message, answered as {"error": {"code": ..., "message": ...}}. All
 * engine and inventory errors are mapped here. */
#pragma once
#include <glib.h>

#include "api/core/api.h"

#define API_ERROR (api_error_quark())
GQuark api_error_quark(void);

typedef enum {
    API_ERROR_INTERNAL,
    API_ERROR_INVALID_ARGUMENT,
    API_ERROR_UNAUTHORIZED,
    API_ERROR_FORBIDDEN,
    API_ERROR_NOT_FOUND,
    API_ERROR_METHOD_NOT_ALLOWED,
    API_ERROR_CONFLICT,
    API_ERROR_PRECONDITION_FAILED,
    API_ERROR_PAYLOAD_TOO_LARGE,
    API_ERROR_URI_TOO_LONG,
    API_ERROR_UNSUPPORTED_MEDIA_TYPE,
    API_ERROR_TOO_MANY_REQUESTS,
    API_ERROR_UNSUPPORTED,
    API_ERROR_UNAVAILABLE,
    API_ERROR_INSUFFICIENT_STORAGE,
    API_ERROR_QUOTA_EXCEEDED, /* 403: a user's quota (api_quota.h) */
    API_ERROR_NOT_SUPPORTED,  /* 409: the host's libvirt driver lacks it (virt_driver.h) */
} ApiErrorCode;

/* How the 400 for a request body that is not JSON begins; the log leaves
 * out the rest, where the parser quotes the body (it may hold a password). */
#define API_ERROR_MALFORMED_JSON "malformed JSON"

/* HTTP status and machine code of any GError (API, engine or inventory). */
unsigned api_error_status(const GError *error);
const char *api_error_code(const GError *error);
/* The machine code of one ApiErrorCode ("not_found"). */
const char *api_error_code_name(ApiErrorCode code);

/* Sets an API error `code` in `error` (printf-style message) and answers
 * FALSE, for `return api_fail(error, ...)` in handlers. */
gboolean api_fail(GError **error, ApiErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The same for a 400 invalid_argument, for `return api_invalid(...)` in
 * validation. */
gboolean api_invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A 400 naming body member `field`, with the message of `cause` (an engine
 * error, freed here); answers FALSE. */
gboolean api_field_error(GError **error, const char *field, GError *cause);

/* Turns `error` into the JSON error answer, and sets resp->log_note to
 * "code: message" for the request's log line. */
void api_response_error(ApiResponse *resp, const GError *error);
/* The same; unless `full`, libvirt's or QEMU's own words (virt_error_detail)
 * are left out of the answer (not of the log note): they are for admins. */
void api_response_error_for(ApiResponse *resp, const GError *error, gboolean full);
/* `message` without `detail` (the hypervisor's own words) at its end: the
 * short form non-admins get. */
char *api_error_brief(const char *message, const char *detail);
/* The message of `error` as a caller gets it: in full, or brief. */
char *api_error_message_for(const GError *error, gboolean full);

/* Why a streamed body (an upload or import, `what`) stopped early: `done`
 * of `length` bytes had come when the connection ended for `why`. */
GError *api_transfer_aborted_error(const char *what, guint64 done, guint64 length, const char *why);
