/* The console benchmark's backend: a TCP server standing where a VM's VNC
 * display would be. Each connection starts with a 9-byte request, a mode
 * letter and a 64-bit little-endian count:
 *   'D' n  sends n bytes (backend -> client, the direction that matters for VNC)
 *   'U' n  reads n bytes, then answers one byte ('k')
 *   'E' 0  echoes whatever comes, until the end
 *   'H' 0  the same as 'E' (idle consoles held open for the memory figure)
 * One thread per connection and blocking I/O: simple, and never the slow part.
 *
 * Usage: backend   (listens on a free loopback port and prints it) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static unsigned char source[CHUNK];

static int read_full(int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    unsigned char req[9];
    unsigned char *buf = malloc(CHUNK);
    if (read_full(fd, req, sizeof(req)) == 0) {
        uint64_t n = 0;
        for (int i = 8; i >= 1; i--)
            n = n << 8 | req[i];
        if (req[0] == 'D') {
            while (n) {
                size_t k = n < CHUNK ? (size_t)n : CHUNK;
                if (write_full(fd, source, k) < 0)
                    break;
                n -= k;
            }
        } else if (req[0] == 'U') {
            while (n) {
                ssize_t k = read(fd, buf, n < CHUNK ? (size_t)n : CHUNK);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0)
                    break;
                n -= (uint64_t)k;
            }
            if (!n)
                write_full(fd, "k", 1);
        } else if (req[0] == 'E' || req[0] == 'H') {
            for (;;) {
                ssize_t k = read(fd, buf, CHUNK);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0 || write_full(fd, buf, (size_t)k) < 0)
                    break;
            }
        }
    }
    /* The client closes first: websockify drops what it has not sent yet
     * when the backend closes. */
    while (read(fd, buf, CHUNK) > 0)
        ;
    close(fd);
    free(buf);
    return NULL;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof(source); i++)
        source[i] = (unsigned char)(i * 131 + 7);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 512) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &len) < 0) {
        perror("backend: listen");
        return 1;
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("backend: accept");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        pthread_t t;
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0)
            close(fd);
    }
}
