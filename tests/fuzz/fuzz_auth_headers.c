/* libFuzzer target: the credential parsers of the gate — the Cookie
 * header, the Authorization header and the Origin check — and the login
 * body through the real login handler (with minimal Argon2 cost).
 *
 * Input layout, fields separated by NUL bytes:
 *   COOKIE-HEADER \0 AUTHORIZATION \0 ORIGIN \0 HOST \0 LOGIN-BODY */
#include <stdint.h>

#include "api/auth/api_throttle.h"
#include "api/core/api.h"
#include "api/core/api_locks.h"
#include "api/core/api_crypto.h"
#include "api/core/api_gate.h"
#include "db/db_audit.h"
#include "fuzz_common.h"

#define N_FIELDS 4

static ApiContext ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_object_seed(1);
    if (!api_crypto_init(TRUE))
        abort();
    ctx.db = db_open(":memory:", NULL);
    if (!ctx.db)
        abort();
    ctx.locks = api_locks_new();
    ctx.throttle = api_throttle_new(5, 20, 900);
    ctx.session_idle_s = 1800;
    ctx.session_max_s = 43200;
    return 0;
}

/* A secret the gate accepts: 1-256 characters of [A-Za-z0-9_-]. */
static void check_secret(const char *s, const char *source)
{
    if (!s)
        return;
    size_t n = strlen(s);
    FUZZ_CHECK(n >= 1 && n <= 256, "secret of length %zu", n);
    for (const char *c = s; *c; c++)
        FUZZ_CHECK(g_ascii_isalnum(*c) || *c == '-' || *c == '_', "bad character in secret");
    FUZZ_CHECK(strstr(source, s) != NULL, "secret not taken from its header");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[N_FIELDS];
    size_t pos = fuzz_split_fields(data, size, fields, N_FIELDS);
    char *cookie = api_cookie_value(fields[0], API_SESSION_COOKIE);
    check_secret(cookie, fields[0]);
    char *bearer = api_bearer_token(fields[1]);
    check_secret(bearer, fields[1]);
    gboolean same = api_origin_matches(fields[2], fields[3], FALSE);
    if (same)
        FUZZ_CHECK(g_ascii_strncasecmp(fields[2], "http://", 7) == 0 &&
                       g_ascii_strcasecmp(fields[2] + 7, fields[3]) == 0,
                   "origin '%s' matched host '%s'", fields[2], fields[3]);

    /* The whole request through the gate to the login handler. */
    size_t body_len = size - pos;
    char *body = body_len ? g_memdup2(data + pos, body_len) : NULL;
    ApiRequest req = {
        .method = "POST",
        .path = "/api/session",
        .content_type = "application/json",
        .body = body,
        .body_len = body_len,
        .cookie = fields[0],
        .authorization = fields[1],
        .origin = *fields[2] ? fields[2] : NULL,
        .host = fields[3],
        .address = "127.0.0.1",
    };
    ApiResponse resp;
    api_response_init(&resp);
    api_dispatch(&ctx, &req, &resp);
    unsigned st = resp.status;
    FUZZ_CHECK(st == 200 || st == 400 || st == 401 || st == 403 || st == 413 || st == 415 ||
                   st == 429 || st == 500,
               "login answered %u", st);
    if (st >= 400)
        fuzz_check_error_body(&resp);
    api_response_clear(&resp);

    static unsigned runs;
    if (++runs % 4096 == 0)
        db_audit_prune(ctx.db, G_MAXINT64, NULL);
    g_free(body);
    g_free(cookie);
    g_free(bearer);
    fuzz_free_fields(fields, N_FIELDS);
    return 0;
}
