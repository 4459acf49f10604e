/* The browser's end of a console: the socket of an upgraded HTTP
 * connection, handed over by libmicrohttpd. It is always plain: with TLS
 * on, the TLS front (tls_front.h) holds the session and this is the plain
 * end of its socket pair. Non-blocking reads and writes. */
#pragma once
#include <glib.h>
#include <microhttpd.h>

typedef struct {
    int fd;
    struct MHD_UpgradeResponseHandle *urh; /* set: libmicrohttpd owns the fd */
} ConsoleLink;

/* > 0 bytes read; 0 at the end; CONSOLE_LINK_AGAIN when nothing is there
 * now; CONSOLE_LINK_FAILED on error. */
#define CONSOLE_LINK_AGAIN (-1)
#define CONSOLE_LINK_FAILED (-2)
gssize console_link_read(ConsoleLink *l, void *buf, gsize len);
/* > 0 bytes written, CONSOLE_LINK_AGAIN or CONSOLE_LINK_FAILED. */
gssize console_link_write(ConsoleLink *l, const void *buf, gsize len);
/* Closes it (through libmicrohttpd when it owns the fd). */
void console_link_close(ConsoleLink *l);
