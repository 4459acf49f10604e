/* The event stream's mechanism: the ring of recent events and where a
 * client resumes, then the hub itself over socket pairs (a temporary
 * inventory with an admin and a viewer): ids, replay of exactly the missed
 * events the viewer may see, `reload` after a restart, a too old id and
 * an overflowing queue, heartbeats, and no inventory query per event. */
#include "unit.h"

#include "api/core/api_gate.h"
#include "db/db_auth.h"
#include "server/event_ring.h"
#include "server/events.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the ring ---- */

static void count_item(guint64 seq, gpointer item, gpointer data)
{
    GString *seen = data;
    g_string_append_printf(seen, "%" G_GUINT64_FORMAT "=%s ", seq, (const char *)item);
}

static void test_ring_numbers_and_bounds(void **state G_GNUC_UNUSED)
{
    EventRing *r = event_ring_new(3, 1000, g_free);
    assert_int_equal(event_ring_last(r), 0);
    assert_int_equal(event_ring_first(r), 1);
    assert_int_equal(event_ring_push(r, g_strdup("a"), 10), 1);
    assert_int_equal(event_ring_push(r, g_strdup("b"), 10), 2);
    assert_int_equal(event_ring_push(r, g_strdup("c"), 10), 3);
    assert_int_equal(event_ring_push(r, g_strdup("d"), 10), 4);
    /* At most 3 items: "a" fell out. */
    assert_int_equal(event_ring_count(r), 3);
    assert_int_equal(event_ring_first(r), 2);
    assert_int_equal(event_ring_last(r), 4);
    assert_int_equal(event_ring_bytes(r), 30);
    g_autoptr(GString) seen = g_string_new(NULL);
    event_ring_each_after(r, 2, count_item, seen);
    assert_string_equal(seen->str, "3=c 4=d ");
    g_string_truncate(seen, 0);
    event_ring_each_after(r, 0, count_item, seen);
    assert_string_equal(seen->str, "2=b 3=c 4=d ");
    g_string_truncate(seen, 0);
    event_ring_each_after(r, 4, count_item, seen);
    assert_string_equal(seen->str, "");
    /* The byte bound: a big item pushes the others out, but stays itself. */
    assert_int_equal(event_ring_push(r, g_strdup("big"), 995), 5);
    assert_int_equal(event_ring_count(r), 1);
    assert_int_equal(event_ring_first(r), 5);
    assert_int_equal(event_ring_push(r, g_strdup("huge"), 5000), 6);
    assert_int_equal(event_ring_count(r), 1);
    assert_int_equal(event_ring_first(r), 6);
    event_ring_free(r);
}

static void test_ring_resume(void **state G_GNUC_UNUSED)
{
    EventRing *r = event_ring_new(4, 1 << 20, NULL);
    guint64 after = 99;
    /* Before any event: a new client, and one that saw "nothing yet". */
    assert_int_equal(event_ring_resume(r, "E1", NULL, &after), EVENT_RESUME_FRESH);
    assert_int_equal(after, 0);
    assert_int_equal(event_ring_resume(r, "E1", "", &after), EVENT_RESUME_FRESH);
    assert_int_equal(event_ring_resume(r, "E1", "E1-0", &after), EVENT_RESUME_REPLAY);
    assert_int_equal(after, 0);
    for (int i = 0; i < 6; i++)
        event_ring_push(r, NULL, 1);
    /* 3..6 are held. */
    assert_int_equal(event_ring_resume(r, "E1", "E1-6", &after), EVENT_RESUME_REPLAY);
    assert_int_equal(after, 6);
    assert_int_equal(event_ring_resume(r, "E1", "E1-2", &after), EVENT_RESUME_REPLAY);
    assert_int_equal(after, 2);
    /* 2 is gone, so what came after 1 cannot all be given. */
    assert_int_equal(event_ring_resume(r, "E1", "E1-1", &after), EVENT_RESUME_LOST);
    assert_int_equal(after, 6);
    assert_int_equal(event_ring_resume(r, "E1", "E1-0", &after), EVENT_RESUME_LOST);
    /* Another process's ids, ids from the future, and junk. */
    static const char *const lost[] = {"E2-5", "E-5",  "E11-5", "E1-7",
                                       "E1-",  "E1-x", "E1-5x", "E1--5",
                                       "5",    "E1",   "-",     "E1-18446744073709551616"};
    for (gsize i = 0; i < G_N_ELEMENTS(lost); i++)
        assert_int_equal(event_ring_resume(r, "E1", lost[i], &after), EVENT_RESUME_LOST);
    g_autofree char *id = event_ring_id("E1", 42);
    assert_string_equal(id, "E1-42");
    event_ring_free(r);
}

/* ---- the hub ---- */

typedef struct {
    char *dir;
    Db *db;
    ApiContext ctx;
    gint64 admin, viewer, admin_token, viewer_token;
    EventHub *hub;
} Fixture;

#define VM_A "8a1c6f64-6b86-4a59-9a0e-000000000001"
#define VM_B "8a1c6f64-6b86-4a59-9a0e-000000000002"

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(f->dir, "vireo.db", NULL);
    g_autoptr(GError) error = NULL;
    f->db = db_open(path, &error);
    assert_non_null(f->db);
    f->ctx.db = f->db;
    f->ctx.session_idle_s = 3600;
    f->ctx.session_max_s = 86400;
    f->admin = db_user_create(f->db, "admin", "x", "admin", "local", &error);
    f->viewer = db_user_create(f->db, "viewer", "x", "viewer", "local", &error);
    assert_true(f->admin > 0 && f->viewer > 0);
    f->admin_token = db_token_create(f->db, f->admin, "a", "hash-a", 0, &error);
    f->viewer_token = db_token_create(f->db, f->viewer, "v", "hash-v", 0, &error);
    assert_true(f->admin_token > 0 && f->viewer_token > 0);
    /* The viewer may see VM A, not VM B. */
    assert_true(db_grant_add(f->db, f->viewer, VM_A, &error));
    EventHubSettings set = {.max_per_credential = 4,
                            .max_streams = 16,
                            .max_per_address = 16,
                            .ping_interval_ms = 60000};
    f->hub = events_hub_new(&f->ctx, &set);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    events_hub_free(f->hub);
    db_close(f->db);
    unit_rmtree(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static ApiAuth *auth_of(gint64 user, ApiRole role, gint64 token)
{
    ApiAuth *a = g_new0(ApiAuth, 1);
    a->user_id = user;
    a->role = role;
    a->token_id = token;
    a->username = g_strdup("u");
    return a;
}

/* A client: our end of a socket pair whose other end the hub took. */
typedef struct {
    int fd;
    GString *in;
} Client;

static Client *subscribe(Fixture *f, gboolean admin, const char *last_id)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    g_autoptr(GError) error = NULL;
    ApiAuth *a = admin ? auth_of(f->admin, API_ROLE_ADMIN, f->admin_token)
                       : auth_of(f->viewer, API_ROLE_VIEWER, f->viewer_token);
    assert_true(events_subscribe(f->hub, sv[0], "127.0.0.1", a, last_id, &error));
    Client *c = g_new0(Client, 1);
    c->fd = sv[1];
    c->in = g_string_new(NULL);
    return c;
}

static void client_close(Client *c)
{
    close(c->fd);
    g_string_free(c->in, TRUE);
    g_free(c);
}

/* Reads what has come, waiting up to 100 ms; fails after `deadline`
 * (a liveness bound). */
static void read_more(Client *c, gint64 deadline)
{
    assert_true(g_get_monotonic_time() < deadline);
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0)
        return;
    char buf[65536];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    assert_true(n > 0);
    g_string_append_len(c->in, buf, n);
}

#define LIVENESS_US (10 * G_USEC_PER_SEC)

/* Reads until `text` has arrived. */
static void wait_for(Client *c, const char *text)
{
    gint64 deadline = g_get_monotonic_time() + LIVENESS_US;
    while (!strstr(c->in->str, text))
        read_more(c, deadline);
}

/* The SSE frames received so far ("id|event|data" per frame), and empties
 * what was read. */
static GPtrArray *frames(Client *c)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *body = strstr(c->in->str, "\r\n\r\n");
    body = body ? body + 4 : c->in->str;
    g_auto(GStrv) blocks = g_strsplit(body, "\n\n", -1);
    for (char **b = blocks; *b && b[1]; b++) {
        g_autofree char *id = NULL, *event = NULL, *data = NULL;
        g_auto(GStrv) lines = g_strsplit(*b, "\n", -1);
        for (char **l = lines; *l; l++) {
            if (g_str_has_prefix(*l, "id: "))
                id = g_strdup(*l + 4);
            else if (g_str_has_prefix(*l, "event: "))
                event = g_strdup(*l + 7);
            else if (g_str_has_prefix(*l, "data: "))
                data = g_strdup(*l + 6);
        }
        if (event)
            g_ptr_array_add(out, g_strdup_printf("%s|%s|%s", id ? id : "", event, data));
    }
    g_string_truncate(c->in, 0);
    return out;
}

static void publish_vm(Fixture *f, const char *uuid, const char *name, int event)
{
    ApiEvent e = {.kind = API_EVENT_VM, .uuid = uuid, .name = name, .event = event};
    events_publish(f->hub, &e);
}

/* The id in the stream's opening (an id line alone: a resume point). */
static char *opening_id(Client *c)
{
    gint64 deadline = g_get_monotonic_time() + LIVENESS_US;
    for (;;) {
        const char *p = strstr(c->in->str, "retry: ");
        p = p ? strstr(p, "\n\nid: ") : NULL;
        if (p && strstr(p + 7, "\n\n")) {
            char *out = g_strndup(p + 6, strcspn(p + 6, "\n"));
            g_string_truncate(c->in, 0);
            return out;
        }
        read_more(c, deadline);
    }
}

static void test_head_and_ids(void **state)
{
    Fixture *f = *state;
    Client *c = subscribe(f, TRUE, NULL);
    wait_for(c, "\r\n\r\n");
    assert_true(g_str_has_prefix(c->in->str, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(c->in->str, "Content-Type: text/event-stream\r\n"));
    assert_non_null(strstr(c->in->str, "X-Content-Type-Options: nosniff\r\n"));
    assert_non_null(strstr(c->in->str, "\r\n\r\n: vireo events\nretry: "));
    g_autofree char *start = opening_id(c);
    assert_true(g_str_has_suffix(start, "-0"));
    publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_STARTED);
    publish_vm(f, VM_B, "b", VIR_DOMAIN_EVENT_STOPPED);
    wait_for(c, "\"b\"");
    g_autoptr(GPtrArray) got = frames(c);
    assert_int_equal(got->len, 2);
    g_autofree char *epoch = g_strndup(start, strlen(start) - 2);
    g_autofree char *one = g_strdup_printf(
        "%s-1|vm|{\"event\":\"started\",\"name\":\"a\",\"uuid\":\"" VM_A "\"}", epoch);
    assert_string_equal(g_ptr_array_index(got, 0), one);
    g_autofree char *two_prefix = g_strdup_printf("%s-2|vm|{\"event\":\"stopped\"", epoch);
    assert_true(g_str_has_prefix(g_ptr_array_index(got, 1), two_prefix));
    client_close(c);
}

static void test_viewer_resumes_exactly_what_it_missed(void **state)
{
    Fixture *f = *state;
    Client *v = subscribe(f, FALSE, NULL);
    g_autofree char *start = opening_id(v);
    publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_DEFINED);
    publish_vm(f, VM_B, "b", VIR_DOMAIN_EVENT_DEFINED); /* not the viewer's */
    wait_for(v, "\"a\"");
    g_autoptr(GPtrArray) first = frames(v);
    assert_int_equal(first->len, 1);
    const char *seen = g_ptr_array_index(first, 0);
    g_autofree char *last_id = g_strndup(seen, strcspn(seen, "|"));
    client_close(v);

    /* While it is away: two of A's events among B's. */
    publish_vm(f, VM_B, "b", VIR_DOMAIN_EVENT_STARTED);
    publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_STARTED);
    publish_vm(f, VM_B, "b", VIR_DOMAIN_EVENT_STOPPED);
    publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_STOPPED);
    publish_vm(f, VM_B, "b", VIR_DOMAIN_EVENT_UNDEFINED);

    Client *back = subscribe(f, FALSE, last_id);
    wait_for(back, "\"stopped\"");
    /* After the replay, its resume point moves past B's last event. */
    g_autofree char *epoch = g_strndup(start, strlen(start) - 2);
    g_autofree char *mark = g_strdup_printf("\nid: %s-7\n\n", epoch);
    wait_for(back, mark);
    g_autoptr(GPtrArray) got = frames(back);
    assert_int_equal(got->len, 2);
    g_autofree char *a1 = g_strdup_printf("%s-4|vm|{\"event\":\"started\",\"name\":\"a\"", epoch);
    g_autofree char *a2 = g_strdup_printf("%s-6|vm|{\"event\":\"stopped\",\"name\":\"a\"", epoch);
    assert_true(g_str_has_prefix(g_ptr_array_index(got, 0), a1));
    assert_true(g_str_has_prefix(g_ptr_array_index(got, 1), a2));
    /* And live events keep coming after the replay, in order. */
    publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_UNDEFINED);
    wait_for(back, "undefined");
    g_autoptr(GPtrArray) live = frames(back);
    assert_int_equal(live->len, 1);
    g_autofree char *a3 = g_strdup_printf("%s-8|vm|", epoch);
    assert_true(g_str_has_prefix(g_ptr_array_index(live, 0), a3));
    client_close(back);
}

static void test_lost_resume_points_reload(void **state)
{
    Fixture *f = *state;
    Client *c = subscribe(f, TRUE, NULL);
    g_autofree char *start = opening_id(c);
    client_close(c);
    publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_STARTED);
    /* An id of another vireod (restarted), or one never given. */
    static const char *const others[] = {"1234-1", "junk", "?"};
    for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
        Client *o = subscribe(f, TRUE, others[i]);
        wait_for(o, "event: reload\ndata: {\"reason\":\"gap\"}\n\n");
        g_autoptr(GPtrArray) got = frames(o);
        assert_int_equal(got->len, 1);
        g_autofree char *epoch = g_strndup(start, strlen(start) - 2);
        g_autofree char *want = g_strdup_printf("%s-1|reload|{\"reason\":\"gap\"}", epoch);
        assert_string_equal(g_ptr_array_index(got, 0), want);
        client_close(o);
    }
    /* Events pushed out of the ring (1024 kept) cannot be replayed. */
    for (int i = 0; i < 1100; i++)
        publish_vm(f, VM_A, "a", VIR_DOMAIN_EVENT_SUSPENDED);
    Client *late = subscribe(f, TRUE, start);
    wait_for(late, "event: reload\n");
    g_autoptr(GPtrArray) got = frames(late);
    assert_int_equal(got->len, 1);
    client_close(late);
}

static void test_slow_client_is_told_to_reload(void **state)
{
    Fixture *f = *state;
    Client *c = subscribe(f, TRUE, NULL);
    g_autofree char *start = opening_id(c);
    /* It reads nothing while far more than its queue holds is sent. */
    int small = 4096;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    g_autofree char *name = g_strnfill(400, 'n');
    for (int i = 0; i < 1500; i++)
        publish_vm(f, VM_A, name, VIR_DOMAIN_EVENT_SUSPENDED);
    /* Events after the reload was queued are skipped until it is out
     * (the client reads everything again anyway); then they flow. */
    wait_for(c, "event: reload\n");
    publish_vm(f, VM_A, "after", VIR_DOMAIN_EVENT_RESUMED);
    wait_for(c, "\"after\"");
    g_autoptr(GPtrArray) got = frames(c);
    /* Some events, then one reload (none of what it replaced), then the
     * events after it was written. */
    guint reloads = 0, suspended = 0;
    for (guint i = 0; i < got->len; i++) {
        const char *fr = g_ptr_array_index(got, i);
        if (strstr(fr, "|reload|{\"reason\":\"overflow\"}"))
            reloads++;
        else if (strstr(fr, "suspended")) {
            assert_int_equal(reloads, 0);
            suspended++;
        }
    }
    assert_int_equal(reloads, 1);
    assert_true(suspended > 0 && suspended < 1500);
    assert_non_null(strstr(g_ptr_array_index(got, got->len - 1), "\"after\""));
    (void)start;
    client_close(c);
}

static void test_no_query_per_event(void **state)
{
    Fixture *f = *state;
    Client *clients[8];
    for (int i = 0; i < 8; i++) {
        clients[i] = subscribe(f, i % 2 == 0, NULL);
        g_free(opening_id(clients[i]));
    }
    guint64 before = db_statement_count(f->db);
    for (int i = 0; i < 200; i++) {
        publish_vm(f, i % 2 ? VM_A : VM_B, "x", VIR_DOMAIN_EVENT_STARTED);
        ApiEvent pool = {.kind = API_EVENT_POOL, .uuid = VM_A, .name = "p", .event = 2};
        events_publish(f->hub, &pool);
    }
    publish_vm(f, VM_A, "last", VIR_DOMAIN_EVENT_STOPPED);
    for (int i = 0; i < 8; i++)
        wait_for(clients[i], "\"last\"");
    assert_int_equal(db_statement_count(f->db), before);
    /* A viewer got A's events only; an admin every one. */
    g_autoptr(GPtrArray) admin = frames(clients[0]);
    g_autoptr(GPtrArray) viewer = frames(clients[1]);
    assert_int_equal(admin->len, 401);
    assert_int_equal(viewer->len, 101);
    for (int i = 0; i < 8; i++)
        client_close(clients[i]);
}

static void test_revoked_token_ends_stream(void **state)
{
    Fixture *f = *state;
    Client *v = subscribe(f, FALSE, NULL);
    g_free(opening_id(v));
    gboolean found = FALSE;
    g_autoptr(GError) error = NULL;
    assert_true(db_token_delete(f->db, f->viewer_token, 0, &found, &error));
    events_auth_changed(f->hub, f->viewer);
    /* The hub closes it: the client reads the end. */
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    char buf[256];
    ssize_t n;
    while ((n = read(v->fd, buf, sizeof(buf))) > 0)
        assert_true(g_get_monotonic_time() < deadline);
    assert_int_equal(n, 0);
    client_close(v);
}

static void test_limits(void **state)
{
    Fixture *f = *state;
    Client *cs[4];
    for (int i = 0; i < 4; i++)
        cs[i] = subscribe(f, TRUE, NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    g_autoptr(GError) error = NULL;
    assert_false(events_subscribe(f->hub, sv[0], "127.0.0.1",
                                  auth_of(f->admin, API_ROLE_ADMIN, f->admin_token), NULL, &error));
    assert_non_null(strstr(error->message, "most event streams"));
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(events_subscriber_count(f->hub), 4);
    for (int i = 0; i < 4; i++)
        client_close(cs[i]);
}

static void test_heartbeat(void **state G_GNUC_UNUSED)
{
    Fixture *f = *state;
    events_hub_free(f->hub);
    EventHubSettings set = {
        .max_per_credential = 4, .max_streams = 16, .max_per_address = 16, .ping_interval_ms = 50};
    f->hub = events_hub_new(&f->ctx, &set);
    Client *c = subscribe(f, FALSE, NULL);
    g_autofree char *start = opening_id(c);
    publish_vm(f, VM_B, "b", VIR_DOMAIN_EVENT_STARTED); /* not the viewer's */
    /* A comment, and the id past the event it may not see. */
    g_autofree char *epoch = g_strndup(start, strlen(start) - 2);
    g_autofree char *beat = g_strdup_printf(": ping\nid: %s-1\n\n", epoch);
    wait_for(c, beat);
    client_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_numbers_and_bounds),
        cmocka_unit_test(test_ring_resume),
        cmocka_unit_test_setup_teardown(test_head_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_resumes_exactly_what_it_missed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_resume_points_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_client_is_told_to_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_query_per_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_token_ends_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
