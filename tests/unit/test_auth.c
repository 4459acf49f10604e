/* Access control without HTTP: password hashing, secrets, throttling,
 * header parsing, and the gate + session/token handlers through
 * api_dispatch on a temporary inventory. */
#include "unit.h"

#include "api/auth/api_throttle.h"
#include "api/auth/api_users_common.h"
#include "api/core/api.h"
#include "api/core/api_locks.h"
#include "api/core/api_crypto.h"
#include "api/core/api_gate.h"
#include "db/db_audit.h"
#include "db/db_auth.h"

#include <sqlite3.h>

#define HOST "127.0.0.1:8080"
#define ORIGIN "http://127.0.0.1:8080"

typedef struct {
    char *dir;
    ApiContext ctx;
    char *admin_cookie;
    char *viewer_cookie;
} Fixture;

/* Logs in through the real handler and returns the cookie's value. */
static char *login(Fixture *f, const char *user, const char *password, unsigned *status);

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(f->dir, "vireo.db", NULL);
    g_autofree char *pwfile = g_build_filename(f->dir, "pw", NULL);
    assert_true(g_file_set_contents(pwfile, "admin-secret-1\n", -1, NULL));
    f->ctx.db = db_open(path, NULL);
    assert_non_null(f->ctx.db);
    f->ctx.locks = api_locks_new();
    f->ctx.throttle = api_throttle_new(5, 20, 900);
    f->ctx.session_idle_s = 1800;
    f->ctx.session_max_s = 12 * 3600;
    g_autoptr(GError) e = NULL;
    assert_true(api_bootstrap_admin(&f->ctx, pwfile, "/nonexistent", &e));
    g_autofree char *hash = api_crypto_hash_password("viewer-secret-1");
    assert_true(db_user_create(f->ctx.db, "vera", hash, "viewer", "local", &e) > 0);
    unsigned status;
    f->admin_cookie = login(f, "admin", "admin-secret-1", &status);
    assert_int_equal(status, 200);
    f->viewer_cookie = login(f, "vera", "viewer-secret-1", &status);
    assert_int_equal(status, 200);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    db_close(f->ctx.db);
    api_throttle_free(f->ctx.throttle);
    api_locks_free(f->ctx.locks);
    unit_rmtree(f->dir);
    g_free(f->dir);
    g_free(f->admin_cookie);
    g_free(f->viewer_cookie);
    g_free(f);
    return 0;
}

typedef struct {
    const char *cookie_value;
    const char *authorization;
    gboolean csrf;      /* send X-Vireo-CSRF and a same-origin Origin */
    const char *origin; /* overrides the Origin */
    const char *address;
} Creds;

static unsigned call(Fixture *f, const char *method, const char *path, const char *body,
                     const Creds *c, ApiResponse *resp)
{
    g_autofree char *cookie = c && c->cookie_value
                                  ? g_strdup_printf("theme=dark; " API_SESSION_COOKIE "=%s",
                                                    c->cookie_value)
                                  : NULL;
    ApiRequest req = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = body ? "application/json" : NULL,
        .cookie = cookie,
        .authorization = c ? c->authorization : NULL,
        .host = HOST,
        .origin = c && c->origin ? c->origin : (c && c->csrf ? ORIGIN : NULL),
        .csrf_header = c && c->csrf ? "1" : NULL,
        .address = c && c->address ? c->address : "127.0.0.1",
    };
    api_response_init(resp);
    api_dispatch(&f->ctx, &req, resp);
    return resp->status;
}

static unsigned status_of(Fixture *f, const char *method, const char *path, const char *body,
                          const Creds *c)
{
    ApiResponse resp;
    unsigned s = call(f, method, path, body, c, &resp);
    api_response_clear(&resp);
    return s;
}

static char *login(Fixture *f, const char *user, const char *password, unsigned *status)
{
    g_autofree char *body = g_strdup_printf("{\"username\":\"%s\",\"password\":\"%s\"}", user,
                                            password);
    ApiResponse resp;
    *status = call(f, "POST", "/api/session", body, NULL, &resp);
    const char *set = api_response_get_header(&resp, "Set-Cookie");
    char *value = NULL;
    if (set) {
        assert_non_null(strstr(set, "HttpOnly"));
        assert_non_null(strstr(set, "SameSite=Strict"));
        value = api_cookie_value(set, API_SESSION_COOKIE);
    }
    api_response_clear(&resp);
    return value;
}

static void test_crypto(void **state)
{
    (void)state;
    g_autofree char *h = api_crypto_hash_password("correct horse");
    assert_true(g_str_has_prefix(h, "$argon2id$"));
    assert_true(api_crypto_verify_password(h, "correct horse"));
    assert_false(api_crypto_verify_password(h, "correct hors"));
    assert_false(api_crypto_verify_password(NULL, "x"));
    assert_false(api_crypto_verify_password("", ""));
    g_autofree char *a = api_crypto_random_secret();
    g_autofree char *b = api_crypto_random_secret();
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    g_autofree char *d = api_crypto_digest("abc");
    assert_string_equal(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(api_crypto_equal("abc", "abc"));
    assert_false(api_crypto_equal("abc", "abd"));
    assert_false(api_crypto_equal("abc", "abcd"));
}

static void test_throttle(void **state)
{
    (void)state;
    const gint64 S = G_USEC_PER_SEC;
    LoginThrottle *t = api_throttle_new(3, 3, 60);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(api_throttle_wait(t, "bob", "10.0.0.1", 1000 * S), 0);
        api_throttle_failed(t, "bob", "10.0.0.1", 1000 * S);
    }
    assert_int_equal(api_throttle_wait(t, "bob", "10.0.0.9", 1000 * S), 0);
    api_throttle_failed(t, "bob", "10.0.0.1", 1000 * S); /* 3rd failure: 1 s lock */
    assert_int_equal(api_throttle_wait(t, "bob", "10.0.0.9", 1000 * S), 1);
    assert_int_equal(api_throttle_wait(t, "eve", "10.0.0.1", 1000 * S), 1); /* same address */
    /* A lock lasts its full length whatever the phase of the clock. */
    assert_int_equal(api_throttle_wait(t, "bob", "x", 1000 * S + S - 1), 1);
    assert_int_equal(api_throttle_wait(t, "bob", "x", 1001 * S), 0);
    api_throttle_failed(t, "bob", "10.0.0.1", 1001 * S); /* 4th: 2 s */
    assert_int_equal(api_throttle_wait(t, "bob", "x", 1001 * S), 2);
    for (int i = 0; i < 40; i++)
        api_throttle_failed(t, "bob", "10.0.0.1", 2000 * S);
    assert_int_equal(api_throttle_wait(t, "bob", "x", 2000 * S), 60); /* capped */
    /* Success forgets the user, not the address. */
    api_throttle_succeeded(t, "bob", "10.0.0.1");
    assert_int_equal(api_throttle_wait(t, "bob", "x", 2000 * S), 0);
    assert_int_equal(api_throttle_wait(t, "carl", "10.0.0.1", 2000 * S), 60);
    /* Old failures are forgotten once their lock is over. */
    assert_int_equal(api_throttle_wait(t, "carl", "10.0.0.1", 4000 * S), 0);
    api_throttle_free(t);
}

static void test_header_parsing(void **state)
{
    (void)state;
    g_autofree char *c1 = api_cookie_value("a=1; vireo_session=abc_DEF-1; b=2", "vireo_session");
    assert_string_equal(c1, "abc_DEF-1");
    assert_null(api_cookie_value("vireo_sessionx=abc", "vireo_session"));
    assert_null(api_cookie_value("vireo_session=a b", "vireo_session"));
    assert_null(api_cookie_value("vireo_session=", "vireo_session"));
    assert_null(api_cookie_value(NULL, "vireo_session"));
    g_autofree char *t = api_bearer_token("bearer  vireo_x-y");
    assert_string_equal(t, "vireo_x-y");
    assert_null(api_bearer_token("Basic YWRtaW4="));
    assert_null(api_bearer_token("Bearer a\"b"));
    assert_true(api_origin_matches("http://127.0.0.1:8080", "127.0.0.1:8080", FALSE));
    assert_false(api_origin_matches("https://127.0.0.1:8080", "127.0.0.1:8080", FALSE));
    assert_false(api_origin_matches("http://evil.example", "127.0.0.1:8080", FALSE));
    assert_false(api_origin_matches(NULL, "127.0.0.1:8080", FALSE));
}

static void test_gate_roles_and_csrf(void **state)
{
    Fixture *f = *state;
    Creds admin = {.cookie_value = f->admin_cookie, .csrf = TRUE};
    Creds admin_no_csrf = {.cookie_value = f->admin_cookie};
    Creds admin_foreign = {
        .cookie_value = f->admin_cookie, .csrf = TRUE, .origin = "http://evil.example"};
    Creds viewer = {.cookie_value = f->viewer_cookie, .csrf = TRUE};
    Creds bogus = {.cookie_value = "not-a-session"};

    assert_int_equal(status_of(f, "GET", "/api/users", NULL, NULL), 401);
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &bogus), 401);
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &admin), 200);
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &viewer), 403);
    assert_int_equal(status_of(f, "GET", "/api/openapi.json", NULL, NULL), 200);
    const char *newuser =
        "{\"username\":\"olga\",\"password\":\"operator-1\",\"role\":\"operator\"}";
    assert_int_equal(status_of(f, "POST", "/api/users", newuser, &admin_no_csrf), 403);
    assert_int_equal(status_of(f, "POST", "/api/users", newuser, &admin_foreign), 403);
    assert_int_equal(status_of(f, "POST", "/api/users", newuser, &viewer), 403);
    assert_int_equal(status_of(f, "POST", "/api/users", newuser, &admin), 201);
    assert_int_equal(status_of(f, "POST", "/api/users", newuser, &admin), 409);
    /* A viewer may not change a VM, whichever VM (403 before any lookup). */
    assert_int_equal(status_of(f, "POST", "/api/vms/anything/start", NULL, &viewer), 403);
    /* The last admin stays, and nobody deletes themselves. */
    assert_int_equal(status_of(f, "PATCH", "/api/users/admin", "{\"role\":\"viewer\"}", &admin),
                     409);
    assert_int_equal(status_of(f, "DELETE", "/api/users/admin", NULL, &admin), 409);
}

static void test_tokens(void **state)
{
    Fixture *f = *state;
    Creds admin = {.cookie_value = f->admin_cookie, .csrf = TRUE};
    ApiResponse resp;
    assert_int_equal(call(f, "POST", "/api/tokens", "{\"name\":\"ci\"}", &admin, &resp), 201);
    g_autofree char *secret = g_strdup(json_string_value(json_object_get(resp.body, "token")));
    g_autofree char *bearer = g_strdup_printf("Bearer %s", secret);
    gint64 id = json_integer_value(json_object_get(resp.body, "id"));
    api_response_clear(&resp);

    /* Bearer requests need no CSRF header: no browser sends them by itself. */
    Creds tok = {.authorization = bearer};
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &tok), 200);
    assert_int_equal(status_of(f, "POST", "/api/tokens", "{\"name\":\"ci2\"}", &tok), 201);
    /* The secret is stored only as a digest. */
    g_autofree char *digest = api_crypto_digest(secret);
    g_autoptr(DbToken) t = db_token_by_hash(f->ctx.db, digest, NULL);
    assert_non_null(t);
    g_autofree char *path = g_strdup_printf("/api/tokens/%" G_GINT64_FORMAT, id);
    assert_int_equal(status_of(f, "DELETE", path, NULL, &admin), 204);
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &tok), 401); /* revoked: at once */
    Creds garbage = {.authorization = "Bearer vireo_nope"};
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &garbage), 401);
    Creds malformed = {.authorization = "Basic abc"};
    assert_int_equal(status_of(f, "GET", "/api/users", NULL, &malformed), 401);

    /* An expired token stops working. */
    g_autoptr(GError) e = NULL;
    g_autofree char *h2 = api_crypto_digest("vireo_expired");
    assert_true(db_token_create(f->ctx.db, 1, "old", h2, 1000, &e) > 0);
    Creds expired = {.authorization = "Bearer vireo_expired"};
    assert_int_equal(status_of(f, "GET", "/api/session", NULL, &expired), 401);
}

static void test_session_expiry_and_logout(void **state)
{
    Fixture *f = *state;
    Creds viewer = {.cookie_value = f->viewer_cookie, .csrf = TRUE};
    assert_int_equal(status_of(f, "GET", "/api/session", NULL, &viewer), 200);
    g_autofree char *hash = api_crypto_digest(f->viewer_cookie);
    /* idle too long */
    sqlite3 *raw;
    g_autofree char *path = g_build_filename(f->dir, "vireo.db", NULL);
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    g_autofree char *sql = g_strdup_printf(
        "UPDATE sessions SET last_seen = last_seen - 7200 WHERE id_hash = '%s'", hash);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(status_of(f, "GET", "/api/session", NULL, &viewer), 401);
    assert_null(db_session_get(f->ctx.db, hash, NULL)); /* and it is gone */

    Creds admin = {.cookie_value = f->admin_cookie, .csrf = TRUE};
    assert_int_equal(status_of(f, "DELETE", "/api/session", NULL, &admin), 204);
    assert_int_equal(status_of(f, "GET", "/api/session", NULL, &admin), 401);
}

static void test_login_failures_and_audit(void **state)
{
    Fixture *f = *state;
    unsigned status;
    g_autofree char *c1 = login(f, "admin", "wrong-password", &status);
    assert_int_equal(status, 401);
    assert_null(c1);
    ApiResponse a, b;
    call(f, "POST", "/api/session", "{\"username\":\"nobody\",\"password\":\"whatever1\"}", NULL,
         &a);
    call(f, "POST", "/api/session", "{\"username\":\"admin\",\"password\":\"whatever1\"}", NULL,
         &b);
    /* Unknown user and bad password look the same. */
    g_autofree char *ja = json_dumps(a.body, JSON_SORT_KEYS);
    g_autofree char *jb = json_dumps(b.body, JSON_SORT_KEYS);
    assert_string_equal(ja, jb);
    /* Headers a handler adds before failing go out with the error answer,
     * and the cause is kept for the request's log line. */
    assert_non_null(api_response_get_header(&a, "WWW-Authenticate"));
    assert_string_equal(a.log_note, "unauthorized: wrong username or password");
    api_response_clear(&a);
    api_response_clear(&b);
    for (int i = 0; i < 4; i++)
        g_free(login(f, "admin", "wrong-password", &status));
    g_autofree char *c2 = login(f, "admin", "admin-secret-1", &status);
    assert_int_equal(status, 429); /* even the right password waits */
    ApiResponse locked;
    call(f, "POST", "/api/session", "{\"username\":\"admin\",\"password\":\"x\"}", NULL, &locked);
    assert_int_equal(locked.status, 429);
    assert_non_null(api_response_get_header(&locked, "Retry-After"));
    assert_true(g_str_has_prefix(locked.log_note, "too_many_requests: "));
    api_response_clear(&locked);
    assert_int_equal(status_of(f, "POST", "/api/session", "{\"username\":1}", NULL), 400);
    assert_int_equal(status_of(f, "POST", "/api/session", "{\"username\":\"a\",\"extra\":1}", NULL),
                     400);

    DbAuditQuery q = {.limit = 100};
    g_autoptr(GPtrArray) rows = db_audit_query(f->ctx.db, &q, NULL);
    /* Every attempt is counted; identical failures share one entry. */
    int attempts = 0;
    for (guint i = 0; i < rows->len; i++)
        attempts += ((const DbAuditEntry *)g_ptr_array_index(rows, i))->repeats;
    assert_true(attempts >= 8);
    assert_true(rows->len < (guint)attempts);
    for (guint i = 0; i < rows->len; i++) {
        const DbAuditEntry *e = g_ptr_array_index(rows, i);
        assert_string_equal(e->action, "session.login");
        assert_string_not_equal(e->method, "GET");
        assert_null(strstr(e->detail, "secret"));
        assert_null(strstr(e->path, "secret"));
    }
}

int main(void)
{
    assert_true(api_crypto_init(FALSE));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_header_parsing),
        cmocka_unit_test_setup_teardown(test_gate_roles_and_csrf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_expiry_and_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_failures_and_audit, setup, teardown),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
