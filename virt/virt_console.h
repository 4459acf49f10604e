/* The guest's side of a console: a socket connected to its display, or a
 * stream on its serial line, both without any network port. Also keys
 * pressed on its keyboard. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

/* A non-blocking, close-on-exec socket connected to the VM's VNC display:
 * from libvirt (virDomainOpenGraphicsFD: no port needed), or for a display
 * listening on a loopback TCP port (VMs defined elsewhere), connected to
 * that port. INVALID_STATE when the VM does not run, UNSUPPORTED when it
 * has no VNC display. */
int virt_console_open_display(virDomainPtr dom, GError **error);

/* A non-blocking stream on the VM's first serial console. `force` takes it
 * from another client that holds it. UNSUPPORTED when the VM has no serial
 * device, BUSY when another client holds it (and not `force`). */
virStreamPtr virt_console_open_serial(virDomainPtr dom, gboolean force, GError **error);

/* Where the serial line of the VM is logged (its <log file>), or NULL. */
char *virt_console_serial_log(virDomainPtr dom);

/* Presses `n` keys together (Linux key codes), then releases them. */
gboolean virt_console_send_keys(virDomainPtr dom, const guint *codes, guint n, GError **error);
