/* Reads and writes of a console's browser end (see console_link.h). */
#include "server/console_link.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

static gssize outcome(ssize_t n)
{
    if (n >= 0)
        return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? CONSOLE_LINK_AGAIN
                                                                     : CONSOLE_LINK_FAILED;
}

gssize console_link_read(ConsoleLink *l, void *buf, gsize len)
{
    return outcome(recv(l->fd, buf, len, 0));
}

gssize console_link_write(ConsoleLink *l, const void *buf, gsize len)
{
    return outcome(send(l->fd, buf, len, MSG_NOSIGNAL));
}

void console_link_close(ConsoleLink *l)
{
    if (l->urh) {
        MHD_upgrade_action(l->urh, MHD_UPGRADE_ACTION_CLOSE);
        l->urh = NULL;
    } else if (l->fd >= 0) {
        close(l->fd);
    }
    l->fd = -1;
}
