/* Maps libvirt's error codes to Vireo's engine errors, in one place. */
#include "virt/virt_error.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>

/* Engine errors carry libvirt's raw text beside the message (an extended
 * GError domain, so copies keep it). */
typedef struct {
    char *detail;
} VirtErrorPrivate;

static void virt_error_private_init(VirtErrorPrivate *p)
{
    p->detail = NULL;
}

static void virt_error_private_copy(const VirtErrorPrivate *src, VirtErrorPrivate *dest)
{
    dest->detail = g_strdup(src->detail);
}

static void virt_error_private_clear(VirtErrorPrivate *p)
{
    g_clear_pointer(&p->detail, g_free);
}

G_DEFINE_EXTENDED_ERROR(VirtError, virt_error)

const char *virt_error_detail(const GError *error)
{
    if (!error || error->domain != VIRT_ERROR)
        return NULL;
    VirtErrorPrivate *p = virt_error_get_private(error);
    return p ? p->detail : NULL;
}

/* libvirt has no error code for a full disk: it reports ENOSPC as a system
 * error carrying strerror's text, or its own "not enough space" checks. */
static gboolean is_no_space(const virError *e)
{
    static const char *const needles[] = {"No space left on device", "Not enough space",
                                          "not enough space", "Disk quota exceeded"};
    for (gsize i = 0; e->message && i < G_N_ELEMENTS(needles); i++)
        if (strstr(e->message, needles[i]))
            return TRUE;
    return FALSE;
}

VirtErrorCode virt_error_map(const virError *e)
{
    if (is_no_space(e))
        return VIRT_ERROR_NO_SPACE;
    /* ENOTEMPTY: removing a pool directory that still holds files. */
    if (e->message && strstr(e->message, "Directory not empty"))
        return VIRT_ERROR_BUSY;
    /* Anything from the RPC layer means the daemon went away or timed out. */
    if (e->domain == VIR_FROM_RPC)
        return VIRT_ERROR_UNAVAILABLE;
    switch (e->code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_NETWORK:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_NODE_DEVICE:
    case VIR_ERR_NO_SECRET:
    case VIR_ERR_NO_NWFILTER:
    case VIR_ERR_NO_DOMAIN_SNAPSHOT:
    case VIR_ERR_NO_DOMAIN_CHECKPOINT:
    case VIR_ERR_NO_INTERFACE:
    case VIR_ERR_NO_NETWORK_PORT: return VIRT_ERROR_NOT_FOUND;
    case VIR_ERR_OPERATION_INVALID: return VIRT_ERROR_INVALID_STATE;
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_INVALID_MAC:
    case VIR_ERR_CONFIG_UNSUPPORTED: return VIRT_ERROR_INVALID_ARG;
    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_NETWORK_EXIST:
    case VIR_ERR_STORAGE_VOL_EXIST:
    case VIR_ERR_STORAGE_POOL_BUILT:
    case VIR_ERR_NETWORK_PORT_EXIST: return VIRT_ERROR_EXISTS;
    case VIR_ERR_RESOURCE_BUSY: return VIRT_ERROR_BUSY;
    /* "not supported by the connection driver": the driver lacks the call. */
    case VIR_ERR_NO_SUPPORT: return VIRT_ERROR_NOT_SUPPORTED;
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
    case VIR_ERR_OPERATION_UNSUPPORTED: return VIRT_ERROR_UNSUPPORTED;
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_AUTH_FAILED: return VIRT_ERROR_DENIED;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RPC:
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE: return VIRT_ERROR_UNAVAILABLE;
    default: return VIRT_ERROR_FAILED;
    }
}

void virt_error_from_libvirt(GError **error, const char *what)
{
    virErrorPtr e = virGetLastError();
    if (!e) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_FAILED, "%s failed", what);
        return;
    }
    const char *text = e->message ? e->message : "unknown libvirt error";
    g_set_error(error, VIRT_ERROR, virt_error_map(e), "%s: %s", what, text);
    if (error && *error)
        virt_error_get_private(*error)->detail = g_strdup(text);
    virResetLastError();
}

gboolean virt_fail(GError **error, VirtErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, VIRT_ERROR, code, msg);
    return FALSE;
}
