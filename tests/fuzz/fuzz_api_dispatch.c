/* libFuzzer target: the REST router and handlers (api_dispatch) on requests
 * made from the input, with no libvirt connection (handlers validate, then
 * answer 503) and an in-memory inventory.
 *
 * Input layout, fields separated by NUL bytes (missing fields are empty):
 *   METHOD \0 PATH \0 QUERY \0 CONTENT-TYPE \0 IF-MATCH \0 IF-NONE-MATCH \0 BODY
 * QUERY is "a=1&b=%41" (percent-decoded except %00, first of duplicate names
 * wins, as server/http.c hands it over); an empty QUERY means no query
 * table. PATH is used as it is (the server has decoded it already). Empty
 * headers are absent (NULL). BODY is the rest of the input, NULs included.
 * Requests carry an admin's API token unless METHOD starts with '~' (which
 * is dropped): then they go without credentials. */
#include <stdint.h>

#include "api/auth/api_throttle.h"
#include "api/core/api.h"
#include "api/core/api_locks.h"
#include "api/core/api_crypto.h"
#include "api/core/api_json.h"
#include "api/vms/api_consoles.h"
#include "db/db_audit.h"
#include "db/db_auth.h"
#include "fuzz_common.h"

#define N_FIELDS 6

static ApiContext ctx;

#define FUZZ_TOKEN "vireo_fuzz-admin-token"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Fixed hash seed: object member order, hence which unknown member is
     * named first in an error, does not change between runs. */
    json_object_seed(1);
    g_autoptr(GError) error = NULL;
    ctx.virt = NULL;
    ctx.db = db_open(":memory:", &error);
    if (!ctx.db) {
        fprintf(stderr, "fuzz_api_dispatch: db_open: %s\n", error->message);
        abort();
    }
    ctx.locks = api_locks_new();
    ctx.consoles = api_consoles_new();
    /* An admin with a known token: most inputs get past the gate and reach
     * the handlers; a method starting with '~' goes without credentials. */
    if (!api_crypto_init(TRUE)) {
        fprintf(stderr, "fuzz_api_dispatch: libsodium failed\n");
        abort();
    }
    ctx.throttle = api_throttle_new(5, 20, 900);
    ctx.session_idle_s = 1800;
    ctx.session_max_s = 43200;
    g_autofree char *hash = api_crypto_hash_password("fuzz-admin-password");
    gint64 admin = db_user_create(ctx.db, "admin", hash, "admin", "local", &error);
    g_autofree char *digest = api_crypto_digest(FUZZ_TOKEN);
    if (!admin || !db_token_create(ctx.db, admin, "fuzz", digest, 0, &error)) {
        fprintf(stderr, "fuzz_api_dispatch: set-up: %s\n", error ? error->message : "?");
        abort();
    }
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)g_ascii_tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* %XX decoding in place, as the server's unescape callback does: a
 * malformed escape and %00 stay literal. */
static void percent_decode(char *s)
{
    char *out = s;
    for (char *in = s; *in; in++) {
        int hi, lo;
        if (in[0] == '%' && (hi = hex_value(in[1])) >= 0 && (lo = hex_value(in[2])) >= 0 &&
            (hi || lo)) {
            *out++ = (char)(hi * 16 + lo);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

static GHashTable *parse_query(const char *text)
{
    if (!*text)
        return NULL;
    GHashTable *q = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) pairs = g_strsplit(text, "&", -1);
    for (char **p = pairs; *p; p++) {
        if (!**p)
            continue;
        char *eq = strchr(*p, '=');
        char *key = eq ? g_strndup(*p, (gsize)(eq - *p)) : g_strdup(*p);
        char *value = g_strdup(eq ? eq + 1 : "");
        percent_decode(key);
        percent_decode(value);
        if (g_hash_table_contains(q, key)) {
            g_free(key);
            g_free(value);
        } else {
            g_hash_table_insert(q, key, value);
        }
    }
    return q;
}

static void check_response(const ApiRequest *req, const ApiRoute *route, const char *allow,
                           const ApiResponse *resp)
{
    unsigned st = resp->status;
    FUZZ_CHECK(st >= 100 && st <= 599, "status %u out of range", st);
    FUZZ_CHECK(resp->headers && resp->headers->len % 2 == 0, "headers are not name/value pairs");
    for (guint i = 0; i < resp->headers->len; i++)
        FUZZ_CHECK(g_ptr_array_index(resp->headers, i) != NULL, "NULL header name or value");

    /* The router and the matcher agree. */
    if (!route && !*allow)
        FUZZ_CHECK(st == 404, "no route for %s %s but status %u", req->method, req->path, st);
    if (!route && *allow) {
        FUZZ_CHECK(st == 405, "%s %s: wrong method but status %u", req->method, req->path, st);
        const char *hdr = api_response_get_header(resp, "Allow");
        FUZZ_CHECK(hdr && strcmp(hdr, allow) == 0, "405 with Allow '%s', expected '%s'",
                   hdr ? hdr : "(none)", allow);
    }
    if (route)
        FUZZ_CHECK(st != 405, "%s %s matched a route but answered 405", req->method, req->path);

    if (st >= 400) {
        FUZZ_CHECK(!resp->raw, "error %u with a raw body", st);
        fuzz_check_error_body(resp);
        return;
    }
    if (st == 204 || st == 304) {
        FUZZ_CHECK(!resp->body && !resp->raw, "status %u with a body", st);
        return;
    }
    FUZZ_CHECK(!(resp->body && resp->raw), "status %u with both JSON and raw bodies", st);
    if (resp->raw)
        FUZZ_CHECK(resp->raw_type != NULL, "raw answer without a type");
    if (resp->body) {
        char *text = json_dumps(resp->body, JSON_COMPACT);
        FUZZ_CHECK(text != NULL, "status %u: JSON body does not serialize", st);
        free(text);
        gboolean is_get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
        if (is_get && st == 200)
            FUZZ_CHECK(api_response_get_header(resp, "ETag") != NULL, "GET 200 without ETag");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[N_FIELDS];
    size_t pos = fuzz_split_fields(data, size, fields, N_FIELDS);
    /* The body is an exact-size copy, not NUL-terminated: reading past
     * body_len is an ASan report. */
    size_t body_len = size - pos;
    char *body = body_len ? g_memdup2(data + pos, body_len) : NULL;

    gboolean anonymous = fields[0][0] == '~';
    ApiRequest req = {
        .method = fields[0] + (anonymous ? 1 : 0),
        .authorization = anonymous ? NULL : "Bearer " FUZZ_TOKEN,
        .host = "127.0.0.1:8080",
        .address = "127.0.0.1",
        .path = fields[1],
        .query = parse_query(fields[2]),
        .content_type = *fields[3] ? fields[3] : NULL,
        .if_match = *fields[4] ? fields[4] : NULL,
        .if_none_match = *fields[5] ? fields[5] : NULL,
        .body = body,
        .body_len = body_len,
        .id = 1,
    };

    ApiRequest probe = req;
    GString *allow = g_string_new(NULL);
    const ApiRoute *route = api_route_match(req.method, req.path, &probe, allow);

    ApiResponse resp;
    api_response_init(&resp);
    api_dispatch(&ctx, &req, &resp);
    /* req.params point into the router's path copy, freed by now. */
    check_response(&req, route, allow->str, &resp);
    api_response_clear(&resp);

    g_string_free(allow, TRUE);
    /* The audit log grows with every change; keep the in-memory db small. */
    static unsigned runs;
    if (++runs % 4096 == 0)
        db_audit_prune(ctx.db, G_MAXINT64, NULL);
    if (req.query)
        g_hash_table_unref(req.query);
    g_free(body);
    fuzz_free_fields(fields, N_FIELDS);
    return 0;
}
