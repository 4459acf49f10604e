/* The RFC 6455 opening handshake, server side: checking an upgrade
 * request's headers and computing Sec-WebSocket-Accept. Pure functions,
 * shared by the libmicrohttpd path and the TLS front. */
#pragma once
#include <gio/gio.h>

/* Checks the upgrade request's pieces (each NULL when its header is
 * absent; a header sent several times is given as one comma-joined list):
 * method GET, Upgrade lists the token "websocket", Connection lists the
 * token "Upgrade" (both case-insensitive), Sec-WebSocket-Version is "13",
 * Sec-WebSocket-Key is 16 bytes in base64 (24 characters).
 * Picks the subprotocol: the first element of `offered` (the client's
 * Sec-WebSocket-Protocol list) that is in `supported` (NULL-terminated,
 * compared exactly, as the browser checks the answer exactly), answered
 * as the `supported` string itself; NULL when none matches, which is not
 * an error. `supported` and `protocol_out` may be NULL.
 * On failure answers FALSE with a GError whose message is fit for the
 * answer: G_IO_ERROR_NOT_SUPPORTED when Sec-WebSocket-Version is present
 * but not 13 (answer 426 with "Sec-WebSocket-Version: 13", RFC 6455
 * 4.2.2), G_IO_ERROR_INVALID_ARGUMENT for everything else (answer 400). */
gboolean ws_handshake_check(const char *method, const char *upgrade, const char *connection,
                            const char *version, const char *key, const char *offered,
                            const char *const *supported, const char **protocol_out,
                            GError **error);

/* The Sec-WebSocket-Accept value for `key`: base64(SHA-1(key + the RFC's
 * GUID)). Free with g_free. */
char *ws_accept_value(const char *key);
