/* Logging: one line per event on stderr, with time, level and message;
 * request lines carry "req=N". Everything logs through GLib's g_message &c. */
#pragma once
#include <glib.h>

/* Installs the handler; `level` is debug, info, warn or error. */
void log_init(const char *level);
