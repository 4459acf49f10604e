/* Consoles, the API's part (docs/consoles.md): one-time tickets, what a
 * ticket allows, the guest ends a console connects to, the checks a console
 * must keep passing while it is open, and its audit entry. The bytes are
 * moved by server/console_*.c. */
#pragma once
#include <libvirt/libvirt.h>

#include "api/core/api.h"

/* How long a ticket may wait for its WebSocket. */
#define API_CONSOLE_TICKET_S 30

typedef enum {
    API_CONSOLE_VNC,
    API_CONSOLE_SERIAL,
} ApiConsoleType;

/* A console a ticket opened: what the proxy needs to run it. */
struct ApiConsole {
    ApiConsoleType type;
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *vm_name;
    VirtHost *host;   /* the VM's host (a reference); NULL: the local */
    ApiAuth *auth;    /* who opened it, with the session or token it used */
    gint64 audit_id;  /* its audit entry: written when it opens, finished when it ends */
    gint64 opened_at; /* unix seconds */
};

void api_console_free(ApiConsole *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiConsole, api_console_free)

/* The tickets not yet used, in memory only. */
ApiConsoles *api_consoles_new(void);
void api_consoles_free(ApiConsoles *consoles);

/* TRUE while the console's session or token still lets its user in and
 * the user may still act on the VM. */
gboolean api_console_still_allowed(ApiContext *ctx, ApiConsole *c);

/* The guest ends (see virt_console.h). */
int api_console_open_display(ApiContext *ctx, const ApiConsole *c, GError **error);
virStreamPtr api_console_open_serial(ApiContext *ctx, const ApiConsole *c, gboolean force,
                                     GError **error);
/* TRUE for the error of a serial console another client (not Vireo) holds. */
gboolean api_console_held_elsewhere(const GError *error);
/* The last `max` bytes of the VM's serial log (empty when it keeps none). */
GBytes *api_console_serial_tail(ApiContext *ctx, const ApiConsole *c, gsize max);

/* Writes the console's audit entry as it opens (status 101, running)... */
void api_console_began(ApiContext *ctx, ApiConsole *c, const char *address);
/* ...and finishes it: when, how many bytes each way, why it ended. */
void api_console_ended(ApiContext *ctx, ApiConsole *c, guint64 to_browser, guint64 from_browser,
                       const char *why);
