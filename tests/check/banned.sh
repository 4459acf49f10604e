#!/bin/sh
# The banned-call gate of `make check`: fails, naming file:line and what to
# use instead, when a C source calls a function of the table below.
# Usage: tests/check/banned.sh [FILE...] (default: every .c/.h in the C folders).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

# names (space-separated) | why | what to use instead. The README's Tests
# section shows the same table.
TABLE='sprintf vsprintf g_sprintf g_vsprintf stpcpy g_stpcpy|no bound on the output buffer|g_strdup_printf, g_snprintf, GString
strcpy strcat wcscpy|no bound on the output buffer|g_strdup, g_strlcpy, g_strconcat, GString
strncpy strncat|leaves the result unterminated, or needs a length sum done by hand|g_strlcpy, g_strlcat, g_strndup
gets|cannot bound its input at all (gone from C11)|fgets, g_io_channel_read_line
system popen g_spawn_command_line_sync g_spawn_command_line_async|runs a shell over one string: a quoting slip is command injection|g_subprocess_new or g_spawn_sync with an argv
atoi atol atoll atof|no error or range check: "12abc" and overflow pass silently|g_ascii_string_to_signed, g_ascii_string_to_unsigned
strtol strtoul strtoll strtoull strtod g_ascii_strtoll g_ascii_strtoull|errors show only through errno and the end pointer, which callers forget to look at|g_ascii_string_to_signed, g_ascii_string_to_unsigned (range and whole-string checks)
strtok|keeps its place in a hidden static: not reentrant, not thread-safe|g_strsplit, strtok_r
strerror|may answer a shared static buffer: not thread-safe|g_strerror
localtime gmtime ctime asctime|answer a shared static buffer: not thread-safe|GDateTime, localtime_r, gmtime_r
getpwnam getpwuid getgrnam getgrgid|answer a shared static buffer: not thread-safe|getpwnam_r, getpwuid_r, getgrnam_r, getgrgid_r
inet_ntoa gethostbyname gethostbyaddr|static buffer, IPv4 only|inet_ntop, getaddrinfo, getnameinfo
rand srand random srandom drand48|predictable, and one hidden state shared by all threads|randombytes_buf (libsodium) for secrets, else g_random_* or a seeded GRand
tmpnam tempnam mktemp|the name can be taken between choosing and opening it|g_mkstemp, g_dir_make_tmp, mkstemp
alloca g_alloca g_newa|unbounded stack allocation|g_new or g_malloc with g_autofree
vfork|the child shares the parent memory; easy to corrupt|g_subprocess_new, g_spawn_async'

# Raw close() stays allowed: GLib 2.74 (Debian 12) has no g_autofd or
# g_clear_fd (both came in GLib 2.76), and each of the few fds here is
# closed on one exit path. Once the tree needs GLib >= 2.76, add "close"
# above with g_autofd as the replacement.

DIRS="api virt db server helpers tests/unit tests/fuzz tests/bench tests/tsan"
if [ $# -gt 0 ]; then
    set -- "$@"
else
    # shellcheck disable=SC2046
    set -- $(for d in $DIRS; do [ -d "$d" ] && find "$d" -name '*.[ch]'; done | sort)
fi

# A call is a name followed by "(", with no identifier character, "." or
# "->" just before it (so a member such as t->abort() is not abort()).
# String and character literals and comments are skipped (a "*/*" in a
# string must not open a comment).
awk -v table="$TABLE" '
BEGIN {
    n = split(table, rows, "\n")
    for (i = 1; i <= n; i++) {
        split(rows[i], f, "|")
        k = split(f[1], names, " ")
        for (j = 1; j <= k; j++) { why[names[j]] = f[2]; instead[names[j]] = f[3]; alt = alt (alt ? "|" : "") names[j] }
    }
    re = "(^|[^A-Za-z0-9_.>])(" alt ")[ \t]*\\("
    q = sprintf("%c", 39)
    charlit = q "([^" q "\\\\]|\\\\.)*" q
    hits = 0
}
FNR == 1 { incomment = 0; files++ }
{
    line = $0; out = ""
    gsub(charlit, "0", line)
    gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
    while (line != "") {
        if (incomment) {
            p = index(line, "*/")
            if (!p) { line = ""; break }
            line = substr(line, p + 2); incomment = 0
        } else {
            p = index(line, "/*"); q = index(line, "//")
            if (q && (!p || q < p)) { out = out substr(line, 1, q - 1); line = ""; break }
            if (!p) { out = out line; line = ""; break }
            out = out substr(line, 1, p - 1); line = substr(line, p + 2); incomment = 1
        }
    }
    s = out
    while (match(s, re)) {
        call = substr(s, RSTART, RLENGTH)
        sub(/^[^A-Za-z_]*/, "", call); sub(/[ \t]*\($/, "", call)
        printf "%s:%d: %s: %s; use %s\n", FILENAME, FNR, call, why[call], instead[call]
        hits++
        s = substr(s, RSTART + RLENGTH)
    }
}
END {
    if (hits) { printf "banned calls: %d (the table is in tests/check/banned.sh)\n", hits; exit 1 }
    printf "banned calls: none in %d files\n", files
}' "$@"
