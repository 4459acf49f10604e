/* Shared by the libFuzzer targets of libvirt XML readers: a quiet libxml2
 * (parser and XPath messages would flood the fuzzer's output) and the
 * check that present values are never empty strings. */
#pragma once
#include <libxml/parser.h>

#include "fuzz_common.h"

static void fuzz_quiet_xml(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, fuzz_quiet_xml);
    return 0;
}

/* NULL means absent; present values are never empty. */
static inline void check_str(const char *what, const char *s)
{
    FUZZ_CHECK(!s || *s, "%s is an empty string instead of NULL", what);
}
