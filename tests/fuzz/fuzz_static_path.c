/* libFuzzer target: the small parsers of the HTTP front: the static file
 * path policy (static_path_allowed, static_mime_type), --listen / "listen ="
 * addresses (http_parse_listen), HTTP dates (http_parse_date, as sent in
 * If-Modified-Since), the URL unescape callback vireod gives libmicrohttpd
 * (paths and query strings), and If-Match / If-None-Match lists.
 *
 * Input layout: PATH \0 LISTEN \0 DATE \0 URL \0 ETAG-LIST (missing fields
 * are empty; a field ends at the next NUL, the last one at the end of the
 * input). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include "api/core/api_json.h"
#include "fuzz_common.h"
#include "server/http.h"
#include "server/http_headers.h"
#include "server/static_files.h"

/* The unescape callback is static in server/http.c: this target compiles
 * that file itself (run.sh does not link it a second time). */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#include "server/http.c"
#pragma clang diagnostic pop

#define N_FIELDS 5
#define SOME_ETAG "\"0123456789abcdef01234567\""
#define FAKE_ROOT "/srv/webui"

static void check_path(const char *path)
{
    int allowed = static_path_allowed(path);
    const char *mime = static_mime_type(path);
    FUZZ_CHECK(mime && *mime, "no MIME type for '%s'", path);
    if (!allowed)
        return;
    FUZZ_CHECK(path[0] == '/', "allowed a relative path '%s'", path);
    FUZZ_CHECK(strlen(path) <= 1024, "allowed a path of %zu bytes", strlen(path));
    FUZZ_CHECK(!strchr(path, '\\'), "allowed a backslash in '%s'", path);
    g_auto(GStrv) segs = g_strsplit(path + 1, "/", -1);
    for (char **s = segs; *s; s++) {
        FUZZ_CHECK((*s)[0] != '.', "allowed a dot segment '%s' in '%s'", *s, path);
        for (const unsigned char *c = (const unsigned char *)*s; *c; c++)
            FUZZ_CHECK(*c >= 0x20 && *c != 0x7f, "allowed control byte 0x%02x in '%s'", *c, path);
    }
    /* Lexically, the file stays under the root, whatever the segments are. */
    g_autofree char *joined = g_canonicalize_filename(path + 1, FAKE_ROOT);
    FUZZ_CHECK(strcmp(joined, FAKE_ROOT) == 0 || g_str_has_prefix(joined, FAKE_ROOT "/"),
               "'%s' resolves to '%s', outside the root", path, joined);
}

static void check_listen(const char *listen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0xa5, sizeof(ss));
    GError *error = NULL;
    gboolean ok = http_parse_listen(listen, &ss, &error);
    if (!ok) {
        FUZZ_CHECK(error != NULL && error->message, "failure without an error");
        g_error_free(error);
        return;
    }
    FUZZ_CHECK(error == NULL, "success with an error set");
    FUZZ_CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6, "family %d for '%s'",
               ss.ss_family, listen);
    /* The port is always what follows the last ':'. */
    const char *colon = strrchr(listen, ':');
    FUZZ_CHECK(colon != NULL, "accepted '%s' without a port", listen);
    guint64 want = 0;
    g_ascii_string_to_unsigned(colon + 1, 10, 0, G_MAXUINT64, &want, NULL);
    unsigned got = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                           : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    FUZZ_CHECK(got >= 1 && got == want, "'%s' gave port %u, want %" G_GUINT64_FORMAT, listen, got,
               want);
}

static void check_date(const char *date)
{
    time_t t = (time_t)-12345;
    if (!http_parse_date(date, &t)) {
        FUZZ_CHECK(t == (time_t)-12345, "failed parse of '%s' wrote its output", date);
        return;
    }
    /* What we format, we read back to the same instant. strptime normalises
     * nothing, timegm does (seconds 60/61, 31 Feb), so an accepted date can
     * land in year 10000, which IMF-fixdate cannot write: check 0000..9999. */
    if (t < (time_t)-62167219200LL || t > (time_t)253402300799LL)
        return;
    char buf[64];
    http_format_date(t, buf, sizeof(buf));
    time_t again = (time_t)-12345;
    FUZZ_CHECK(http_parse_date(buf, &again), "'%s' (from '%s') does not parse back", buf, date);
    FUZZ_CHECK(again == t, "'%s' -> %lld -> '%s' -> %lld", date, (long long)t, buf,
               (long long)again);
}

/* Reference decoder: %XX with two hex digits becomes the byte, except %00,
 * which stays as the three characters; everything else is copied. */
static char *reference_unescape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (const char *in = s; *in; in++) {
        if (in[0] == '%' && g_ascii_isxdigit(in[1]) && g_ascii_isxdigit(in[2]) &&
            (in[1] != '0' || in[2] != '0')) {
            g_string_append_c(
                out, (char)(g_ascii_xdigit_value(in[1]) * 16 + g_ascii_xdigit_value(in[2])));
            in += 2;
        } else {
            g_string_append_c(out, *in);
        }
    }
    return g_string_free(out, FALSE);
}

static void check_unescape(const char *url)
{
    /* Exact-size buffer: writing or reading past the string is a report. */
    size_t n = strlen(url);
    char *s = g_memdup2(url, n + 1);
    size_t len = unescape_keeping_nul(NULL, NULL, s);
    FUZZ_CHECK(len == strlen(s), "unescape returned %zu for %zu bytes", len, strlen(s));
    FUZZ_CHECK(len <= n, "unescape grew '%s' from %zu to %zu bytes", url, n, len);
    g_autofree char *want = reference_unescape(url);
    FUZZ_CHECK(strcmp(s, want) == 0, "unescape of '%s' gave '%s', want '%s'", url, s, want);
    g_free(s);
}

static void check_etag_list(const char *header)
{
    gboolean weak = api_etag_matches(header, SOME_ETAG);
    gboolean strong = api_etag_matches_strong(header, SOME_ETAG);
    /* A tag may add what was observed after a dot ("STATE.SEEN") or name
     * the gzip representation ("STATE-gzip"); only the strong (If-Match)
     * comparison disregards those: an edit is based on the state. */
    FUZZ_CHECK(!strong || weak || strchr(header, '.') || strstr(header, "-gzip\""),
               "'%s' matches strongly but not weakly", header);
    g_autofree char *seen = g_strdup_printf("%.*s.x\"", (int)strlen(SOME_ETAG) - 1, SOME_ETAG);
    g_autofree char *with_seen = g_strconcat(header, ", ", seen, NULL);
    FUZZ_CHECK(api_etag_matches_strong(with_seen, SOME_ETAG) &&
                   (weak || !api_etag_matches(with_seen, SOME_ETAG)),
               "'%s': another observation of the same state", with_seen);
    /* Adding the tag itself to any list makes it match, both ways; adding
     * its weak form makes only the weak comparison match. */
    g_autofree char *with = g_strconcat(header, ", " SOME_ETAG, NULL);
    FUZZ_CHECK(api_etag_matches(with, SOME_ETAG) && api_etag_matches_strong(with, SOME_ETAG),
               "'%s' does not match its own tag", with);
    g_autofree char *with_weak = g_strconcat(header, ",W/" SOME_ETAG, NULL);
    FUZZ_CHECK(api_etag_matches(with_weak, SOME_ETAG), "'%s' does not match weakly", with_weak);
    FUZZ_CHECK(api_etag_matches_strong(with_weak, SOME_ETAG) == strong,
               "a weak tag changed the strong result of '%s'", header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[N_FIELDS];
    fuzz_split_fields(data, size, fields, N_FIELDS);
    check_path(fields[0]);
    check_listen(fields[1]);
    check_date(fields[2]);
    check_unescape(fields[3]);
    check_etag_list(fields[4]);
    fuzz_free_fields(fields, N_FIELDS);
    return 0;
}
