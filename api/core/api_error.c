/* Error answers: mapping every GError domain to HTTP status + code. */
#include "api/core/api_error.h"
#include "db/db.h"
#include "virt/virt_error.h"

#include <gio/gio.h>
#include <string.h>

/* Not G_DEFINE_QUARK: its plain static cache is written by every thread that
 * calls first, at once (a data race TSan reports); g_once has one writer. */
GQuark api_error_quark(void)
{
    static gsize quark;
    if (g_once_init_enter(&quark))
        g_once_init_leave(&quark, g_quark_from_static_string("api-error-quark"));
    return (GQuark)quark;
}

typedef struct {
    unsigned status;
    const char *code;
} ErrorKind;

static const ErrorKind api_kinds[] = {
    [API_ERROR_INTERNAL] = {500, "internal"},
    [API_ERROR_INVALID_ARGUMENT] = {400, "invalid_argument"},
    [API_ERROR_UNAUTHORIZED] = {401, "unauthorized"},
    [API_ERROR_FORBIDDEN] = {403, "forbidden"},
    [API_ERROR_NOT_FOUND] = {404, "not_found"},
    [API_ERROR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed"},
    [API_ERROR_CONFLICT] = {409, "conflict"},
    [API_ERROR_PRECONDITION_FAILED] = {412, "precondition_failed"},
    [API_ERROR_PAYLOAD_TOO_LARGE] = {413, "payload_too_large"},
    [API_ERROR_URI_TOO_LONG] = {414, "uri_too_long"},
    [API_ERROR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type"},
    [API_ERROR_TOO_MANY_REQUESTS] = {429, "too_many_requests"},
    [API_ERROR_UNSUPPORTED] = {501, "unsupported"},
    [API_ERROR_UNAVAILABLE] = {503, "unavailable"},
    [API_ERROR_INSUFFICIENT_STORAGE] = {507, "insufficient_storage"},
    [API_ERROR_QUOTA_EXCEEDED] = {403, "quota_exceeded"},
    [API_ERROR_NOT_SUPPORTED] = {409, "not_supported"},
};

static ApiErrorCode from_virt(int code)
{
    switch ((VirtErrorCode)code) {
    case VIRT_ERROR_NOT_FOUND: return API_ERROR_NOT_FOUND;
    case VIRT_ERROR_INVALID_STATE: return API_ERROR_CONFLICT;
    case VIRT_ERROR_INVALID_ARG: return API_ERROR_INVALID_ARGUMENT;
    case VIRT_ERROR_EXISTS: return API_ERROR_CONFLICT;
    case VIRT_ERROR_BUSY: return API_ERROR_CONFLICT;
    case VIRT_ERROR_UNSUPPORTED: return API_ERROR_UNSUPPORTED;
    case VIRT_ERROR_DENIED: return API_ERROR_FORBIDDEN;
    case VIRT_ERROR_UNAVAILABLE: return API_ERROR_UNAVAILABLE;
    case VIRT_ERROR_NO_SPACE: return API_ERROR_INSUFFICIENT_STORAGE;
    case VIRT_ERROR_NOT_SUPPORTED: return API_ERROR_NOT_SUPPORTED;
    case VIRT_ERROR_FAILED: return API_ERROR_INTERNAL;
    }
    return API_ERROR_INTERNAL;
}

static ApiErrorCode from_db(int code)
{
    switch ((DbErrorCode)code) {
    case DB_ERROR_BUSY: return API_ERROR_UNAVAILABLE;
    case DB_ERROR_EXISTS: return API_ERROR_CONFLICT;
    case DB_ERROR_FULL: return API_ERROR_INSUFFICIENT_STORAGE;
    default: return API_ERROR_INTERNAL;
    }
}

static const ErrorKind *kind_of(const GError *error)
{
    ApiErrorCode c = API_ERROR_INTERNAL;
    if (error->domain == API_ERROR && error->code >= 0 &&
        error->code < (int)G_N_ELEMENTS(api_kinds))
        c = (ApiErrorCode)error->code;
    else if (error->domain == VIRT_ERROR)
        c = from_virt(error->code);
    else if (error->domain == DB_ERROR)
        c = from_db(error->code);
    return &api_kinds[c];
}

unsigned api_error_status(const GError *error)
{
    return kind_of(error)->status;
}

const char *api_error_code(const GError *error)
{
    return kind_of(error)->code;
}

const char *api_error_code_name(ApiErrorCode code)
{
    return code >= 0 && code < (int)G_N_ELEMENTS(api_kinds) ? api_kinds[code].code : "internal";
}

/* The log's words for `error`: its code and message, except that
 * jansson's quote of a malformed body ("near '...'") stays out: the body
 * may be a login, and no password may reach the log. */
static char *log_note(const GError *error)
{
    const char *msg = error->message;
    int len = (int)strlen(msg);
    if (g_error_matches(error, API_ERROR, API_ERROR_INVALID_ARGUMENT) &&
        g_str_has_prefix(msg, API_ERROR_MALFORMED_JSON)) {
        const char *quote = strstr(msg, " near '");
        if (quote)
            len = (int)(quote - msg);
    }
    return g_strdup_printf("%s: %.*s", api_error_code(error), len, msg);
}

char *api_error_brief(const char *message, const char *detail)
{
    gsize len = strlen(message);
    if (!detail || !*detail || !g_str_has_suffix(message, detail))
        return g_strdup(message);
    g_autofree char *head = g_strndup(message, len - strlen(detail));
    g_strchomp(head);
    if (g_str_has_suffix(head, ":"))
        head[strlen(head) - 1] = '\0';
    return g_strdup_printf("%s failed (the hypervisor's own message is in vireod's log)",
                           *head ? head : "the operation");
}

char *api_error_message_for(const GError *error, gboolean full)
{
    return full ? g_strdup(error->message)
                : api_error_brief(error->message, virt_error_detail(error));
}

void api_response_error(ApiResponse *resp, const GError *error)
{
    api_response_error_for(resp, error, TRUE);
}

void api_response_error_for(ApiResponse *resp, const GError *error, gboolean full)
{
    /* Messages quote request bytes (paths, names) and parser text that may
     * cut a character in half; JSON strings must be valid UTF-8. */
    g_autofree char *text = api_error_message_for(error, full);
    g_autofree char *message = g_utf8_make_valid(text, -1);
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", api_error_code(error), "message",
                             message);
    g_assert(body);
    api_response_json(resp, api_error_status(error), body);
    g_free(resp->log_note);
    resp->log_note = log_note(error);
}

static void fail_valist(GError **error, ApiErrorCode code, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    g_set_error_literal(error, API_ERROR, code, msg);
}

gboolean api_fail(GError **error, ApiErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_valist(error, code, fmt, ap);
    va_end(ap);
    return FALSE;
}

gboolean api_invalid(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_valist(error, API_ERROR_INVALID_ARGUMENT, fmt, ap);
    va_end(ap);
    return FALSE;
}

gboolean api_field_error(GError **error, const char *field, GError *cause)
{
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "field '%s': %s", field,
                cause->message);
    g_error_free(cause);
    return FALSE;
}

GError *api_transfer_aborted_error(const char *what, guint64 done, guint64 length, const char *why)
{
    return g_error_new(G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "%s aborted after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes: %s",
                       what, done, length, why);
}
