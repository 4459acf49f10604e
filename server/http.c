/* libmicrohttpd glue: per-request state, body collection with a size cap,
 * the API/static split, answer headers and one log line per request. */
#include "server/http.h"
#include "api/core/api_counters.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/vms/api_consoles.h"
#include "server/console_hub.h"
#include "server/http_guard.h"
#include "server/ws_handshake.h"
#include "server/http_headers.h"
#include "server/static_files.h"
#include "server/tls_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <microhttpd.h>
#include <netdb.h>
#include <string.h>

/* Routes take a handful of query parameters; far more only serve to
 * exhaust libmicrohttpd's per-connection memory (see on_uri). */
#define QUERY_MAX_PARAMS 64
#define QUERY_MAX_BYTES 4096
/* The web UI's files compressed (~0.3 MiB today, noVNC and xterm.js included). */
#define STATIC_GZIP_MAX (8 * 1024 * 1024)

struct HttpServer {
    struct MHD_Daemon *daemon;
    TlsFront *front; /* with TLS: the listener; libmicrohttpd has none */
    HttpGuard *guard;
    ApiContext *api;
    char *webui;
    EventHub *events;
    ConsoleHub *consoles;
    StaticGzip *static_gzip;       /* the web UI's files, compressed */
    StaticVersion *static_version; /* the web UI folder's version tag */
    gboolean tls;
    volatile guint64 next_id;  /* atomic */
    volatile gint in_flight;   /* requests begun and not completed; atomic */
    GThreadPool *prepare_pool; /* downloads' slow first steps (see defer_download) */
    GCancellable *stopping;    /* cancelled when the server stops: those steps end early */
};

typedef struct {
    guint64 id;
    gboolean begun; /* the head was handed to on_request */
    gboolean uri_too_long;
    gint64 started;
    GByteArray *body;
    gboolean too_large;
    unsigned status;
    char *method;
    char *path;
    char address[64];
    gboolean streaming;      /* an event stream or transfer: not "in flight" for shutdown */
    gboolean handed_over;    /* an event stream: its socket is the event hub's */
    gboolean stream_body;    /* a route whose body goes to an ApiTransfer, uncollected */
    ApiTransfer *transfer;   /* that upload, until it finishes or fails */
    struct Upgrade *upgrade; /* a console handed over (or not) by libmicrohttpd */
    char *log_note;          /* why it failed, for its log line; NULL if it did not */
    ApiResponse *deferred;   /* a download suspended while it prepares (defer_download) */
    GError *deferred_error;  /* and why its preparation failed */
} RequestState;

/* A console whose WebSocket handshake is answered, waiting for
 * libmicrohttpd to hand over the socket. */
typedef struct Upgrade {
    HttpServer *srv;
    ApiConsole *console;
    char address[64];
} Upgrade;

static void upgrade_free(Upgrade *u)
{
    if (u->console)
        api_console_free(u->console);
    g_free(u);
}

static void deferred_free(ApiResponse *resp)
{
    if (resp->transfer) {
        resp->transfer->abort(resp->transfer, "the connection ended");
        resp->transfer->free(resp->transfer);
        resp->transfer = NULL;
    }
    api_response_clear(resp);
    g_free(resp);
}

static void request_state_free(RequestState *st)
{
    if (st->deferred)
        deferred_free(st->deferred);
    g_clear_error(&st->deferred_error);
    if (st->upgrade)
        upgrade_free(st->upgrade);
    if (st->transfer) {
        st->transfer->abort(st->transfer, "the connection ended");
        st->transfer->free(st->transfer);
    }
    if (st->body)
        g_byte_array_unref(st->body);
    g_free(st->method);
    g_free(st->path);
    g_free(st->log_note);
    g_free(st);
}

gboolean http_parse_listen(const char *listen, struct sockaddr_storage *out, GError **error)
{
    g_autofree char *host = NULL;
    const char *port;
    guint64 p;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            goto bad;
        host = g_strndup(listen + 1, close - listen - 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon)
            goto bad;
        host = g_strndup(listen, colon - listen);
        port = colon + 1;
    }
    if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, &p, NULL))
        goto bad;
    if (getaddrinfo(*host ? host : "0.0.0.0", port, &hints, &res) != 0 || !res)
        goto bad;
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return TRUE;
bad:
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "listen address '%s' must be ADDR:PORT or [IPV6]:PORT with a numeric address",
                listen);
    return FALSE;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind G_GNUC_UNUSED,
                                     const char *key, const char *value)
{
    GHashTable *q = cls;
    if (!g_hash_table_contains(q, key))
        g_hash_table_insert(q, g_strdup(key), g_strdup(value ? value : ""));
    return MHD_YES;
}

static void add_answer_headers(struct MHD_Response *r, const ApiResponse *resp, gboolean tls)
{
    for (guint i = 0; i + 1 < resp->headers->len; i += 2)
        MHD_add_response_header(r, g_ptr_array_index(resp->headers, i),
                                g_ptr_array_index(resp->headers, i + 1));
    /* Revalidate by default; a handler may ask for less (a live
     * screenshot: no-store). */
    if (!api_response_get_header(resp, "Cache-Control"))
        MHD_add_response_header(r, "Cache-Control", "no-cache");
    http_add_security_headers(r, HTTP_BODY_DATA, tls);
}

static enum MHD_Result queue_api(struct MHD_Connection *conn, ApiResponse *resp, gboolean head,
                                 gboolean tls)
{
    struct MHD_Response *r;
    if (resp->body && !head) {
        char *text = json_dumps(resp->body, JSON_COMPACT | JSON_REAL_PRECISION(15));
        r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "application/json");
    } else if (resp->raw && !head) {
        gsize len;
        const void *data = g_bytes_get_data(resp->raw, &len);
        r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, "Content-Type", resp->raw_type);
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (resp->body || resp->raw)
            MHD_add_response_header(r, "Content-Type",
                                    resp->body ? "application/json" : resp->raw_type);
    }
    if (resp->content_encoding)
        MHD_add_response_header(r, "Content-Encoding", resp->content_encoding);
    /* Answers with a body may come gzip-compressed or not, by the
     * request's Accept-Encoding (api_encoding.h): caches must tell. */
    if (resp->body || resp->raw || resp->status == 304)
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
    add_answer_headers(r, resp, tls);
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* What the request's log line tells of the answer. */
static void note_answer(RequestState *st, ApiResponse *resp)
{
    st->status = resp->status;
    g_free(st->log_note);
    st->log_note = g_steal_pointer(&resp->log_note);
}

/* The event stream lives as long as its client: once let in, its socket
 * goes to the event hub (a duplicate of it: libmicrohttpd then closes its
 * own, which with MHD_USE_TURBO it does without shutdown(), leaving the
 * socket open), so an idle stream holds none of libmicrohttpd's 32 KiB
 * per-connection pool, and it never holds up a shutdown. */
static enum MHD_Result queue_stream(HttpServer *srv, struct MHD_Connection *conn, RequestState *st,
                                    ApiResponse *resp)
{
    g_autoptr(GError) error = NULL;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = info ? fcntl(info->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0) {
        api_fail(&error, API_ERROR_INTERNAL, "cannot take the event stream's socket: %s",
                 g_strerror(errno));
        api_auth_free(g_steal_pointer(&resp->stream));
    } else if (events_subscribe(srv->events, fd, st->address, g_steal_pointer(&resp->stream),
                                resp->stream_resume, &error)) {
        st->handed_over = TRUE;
        st->streaming = TRUE;
        g_atomic_int_dec_and_test(&srv->in_flight);
        return MHD_NO;
    } else {
        close(fd);
    }
    if (g_error_matches(error, API_ERROR, API_ERROR_TOO_MANY_REQUESTS))
        api_response_header(resp, "Retry-After", "5");
    api_response_error(resp, error);
    note_answer(st, resp);
    return queue_api(conn, resp, FALSE, srv->tls);
}

/* Long transfers, like event streams, do not hold up a shutdown: closing
 * their connection aborts them (an upload undoes what it made). */
static void stop_counting(HttpServer *srv, RequestState *st)
{
    st->streaming = TRUE;
    g_atomic_int_dec_and_test(&srv->in_flight);
}

static ssize_t read_download(void *cls, uint64_t pos G_GNUC_UNUSED, char *buf, size_t max)
{
    ApiTransfer *t = cls;
    gssize n = t->read(t, buf, max);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void free_download(void *cls)
{
    ApiTransfer *t = cls;
    t->abort(t, "the connection ended");
    t->free(t);
}

/* A volume's bytes as the answer, read from libvirt as the client takes
 * them. */
static enum MHD_Result queue_download(HttpServer *srv, struct MHD_Connection *conn,
                                      RequestState *st, ApiResponse *resp)
{
    ApiTransfer *t = g_steal_pointer(&resp->transfer);
    struct MHD_Response *r = MHD_create_response_from_callback(t->length, 64 * 1024, read_download,
                                                               t, free_download);
    MHD_add_response_header(r, "Content-Type", "application/octet-stream");
    add_answer_headers(r, resp, srv->tls);
    stop_counting(srv, st);
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A download whose first byte needs slow work (an OVA's disks converted
 * first): the connection is suspended while a thread of prepare_pool does
 * it, so no HTTP thread, which serves many connections, waits on it;
 * libmicrohttpd calls on_request again once it is resumed. */
typedef struct {
    struct MHD_Connection *conn;
    RequestState *st;
} Deferred;

static void prepare_one(gpointer data, gpointer user_data)
{
    HttpServer *srv = user_data;
    Deferred *d = data;
    ApiTransfer *t = d->st->deferred->transfer;
    if (!t->prepare(t, srv->stopping, &d->st->deferred_error) && !d->st->deferred_error)
        api_fail(&d->st->deferred_error, API_ERROR_INTERNAL, "preparing the download failed");
    MHD_resume_connection(d->conn);
    g_free(d);
}

static enum MHD_Result defer_download(HttpServer *srv, struct MHD_Connection *conn,
                                      RequestState *st, ApiResponse *resp)
{
    st->deferred = g_memdup2(resp, sizeof *resp);
    Deferred *d = g_new(Deferred, 1);
    *d = (Deferred){.conn = conn, .st = st};
    MHD_suspend_connection(conn);
    g_thread_pool_push(srv->prepare_pool, d, NULL);
    return MHD_YES;
}

/* Back from prepare_one: the download, or the error that stopped it (its
 * headers, such as a file name, dropped). */
static enum MHD_Result finish_deferred(HttpServer *srv, struct MHD_Connection *conn,
                                       RequestState *st)
{
    ApiResponse *resp = g_steal_pointer(&st->deferred);
    enum MHD_Result ret;
    if (st->deferred_error) {
        resp->transfer->abort(resp->transfer, st->deferred_error->message);
        resp->transfer->free(resp->transfer);
        resp->transfer = NULL;
        g_ptr_array_set_size(resp->headers, 0);
        api_response_error_for(resp, st->deferred_error, FALSE);
        g_clear_error(&st->deferred_error);
        note_answer(st, resp);
        ret = queue_api(conn, resp, FALSE, srv->tls);
    } else {
        ret = queue_download(srv, conn, st, resp);
    }
    deferred_free(resp);
    return ret;
}

static void request_from_connection(struct MHD_Connection *conn, RequestState *st,
                                    const char *method, const char *url, GHashTable *query,
                                    ApiRequest *req)
{
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, query);
    *req = (ApiRequest){
        .method = method,
        .path = url,
        .query = query,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
        .if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match"),
        .if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match"),
        .last_event_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID"),
        .accept_encoding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding"),
        .cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"),
        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        .origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
        .host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
        .csrf_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, API_CSRF_HEADER),
        .user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent"),
        .address = st->address,
        .body = st->body ? (const char *)st->body->data : NULL,
        .body_len = st->body ? st->body->len : 0,
        .id = st->id,
    };
}

/* A route whose body is streamed: the handler runs on the headers alone
 * and either refuses at once or hands back the transfer that takes the
 * body. */
static enum MHD_Result start_upload(HttpServer *srv, struct MHD_Connection *conn, RequestState *st,
                                    const char *method, const char *url, guint64 content_length)
{
    g_autoptr(GHashTable) query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ApiRequest req;
    request_from_connection(conn, st, method, url, query, &req);
    req.content_length = content_length;
    ApiResponse resp;
    api_response_init(&resp);
    api_dispatch(srv->api, &req, &resp);
    note_answer(st, &resp);
    enum MHD_Result ret = MHD_YES;
    if (resp.transfer && resp.transfer->write) {
        st->transfer = g_steal_pointer(&resp.transfer);
        stop_counting(srv, st);
    } else {
        ret = queue_api(conn, &resp, FALSE, srv->tls);
    }
    api_response_clear(&resp);
    return ret;
}

/* The upload's body is complete: its transfer makes the answer. */
static enum MHD_Result finish_upload(HttpServer *srv, struct MHD_Connection *conn, RequestState *st)
{
    ApiTransfer *t = g_steal_pointer(&st->transfer);
    g_autoptr(GError) error = NULL;
    ApiResponse resp;
    api_response_init(&resp);
    if (!t->finish(t, &resp, &error))
        api_response_error(&resp, error);
    t->free(t);
    note_answer(st, &resp);
    enum MHD_Result ret = queue_api(conn, &resp, FALSE, srv->tls);
    api_response_clear(&resp);
    return ret;
}

static enum MHD_Result upload_chunk(RequestState *st, const char *data, size_t len)
{
    g_autoptr(GError) error = NULL;
    if (!st->transfer || st->transfer->write(st->transfer, data, len, &error))
        return MHD_YES;
    /* libmicrohttpd cannot answer in the middle of a body: the connection
     * closes, the task tells why, and so does the request's log line. */
    g_free(st->log_note);
    st->log_note = g_strdup_printf("upload stopped: %s", error->message);
    ApiTransfer *t = g_steal_pointer(&st->transfer);
    t->abort(t, error->message);
    t->free(t);
    return MHD_NO;
}

static void on_upgraded(void *cls, struct MHD_Connection *conn G_GNUC_UNUSED,
                        void *req_cls G_GNUC_UNUSED, const char *extra_in, size_t extra_in_size,
                        MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    Upgrade *u = cls;
    ConsoleLink link = {.fd = sock, .urh = urh};
    GBytes *extra = extra_in_size ? g_bytes_new(extra_in, extra_in_size) : NULL;
    console_hub_attach(u->srv->consoles, link, extra, g_steal_pointer(&u->console), u->address);
}

/* Answers the WebSocket handshake of a console the API let through (its
 * ticket is spent), or 400 when the handshake itself is wrong. */
static enum MHD_Result queue_upgrade(HttpServer *srv, struct MHD_Connection *conn, RequestState *st,
                                     ApiResponse *resp, const char *method)
{
    static const char *const protocols[] = {"binary", NULL};
    g_autoptr(GError) error = NULL;
    const char *protocol = NULL;
    const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    if (!srv->consoles ||
        !ws_handshake_check(
            method, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade"),
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection"),
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version"), key,
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Protocol"), protocols,
            &protocol, &error)) {
        g_autoptr(GError) bad = NULL;
        api_fail(&bad, API_ERROR_INVALID_ARGUMENT, "not a WebSocket handshake: %s",
                 error ? error->message : "consoles are not served");
        ApiResponse refused;
        api_response_init(&refused);
        api_response_header(&refused, "Sec-WebSocket-Version", "13");
        api_response_error(&refused, bad);
        note_answer(st, &refused);
        enum MHD_Result ret = queue_api(conn, &refused, FALSE, srv->tls);
        api_response_clear(&refused);
        return ret;
    }
    Upgrade *u = g_new0(Upgrade, 1);
    u->srv = srv;
    u->console = g_steal_pointer(&resp->console);
    g_strlcpy(u->address, st->address, sizeof(u->address));
    st->upgrade = u;
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgraded, u);
    g_autofree char *accept = ws_accept_value(key);
    MHD_add_response_header(r, "Upgrade", "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    if (protocol)
        MHD_add_response_header(r, "Sec-WebSocket-Protocol", protocol);
    /* A console lives as long as its browser: not "in flight". */
    stop_counting(srv, st);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_api(HttpServer *srv, struct MHD_Connection *conn, RequestState *st,
                                 const char *method, const char *url)
{
    g_autoptr(GHashTable) query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ApiRequest req;
    request_from_connection(conn, st, method, url, query, &req);
    if (st->too_large) {
        /* The body was not kept; the router answers 413 and audits it. */
        req.body = NULL;
        req.body_len = (gsize)API_MAX_BODY + 1;
    }
    ApiResponse resp;
    api_response_init(&resp);
    api_dispatch(srv->api, &req, &resp);
    note_answer(st, &resp);
    enum MHD_Result ret;
    if (resp.stream && strcmp(method, "GET") == 0 && srv->events)
        ret = queue_stream(srv, conn, st, &resp);
    else if (resp.console)
        ret = queue_upgrade(srv, conn, st, &resp, method);
    else if (resp.transfer && resp.transfer->prepare && strcmp(method, "GET") == 0)
        return defer_download(srv, conn, st, &resp);
    else if (resp.transfer && resp.transfer->read && strcmp(method, "GET") == 0)
        ret = queue_download(srv, conn, st, &resp);
    else
        ret = queue_api(conn, &resp, strcmp(method, "HEAD") == 0, srv->tls);
    api_response_clear(&resp);
    return ret;
}

static enum MHD_Result refuse_method(HttpServer *srv, struct MHD_Connection *conn, RequestState *st)
{
    g_autoptr(GError) error = NULL;
    api_fail(&error, API_ERROR_METHOD_NOT_ALLOWED, "the web UI is read-only");
    ApiResponse resp;
    api_response_init(&resp);
    api_response_header(&resp, "Allow", "GET, HEAD");
    api_response_error(&resp, error);
    note_answer(st, &resp);
    enum MHD_Result ret = queue_api(conn, &resp, FALSE, srv->tls);
    api_response_clear(&resp);
    return ret;
}

static void client_address(struct MHD_Connection *conn, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

/* The API, and /metrics where Prometheus looks by default. */
static gboolean is_api_path(const char *url)
{
    return strcmp(url, "/api") == 0 || g_str_has_prefix(url, "/api/") ||
           strcmp(url, "/metrics") == 0;
}

static gboolean query_too_long(const char *query)
{
    guint params = 1;
    for (const char *c = query; *c; c++)
        if (*c == '&' || *c == ';')
            params++;
    return params > QUERY_MAX_PARAMS || strlen(query) > QUERY_MAX_BYTES;
}

/* Called with the request line, before libmicrohttpd parses the query.
 * Debian's libmicrohttpd 0.9.75 hangs a connection whose query holds more
 * parameters than its memory pool has room for (the 431 it means to send
 * is lost), so an oversized query is emptied here, in the request line's
 * own buffer, and answered 414 once the head is in. The state made here
 * is the request's *req_cls. */
static void *on_uri(void *cls G_GNUC_UNUSED, const char *uri,
                    struct MHD_Connection *conn G_GNUC_UNUSED)
{
    RequestState *st = g_new0(RequestState, 1);
    char *query = strchr(uri, '?');
    if (query && query_too_long(query + 1)) {
        /* libmicrohttpd cuts the line at '?' itself and parses what
         * follows it: leave it nothing. */
        query[1] = '\0';
        st->uri_too_long = TRUE;
    }
    return st;
}

static enum MHD_Result refuse_uri(HttpServer *srv, struct MHD_Connection *conn, RequestState *st)
{
    g_autoptr(GError) error = NULL;
    api_fail(&error, API_ERROR_URI_TOO_LONG,
             "the query string is too long: at most %d parameters and %d bytes", QUERY_MAX_PARAMS,
             QUERY_MAX_BYTES);
    ApiResponse resp;
    api_response_init(&resp);
    api_response_error(&resp, error);
    note_answer(st, &resp);
    enum MHD_Result ret = queue_api(conn, &resp, FALSE, srv->tls);
    api_response_clear(&resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version G_GNUC_UNUSED,
                                  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    HttpServer *srv = cls;
    RequestState *st = *req_cls;
    if (!st->begun) {
        http_guard_request_began(conn);
        g_atomic_int_inc(&srv->in_flight);
        st->begun = TRUE;
        st->id = __atomic_add_fetch(&srv->next_id, 1, __ATOMIC_RELAXED);
        st->started = g_get_monotonic_time();
        st->method = g_strdup(method);
        st->path = g_strdup(url);
        client_address(conn, st->address, sizeof(st->address));
        if (st->uri_too_long)
            return refuse_uri(srv, conn, st);
        const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        guint64 n = 0;
        gboolean has_len = len && g_ascii_string_to_unsigned(len, 10, 0, G_MAXUINT64, &n, NULL);
        gboolean may_have_body = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
        if (may_have_body && is_api_path(url) && api_route_streams_body(method, url)) {
            st->stream_body = TRUE;
            return start_upload(srv, conn, st, method, url, has_len ? n : 0);
        }
        /* Refuse an announced oversized body before reading any of it. */
        if (has_len && n > API_MAX_BODY) {
            st->too_large = TRUE;
            return serve_api(srv, conn, st, method, url);
        }
        return MHD_YES;
    }
    if (st->deferred)
        return finish_deferred(srv, conn, st);
    if (st->stream_body) {
        if (*upload_data_size) {
            size_t len = *upload_data_size;
            *upload_data_size = 0;
            return upload_chunk(st, upload_data, len);
        }
        return st->transfer ? finish_upload(srv, conn, st) : MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->too_large) {
            if (!st->body)
                st->body = g_byte_array_new();
            if (st->body->len + *upload_data_size > API_MAX_BODY)
                st->too_large = TRUE;
            else
                g_byte_array_append(st->body, (const guint8 *)upload_data,
                                    (guint)*upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (is_api_path(url))
        return serve_api(srv, conn, st, method, url);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return refuse_method(srv, conn, st);
    return static_serve(conn, srv->webui, url, srv->tls, srv->static_gzip, srv->static_version,
                        &st->status);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why)
{
    HttpServer *srv = cls;
    RequestState *st = *req_cls;
    http_guard_request_ended(conn);
    if (!st)
        return;
    if (!st->begun) {
        /* The connection ended before the head was whole. */
        request_state_free(st);
        *req_cls = NULL;
        return;
    }
    if (!st->streaming)
        g_atomic_int_dec_and_test(&srv->in_flight);
    double ms = (double)(g_get_monotonic_time() - st->started) / 1000.0;
    /* Paths are decoded: escape them so no request can forge log lines. */
    g_autofree char *path = g_strescape(st->path, NULL);
    g_autofree char *method = g_strescape(st->method, NULL);
    /* A failure's cause rides on its request's line (messages quote
     * request bytes: escaped too), so each failure is logged once; a 5xx
     * is ours to look at, hence a warning. */
    g_autofree char *note = st->log_note ? g_strescape(st->log_note, NULL) : NULL;
    const char *sep = note ? " " : "";
    if (why == MHD_REQUEST_TERMINATED_COMPLETED_OK || st->handed_over)
        api_counters_request(srv->api->counters, st->handed_over ? 200 : st->status);
    if (st->handed_over)
        g_message("req=%" G_GUINT64_FORMAT " %s %s 200 %.1fms event stream handed to the hub",
                  st->id, method, path, ms);
    else if (why == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        g_log(G_LOG_DOMAIN, st->status >= 500 ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
              "req=%" G_GUINT64_FORMAT " %s %s %u %.1fms%s%s", st->id, method, path, st->status, ms,
              sep, note ? note : "");
    else
        g_message("req=%" G_GUINT64_FORMAT " %s %s aborted (code %d) %.1fms%s%s", st->id, method,
                  path, (int)why, ms, sep, note ? note : "");
    request_state_free(st);
    *req_cls = NULL;
}

/* Percent-decoding as libmicrohttpd does, except that %00 stays as it is:
 * a decoded NUL would silently cut paths short ("/index.html%00.js"). */
static size_t unescape_keeping_nul(void *cls G_GNUC_UNUSED, struct MHD_Connection *c G_GNUC_UNUSED,
                                   char *s)
{
    char *out = s;
    for (const char *in = s; *in; in++) {
        if (in[0] == '%' && g_ascii_isxdigit(in[1]) && g_ascii_isxdigit(in[2])) {
            int v = g_ascii_xdigit_value(in[1]) * 16 + g_ascii_xdigit_value(in[2]);
            if (v != 0) {
                *out++ = (char)v;
                in += 2;
                continue;
            }
        }
        *out++ = *in;
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void mhd_log(void *cls G_GNUC_UNUSED, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    g_debug("microhttpd: %s", g_strchomp(msg));
}

gboolean http_is_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
    if (addr->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)addr)->sin6_addr);
    return FALSE;
}

gboolean http_check_listen(const char *listen, gboolean tls, struct sockaddr_storage *out,
                           GError **error)
{
    if (!http_parse_listen(listen, out, error))
        return FALSE;
    if (!tls && !http_is_loopback(out)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "refusing plain HTTP on %s: only loopback may go without TLS "
                    "(set --tls-cert and --tls-key, or --tls-generate true)",
                    listen);
        return FALSE;
    }
    return TRUE;
}

HttpServer *http_server_start(ApiContext *api, EventHub *events, ConsoleHub *consoles,
                              const HttpSettings *set, GError **error)
{
    const TlsPair *tls = set->tls;
    struct sockaddr_storage addr;
    if (!http_check_listen(set->listen, tls != NULL, &addr, error))
        return NULL;
    HttpServer *srv = g_new0(HttpServer, 1);
    srv->tls = tls != NULL;
    srv->events = events;
    srv->consoles = consoles;
    srv->api = api;
    srv->webui = g_strdup(set->webui);
    srv->static_gzip = static_gzip_new(STATIC_GZIP_MAX);
    /* Two at a time: each is a disk conversion, for the disk's bandwidth. */
    srv->prepare_pool = g_thread_pool_new(prepare_one, srv, 2, FALSE, NULL);
    srv->stopping = g_cancellable_new();
    srv->static_version = static_version_new();
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     /* Also: closing a connection never shutdown()s its
                      * socket, which event streams taken over rely on. */
                     MHD_USE_TURBO;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls) {
        /* TLS is the front's; libmicrohttpd gets plain connections from it
         * (its own TLS moves consoles' bytes far too slowly). */
        TlsFrontSettings fs = {tls, set->tls_priority, set->max_connections,
                               set->max_connections_per_address, set->header_timeout_s};
        srv->front = tls_front_new(&addr, &fs, error);
        if (!srv->front) {
            g_prefix_error(error, "%s: ", set->listen);
            g_free(srv->webui);
            static_gzip_free(srv->static_gzip);
            static_version_free(srv->static_version);
            g_free(srv);
            return NULL;
        }
        flags |= MHD_USE_NO_LISTEN_SOCKET;
    }
    srv->guard = http_guard_new(set->header_timeout_s);
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        /* First, so that every message of the daemon goes through it. */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, http_guard_notify,
        srv->guard, MHD_OPTION_THREAD_POOL_SIZE, set->threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, set->idle_timeout_s,
        /* Each connection gets a 32 KiB pool (request head, parsed headers
         * and cookies: browsers on a shared host send many); the connection
         * limit keeps the total bounded (32 MiB at the default 1024).
         * Bodies are copied out as they arrive. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_CONNECTION_LIMIT,
        set->max_connections,
        /* One client cannot take every connection from the others. */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, set->max_connections_per_address,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_keeping_nul, NULL, MHD_OPTION_END);
    if (!srv->daemon || (srv->front && !tls_front_start(srv->front, srv->daemon, error))) {
        if (!srv->daemon)
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                        "cannot listen on %s (address in use or not local?)", set->listen);
        if (srv->daemon)
            MHD_stop_daemon(srv->daemon);
        tls_front_free(srv->front);
        http_guard_free(srv->guard);
        g_free(srv->webui);
        static_gzip_free(srv->static_gzip);
        g_thread_pool_free(srv->prepare_pool, TRUE, FALSE);
        g_object_unref(srv->stopping);
        static_version_free(srv->static_version);
        g_free(srv);
        return NULL;
    }
    return srv;
}

void http_server_stop(HttpServer *srv, unsigned grace_ms)
{
    if (!srv)
        return;
    /* Stop accepting, wait for requests under way (idle keep-alive
     * connections do not count), then close everything. */
    tls_front_stop_accepting(srv->front);
    MHD_quiesce_daemon(srv->daemon);
    g_cancellable_cancel(srv->stopping);
    gint64 deadline = g_get_monotonic_time() + (gint64)grace_ms * 1000;
    while (g_atomic_int_get(&srv->in_flight) > 0 && g_get_monotonic_time() < deadline)
        g_usleep(20 * 1000);
    if (g_atomic_int_get(&srv->in_flight) > 0)
        g_warning("%d request(s) still running after %u ms; closing them",
                  g_atomic_int_get(&srv->in_flight), grace_ms);
    /* Suspended connections must be resumed before libmicrohttpd stops. */
    g_thread_pool_free(srv->prepare_pool, FALSE, TRUE);
    MHD_stop_daemon(srv->daemon);
    tls_front_free(srv->front);
    http_guard_free(srv->guard);
    g_free(srv->webui);
    static_gzip_free(srv->static_gzip);
    g_object_unref(srv->stopping);
    static_version_free(srv->static_version);
    g_free(srv);
}
