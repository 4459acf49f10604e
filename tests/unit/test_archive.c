/* Vireo's VM archive, without libvirt: the tar writer's headers (fields,
 * checksums, long names split or in pax records, sizes past ustar's 8
 * GiB), read back by the tar reader and by the system's tar; the reader's
 * refusals (bad checksums, links, unsafe names, cut archives, data after
 * the end); SHA256SUMS written and parsed. */
#include "unit.h"
#include "virt/virt_archive.h"
#include "virt/virt_error.h"
#include "virt/virt_tar.h"
#include "virt/virt_tar_write.h"

#include <string.h>

/* What the reader saw: "name:size:data|" per member. */
typedef struct {
    GString *seen;
} Seen;

static gboolean on_begin(const VirtTarMember *m, gpointer data, GError **error)
{
    Seen *s = data;
    g_string_append_printf(s->seen, "%s:%" G_GUINT64_FORMAT ":", m->name, m->size);
    return TRUE;
}

static gboolean on_data(const guint8 *buf, gsize len, gpointer data, GError **error)
{
    Seen *s = data;
    g_string_append_len(s->seen, (const char *)buf, (gssize)len);
    return TRUE;
}

static gboolean on_end(gpointer data, GError **error)
{
    Seen *s = data;
    g_string_append_c(s->seen, '|');
    return TRUE;
}

static const VirtTarHandler fns = {on_begin, on_data, on_end};

static void add_member(GByteArray *tar, const char *name, const char *data)
{
    g_autoptr(GError) error = NULL;
    gsize len = strlen(data);
    assert_true(virt_tar_write_header(tar, name, len, 1700000000, &error));
    g_byte_array_append(tar, (const guint8 *)data, (guint)len);
    static const guint8 zeros[VIRT_TAR_BLOCK];
    g_byte_array_append(tar, zeros, (guint)virt_tar_padding(len));
}

static void end_archive(GByteArray *tar)
{
    static const guint8 zeros[VIRT_TAR_END_SIZE];
    g_byte_array_append(tar, zeros, sizeof zeros);
}

/* Feeds `tar` in pieces of `step` bytes; the reader's verdict. */
static gboolean read_all(GByteArray *tar, gsize step, GString *seen, GError **error)
{
    Seen s = {seen};
    g_autoptr(VirtTar) r = virt_tar_new(tar->len, &fns, &s);
    for (gsize off = 0; off < tar->len; off += step)
        if (!virt_tar_feed(r, tar->data + off, MIN(step, tar->len - off), error))
            return FALSE;
    return virt_tar_finish(r, error);
}

static guint64 octal_field(const guint8 *f, gsize len)
{
    g_autofree char *s = g_strndup((const char *)f, len);
    guint64 v = 0;
    assert_true(g_ascii_string_to_unsigned(g_strstrip(s), 8, 0, G_MAXUINT64, &v, NULL));
    return v;
}

static void test_header_fields(void **state)
{
    (void)state;
    g_autoptr(GByteArray) tar = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    assert_true(virt_tar_write_header(tar, "vireo.json", 1234, 1700000000, &error));
    assert_int_equal(tar->len, VIRT_TAR_BLOCK);
    const guint8 *b = tar->data;
    assert_string_equal((const char *)b, "vireo.json");
    assert_int_equal(octal_field(b + 100, 8), 0644);
    assert_int_equal(octal_field(b + 124, 12), 1234);
    assert_int_equal(octal_field(b + 136, 12), 1700000000);
    assert_int_equal(b[156], '0');
    assert_memory_equal(b + 257,
                        "ustar\0"
                        "00",
                        8);
    assert_string_equal((const char *)b + 265, "root");
    /* The checksum: six octal digits, NUL, space, and it adds up. */
    assert_int_equal(b[154], '\0');
    assert_int_equal(b[155], ' ');
    assert_int_equal(octal_field(b + 148, 6), virt_tar_checksum(b));
    assert_int_equal(virt_tar_padding(1234), 512 * 3 - 1234);
    assert_int_equal(virt_tar_padding(1024), 0);
    assert_int_equal(virt_tar_padding(0), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    g_autoptr(GByteArray) tar = g_byte_array_new();
    add_member(tar, "vireo.json", "{}");
    add_member(tar, "empty", "");
    add_member(tar, "disks/vda.qcow2", "0123456789");
    end_archive(tar);
    /* Any way the bytes are cut, the same members come out. */
    gsize steps[] = {1, 7, 511, 512, 513, 100000};
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autoptr(GString) seen = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        assert_true(read_all(tar, steps[i], seen, &error));
        assert_string_equal(seen->str, "vireo.json:2:{}|empty:0:|disks/vda.qcow2:10:0123456789|");
    }
    /* Record padding (zeros after the end) is fine. */
    static const guint8 zeros[8192];
    g_byte_array_append(tar, zeros, sizeof zeros);
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    assert_true(read_all(tar, 4096, seen, &error));
}

/* The system's tar reads what the writer wrote, long names included. */
static void test_system_tar(void **state)
{
    (void)state;
    g_autofree char *tar_bin = g_find_program_in_path("tar");
    if (!tar_bin)
        skip();
    g_autofree char *split = g_strdup_printf("%s/%s", "disks",
                                             "d123456789012345678901234567890"
                                             "12345678901234567890123456789012"
                                             "34567890123456789012345678901234"
                                             "567890.raw");
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 30; i++)
        g_string_append(deep, "abcdefghij/");
    g_string_append(deep, "leaf");
    g_autofree char *deep_name = g_string_free(deep, FALSE);
    g_autoptr(GByteArray) tar = g_byte_array_new();
    add_member(tar, split, "split");
    add_member(tar, deep_name, "pax");
    end_archive(tar);
    /* The reader takes both full names back. */
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    assert_true(read_all(tar, 300, seen, &error));
    g_autofree char *want = g_strdup_printf("%s:5:split|%s:3:pax|", split, deep_name);
    assert_string_equal(seen->str, want);
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(dir, "a.tar", NULL);
    assert_true(g_file_set_contents(path, (const char *)tar->data, tar->len, NULL));
    const char *argv[] = {tar_bin, "-tf", path, NULL};
    g_autofree char *out = NULL;
    int status = 0;
    assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                             &out, NULL, &status, NULL));
    assert_int_equal(status, 0);
    g_autofree char *listed = g_strdup_printf("%s\n%s\n", split, deep_name);
    assert_string_equal(out, listed);
    unit_rmtree(dir);
}

/* Past ustar's 11 octal digits the size goes into a pax record. */
static void test_big_size(void **state)
{
    (void)state;
    guint64 big = (G_GUINT64_CONSTANT(8) << 30) + 1;
    g_autoptr(GByteArray) tar = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    assert_true(virt_tar_write_header(tar, "disks/vda.raw", big, 0, &error));
    assert_int_equal(tar->len, 3 * VIRT_TAR_BLOCK);
    assert_int_equal(tar->data[156], 'x');
    assert_non_null(g_strstr_len((const char *)tar->data + 512, 512, "size=8589934593\n"));
    g_autoptr(GString) seen = g_string_new(NULL);
    Seen s = {seen};
    g_autoptr(VirtTar) r = virt_tar_new(0, &fns, &s);
    assert_true(virt_tar_feed(r, tar->data, tar->len, &error));
    assert_string_equal(seen->str, "disks/vda.raw:8589934593:");
    /* ...and a cut archive is refused. */
    assert_false(virt_tar_finish(r, &error));
    assert_non_null(strstr(error->message, "cut short"));
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *bad[] = {"", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/", "a\nb"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GByteArray) tar = g_byte_array_new();
        g_autoptr(GError) error = NULL;
        assert_false(virt_tar_write_header(tar, bad[i], 1, 0, &error));
        assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
        g_clear_error(&error);
        assert_false(virt_tar_name_valid(bad[i], &error));
    }
}

static void expect_refused(GByteArray *tar, const char *words)
{
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    assert_false(read_all(tar, 512, seen, &error));
    assert_non_null(error);
    if (!strstr(error->message, words))
        fail_msg("'%s' does not say '%s'", error->message, words);
}

/* Re-signs a header after it was changed. */
static void resign(guint8 *b)
{
    g_snprintf((char *)b + 148, 8, "%06o", virt_tar_checksum(b));
    b[155] = ' ';
}

static void test_reader_refuses(void **state)
{
    (void)state;
    g_autoptr(GByteArray) good = g_byte_array_new();
    add_member(good, "a", "data");
    end_archive(good);
    /* A flipped byte: the checksum no longer adds up. */
    g_autoptr(GByteArray) t = g_byte_array_new();
    g_byte_array_append(t, good->data, good->len);
    t->data[10] ^= 1;
    expect_refused(t, "checksum");
    /* A symbolic link, a directory, a hard link, a GNU long name. */
    const char types[] = {'2', '5', '1', 'L'};
    const char *says[] = {"is a link", "is a directory", "is a link", "GNU long-name"};
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
        g_byte_array_set_size(t, 0);
        g_byte_array_append(t, good->data, good->len);
        t->data[156] = (guint8)types[i];
        resign(t->data);
        expect_refused(t, says[i]);
    }
    /* A name that leaves the directory. */
    g_byte_array_set_size(t, 0);
    g_byte_array_append(t, good->data, good->len);
    memcpy(t->data, "../a", 5);
    resign(t->data);
    expect_refused(t, "'..'");
    /* Not tar at all. */
    g_byte_array_set_size(t, 0);
    g_byte_array_append(t, good->data, good->len);
    memcpy(t->data + 257, "nope!", 5);
    resign(t->data);
    expect_refused(t, "ustar");
    /* Cut anywhere: in a header, in the data, before the second end block. */
    gsize cuts[] = {100, 600, good->len - 512};
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_byte_array_set_size(t, 0);
        g_byte_array_append(t, good->data, (guint)cuts[i]);
        expect_refused(t, "cut short");
    }
    /* Something after the end. */
    g_byte_array_set_size(t, 0);
    g_byte_array_append(t, good->data, good->len);
    add_member(t, "b", "more");
    expect_refused(t, "follows the archive's end");
}

static void test_sums(void **state)
{
    (void)state;
    const char *hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    g_autofree char *line = virt_archive_sums_line(hex, "disks/vda.qcow2");
    assert_int_equal(strlen(line), virt_archive_sums_line_len("disks/vda.qcow2"));
    g_autofree char *text = g_strconcat(line, hex, "  vireo.json\n", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) sums = virt_archive_sums_parse(text, strlen(text), &error);
    assert_non_null(sums);
    assert_int_equal(g_hash_table_size(sums), 2);
    assert_string_equal(g_hash_table_lookup(sums, "vireo.json"), hex);
    const char *bad[] = {"", "abc  x\n",
                         "9F86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  x\n",
                         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 x\n",
                         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  x"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        assert_null(virt_archive_sums_parse(bad[i], strlen(bad[i]), &error));
        assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    }
    g_autofree char *twice = g_strconcat(line, line, NULL);
    g_clear_error(&error);
    assert_null(virt_archive_sums_parse(twice, strlen(twice), &error));
    assert_non_null(strstr(error->message, "twice"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_fields), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_system_tar),    cmocka_unit_test(test_big_size),
        cmocka_unit_test(test_bad_names),     cmocka_unit_test(test_reader_refuses),
        cmocka_unit_test(test_sums),
    };
    return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
