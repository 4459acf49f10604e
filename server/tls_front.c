/* vireod's TLS listener in front of libmicrohttpd (see tls_front.h). */
#include "server/tls_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Bytes held each way per connection: one TLS record. */
#define FRONT_BUF (16 * 1024)
/* Records sealed before they go out in one writev: one system call per
 * 64 KiB instead of per 16 KiB record (the front's cost under load was its
 * sends, not its encryption). */
#define FRONT_BATCH 4
/* How often handshakes are checked against their deadline, in ms. */
#define FRONT_SWEEP_MS 1000

typedef struct FrontConn FrontConn;

/* One of a connection's two sockets, as epoll sees it. */
typedef struct {
    FrontConn *conn;
    int fd;
    uint32_t events; /* what epoll waits for now (0: not registered) */
} FrontEnd;

struct FrontConn {
    FrontEnd tcp; /* the client's socket, TLS on it */
    FrontEnd app; /* our end of the pair whose other end libmicrohttpd has */
    gnutls_session_t session;
    gboolean open;   /* the handshake is done */
    gint64 deadline; /* of the handshake, monotonic */
    char address[INET6_ADDRSTRLEN];
    struct sockaddr_storage addr;
    socklen_t addr_len;
    /* From the client, decrypted, to libmicrohttpd. */
    char up[FRONT_BUF];
    gsize up_len, up_off;
    /* From libmicrohttpd to the client: read, then sealed into a record
     * that GnuTLS keeps (corked) until a batch goes out in one write. */
    char down[FRONT_BUF];
    gboolean client_done; /* the client sent no more */
    gboolean app_done;    /* libmicrohttpd sent no more */
};

struct TlsFront {
    int listen_fd;
    int epoll_fd;
    int wake_fd;
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t priority;
    unsigned max_connections, max_per_address;
    gint64 handshake_us;
    struct MHD_Daemon *daemon;
    GThread *thread;
    gint stop, stop_accepting;
    GHashTable *conns;       /* FrontConn* set */
    GHashTable *per_address; /* address string -> count */
};

/* epoll marks of the listening socket and the wake-up eventfd. */
static char marks[2];
#define LISTEN_MARK (marks[0])
#define WAKE_MARK (marks[1])

/* Bytes sealed into records that have not all gone out yet. */
static gboolean corked(FrontConn *c)
{
    return gnutls_record_check_corked(c->session) > 0;
}

static void set_interest(TlsFront *f, FrontEnd *e, uint32_t events)
{
    if (e->fd < 0 || e->events == events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = e};
    if (e->events == 0)
        epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, e->fd, &ev);
    else if (events == 0)
        epoll_ctl(f->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL);
    else
        epoll_ctl(f->epoll_fd, EPOLL_CTL_MOD, e->fd, &ev);
    e->events = events;
}

static void conn_close(TlsFront *f, FrontConn *c)
{
    set_interest(f, &c->tcp, 0);
    set_interest(f, &c->app, 0);
    if (c->open && c->app_done && !corked(c))
        gnutls_bye(c->session, GNUTLS_SHUT_WR); /* polite; never waits */
    gnutls_deinit(c->session);
    close(c->tcp.fd);
    if (c->app.fd >= 0)
        close(c->app.fd);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(f->per_address, c->address));
    if (n > 1)
        g_hash_table_insert(f->per_address, g_strdup(c->address), GUINT_TO_POINTER(n - 1));
    else
        g_hash_table_remove(f->per_address, c->address);
    g_hash_table_remove(f->conns, c);
    g_free(c);
}

/* What each socket waits for, from what the buffers hold. */
static void update_interest(TlsFront *f, FrontConn *c)
{
    if (!c->open) {
        set_interest(f, &c->tcp, gnutls_record_get_direction(c->session) ? EPOLLOUT : EPOLLIN);
        return;
    }
    uint32_t tcp = 0, app = 0;
    if (!c->client_done && c->up_len == 0)
        tcp |= EPOLLIN;
    if (corked(c))
        tcp |= EPOLLOUT;
    else if (!c->app_done)
        app |= EPOLLIN;
    if (c->up_len > 0)
        app |= EPOLLOUT;
    /* A socket with nothing to wait for leaves the set: epoll reports a
     * hang-up whatever it is asked, and a hang-up nobody can act on yet
     * would wake the loop forever. It is seen when the socket is read. */
    set_interest(f, &c->tcp, tcp);
    set_interest(f, &c->app, app);
}

static gboolean would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* libmicrohttpd -> client: finishes sending what is corked, then seals up
 * to FRONT_BATCH records of what libmicrohttpd wrote and sends them in one
 * go. 1: something moved, 0: nothing can now, -1: the connection failed. */
static int push_down(FrontConn *c)
{
    int moved = 0;
    if (corked(c)) {
        int r = gnutls_record_uncork(c->session, 0);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            return 0;
        if (r < 0)
            return -1;
        moved = 1;
    }
    gnutls_record_cork(c->session);
    for (int i = 0; i < FRONT_BATCH && !c->app_done; i++) {
        ssize_t n = recv(c->app.fd, c->down, sizeof(c->down), 0);
        if (n == 0)
            c->app_done = TRUE;
        if (n < 0 && would_block())
            break;
        /* Corked, a record is kept whole: all of it is taken or none. */
        if (n < 0 || (n > 0 && gnutls_record_send(c->session, c->down, (size_t)n) != n)) {
            gnutls_record_uncork(c->session, 0);
            return -1;
        }
        moved = 1;
    }
    int r = gnutls_record_uncork(c->session, 0);
    if (r < 0 && r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
        return -1;
    return moved;
}

/* Moves what can move now, both ways. FALSE: the connection is over. */
static gboolean pump(FrontConn *c)
{
    gboolean progress = TRUE;
    while (progress) {
        progress = FALSE;
        if (!c->client_done && c->up_len == 0) {
            ssize_t n = gnutls_record_recv(c->session, c->up, sizeof(c->up));
            if (n > 0) {
                c->up_len = (gsize)n;
                c->up_off = 0;
                progress = TRUE;
            } else if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
                /* libmicrohttpd sees the end too and closes its side. */
                c->client_done = TRUE;
                shutdown(c->app.fd, SHUT_WR);
                progress = TRUE;
            } else if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
                return FALSE;
            }
        }
        if (c->up_len > 0) {
            ssize_t n = send(c->app.fd, c->up + c->up_off, c->up_len - c->up_off, MSG_NOSIGNAL);
            if (n > 0) {
                c->up_off += (gsize)n;
                if (c->up_off == c->up_len)
                    c->up_len = c->up_off = 0;
                progress = TRUE;
            } else if (n < 0 && !would_block()) {
                return FALSE;
            }
        }
        int down = push_down(c);
        if (down < 0)
            return FALSE;
        progress = progress || down > 0;
    }
    /* Over when libmicrohttpd closed and all it said has gone out, or when
     * both sides are done. */
    return !(c->app_done && !corked(c));
}

static gboolean hand_over(TlsFront *f, FrontConn *c)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        g_warning("TLS front: socketpair: %s", g_strerror(errno));
        return FALSE;
    }
    c->app.fd = pair[0];
    /* libmicrohttpd owns (and closes, even on failure) the other end. */
    if (MHD_add_connection(f->daemon, pair[1], (const struct sockaddr *)&c->addr, c->addr_len) !=
        MHD_YES) {
        g_debug("TLS front: %s refused by the HTTP server (limits)", c->address);
        return FALSE;
    }
    c->open = TRUE;
    return TRUE;
}

static void service(TlsFront *f, FrontConn *c)
{
    if (!c->open) {
        int r = gnutls_handshake(c->session);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED ||
            (r < 0 && !gnutls_error_is_fatal(r))) {
            update_interest(f, c);
            return;
        }
        if (r < 0) {
            g_debug("TLS front: handshake with %s failed: %s", c->address, gnutls_strerror(r));
            conn_close(f, c);
            return;
        }
        if (!hand_over(f, c)) {
            conn_close(f, c);
            return;
        }
    }
    if (!pump(c)) {
        conn_close(f, c);
        return;
    }
    update_interest(f, c);
}

static gboolean admit(TlsFront *f, const char *address)
{
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(f->per_address, address));
    if (g_hash_table_size(f->conns) >= f->max_connections || n >= f->max_per_address)
        return FALSE;
    g_hash_table_insert(f->per_address, g_strdup(address), GUINT_TO_POINTER(n + 1));
    return TRUE;
}

static void address_text(const struct sockaddr_storage *a, char *out)
{
    const void *bytes = a->ss_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)a)->sin_addr;
    if (!inet_ntop(a->ss_family, bytes, out, INET6_ADDRSTRLEN))
        g_strlcpy(out, "?", INET6_ADDRSTRLEN);
}

static void accept_all(TlsFront *f)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        int fd = accept4(f->listen_fd, (struct sockaddr *)&addr, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                g_warning("TLS front: out of file descriptors");
            return;
        }
        char address[INET6_ADDRSTRLEN];
        address_text(&addr, address);
        if (!admit(f, address)) {
            g_debug("TLS front: %s refused (connection limits)", address);
            close(fd);
            continue;
        }
        FrontConn *c = g_new0(FrontConn, 1);
        c->tcp = (FrontEnd){c, fd, 0};
        c->app = (FrontEnd){c, -1, 0};
        c->addr = addr;
        c->addr_len = len;
        g_strlcpy(c->address, address, sizeof(c->address));
        c->deadline = g_get_monotonic_time() + f->handshake_us;
        gnutls_init(&c->session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
        gnutls_priority_set(c->session, f->priority);
        gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, f->cred);
        gnutls_certificate_server_set_request(c->session, GNUTLS_CERT_IGNORE);
        gnutls_handshake_set_timeout(c->session, GNUTLS_INDEFINITE_TIMEOUT);
        gnutls_transport_set_int(c->session, fd);
        g_hash_table_add(f->conns, c);
        service(f, c);
    }
}

/* Handshakes past their deadline: a client that connects and says nothing
 * must not hold a slot. */
static void sweep(TlsFront *f)
{
    gint64 now = g_get_monotonic_time();
    GPtrArray *late = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, f->conns);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!((FrontConn *)key)->open && ((FrontConn *)key)->deadline < now)
            g_ptr_array_add(late, key);
    for (guint i = 0; i < late->len; i++) {
        g_debug("TLS front: handshake with %s timed out",
                ((FrontConn *)g_ptr_array_index(late, i))->address);
        conn_close(f, g_ptr_array_index(late, i));
    }
    g_ptr_array_free(late, TRUE);
}

static void close_listener(TlsFront *f)
{
    if (f->listen_fd >= 0) {
        epoll_ctl(f->epoll_fd, EPOLL_CTL_DEL, f->listen_fd, NULL);
        close(f->listen_fd);
        f->listen_fd = -1;
    }
}

static gpointer run(gpointer data)
{
    TlsFront *f = data;
    struct epoll_event events[64];
    gint64 next_sweep = g_get_monotonic_time() + FRONT_SWEEP_MS * 1000;
    while (!g_atomic_int_get(&f->stop)) {
        int n = epoll_wait(f->epoll_fd, events, G_N_ELEMENTS(events), FRONT_SWEEP_MS);
        if (n < 0 && errno != EINTR) {
            g_warning("TLS front: epoll_wait: %s", g_strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &LISTEN_MARK) {
                accept_all(f);
            } else if (p == &WAKE_MARK) {
                eventfd_t v;
                eventfd_read(f->wake_fd, &v);
                if (g_atomic_int_get(&f->stop_accepting))
                    close_listener(f);
            } else {
                FrontConn *c = ((FrontEnd *)p)->conn;
                /* An earlier event of this round may have closed it. */
                if (g_hash_table_contains(f->conns, c))
                    service(f, c);
            }
        }
        if (g_get_monotonic_time() >= next_sweep) {
            sweep(f);
            next_sweep = g_get_monotonic_time() + FRONT_SWEEP_MS * 1000;
        }
    }
    return NULL;
}

static gboolean listen_on(TlsFront *f, const struct sockaddr_storage *addr, GError **error)
{
    socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
    int one = 1;
    f->listen_fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f->listen_fd < 0 ||
        setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(f->listen_fd, (const struct sockaddr *)addr, len) != 0 ||
        listen(f->listen_fd, 128) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot listen (address in use or not local?): %s", g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

TlsFront *tls_front_new(const struct sockaddr_storage *addr, const TlsFrontSettings *set,
                        GError **error)
{
    TlsFront *f = g_new0(TlsFront, 1);
    f->listen_fd = f->epoll_fd = f->wake_fd = -1;
    f->max_connections = set->max_connections;
    f->max_per_address = set->max_per_address;
    f->handshake_us = (gint64)set->handshake_timeout_s * G_USEC_PER_SEC;
    f->conns = g_hash_table_new(NULL, NULL);
    f->per_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gnutls_certificate_allocate_credentials(&f->cred);
    gnutls_datum_t cert = {(unsigned char *)set->pair->cert_pem,
                           (unsigned)strlen(set->pair->cert_pem)};
    gnutls_datum_t key = {(unsigned char *)set->pair->key_pem,
                          (unsigned)strlen(set->pair->key_pem)};
    const char *where = NULL;
    int r = gnutls_certificate_set_x509_key_mem(f->cred, &cert, &key, GNUTLS_X509_FMT_PEM);
    if (r < 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "TLS certificate or key refused: %s",
                    gnutls_strerror(r));
    } else if ((r = gnutls_priority_init(&f->priority, set->priority, &where)) < 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "TLS priority string refused at '%s': %s", where ? where : "?",
                    gnutls_strerror(r));
    } else if (listen_on(f, addr, error)) {
        return f;
    }
    tls_front_free(f);
    return NULL;
}

gboolean tls_front_start(TlsFront *f, struct MHD_Daemon *daemon, GError **error)
{
    f->daemon = daemon;
    f->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (f->epoll_fd < 0 || f->wake_fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "TLS front: %s",
                    g_strerror(errno));
        return FALSE;
    }
    struct epoll_event l = {.events = EPOLLIN, .data.ptr = (void *)&LISTEN_MARK};
    struct epoll_event w = {.events = EPOLLIN, .data.ptr = (void *)&WAKE_MARK};
    epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, f->listen_fd, &l);
    epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, f->wake_fd, &w);
    f->thread = g_thread_new("tls-front", run, f);
    return TRUE;
}

void tls_front_stop_accepting(TlsFront *f)
{
    if (!f)
        return;
    g_atomic_int_set(&f->stop_accepting, 1);
    if (f->wake_fd >= 0)
        eventfd_write(f->wake_fd, 1);
}

void tls_front_free(TlsFront *f)
{
    if (!f)
        return;
    if (f->thread) {
        g_atomic_int_set(&f->stop, 1);
        eventfd_write(f->wake_fd, 1);
        g_thread_join(f->thread);
    }
    GList *conns = g_hash_table_get_keys(f->conns);
    for (GList *l = conns; l; l = l->next) {
        /* What libmicrohttpd and the console proxy said last (a close
         * frame) goes out if the client takes it now. */
        FrontConn *c = l->data;
        if (c->open)
            pump(c);
        conn_close(f, c);
    }
    g_list_free(conns);
    if (f->listen_fd >= 0)
        close(f->listen_fd);
    if (f->epoll_fd >= 0)
        close(f->epoll_fd);
    if (f->wake_fd >= 0)
        close(f->wake_fd);
    if (f->priority)
        gnutls_priority_deinit(f->priority);
    gnutls_certificate_free_credentials(f->cred);
    g_hash_table_destroy(f->conns);
    g_hash_table_destroy(f->per_address);
    g_free(f);
}
