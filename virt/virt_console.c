/* Guest ends of consoles (see virt_console.h). */
#include "virt/virt_console.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long a key stays pressed, in ms (what virsh send-key uses). */
#define KEY_HOLD_MS 50

static gboolean running(virDomainPtr dom, GError **error)
{
    int active = virDomainIsActive(dom);
    if (active < 0) {
        virt_error_from_libvirt(error, "reading VM");
        return FALSE;
    }
    if (!active)
        return virt_fail(error, VIRT_ERROR_INVALID_STATE, "VM '%s' is not running",
                         virDomainGetName(dom));
    return TRUE;
}

/* The first VNC display of the live definition. */
static VirtGraphics *vnc_of(virDomainPtr dom, VirtDomainConfig **cfg_out, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    if (!xml) {
        virt_error_from_libvirt(error, "reading VM");
        return NULL;
    }
    VirtDomainConfig *cfg = virt_domain_config_parse(xml, strlen(xml), error);
    for (guint i = 0; cfg && i < cfg->graphics->len; i++) {
        VirtGraphics *g = g_ptr_array_index(cfg->graphics, i);
        if (g_strcmp0(g->type, "vnc") == 0) {
            *cfg_out = cfg;
            return g;
        }
    }
    if (cfg)
        virt_fail(error, VIRT_ERROR_UNSUPPORTED, "VM '%s' has no VNC display",
                  virDomainGetName(dom));
    virt_domain_config_free(cfg);
    return NULL;
}

static gboolean is_loopback(const char *address)
{
    return g_strcmp0(address, "127.0.0.1") == 0 || g_strcmp0(address, "::1") == 0 ||
           g_strcmp0(address, "localhost") == 0;
}

/* The display of a VM defined elsewhere, on a loopback port: vireod never
 * connects to a display listening on another address. */
static int connect_loopback(const VirtGraphics *g, const char *vm, GError **error)
{
    if (g->port <= 0 || !is_loopback(g->listen)) {
        virt_fail(error, VIRT_ERROR_UNSUPPORTED,
                  "VM '%s''s display can be reached neither "
                  "through libvirt nor on a loopback port",
                  vm);
        return -1;
    }
    gboolean v6 = g_strcmp0(g->listen, "::1") == 0;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage addr = {0};
    socklen_t len;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((guint16)g->port);
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&addr;
        a->sin_family = AF_INET;
        a->sin_port = htons((guint16)g->port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    }
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, len) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        virt_fail(error, VIRT_ERROR_UNAVAILABLE, "VM '%s''s display on port %d: %s", vm, g->port,
                  g_strerror(e));
        return -1;
    }
    return fd;
}

int virt_console_open_display(virDomainPtr dom, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = NULL;
    if (!running(dom, error))
        return -1;
    VirtGraphics *g = vnc_of(dom, &cfg, error);
    if (!g)
        return -1;
    /* Vireo's own VMs listen nowhere; libvirt passes us a connected socket.
     * SKIPAUTH: the ticket already authorized this console. */
    int fd = virDomainOpenGraphicsFD(dom, 0, VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH);
    if (fd < 0) {
        g_autoptr(GError) why = NULL;
        virt_error_from_libvirt(&why, "opening the display");
        g_debug("VM %s: %s; trying its loopback port", virDomainGetName(dom), why->message);
        fd = connect_loopback(g, virDomainGetName(dom), error);
        if (fd < 0)
            return -1;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int e = errno;
        close(fd);
        virt_fail(error, VIRT_ERROR_FAILED, "display socket: %s", g_strerror(e));
        return -1;
    }
    return fd;
}

virStreamPtr virt_console_open_serial(virDomainPtr dom, gboolean force, GError **error)
{
    if (!running(dom, error))
        return NULL;
    virStreamPtr st = virStreamNew(virDomainGetConnect(dom), VIR_STREAM_NONBLOCK);
    if (!st) {
        virt_error_from_libvirt(error, "opening a stream");
        return NULL;
    }
    unsigned flags = force ? VIR_DOMAIN_CONSOLE_FORCE : VIR_DOMAIN_CONSOLE_SAFE;
    int rc = virDomainOpenConsole(dom, NULL, st, flags);
    if (rc < 0 && virGetLastErrorCode() == VIR_ERR_INVALID_ARG) {
        /* LXC takes no flags at all (neither SAFE nor FORCE). */
        virResetLastError();
        rc = virDomainOpenConsole(dom, NULL, st, 0);
    }
    if (rc < 0) {
        virErrorPtr e = virGetLastError();
        gboolean none = e &&
                        (e->code == VIR_ERR_INTERNAL_ERROR ||
                         e->code == VIR_ERR_OPERATION_INVALID) &&
                        e->message && strstr(e->message, "cannot find");
        gboolean busy = e && e->code == VIR_ERR_OPERATION_FAILED;
        virt_error_from_libvirt(error, "opening the serial console");
        if (none) {
            (*error)->code = VIRT_ERROR_UNSUPPORTED;
        } else if (busy) {
            (*error)->code = VIRT_ERROR_BUSY;
        }
        virStreamFree(st);
        return NULL;
    }
    return st;
}

char *virt_console_serial_log(virDomainPtr dom)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    virResetLastError();
    if (!xml)
        return NULL;
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), NULL);
    g_autoptr(xmlXPathContext) ctx = doc ? xmlXPathNewContext(doc) : NULL;
    return ctx ? virt_xml_string(ctx, NULL, "/domain/devices/serial[1]/log/@file") : NULL;
}

gboolean virt_console_send_keys(virDomainPtr dom, const guint *codes, guint n, GError **error)
{
    if (!running(dom, error))
        return FALSE;
    g_autofree unsigned int *keys = g_new(unsigned int, n);
    for (guint i = 0; i < n; i++)
        keys[i] = codes[i];
    if (virDomainSendKey(dom, VIR_KEYCODE_SET_LINUX, KEY_HOLD_MS, keys, (int)n, 0) < 0) {
        virt_error_from_libvirt(error, "sending keys");
        return FALSE;
    }
    return TRUE;
}
