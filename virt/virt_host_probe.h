/* Reading the UUID of a host that is not registered yet, within a time
 * limit (POST and PATCH /api/hosts). */
#pragma once
#include <glib.h>

/* Most opens at once, those left waiting on hosts that did not answer in
 * time among them. */
#define VIRT_HOST_PROBE_MAX_PENDING 4

/* Opens `uri`, reads libvirt's host UUID (virt_host_read_uuid) and closes
 * it again. Waits at most `timeout_s`: past it, VIRT_ERROR_UNAVAILABLE, and
 * the open goes on alone on its own thread until libvirt returns. When
 * VIRT_HOST_PROBE_MAX_PENDING opens are still running, fails at once
 * (VIRT_ERROR_UNAVAILABLE). The caller's message names the host. */
char *virt_host_probe_uuid(const char *uri, guint timeout_s, GError **error);

/* Opens still running, answered or not (for tests). */
guint virt_host_probe_pending(void);
