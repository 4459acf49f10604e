/* virt_sever: what a connection URI says to cut, and that cutting shuts
 * down exactly the sockets whose peer is that daemon (and ends the ssh
 * child for that host), on real sockets and a real child process. */
#include "unit.h"
#include "virt/virt_sever.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int tcp_client(guint16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Whether `fd` reads an end of file now (shut down), not "nothing yet". */
static gboolean reads_eof(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) != 1)
        return FALSE;
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static void test_what_a_uri_cuts(void **state)
{
    (void)state;
    const char *none[] = {"test:///default",     "esx://vcenter.example/",
                          "hyperv://h.example/", "qemu+ext:///system?command=/bin/true",
                          "qemu+ssh:///system",  "::"};
    for (gsize i = 0; i < G_N_ELEMENTS(none); i++)
        assert_null(virt_sever_target_new(none[i]));
    const struct {
        const char *uri, *described;
    } cases[] = {
        {"qemu+tcp://127.0.0.1/system", "127.0.0.1 port 16509"},
        {"qemu://127.0.0.1/system", "127.0.0.1 port 16514"},
        {"qemu+tls://127.0.0.1:1234/system", "127.0.0.1 port 1234"},
        {"qemu+libssh2://root@127.0.0.1/system", "127.0.0.1 port 22"},
        {"qemu+ssh://root@far.example/system?keyfile=/k", "ssh to far.example"},
        {"qemu:///system", "/run/libvirt/libvirt-sock or /run/libvirt/virtqemud-sock"},
        {"lxc:///", "/run/libvirt/libvirt-sock or /run/libvirt/virtlxcd-sock"},
        {"qemu:///system?socket=/var/run/x/sock", "/run/x/sock"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VirtSeverTarget) t = virt_sever_target_new(cases[i].uri);
        assert_non_null(t);
        assert_string_equal(virt_sever_target_describe(t), cases[i].described);
    }
}

static void test_cuts_the_daemons_sockets_only(void **state)
{
    (void)state;
    guint16 port, other_port;
    int listener = unit_tcp_listener(&port), other = unit_tcp_listener(&other_port);
    int a = tcp_client(port), b = tcp_client(port), c = tcp_client(other_port);
    int a_peer = accept(listener, NULL, NULL), b_peer = accept(listener, NULL, NULL);
    int c_peer = accept(other, NULL, NULL);
    g_autofree char *uri = g_strdup_printf("qemu+tcp://127.0.0.1:%u/system", port);
    g_autoptr(VirtSeverTarget) t = virt_sever_target_new(uri);
    assert_false(reads_eof(a));
    assert_int_equal(virt_sever(t), 2);
    assert_true(reads_eof(a));
    assert_true(reads_eof(b));
    assert_false(reads_eof(c));         /* another daemon's */
    assert_true(reads_eof(a_peer));     /* the daemon sees the end too */
    assert_false(reads_eof(listener));  /* no peer: not a connection */
    assert_int_equal(virt_sever(t), 2); /* shut down already: still theirs, harmless */
    int fds[] = {listener, other, a, b, c, a_peer, b_peer, c_peer};
    for (gsize i = 0; i < G_N_ELEMENTS(fds); i++)
        close(fds[i]);
}

static void test_cuts_a_unix_socket_by_path(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(dir, "sock", NULL);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    g_strlcpy(a.sun_path, path, sizeof a.sun_path);
    assert_int_equal(bind(listener, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(listener, 4), 0);
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(client, (struct sockaddr *)&a, sizeof a), 0);
    int peer = accept(listener, NULL, NULL);
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0); /* unnamed: never */

    g_autofree char *uri = g_strdup_printf("qemu:///system?socket=%s", path);
    g_autoptr(VirtSeverTarget) t = virt_sever_target_new(uri);
    g_autoptr(VirtSeverTarget) elsewhere = virt_sever_target_new("qemu:///system?socket=/nope");
    assert_int_equal(virt_sever(elsewhere), 0);
    assert_false(reads_eof(client));
    assert_int_equal(virt_sever(t), 1);
    assert_true(reads_eof(client));
    assert_false(reads_eof(pair[0]));
    int fds[] = {listener, client, peer, pair[0], pair[1]};
    for (gsize i = 0; i < G_N_ELEMENTS(fds); i++)
        close(fds[i]);
    g_remove(path);
    unit_rmtree(dir);
}

/* A child named ssh (a shell under that name) with the host among its
 * arguments is ended; one for another host is not. */
static GPid spawn_ssh(const char *dir, const char *host)
{
    g_autofree char *ssh = g_build_filename(dir, "ssh", NULL);
    if (!g_file_test(ssh, G_FILE_TEST_EXISTS))
        assert_int_equal(symlink("/bin/sh", ssh), 0);
    const char *argv[] = {ssh, "-c", "sleep 30", host, NULL};
    GPid pid = 0;
    assert_true(g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                              &pid, NULL));
    /* Wait until it runs: its command line is readable. */
    g_autofree char *cmdline = g_strdup_printf("/proc/%d/cmdline", pid);
    for (int i = 0; i < 200; i++) {
        g_autofree char *text = NULL;
        gsize len = 0;
        if (g_file_get_contents(cmdline, &text, &len, NULL) && len > 0)
            break;
        g_usleep(10000);
    }
    return pid;
}

static void test_ends_the_ssh_child_for_the_host(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    GPid mine = spawn_ssh(dir, "far.example"), other = spawn_ssh(dir, "near.example");
    g_autoptr(VirtSeverTarget) t = virt_sever_target_new("qemu+ssh://root@far.example/system");
    assert_int_equal(virt_sever(t), 1);
    int status = 0;
    assert_int_equal(waitpid(mine, &status, 0), mine);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    assert_int_equal(waitpid(other, &status, WNOHANG), 0); /* still running */
    kill(other, SIGKILL);
    waitpid(other, &status, 0);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_a_uri_cuts),
        cmocka_unit_test(test_cuts_the_daemons_sockets_only),
        cmocka_unit_test(test_cuts_a_unix_socket_by_path),
        cmocka_unit_test(test_ends_the_ssh_child_for_the_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
