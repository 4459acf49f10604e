/* The streaming tar reader (virt/virt_tar.c): good archives fed in pieces
 * of every size, long names through ustar's prefix and pax, base-256
 * sizes, and every refusal: names that leave the directory, links and
 * devices, lying sizes, cut archives, bad checksums, duplicates, GNU long
 * names, pax global headers, data after the end. */
#include "unit.h"
#include "unit_tar.h"

#include "virt/virt_error.h"
#include "virt/virt_tar.h"

typedef struct {
    GPtrArray *names;
    GPtrArray *sizes; /* guint64 as gpointer-sized strings */
    GString *data;    /* every member's data, one after another */
    int ends;
} Seen;

static gboolean on_begin(const VirtTarMember *m, gpointer data, GError **error)
{
    Seen *s = data;
    g_ptr_array_add(s->names, g_strdup(m->name));
    g_ptr_array_add(s->sizes, g_strdup_printf("%" G_GUINT64_FORMAT, m->size));
    return TRUE;
}

static gboolean on_data(const guint8 *buf, gsize len, gpointer data, GError **error)
{
    Seen *s = data;
    assert_true(len > 0);
    g_string_append_len(s->data, (const char *)buf, (gssize)len);
    return TRUE;
}

static gboolean on_end(gpointer data, GError **error)
{
    ((Seen *)data)->ends++;
    return TRUE;
}

static const VirtTarHandler handler = {on_begin, on_data, on_end};

static void seen_clear(Seen *s)
{
    g_ptr_array_unref(s->names);
    g_ptr_array_unref(s->sizes);
    g_string_free(s->data, TRUE);
}

/* Reads `tar` in pieces of `piece` bytes (0: all at once), telling the
 * reader its length unless `unknown_length`; the error of the first
 * failure, or NULL. */
static GError *read_tar_as(const GByteArray *tar, gsize piece, gboolean unknown_length, Seen *s)
{
    s->names = g_ptr_array_new_with_free_func(g_free);
    s->sizes = g_ptr_array_new_with_free_func(g_free);
    s->data = g_string_new(NULL);
    s->ends = 0;
    GError *error = NULL;
    g_autoptr(VirtTar) r = virt_tar_new(unknown_length ? 0 : tar->len, &handler, s);
    gsize pos = 0;
    while (pos < tar->len) {
        gsize n = piece ? MIN(piece, tar->len - pos) : tar->len;
        if (!virt_tar_feed(r, tar->data + pos, n, &error))
            return error;
        pos += n;
    }
    if (!virt_tar_finish(r, &error))
        return error;
    return NULL;
}

static GError *read_tar(const GByteArray *tar, gsize piece, Seen *s)
{
    return read_tar_as(tar, piece, FALSE, s);
}

static void assert_refused_as(const GByteArray *tar, gboolean unknown_length, const char *words)
{
    Seen s;
    g_autoptr(GError) error = read_tar_as(tar, 0, unknown_length, &s);
    seen_clear(&s);
    assert_non_null(error);
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    if (!strstr(error->message, words))
        fail_msg("'%s' does not say '%s'", error->message, words);
}

static void assert_refused(const GByteArray *tar, const char *words)
{
    assert_refused_as(tar, FALSE, words);
}

static GByteArray *two_files(void)
{
    GByteArray *tar = g_byte_array_new();
    unit_tar_file(tar, "vm.ovf", "<Envelope/>", 11);
    g_autofree char *big = g_malloc(1500);
    for (int i = 0; i < 1500; i++)
        big[i] = (char)('a' + i % 26);
    unit_tar_file(tar, "disk1.vmdk", big, 1500);
    unit_tar_file(tar, "empty", "", 0);
    unit_tar_end(tar);
    return tar;
}

static void test_good_archive_in_any_pieces(void **state)
{
    (void)state;
    g_autoptr(GByteArray) tar = two_files();
    static const gsize pieces[] = {0, 1, 7, 511, 512, 513, 4096};
    for (gsize i = 0; i < G_N_ELEMENTS(pieces); i++) {
        Seen s;
        GError *error = read_tar(tar, pieces[i], &s);
        assert_null(error);
        assert_int_equal(s.names->len, 3);
        assert_string_equal(g_ptr_array_index(s.names, 0), "vm.ovf");
        assert_string_equal(g_ptr_array_index(s.names, 1), "disk1.vmdk");
        assert_string_equal(g_ptr_array_index(s.sizes, 1), "1500");
        assert_string_equal(g_ptr_array_index(s.sizes, 2), "0");
        assert_int_equal(s.ends, 3);
        assert_int_equal(s.data->len, 11 + 1500);
        assert_memory_equal(s.data->str, "<Envelope/>abc", 14);
        seen_clear(&s);
    }
    /* Zero padding to a 10 KiB record after the end is fine. */
    g_byte_array_set_size(tar, 10240);
    Seen s;
    GError *error = read_tar(tar, 100, &s);
    assert_null(error);
    seen_clear(&s);
}

static void test_traversal_and_bad_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *words;
    } cases[] = {
        {"../evil.vmdk", "'..'"},      {"a/../../evil", "'..'"},      {"/etc/passwd", "absolute"},
        {"./vm.ovf", "'.' part"},      {"a//b", "empty or '.' part"}, {"dir/", "empty or '.' part"},
        {"bad\x1b[2Jname", "control"}, {"caf\xe9.vmdk", "not UTF-8"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) tar = g_byte_array_new();
        unit_tar_file(tar, cases[i].name, "x", 1);
        unit_tar_end(tar);
        assert_refused(tar, cases[i].words);
    }
    /* An absolute or climbing prefix is the name's too. */
    g_autoptr(GByteArray) tar = g_byte_array_new();
    UnitTarHeader h = {.name = "x", .prefix = "../..", .type = '0', .size = 0};
    unit_tar_header(tar, &h);
    unit_tar_end(tar);
    assert_refused(tar, "'..'");
}

static void test_long_names_by_prefix_and_pax(void **state)
{
    (void)state;
    g_autofree char *dir = g_strnfill(120, 'd');
    g_autofree char *file = g_strnfill(90, 'f');
    g_autoptr(GByteArray) tar = g_byte_array_new();
    UnitTarHeader h = {.name = file, .prefix = dir, .type = '0', .size = 3};
    unit_tar_header(tar, &h);
    unit_tar_data(tar, "abc", 3);
    /* A pax path longer than ustar can hold, and a pax size that wins
     * over the header's. */
    g_autofree char *long_name = g_strnfill(300, 'p');
    g_autofree char *path_rec = g_strdup_printf("path=%s\n", long_name);
    const char *const recs[] = {path_rec, "size=5\n", "mtime=1700000000.5\n", NULL};
    unit_tar_pax(tar, recs);
    UnitTarHeader h2 = {.name = "short", .type = '0', .size = 0};
    unit_tar_header(tar, &h2);
    unit_tar_data(tar, "hello", 5);
    unit_tar_file(tar, "after", "z", 1);
    /* GNU's mark (its prefix field holds other data: not a prefix). */
    UnitTarHeader g = {.name = "gnu.txt", .prefix = "junk", .type = '0', .size = 1, .gnu = TRUE};
    unit_tar_header(tar, &g);
    unit_tar_data(tar, "g", 1);
    unit_tar_end(tar);
    Seen s;
    GError *error = read_tar(tar, 77, &s);
    assert_null(error);
    assert_int_equal(s.names->len, 4);
    g_autofree char *joined = g_strconcat(dir, "/", file, NULL);
    assert_string_equal(g_ptr_array_index(s.names, 0), joined);
    assert_string_equal(g_ptr_array_index(s.names, 1), long_name);
    assert_string_equal(g_ptr_array_index(s.sizes, 1), "5");
    assert_string_equal(g_ptr_array_index(s.names, 2), "after"); /* the pax header applied once */
    assert_string_equal(g_ptr_array_index(s.names, 3), "gnu.txt");
    assert_string_equal(s.data->str, "abchellozg");
    seen_clear(&s);
}

static void test_base256_size(void **state)
{
    (void)state;
    g_autoptr(GByteArray) tar = g_byte_array_new();
    UnitTarHeader h = {.name = "big", .type = '0', .size = 0};
    unit_tar_header(tar, &h);
    /* Rewrite the size as base-256 (4 bytes of data) and fix the sum. */
    guint8 *b = tar->data;
    memset(b + 124, 0, 12);
    b[124] = 0x80;
    b[135] = 4;
    memset(b + 148, ' ', 8);
    guint sum = 0;
    for (int i = 0; i < 512; i++)
        sum += b[i];
    unit_tar_octal(b + 148, 7, sum);
    b[155] = ' ';
    unit_tar_data(tar, "data", 4);
    unit_tar_end(tar);
    Seen s;
    GError *error = read_tar(tar, 0, &s);
    assert_null(error);
    assert_string_equal(g_ptr_array_index(s.sizes, 0), "4");
    seen_clear(&s);
    /* A negative base-256 number is not a size. */
    tar->data[124] = 0xc0;
    assert_refused(tar, "checksum"); /* the sum no longer matches either */
}

static void test_links_devices_and_types(void **state)
{
    (void)state;
    static const struct {
        char type;
        const char *words;
    } cases[] = {
        {'1', "link"},          {'2', "link"},      {'3', "device"},       {'4', "device"},
        {'6', "FIFO"},          {'5', "directory"}, {'g', "global"},       {'L', "GNU long-name"},
        {'K', "GNU long-name"}, {'S', "sparse"},    {'V', "unknown type"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) tar = g_byte_array_new();
        UnitTarHeader h = {.name = "thing", .type = cases[i].type, .size = 0};
        unit_tar_header(tar, &h);
        unit_tar_end(tar);
        assert_refused(tar, cases[i].words);
    }
    g_autoptr(GByteArray) tar = g_byte_array_new();
    const char *const recs[] = {"GNU.sparse.map=0,10\n", NULL};
    unit_tar_pax(tar, recs);
    unit_tar_file(tar, "s", "x", 1);
    unit_tar_end(tar);
    assert_refused(tar, "sparse");
}

static void test_size_lie(void **state)
{
    (void)state;
    /* A member that claims more than the body holds: refused at its header. */
    g_autoptr(GByteArray) lie = g_byte_array_new();
    UnitTarHeader h = {.name = "disk.vmdk", .type = '0', .size = 1 << 20};
    unit_tar_header(lie, &h);
    unit_tar_data(lie, "small", 5);
    unit_tar_end(lie);
    assert_refused(lie, "more than the");
}

static void test_cut_archives(void **state)
{
    (void)state;
    g_autoptr(GByteArray) good = two_files();
    guint full = good->len;
    static const struct {
        guint cut_from_end;
        const char *words;
    } cuts[] = {{1024, "does not end"}, {512, "second end block"}, {1024 + 512, "does not end"}};
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_autoptr(GByteArray) t = g_byte_array_new();
        g_byte_array_append(t, good->data, full - cuts[i].cut_from_end);
        assert_refused(t, cuts[i].words);
    }
    /* Cut in a member: a reader told the body's length refuses at the
     * header, one that is not at the end. */
    static const struct {
        guint len;
        const char *words, *words_known;
    } heads[] = {{0, "does not end", "does not end"},
                 {300, "does not end", "does not end"},
                 {512 + 5, "middle of a member", "left of the body"},
                 {1024 + 512 + 700, "middle of a member", "left of the body"}};
    for (gsize i = 0; i < G_N_ELEMENTS(heads); i++) {
        g_autoptr(GByteArray) t = g_byte_array_new();
        g_byte_array_append(t, good->data, heads[i].len);
        assert_refused_as(t, TRUE, heads[i].words);
        assert_refused_as(t, FALSE, heads[i].words_known);
    }
}

static void test_damaged_archives(void **state)
{
    (void)state;
    g_autoptr(GByteArray) sum = g_byte_array_new();
    UnitTarHeader h = {.name = "a", .type = '0', .size = 0, .bad_sum = TRUE};
    unit_tar_header(sum, &h);
    unit_tar_end(sum);
    assert_refused(sum, "checksum");

    g_autoptr(GByteArray) v7 = g_byte_array_new();
    unit_tar_file(v7, "a", "x", 1);
    unit_tar_end(v7);
    memset(v7->data + 257, 0, 8); /* no ustar mark: fix the sum */
    memset(v7->data + 148, ' ', 8);
    guint s = 0;
    for (int i = 0; i < 512; i++)
        s += v7->data[i];
    unit_tar_octal(v7->data + 148, 7, s);
    v7->data[155] = ' ';
    assert_refused(v7, "not a ustar archive");

    g_autoptr(GByteArray) dup = g_byte_array_new();
    unit_tar_file(dup, "same", "1", 1);
    unit_tar_file(dup, "same", "2", 1);
    unit_tar_end(dup);
    assert_refused(dup, "appears twice");

    g_autoptr(GByteArray) after = two_files();
    unit_tar_file(after, "hidden", "x", 1);
    assert_refused(after, "follows the archive's end");

    g_autoptr(GByteArray) lone = g_byte_array_new();
    static const guint8 zeros[512];
    g_byte_array_append(lone, zeros, 512);
    unit_tar_file(lone, "a", "x", 1);
    unit_tar_end(lone);
    assert_refused(lone, "lone zero block");

    g_autoptr(GByteArray) junk = g_byte_array_new();
    g_byte_array_append(junk, (const guint8 *)"this is not a tar archive at all", 32);
    g_byte_array_set_size(junk, 2048);
    assert_refused(junk, "checksum");
}

static void test_pax_errors(void **state)
{
    (void)state;
    g_autoptr(GByteArray) twice = g_byte_array_new();
    const char *const recs[] = {"path=a\n", NULL};
    unit_tar_pax(twice, recs);
    unit_tar_pax(twice, recs);
    unit_tar_end(twice);
    assert_refused(twice, "two pax");

    g_autoptr(GByteArray) at_end = g_byte_array_new();
    unit_tar_pax(at_end, recs);
    unit_tar_end(at_end);
    assert_refused(at_end, "followed by the archive's end");

    g_autoptr(GByteArray) bad_len = g_byte_array_new();
    UnitTarHeader h = {.name = "p", .type = 'x', .size = 12};
    unit_tar_header(bad_len, &h);
    unit_tar_data(bad_len, "99 path=abc\n", 12);
    unit_tar_file(bad_len, "a", "x", 1);
    unit_tar_end(bad_len);
    assert_refused(bad_len, "malformed");

    g_autoptr(GByteArray) bad_size = g_byte_array_new();
    const char *const size_recs[] = {"size=-1\n", NULL};
    unit_tar_pax(bad_size, size_recs);
    unit_tar_file(bad_size, "a", "x", 1);
    unit_tar_end(bad_size);
    assert_refused(bad_size, "not a number");

    g_autoptr(GByteArray) evil = g_byte_array_new();
    const char *const evil_recs[] = {"path=../../etc/cron.d/x\n", NULL};
    unit_tar_pax(evil, evil_recs);
    unit_tar_file(evil, "innocent", "x", 1);
    unit_tar_end(evil);
    assert_refused(evil, "'..'");
}

/* A handler's refusal stops the reader, and it stays stopped. */
static gboolean refuse_begin(const VirtTarMember *m, gpointer data, GError **error)
{
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "no thanks: %s", m->name);
    return FALSE;
}

static void test_handler_refusal_sticks(void **state)
{
    (void)state;
    g_autoptr(GByteArray) tar = two_files();
    VirtTarHandler h = {.begin = refuse_begin};
    g_autoptr(VirtTar) r = virt_tar_new(tar->len, &h, NULL);
    g_autoptr(GError) error = NULL;
    assert_false(virt_tar_feed(r, tar->data, tar->len, &error));
    assert_string_equal(error->message, "no thanks: vm.ovf");
    g_clear_error(&error);
    assert_false(virt_tar_feed(r, tar->data, 1, &error));
    g_clear_error(&error);
    assert_false(virt_tar_finish(r, &error));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_archive_in_any_pieces),
        cmocka_unit_test(test_traversal_and_bad_names),
        cmocka_unit_test(test_long_names_by_prefix_and_pax),
        cmocka_unit_test(test_base256_size),
        cmocka_unit_test(test_links_devices_and_types),
        cmocka_unit_test(test_size_lie),
        cmocka_unit_test(test_cut_archives),
        cmocka_unit_test(test_damaged_archives),
        cmocka_unit_test(test_pax_errors),
        cmocka_unit_test(test_handler_refusal_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
