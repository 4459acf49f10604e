/* The console benchmark's client: a small RFC 6455 client (masked frames,
 * the "binary" subprotocol, GnuTLS for wss) that talks to the backend
 * (backend.c) through a WebSocket proxy (vireod or websockify), or straight
 * over TCP (-r) for the floor. Prints one "key=value" per line.
 *
 * Usage: wsbench [-r] [-t] [-T TOKEN -V VM] [-P PID] HOST:PORT MODE ARGS
 *   -r          raw TCP to the backend, no WebSocket (the floor)
 *   -t          TLS, ciphers in a browser's order (the certificate is not
 *               checked: a loopback benchmark)
 *   -T, -V      ask vireod for a console ticket (POST /api/vms/VM/console with
 *               an API token) before each WebSocket; else the path is "/"
 *   -P PID      the proxy's process: its CPU time over the run (with the
 *               children it reaped: websockify forks one per connection), or
 *               its memory in mode hold
 * Modes:
 *   down BYTES        the backend sends BYTES; mib_s, seconds, cpu_s
 *   up BYTES          the client sends BYTES (64 KiB frames); the same
 *   echo COUNT SIZE   COUNT round trips of SIZE bytes after 1000 unmeasured
 *                     ones; p50_us, p99_us, mean_us
 *   hold N            opens N consoles, each proven by one round trip, and
 *                     prints the proxy's memory before and with them open */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)
#define UP_FRAME (64 * 1024)

static const char *host, *port, *token, *vm;
static int raw, tls;
static gnutls_certificate_credentials_t cred;
static char negotiated[128];   /* TLS version and cipher, for the report */

typedef struct {
    int fd;
    gnutls_session_t tls;
    unsigned char *buf;   /* bytes read and not used yet: pos..len */
    size_t len, pos;
    uint64_t left;        /* payload bytes left in the current frame */
} Conn;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wsbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* A whole decimal number within [min, max], or the run dies naming it. */
static gint64 number(const char *text, gint64 min, gint64 max)
{
    gint64 v;
    g_autoptr(GError) error = NULL;
    if (!g_ascii_string_to_signed(text, 10, min, max, &v, &error))
        die("%s", error->message);
    return v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- transport: TCP, or TLS over it ---- */

static void conn_open(Conn *c)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        die("cannot resolve %s", host);
    memset(c, 0, sizeof(*c));
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("connect %s:%s: %s", host, port, g_strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->buf = malloc(BUF_SIZE);
    if (tls) {
        gnutls_init(&c->tls, GNUTLS_CLIENT);
        /* A browser's order (Chromium, Firefox): AES-128-GCM first. */
        if (gnutls_priority_set_direct(c->tls, "NORMAL:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
                                       "+CHACHA20-POLY1305", NULL) < 0)
            die("TLS priority refused");
        gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred);
        gnutls_transport_set_int(c->tls, c->fd);
        int r;
        do
            r = gnutls_handshake(c->tls);
        while (r < 0 && !gnutls_error_is_fatal(r));
        if (r < 0)
            die("TLS handshake: %s", gnutls_strerror(r));
        snprintf(negotiated, sizeof(negotiated), "%s %s",
                 gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)),
                 gnutls_cipher_get_name(gnutls_cipher_get(c->tls)));
    }
}

static void conn_close(Conn *c)
{
    if (c->tls) {
        gnutls_bye(c->tls, GNUTLS_SHUT_WR);
        gnutls_deinit(c->tls);
    }
    close(c->fd);
    free(c->buf);
}

/* > 0 bytes, 0 at the end. */
static ssize_t io_read(Conn *c, void *buf, size_t len)
{
    for (;;) {
        ssize_t n;
        if (c->tls) {
            n = gnutls_record_recv(c->tls, buf, len);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                continue;
            if (n == GNUTLS_E_PREMATURE_TERMINATION)
                return 0;
            if (n < 0)
                die("TLS read: %s", gnutls_strerror((int)n));
        } else {
            n = read(c->fd, buf, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                die("read: %s", g_strerror(errno));
        }
        return n;
    }
}

static void io_write(Conn *c, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len) {
        ssize_t n;
        if (c->tls) {
            n = gnutls_record_send(c->tls, p, len);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                continue;
            if (n < 0)
                die("TLS write: %s", gnutls_strerror((int)n));
        } else {
            n = send(c->fd, p, len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                die("write: %s", g_strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Reads more into the buffer, keeping what is not used yet. */
static void fill(Conn *c)
{
    if (c->pos == c->len) {
        c->pos = c->len = 0;
    } else if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    ssize_t n = io_read(c, c->buf + c->len, BUF_SIZE - c->len);
    if (n == 0)
        die("the connection closed");
    c->len += (size_t)n;
}

/* ---- WebSocket ---- */

/* A masked client frame: header and masked payload, into `out`. */
static size_t ws_frame(unsigned char *out, const void *data, size_t len)
{
    size_t h = 0;
    out[h++] = 0x82;   /* FIN, binary */
    if (len < 126) {
        out[h++] = 0x80 | (unsigned char)len;
    } else if (len < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(len >> 8);
        out[h++] = (unsigned char)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    unsigned char *mask = out + h;
    uint32_t key = g_random_int() | 1u;
    memcpy(mask, &key, 4);
    h += 4;
    const unsigned char *in = data;
    for (size_t i = 0; i < len; i++)
        out[h + i] = in[i] ^ mask[i & 3];
    return h + len;
}

/* Sends one message: a frame, or the bare bytes with -r. */
static void send_msg(Conn *c, const void *data, size_t len)
{
    if (raw) {
        io_write(c, data, len);
        return;
    }
    unsigned char stackbuf[256];
    unsigned char *f = len + 14 <= sizeof(stackbuf) ? stackbuf : malloc(len + 14);
    io_write(c, f, ws_frame(f, data, len));
    if (f != stackbuf)
        free(f);
}

/* Payload bytes (at most `max`), copied to `out` unless it is NULL. */
static size_t recv_some(Conn *c, void *out, size_t max)
{
    while (!raw && c->left == 0) {
        size_t have = c->len - c->pos;
        const unsigned char *h = c->buf + c->pos;
        size_t need = 2;
        if (have >= 2)
            need += (h[1] & 0x7f) == 126 ? 2 : (h[1] & 0x7f) == 127 ? 8 : 0;
        if (have < need) {
            fill(c);
            continue;
        }
        if (h[1] & 0x80)
            die("a masked frame from the server");
        uint64_t plen = h[1] & 0x7f;
        if (plen >= 126) {
            plen = 0;
            for (size_t i = 2; i < need; i++)
                plen = plen << 8 | h[i];
        }
        int opcode = h[0] & 0x0f;
        if (opcode == 0x8) {
            while (c->len - c->pos < need + plen)
                fill(c);
            int code = plen >= 2 ? h[need] << 8 | h[need + 1] : 1005;
            die("the proxy closed the WebSocket: %d %.*s", code, (int)(plen > 2 ? plen - 2 : 0),
                (const char *)h + need + 2);
        }
        if (opcode != 0x0 && opcode != 0x2)
            die("unexpected frame, opcode %d", opcode);
        c->pos += need;
        c->left = plen;
    }
    if (c->pos == c->len)
        fill(c);
    size_t n = c->len - c->pos;
    if (n > max)
        n = max;
    if (!raw && n > c->left)
        n = (size_t)c->left;
    if (out)
        memcpy(out, c->buf + c->pos, n);
    c->pos += n;
    if (!raw)
        c->left -= n;
    return n;
}

static void recv_full(Conn *c, void *out, size_t len)
{
    unsigned char *p = out;
    while (len) {
        size_t n = recv_some(c, p, len);
        if (p)
            p += n;
        len -= n;
    }
}

/* Reads an HTTP answer until the end of its head (and, with Connection:
 * close, its body); returns it NUL-terminated in c->buf. */
static char *http_answer(Conn *c, int whole)
{
    for (;;) {
        if (c->len == BUF_SIZE)
            die("answer too long");
        c->buf[c->len] = 0;
        char *end = strstr((char *)c->buf, "\r\n\r\n");
        if (end && !whole) {
            c->pos = (size_t)(end + 4 - (char *)c->buf);
            return (char *)c->buf;
        }
        ssize_t n = io_read(c, c->buf + c->len, BUF_SIZE - 1 - c->len);
        if (n == 0) {
            if (!end)
                die("the HTTP answer ended early");
            c->pos = c->len;
            return (char *)c->buf;
        }
        c->len += (size_t)n;
    }
}

/* POST /api/vms/VM/console: the WebSocket path of a fresh ticket. */
static char *ticket(void)
{
    Conn c;
    conn_open(&c);
    static const char body[] = "{\"type\":\"vnc\"}";
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "POST /api/vms/%s/console HTTP/1.1\r\nHost: %s:%s\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     vm, host, port, token, strlen(body), body);
    io_write(&c, req, (size_t)n);
    char *answer = http_answer(&c, 1);
    char *url = strstr(answer, "\"url\":");
    char *start = url ? strchr(url + 6, '"') : NULL;
    char *stop = start ? strchr(start + 1, '"') : NULL;
    if (strncmp(answer, "HTTP/1.1 201", 12) != 0 || !stop)
        die("no console ticket: %.200s", answer);
    char *path = strndup(start + 1, (size_t)(stop - start - 1));
    conn_close(&c);
    return path;
}

/* A connection to the backend, through the proxy unless -r. */
static void open_backend(Conn *c)
{
    char *path = token ? ticket() : strdup("/");
    conn_open(c);
    if (!raw) {
        char req[2048];
        int n = snprintf(req, sizeof(req),
                         "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n"
                         "Origin: %s://%s:%s\r\n\r\n",
                         path, host, port, tls ? "https" : "http", host, port);
        io_write(c, req, (size_t)n);
        char *answer = http_answer(c, 0);
        if (strncmp(answer, "HTTP/1.1 101", 12) != 0)
            die("WebSocket refused: %.200s", answer);
    }
    free(path);
}

/* What the backend is to do (backend.c): a mode letter and a count. */
static void request(Conn *c, char mode, uint64_t count)
{
    unsigned char req[9] = {(unsigned char)mode};
    for (int i = 1; i <= 8; i++)
        req[i] = (unsigned char)(count >> (8 * (i - 1)));
    send_msg(c, req, sizeof(req));
}

/* ---- the proxy's process ---- */

/* Its children (from every thread's list), at most `max` of them. */
static int children(long pid, long *out, int max)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[320], line[65536];
        snprintf(p, sizeof(p), "/proc/%ld/task/%s/children", pid, e->d_name);
        FILE *f = e->d_name[0] == '.' ? NULL : fopen(p, "r");
        if (f && fgets(line, sizeof(line), f)) {
            g_auto(GStrv) words = g_strsplit_set(g_strstrip(line), " \n", -1);
            for (char **w = words; *w && n < max; w++)
                if (**w)
                    out[n++] = number(*w, 1, G_MAXINT);
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return n;
}

/* CPU seconds of the process and of the children it reaped; waits (up to
 * 5 s) for its children to end and be reaped first. */
static double cpu_s(long pid)
{
    if (!pid)
        return 0;
    long kids[1];
    for (int i = 0; i < 500 && children(pid, kids, 1); i++)
        usleep(10000);
    char path[64], line[4096];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(line, sizeof(line), f))
        die("cannot read %s", path);
    fclose(f);
    /* After the command's closing parenthesis: state, 5 numbers, 5 counters,
     * then utime, stime, cutime, cstime (fields 14 to 17). */
    unsigned long long ut = 0, st = 0, cut = 0, cst = 0;
    if (sscanf(strrchr(line, ')') + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
               &ut, &st, &cut, &cst) != 4)
        die("cannot parse %s", path);
    unsigned long long ticks = ut + st + cut + cst;
    return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static long status_kib(long pid, const char *file, const char *key)
{
    char path[96], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
    FILE *f = fopen(path, "r");
    long v = 0;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, k) == 0) {
            /* "VmRSS:     1234 kB": the first word after the key. */
            g_auto(GStrv) words = g_strsplit(g_strstrip(line + k), " ", 2);
            v = number(words[0], 0, G_MAXINT64);
        }
    if (f)
        fclose(f);
    return v;
}

/* PSS of the process and its children (websockify: one per console). */
static long pss_tree_kib(long pid)
{
    long kids[4096], sum = status_kib(pid, "smaps_rollup", "Pss:");
    int n = children(pid, kids, 4096);
    for (int i = 0; i < n; i++)
        sum += status_kib(kids[i], "smaps_rollup", "Pss:");
    return sum;
}

/* ---- modes ---- */

static void transfer(int down, uint64_t bytes, long pid)
{
    Conn c;
    /* The proxy's CPU counts setting the console up (a ticket, a fork);
     * the time starts with the request. */
    double cpu0 = cpu_s(pid);
    open_backend(&c);
    double t0 = now_s();
    request(&c, down ? 'D' : 'U', bytes);
    if (down) {
        for (uint64_t got = 0; got < bytes;)
            got += recv_some(&c, NULL, BUF_SIZE);
    } else {
        /* One frame made once and sent again and again: the client's cost
         * stays out of the figure (the proxy still unmasks every byte). */
        unsigned char *frame = malloc(UP_FRAME + 14), *payload = malloc(UP_FRAME);
        memset(payload, 'u', UP_FRAME);
        size_t flen = raw ? UP_FRAME : ws_frame(frame, payload, UP_FRAME);
        const unsigned char *msg = raw ? payload : frame;
        uint64_t left = bytes;
        for (; left >= UP_FRAME; left -= UP_FRAME)
            io_write(&c, msg, flen);
        if (left)
            send_msg(&c, payload, (size_t)left);
        unsigned char ack;
        recv_full(&c, &ack, 1);
        free(frame);
        free(payload);
    }
    double t = now_s() - t0;
    conn_close(&c);
    double cpu = cpu_s(pid) - cpu0;
    printf("bytes=%llu\nseconds=%.4f\nmib_s=%.1f\n", (unsigned long long)bytes, t,
           (double)bytes / t / 1048576.0);
    if (pid)
        printf("cpu_s=%.2f\ncpu_s_per_gib=%.3f\n", cpu, cpu / ((double)bytes / 1073741824.0));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void echo(long count, size_t size)
{
    Conn c;
    open_backend(&c);
    request(&c, 'E', 0);
    unsigned char *msg = malloc(size), *back = malloc(size);
    memset(msg, 'e', size);
    double *rtt = malloc(sizeof(double) * (size_t)count), sum = 0;
    for (long i = -1000; i < count; i++) {
        double t0 = now_s();
        send_msg(&c, msg, size);
        recv_full(&c, back, size);
        double t = (now_s() - t0) * 1e6;
        if (i >= 0) {
            rtt[i] = t;
            sum += t;
        }
    }
    conn_close(&c);
    qsort(rtt, (size_t)count, sizeof(double), cmp_double);
    printf("count=%ld\nsize=%zu\np50_us=%.1f\np99_us=%.1f\nmean_us=%.1f\n", count, size,
           rtt[count / 2], rtt[count * 99 / 100], sum / (double)count);
}

static void hold(int n, long pid)
{
    unsigned char msg[16] = "0123456789abcdef", back[16];
    /* One console first, so that the baseline is a daemon that served one. */
    Conn warm;
    open_backend(&warm);
    request(&warm, 'H', 0);
    send_msg(&warm, msg, sizeof(msg));
    recv_full(&warm, back, sizeof(back));
    conn_close(&warm);
    usleep(1500 * 1000);
    long rss0 = status_kib(pid, "status", "VmRSS:"), pss0 = pss_tree_kib(pid);
    Conn *cs = calloc((size_t)n, sizeof(Conn));
    for (int i = 0; i < n; i++) {
        open_backend(&cs[i]);
        request(&cs[i], 'H', 0);
        send_msg(&cs[i], msg, sizeof(msg));
        recv_full(&cs[i], back, sizeof(back));
    }
    usleep(1500 * 1000);
    long rss1 = status_kib(pid, "status", "VmRSS:"), pss1 = pss_tree_kib(pid);
    for (int i = 0; i < n; i++)
        conn_close(&cs[i]);
    printf("consoles=%d\nrss_idle_kib=%ld\nrss_open_kib=%ld\npss_idle_kib=%ld\npss_open_kib=%ld\n",
           n, rss0, rss1, pss0, pss1);
}

int main(int argc, char **argv)
{
    long pid = 0;
    int opt;
    while ((opt = getopt(argc, argv, "rtT:V:P:")) != -1) {
        switch (opt) {
        case 'r': raw = 1; break;
        case 't': tls = 1; break;
        case 'T': token = optarg; break;
        case 'V': vm = optarg; break;
        case 'P': pid = number(optarg, 1, G_MAXINT); break;
        default: die("see the usage at the top of wsbench.c");
        }
    }
    if (argc - optind < 2 || (token && !vm))
        die("usage: wsbench [-r] [-t] [-T TOKEN -V VM] [-P PID] HOST:PORT MODE ARGS");
    char *hp = strdup(argv[optind]), *colon = strrchr(hp, ':');
    if (!colon)
        die("HOST:PORT expected");
    *colon = 0;
    host = hp;
    port = colon + 1;
    signal(SIGPIPE, SIG_IGN);
    if (tls) {
        gnutls_global_init();
        gnutls_certificate_allocate_credentials(&cred);
    }
    const char *mode = argv[optind + 1];
    char **arg = argv + optind + 2;
    int nargs = argc - optind - 2;
    if ((strcmp(mode, "down") == 0 || strcmp(mode, "up") == 0) && nargs == 1)
        transfer(mode[0] == 'd', (unsigned long long)number(arg[0], 1, G_MAXINT64), pid);
    else if (strcmp(mode, "echo") == 0 && nargs == 2)
        echo(number(arg[0], 1, G_MAXINT), (size_t)number(arg[1], 1, G_MAXINT));
    else if (strcmp(mode, "hold") == 0 && nargs == 1 && pid)
        hold((int)number(arg[0], 1, G_MAXINT), pid);
    else
        die("unknown mode or wrong arguments: %s", mode);
    if (tls)
        printf("tls=%s\n", negotiated);
    return 0;
}
