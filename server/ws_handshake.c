/* The WebSocket opening handshake (RFC 6455 section 4.2): the checks a
 * server must make on the upgrade request, the subprotocol choice, and
 * the accept value. libmicrohttpd 0.9.75 has no WebSocket helper. */
#include "server/ws_handshake.h"

#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* The next element of a comma-separated header list (RFC 9110 5.6.1),
 * without its surrounding blanks; empty elements are skipped. Answers
 * FALSE at the end of the list. */
static gboolean list_next(const char **cursor, const char **start, gsize *len)
{
    const char *p = *cursor;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p) {
            *cursor = p;
            return FALSE;
        }
        const char *s = p;
        while (*p && *p != ',')
            p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            *cursor = p;
            *start = s;
            *len = (gsize)(e - s);
            return TRUE;
        }
    }
}

static gboolean list_has_token(const char *list, const char *token)
{
    const char *s;
    gsize n;
    gsize want = strlen(token);
    while (list && list_next(&list, &s, &n)) {
        if (n == want && g_ascii_strncasecmp(s, token, n) == 0)
            return TRUE;
    }
    return FALSE;
}

/* 16 bytes in base64 are 22 characters and "==". */
static gboolean key_valid(const char *key)
{
    if (!key || strlen(key) != 24 || strcmp(key + 22, "==") != 0)
        return FALSE;
    for (int i = 0; i < 22; i++) {
        if (!g_ascii_isalnum(key[i]) && key[i] != '+' && key[i] != '/')
            return FALSE;
    }
    return TRUE;
}

static const char *pick_protocol(const char *offered, const char *const *supported)
{
    const char *s;
    gsize n;
    while (offered && supported && list_next(&offered, &s, &n)) {
        for (const char *const *p = supported; *p; p++) {
            if (strlen(*p) == n && memcmp(*p, s, n) == 0)
                return *p;
        }
    }
    return NULL;
}

/* What is wrong with the request as an upgrade, or NULL. */
static const char *request_problem(const char *method, const char *upgrade, const char *connection,
                                   const char *version, const char *key)
{
    if (g_strcmp0(method, "GET") != 0)
        return "a WebSocket upgrade must be a GET request";
    if (!list_has_token(upgrade, "websocket"))
        return "a WebSocket upgrade needs \"Upgrade: websocket\"";
    if (!list_has_token(connection, "Upgrade"))
        return "a WebSocket upgrade needs \"Connection: Upgrade\"";
    if (!version)
        return "a WebSocket upgrade needs \"Sec-WebSocket-Version: 13\"";
    if (!key_valid(key))
        return "Sec-WebSocket-Key must be 16 bytes in base64";
    return NULL;
}

gboolean ws_handshake_check(const char *method, const char *upgrade, const char *connection,
                            const char *version, const char *key, const char *offered,
                            const char *const *supported, const char **protocol_out, GError **error)
{
    if (protocol_out)
        *protocol_out = NULL;
    const char *wrong = request_problem(method, upgrade, connection, version, key);
    if (wrong) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, wrong);
        return FALSE;
    }
    if (strcmp(version, "13") != 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "WebSocket version not supported (only 13)");
        return FALSE;
    }
    if (protocol_out)
        *protocol_out = pick_protocol(offered, supported);
    return TRUE;
}

char *ws_accept_value(const char *key)
{
    g_return_val_if_fail(key != NULL, NULL);
    g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sha1, (const guchar *)key, (gssize)strlen(key));
    g_checksum_update(sha1, (const guchar *)WS_GUID, sizeof(WS_GUID) - 1);
    guint8 digest[20];
    gsize digest_len = sizeof(digest);
    g_checksum_get_digest(sha1, digest, &digest_len);
    return g_base64_encode(digest, digest_len);
}
