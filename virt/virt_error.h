/* Errors of the libvirt engine: one GError domain, and the single place where
 * libvirt's own error codes are mapped to it. */
#pragma once
#include <glib.h>
#include <libvirt/virterror.h>

#define VIRT_ERROR (virt_error_quark())
GQuark virt_error_quark(void);

typedef enum {
    VIRT_ERROR_FAILED,        /* anything unexpected */
    VIRT_ERROR_NOT_FOUND,     /* no such domain, pool, volume, network */
    VIRT_ERROR_INVALID_STATE, /* operation not valid in the object's state */
    VIRT_ERROR_INVALID_ARG,   /* bad value or XML */
    VIRT_ERROR_EXISTS,        /* name or UUID clash */
    VIRT_ERROR_BUSY,          /* resource in use */
    VIRT_ERROR_UNSUPPORTED,   /* the hypervisor or driver cannot do it */
    VIRT_ERROR_DENIED,        /* libvirt refused it (read-only, ACL) */
    VIRT_ERROR_UNAVAILABLE,   /* libvirt is unreachable right now */
    VIRT_ERROR_NO_SPACE,      /* the storage is full */
    VIRT_ERROR_NOT_SUPPORTED, /* the connection's driver lacks the feature (virt_driver.h) */
} VirtErrorCode;

/* Turns libvirt's last error of this thread into a GError (and resets it).
 * `what` names the failing operation for the message, which ends with
 * libvirt's own text: that text is also kept as the error's detail. */
void virt_error_from_libvirt(GError **error, const char *what);
/* libvirt's (or QEMU's) own words behind an engine error, or NULL. They can
 * show host paths and QEMU command lines, so the API shows them to admins
 * only; the message ends with them (prefixes added later keep that so). */
const char *virt_error_detail(const GError *error);
/* Sets `error` (VIRT_ERROR, `code`, printf-style message) and answers FALSE,
 * for `return virt_fail(...)` in checks. */
gboolean virt_fail(GError **error, VirtErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The engine code for one libvirt error (exposed for tests). */
VirtErrorCode virt_error_map(const virError *e);
