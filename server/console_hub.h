/* The console proxy: one thread, one epoll loop, moving bytes for every
 * open console between the browser's WebSocket and the guest's display
 * socket or serial stream (docs/consoles.md). */
#pragma once
#include <glib.h>

#include "api/core/api.h"
#include "server/console_link.h"

typedef struct ConsoleHub ConsoleHub;

ConsoleHub *console_hub_new(ApiContext *api, GError **error);
/* Ends every console (close frames, audit entries); before the HTTP server
 * stops, since upgraded connections must be closed by then. */
void console_hub_close(ConsoleHub *hub);
void console_hub_free(ConsoleHub *hub);

/* Takes a browser connection whose WebSocket handshake was answered, and
 * the console its ticket opened (both taken). `extra_in` (may be NULL):
 * bytes that came with the handshake. */
void console_hub_attach(ConsoleHub *hub, ConsoleLink link, GBytes *extra_in, ApiConsole *console,
                        const char *address);
/* The VM stopped or went: its consoles end. */
void console_hub_vm_stopped(ConsoleHub *hub, const char *uuid);
/* What user `user_id` (0: anyone) may do changed: their consoles are
 * checked again at once and end if they may no longer be open. */
void console_hub_auth_changed(ConsoleHub *hub, gint64 user_id);
/* How many consoles are open (for tests and metrics). */
guint console_hub_count(ConsoleHub *hub);
