/* POST /api/vms/{vm}/keys: keys pressed on the guest's keyboard through
 * libvirt (virDomainSendKey), for what a browser cannot send through the
 * console itself: {"keys": ["ctrl", "alt", "delete"]} presses a combination,
 * {"text": "..."} types text key by key (paste as keystrokes, US layout). */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "virt/virt_console.h"
#include "virt/virt_domain.h"
#include "virt/virt_keys.h"

#include <string.h>

/* Longest text typed in one request, in characters. */
#define TEXT_MAX 4096

static gboolean parse_keys(json_t *list, guint *codes, guint *n, GError **error)
{
    size_t i;
    json_t *k;
    if (json_array_size(list) == 0 || json_array_size(list) > VIRT_KEYS_MAX)
        return api_invalid(error, "field 'keys' takes 1 to %d key names", VIRT_KEYS_MAX);
    json_array_foreach (list, i, k) {
        const char *name = json_string_value(k);
        if (!(codes[i] = virt_key_code(name)))
            return api_invalid(error,
                               "field 'keys': no key named '%s' (e.g. ctrl, alt, shift, "
                               "delete, f1-f12, a-z, 0-9, enter, esc, tab)",
                               name);
    }
    *n = (guint)json_array_size(list);
    return TRUE;
}

/* Checks all of `text` first, so nothing is typed when a character cannot be. */
static gboolean check_text(const char *text, GError **error)
{
    if (!g_utf8_validate(text, -1, NULL) || g_utf8_strlen(text, -1) > TEXT_MAX)
        return api_invalid(error, "field 'text' must be UTF-8 text of at most %d characters",
                           TEXT_MAX);
    guint codes[2];
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c != '\r' && !virt_key_for_char(c, codes))
            return api_invalid(error, "field 'text': '%.*s' cannot be typed on a US keyboard",
                               (int)(g_utf8_next_char(p) - p), p);
    }
    return TRUE;
}

static gboolean type_text(virDomainPtr dom, const char *text, GError **error)
{
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        guint codes[2];
        gunichar c = g_utf8_get_char(p);
        /* "\r\n" pastes as one Enter. */
        if (c == '\r')
            continue;
        guint n = virt_key_for_char(c, codes);
        if (!virt_console_send_keys(dom, codes, n, error))
            return FALSE;
    }
    return TRUE;
}

gboolean api_vm_keys(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"keys", "text", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    json_t *keys = NULL;
    const char *text = NULL;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string_array(body, "keys", VIRT_KEYS_MAX, &keys, error) ||
        !api_json_opt_string(body, "text", TEXT_MAX * 4, &text, error))
        return FALSE;
    if (!keys == !text)
        return api_invalid(error, "give 'keys' (a combination, e.g. [\"ctrl\", \"alt\", "
                                  "\"delete\"]) or 'text' (typed key by key)");
    guint codes[VIRT_KEYS_MAX], n = 0;
    if ((keys && !parse_keys(keys, codes, &n, error)) || (text && !check_text(text, error)))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    if (!dom ||
        !(keys ? virt_console_send_keys(dom, codes, n, error) : type_text(dom, text, error)))
        return FALSE;
    resp->status = 204;
    return TRUE;
}
