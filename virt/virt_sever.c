/* Finds this process's end of a libvirt connection by its peer: sockets in
 * /proc/self/fd whose peer address is the daemon's (TCP: tcp, tls, libssh,
 * libssh2), or whose peer path is the daemon's socket (unix); for the ssh
 * transport, the ssh child that carries it. libvirt has no public call that
 * answers a connection's descriptor. */
#include "virt/virt_sever.h"
#include "virt/virt_uri.h"

#include <dirent.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef enum { SEVER_INET, SEVER_UNIX, SEVER_SSH_CHILD } SeverKind;

struct VirtSeverTarget {
    SeverKind kind;
    GArray *addrs;    /* SEVER_INET: struct sockaddr_storage, port included */
    GPtrArray *paths; /* SEVER_UNIX: socket paths, "/run/..." form */
    char *host;       /* SEVER_SSH_CHILD: the host argument of ssh */
    char *described;
};

static guint16 default_port(const char *transport)
{
    if (strcmp(transport, "tcp") == 0)
        return 16509;
    if (strcmp(transport, "tls") == 0)
        return 16514;
    return 22; /* libssh, libssh2 */
}

static GArray *resolve(const char *host, guint16 port)
{
    GArray *addrs = g_array_new(FALSE, TRUE, sizeof(struct sockaddr_storage));
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[8];
    g_snprintf(service, sizeof service, "%u", port);
    if (getaddrinfo(host, service, &hints, &res) != 0)
        return addrs;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        struct sockaddr_storage ss = {0};
        if (a->ai_addrlen > sizeof ss)
            continue;
        memcpy(&ss, a->ai_addr, a->ai_addrlen);
        g_array_append_val(addrs, ss);
    }
    freeaddrinfo(res);
    return addrs;
}

/* libvirt's sockets live under /run, which /var/run links to. */
static char *run_form(const char *path)
{
    return g_strdup(g_str_has_prefix(path, "/var/run/") ? path + 4 : path);
}

/* A local daemon's sockets: ?socket= when given, else the monolithic
 * daemon's and the driver's own (modular daemons) in the system's or the
 * user's runtime directory. */
static GPtrArray *unix_paths(const VirtUri *u)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    if (u->socket) {
        g_ptr_array_add(paths, run_form(u->socket));
        return paths;
    }
    g_autofree char *dir = u->path && strcmp(u->path, "/session") == 0
                               ? g_build_filename(g_get_user_runtime_dir(), "libvirt", NULL)
                               : g_strdup("/run/libvirt");
    g_ptr_array_add(paths, g_build_filename(dir, "libvirt-sock", NULL));
    g_autofree char *own = g_strdup_printf("virt%sd-sock", u->driver);
    g_ptr_array_add(paths, g_build_filename(dir, own, NULL));
    return paths;
}

static char *describe_paths(GPtrArray *paths)
{
    GString *d = g_string_new(NULL);
    for (guint i = 0; i < paths->len; i++)
        g_string_append_printf(d, "%s%s", i ? " or " : "",
                               (const char *)g_ptr_array_index(paths, i));
    return g_string_free(d, FALSE);
}

VirtSeverTarget *virt_sever_target_new(const char *uri)
{
    g_auto(VirtUri) u = {0};
    if (!virt_uri_parse(uri, &u, NULL))
        return NULL;
    const char *tr = u.transport;
    /* In-process drivers (test, the web ones) and ext: nothing of ours. */
    if (strcmp(tr, "local") == 0 || strcmp(tr, "https") == 0 || strcmp(tr, "http") == 0 ||
        strcmp(tr, "ext") == 0 || (strcmp(tr, "unix") != 0 && !u.host))
        return NULL;
    VirtSeverTarget *t = g_new0(VirtSeverTarget, 1);
    if (strcmp(tr, "unix") == 0) {
        t->kind = SEVER_UNIX;
        t->paths = unix_paths(&u);
        t->described = describe_paths(t->paths);
    } else if (strcmp(tr, "ssh") == 0) {
        t->kind = SEVER_SSH_CHILD;
        t->host = g_strdup(u.host);
        t->described = g_strdup_printf("ssh to %s", u.host);
    } else {
        guint16 port = u.port > 0 ? (guint16)u.port : default_port(tr);
        t->kind = SEVER_INET;
        t->addrs = resolve(u.host, port);
        t->described = g_strdup_printf("%s port %u", u.host, port);
    }
    return t;
}

void virt_sever_target_free(VirtSeverTarget *t)
{
    if (!t)
        return;
    if (t->addrs)
        g_array_unref(t->addrs);
    if (t->paths)
        g_ptr_array_unref(t->paths);
    g_free(t->host);
    g_free(t->described);
    g_free(t);
}

const char *virt_sever_target_describe(const VirtSeverTarget *t)
{
    return t ? t->described : "nothing";
}

static gboolean same_inet(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return FALSE;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return FALSE;
}

static gboolean peer_is_target(const VirtSeverTarget *t, const struct sockaddr_storage *peer,
                               socklen_t len)
{
    if (t->kind == SEVER_INET) {
        for (guint i = 0; i < t->addrs->len; i++)
            if (same_inet(peer, &g_array_index(t->addrs, struct sockaddr_storage, i)))
                return TRUE;
        return FALSE;
    }
    if (peer->ss_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path))
        return FALSE;
    const struct sockaddr_un *un = (const void *)peer;
    gsize n = len - offsetof(struct sockaddr_un, sun_path);
    g_autofree char *raw = g_strndup(un->sun_path, n); /* abstract names start with NUL */
    if (!raw[0])
        return FALSE;
    g_autofree char *path = run_form(raw);
    for (guint i = 0; i < t->paths->len; i++)
        if (strcmp(path, g_ptr_array_index(t->paths, i)) == 0)
            return TRUE;
    return FALSE;
}

/* Calls `cut` on each entry of `dir` named by a number (a descriptor, a
 * process id); answers how many it cut. */
typedef gboolean (*CutFunc)(gint64 number, const char *name, gconstpointer data);
static guint cut_each(const char *dir, CutFunc cut, gconstpointer data)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    guint n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        gint64 number;
        if (g_ascii_string_to_signed(e->d_name, 10, 0, G_MAXINT, &number, NULL) &&
            cut(number, e->d_name, data))
            n++;
    }
    closedir(d);
    return n;
}

/* The directory's own descriptor is no socket: it is passed over. */
static gboolean cut_socket(gint64 fd, const char *name G_GNUC_UNUSED, gconstpointer data)
{
    struct stat st;
    struct sockaddr_storage peer = {0};
    socklen_t len = sizeof peer;
    return fstat((int)fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
           getpeername((int)fd, (struct sockaddr *)&peer, &len) == 0 &&
           peer_is_target(data, &peer, len) && shutdown((int)fd, SHUT_RDWR) == 0;
}

/* Whether `pid` is this process's child running ssh with `host` among its
 * arguments (libvirt runs "ssh [options] host sh -c ..."). */
static gboolean is_ssh_child(const char *pid, const char *host)
{
    g_autofree char *stat_path = g_build_filename("/proc", pid, "stat", NULL);
    g_autofree char *stat = NULL;
    if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
        return FALSE;
    const char *after = strrchr(stat, ')'); /* the name may hold anything */
    int ppid = 0;
    if (!after || sscanf(after + 1, " %*c %d", &ppid) != 1 || ppid != getpid())
        return FALSE;
    g_autofree char *cmd_path = g_build_filename("/proc", pid, "cmdline", NULL);
    g_autofree char *cmd = NULL;
    gsize len = 0;
    if (!g_file_get_contents(cmd_path, &cmd, &len, NULL) || len == 0)
        return FALSE;
    g_autofree char *argv0 = g_path_get_basename(cmd);
    if (strcmp(argv0, "ssh") != 0)
        return FALSE;
    for (gsize at = strlen(cmd) + 1; at < len; at += strlen(cmd + at) + 1)
        if (strcmp(cmd + at, host) == 0)
            return TRUE;
    return FALSE;
}

static gboolean cut_ssh_child(gint64 pid, const char *name, gconstpointer host)
{
    return pid > 0 && is_ssh_child(name, host) && kill((pid_t)pid, SIGTERM) == 0;
}

guint virt_sever(const VirtSeverTarget *t)
{
    if (!t)
        return 0;
    if (t->kind == SEVER_SSH_CHILD)
        return cut_each("/proc", cut_ssh_child, t->host);
    return cut_each("/proc/self/fd", cut_socket, t);
}
