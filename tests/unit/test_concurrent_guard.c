/* The HTTP head-deadline guard (server/http_guard.c) under a real
 * libmicrohttpd thread pool: connections open, are served and close on
 * several threads while the watchdog walks the same list and cuts the
 * silent ones. Run in the ASan and TSan tiers. */
#include "unit.h"

#include "server/http_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SILENT 6    /* clients that never finish a request head */
#define BUSY 4      /* clients that make requests, each on a new connection */
#define REQUESTS 40 /* per busy client */
#define POOL 4      /* libmicrohttpd threads */

typedef struct {
    guint16 port;
    int index;
    gboolean ok;         /* what the client saw was right */
    gint64 cut_after_us; /* silent clients: when the server hung up */
} Client;

/* As server/http.c: a whole head arrived, then the answer went out. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    static int began;
    if (!*req_cls) {
        *req_cls = &began;
        http_guard_request_began(conn);
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    http_guard_request_ended(conn);
}

static int connect_to(guint16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads until the peer closes; TRUE when it closed (not a timeout). */
static gboolean read_to_end(int fd, GString *got)
{
    char buf[512];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0)
            return TRUE;
        if (n < 0)
            return FALSE;
        g_string_append_len(got, buf, n);
    }
}

static gpointer silent_client(gpointer data)
{
    Client *c = data;
    int fd = connect_to(c->port);
    if (fd < 0)
        return NULL;
    gint64 start = g_get_monotonic_time();
    const char *part = "GET / HTTP/1.1\r\nHost: x\r\n"; /* no blank line: never whole */
    g_autoptr(GString) got = g_string_new(NULL);
    c->ok = send(fd, part, strlen(part), MSG_NOSIGNAL) == (ssize_t)strlen(part) &&
            read_to_end(fd, got) && got->len == 0;
    c->cut_after_us = g_get_monotonic_time() - start;
    close(fd);
    return NULL;
}

static gpointer busy_client(gpointer data)
{
    Client *c = data;
    c->ok = TRUE;
    for (int i = 0; i < REQUESTS && c->ok; i++) {
        int fd = connect_to(c->port);
        g_autofree char *req = g_strdup_printf(
            "GET /%d/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", c->index, i);
        g_autoptr(GString) got = g_string_new(NULL);
        c->ok = fd >= 0 && send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req) &&
                read_to_end(fd, got) && g_str_has_prefix(got->str, "HTTP/1.1 200") &&
                g_str_has_suffix(got->str, "\r\n\r\nok");
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

static void test_guard_under_pool(void **state)
{
    (void)state;
    HttpGuard *guard = http_guard_new(1);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL, MHD_OPTION_NOTIFY_CONNECTION,
        http_guard_notify, guard, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    assert_non_null(d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);

    Client clients[SILENT + BUSY];
    GThread *threads[SILENT + BUSY];
    for (int i = 0; i < SILENT + BUSY; i++) {
        clients[i] = (Client){.port = info->port, .index = i};
        threads[i] = g_thread_new("client", i < SILENT ? silent_client : busy_client, &clients[i]);
    }
    for (int i = 0; i < SILENT + BUSY; i++)
        g_thread_join(threads[i]);
    for (int i = 0; i < SILENT + BUSY; i++) {
        if (!clients[i].ok)
            fail_msg("%s client %d saw the wrong thing", i < SILENT ? "silent" : "busy", i);
        /* Cut at the 1 s deadline, give or take the 250 ms watch interval
         * and a slow sanitizer build. */
        if (i < SILENT &&
            (clients[i].cut_after_us < 900 * 1000 || clients[i].cut_after_us > 5 * G_USEC_PER_SEC))
            fail_msg("silent client %d cut after %" G_GINT64_FORMAT " us", i,
                     clients[i].cut_after_us);
    }
    /* Only the silent ones were cut; busy ones always finished in time. */
    assert_int_equal(http_guard_cut_count(guard), SILENT);
    MHD_stop_daemon(d);
    http_guard_free(guard);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_under_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
