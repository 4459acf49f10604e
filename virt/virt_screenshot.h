/* Screenshots of a VM: the hypervisor's image of its first screen, taken
 * through libvirt (virDomainScreenshot streams it), and whether the VM has
 * a screen at all. The pixels are virt_image.h's business. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

/* The most the hypervisor may send: a 4K screen as PPM is 24 MiB. */
#define VIRT_SCREENSHOT_MAX_BYTES ((gsize)64 << 20)

/* The image of screen 0 as the hypervisor sends it (QEMU 7.1 and later
 * through libvirt 9: PNG; older QEMU: PPM), and in `ret_mime` the MIME
 * type libvirt names (free it). More than VIRT_SCREENSHOT_MAX_BYTES is
 * VIRT_ERROR_UNSUPPORTED. Blocks while QEMU renders: on an HTTP worker
 * thread that is one request's wait. */
GBytes *virt_screenshot_take(virDomainPtr dom, char **ret_mime, GError **error);

/* Whether the running domain has a screen to take: a video device whose
 * model is not "none" (what graphics "none" makes: no <video> at all). */
gboolean virt_screenshot_has_screen(virDomainPtr dom, gboolean *ret_has, GError **error);
