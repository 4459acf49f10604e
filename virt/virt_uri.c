/* Classifies libvirt URIs (virt_uri.h). The shapes follow libvirt's URI
 * documentation: driver[+transport]://[user@][host][:port]/[path][?params];
 * hypervisors that libvirt reaches over their own web API (ESX, vCenter,
 * GSX, Hyper-V) take https unless ?transport= says http. */
#include "virt/virt_uri.h"
#include "virt/virt_error.h"

#include <string.h>

/* Drivers that libvirt 9 knows by URI scheme. */
static const char *const known_drivers[] = {
    "qemu",     "lxc",          "test", "xen",       "libxl",  "vbox",   "vmwareplayer",
    "vmwarews", "vmwarefusion", "esx",  "gsx",       "vpx",    "hyperv", "openvz",
    "bhyve",    "ch",           "vz",   "parallels", "remote", NULL};
/* Those reached over the hypervisor's own web service. */
static const char *const web_drivers[] = {"esx", "gsx", "vpx", "hyperv", NULL};
static const char *const transports[] = {"unix",   "ssh",     "tls", "tcp",
                                         "libssh", "libssh2", "ext", NULL};

void virt_uri_clear(VirtUri *u)
{
    g_clear_pointer(&u->driver, g_free);
    g_clear_pointer(&u->transport, g_free);
    g_clear_pointer(&u->host, g_free);
    g_clear_pointer(&u->path, g_free);
    g_clear_pointer(&u->socket, g_free);
    u->port = 0;
    u->remote = u->known = FALSE;
}

static gboolean bad(GError **error, const char *uri, const char *why)
{
    return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                     "'%s' is not a libvirt URI: %s (e.g. qemu:///system, lxc:///, "
                     "qemu+ssh://root@host/system, esx://host/)",
                     uri, why);
}

static gboolean word_ok(const char *s)
{
    if (!*s)
        return FALSE;
    for (const char *p = s; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-' && *p != '_')
            return FALSE;
    return TRUE;
}

/* The ?transport= of ESX and Hyper-V URIs, "https" by default. */
static char *web_transport(GHashTable *params)
{
    const char *t = params ? g_hash_table_lookup(params, "transport") : NULL;
    return g_strdup(t && strcmp(t, "http") == 0 ? "http" : "https");
}

gboolean virt_uri_parse(const char *uri, VirtUri *out, GError **error)
{
    memset(out, 0, sizeof *out);
    if (!uri || !*uri)
        return bad(error, "", "it is empty");
    if (strlen(uri) > 2048)
        return bad(error, "(too long)", "it is longer than 2048 characters");
    for (const char *p = uri; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return bad(error, "(not shown)", "it holds spaces or control characters");
    const char *sep = strstr(uri, "://");
    if (!sep)
        return bad(error, uri, "it has no 'driver://' at its start");
    g_autofree char *scheme = g_ascii_strdown(uri, sep - uri);
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GUri) g = g_uri_parse(uri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED, &gerr);
    if (!g)
        return bad(error, uri, gerr->message);
    g_auto(GStrv) parts = g_strsplit(scheme, "+", 3);
    if (!parts[0] || !word_ok(parts[0]) || (parts[1] && parts[2]))
        return bad(error, uri,
                   "the part before '://' must be a driver name, optionally "
                   "followed by '+transport'");
    if (parts[1] && !g_strv_contains(transports, parts[1]))
        return bad(error, uri,
                   "its transport must be one of unix, ssh, tls, tcp, libssh, "
                   "libssh2, ext");
    const char *host = g_uri_get_host(g);
    const char *query = g_uri_get_query(g);
    g_autoptr(GHashTable)
        params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
    out->driver = g_strdup(parts[0]);
    out->known = g_strv_contains(known_drivers, parts[0]);
    out->host = host && *host ? g_strdup(host) : NULL;
    out->path = g_strdup(g_uri_get_path(g));
    out->port = MAX(g_uri_get_port(g), 0);
    out->socket = g_strdup(params ? g_hash_table_lookup(params, "socket") : NULL);
    gboolean local_name = out->host &&
                          (strcmp(out->host, "localhost") == 0 ||
                           strcmp(out->host, "127.0.0.1") == 0 || strcmp(out->host, "::1") == 0);
    if (g_strv_contains(web_drivers, parts[0])) {
        if (!out->host) {
            virt_uri_clear(out);
            return bad(error, uri, "this driver needs a host name (driver://host/)");
        }
        out->transport = web_transport(params);
        out->remote = TRUE;
    } else if (parts[1]) {
        out->transport = g_strdup(parts[1]);
        out->remote = out->host && !local_name;
    } else if (out->host) {
        /* A host without a transport: libvirt's remote driver over TLS. */
        out->transport = g_strdup("tls");
        out->remote = !local_name;
    } else {
        /* test:// runs inside the client; the others talk to the local
         * daemon over its UNIX socket. */
        out->transport = g_strdup(strcmp(parts[0], "test") == 0 ? "local" : "unix");
    }
    return TRUE;
}
