/* Shared bits of the cmocka unit tests. */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A fresh temporary directory per test binary run. */
static inline char *unit_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("vireo-unit-XXXXXX", &error);
    assert_non_null(dir);
    return dir;
}

/* A TCP socket listening on 127.0.0.1 at a free port (written to `port`);
 * it accepts nothing itself: the kernel queues connections to it. */
static inline int unit_tcp_listener(guint16 *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Removes `path` and everything below it (no shell, no symlink following:
 * a link is removed, not its target). */
static inline void unit_rmtree(const char *path)
{
    if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) && g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        assert_non_null(dir);
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            unit_rmtree(child);
        }
    }
    assert_int_equal(g_remove(path), 0);
}
