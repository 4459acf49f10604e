#!/bin/sh
# The formatting gate of `make check`: every .c/.h in the C folders must be
# as clang-format 14 leaves it under the tree's .clang-format.
#   tests/check/format.sh          check; files named in tests/check/format-pending
#                                  (the tree before its one reformat) are skipped
#   tests/check/format.sh --fix    reformat every file in place and delete the
#                                  pending list (one commit of its own)
#   tests/check/format.sh --count  how many lines a reformat of every file would change
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}
PENDING=tests/check/format-pending
DIRS="api virt db server helpers tests/unit tests/fuzz tests/tsan"
mode=${1:-check}

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
    echo "format: $CLANG_FORMAT not found (apt-get install clang-format-14)"
    exit 1
fi
files=$(for d in $DIRS; do [ -d "$d" ] && find "$d" -name '*.[ch]'; done | LC_ALL=C sort)

case $mode in
--fix)
    # shellcheck disable=SC2086
    "$CLANG_FORMAT" -i $files
    rm -f "$PENDING"
    echo "format: $(echo "$files" | wc -l) files formatted"
    ;;
--count)
    tmp=$(mktemp)
    changed=0; total=0; nfiles=0
    for f in $files; do
        "$CLANG_FORMAT" "$f" >"$tmp"
        n=$(diff "$f" "$tmp" | grep -c '^<')
        total=$((total + $(wc -l <"$f")))
        [ "$n" -gt 0 ] && nfiles=$((nfiles + 1))
        changed=$((changed + n))
    done
    rm -f "$tmp"
    echo "format: a reformat would change $changed of $total lines, in $nfiles files"
    ;;
check)
    bad=0; checked=0; skipped=0
    for f in $files; do
        if [ -f "$PENDING" ] && grep -qxF "$f" "$PENDING"; then
            skipped=$((skipped + 1))
            continue
        fi
        checked=$((checked + 1))
        if ! "$CLANG_FORMAT" --dry-run -Werror "$f" 2>/dev/null; then
            bad=$((bad + 1))
            echo "$f: not formatted; what clang-format would change:"
            "$CLANG_FORMAT" "$f" | diff -u "$f" - | sed -n '3,40p'
        fi
    done
    if [ "$bad" -gt 0 ]; then
        echo "format: $bad of $checked files not formatted (tests/check/format.sh --fix)"
        exit 1
    fi
    msg="format: $checked files formatted"
    [ "$skipped" -gt 0 ] && msg="$msg, $skipped wait for tests/check/format.sh --fix ($PENDING)"
    echo "$msg"
    ;;
*)
    echo "usage: $0 [--fix | --count]"
    exit 2
    ;;
esac
