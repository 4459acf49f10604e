/* Shared bits of the libFuzzer targets: a loud invariant check that aborts
 * (so libFuzzer saves the input), and the check of the one error shape
 * every API error answer must have. */
#pragma once
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/core/api.h"

#define FUZZ_CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "\nINVARIANT FAILED at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

/* A NUL-terminated copy of the fuzzer input (embedded NULs end the string
 * early, as they would for any C string that came from outside). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Splits the input into `n` NUL-terminated fields at NUL bytes (missing
 * fields are empty); answers where the rest of the input begins. Free the
 * fields with fuzz_free_fields. */
static inline size_t fuzz_split_fields(const uint8_t *data, size_t size, char **fields, int n)
{
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *nul = pos < size ? memchr(data + pos, '\0', size - pos) : NULL;
        size_t end = nul ? (size_t)(nul - data) : size;
        fields[i] = g_strndup((const char *)data + pos, end - pos);
        pos = nul ? end + 1 : size;
    }
    return pos;
}

static inline void fuzz_free_fields(char **fields, int n)
{
    for (int i = 0; i < n; i++)
        g_free(fields[i]);
}

/* The machine codes the API may answer with, and their statuses. */
static inline const char *fuzz_expected_code(unsigned status)
{
    switch (status) {
    case 400: return "invalid_argument";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 412: return "precondition_failed";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 429: return "too_many_requests";
    case 500: return "internal";
    case 501: return "unsupported";
    case 503: return "unavailable";
    case 507: return "insufficient_storage";
    default: return NULL;
    }
}

/* Every error answer is exactly {"error":{"code":string,"message":string}},
 * its code the one that belongs to its status, and it serializes. */
static inline void fuzz_check_error_body(const ApiResponse *resp)
{
    FUZZ_CHECK(resp->body != NULL,
               "status %u has no JSON body (raw=%p): an error answer was lost "
               "(json_pack failure?)",
               resp->status, (void *)resp->raw);
    FUZZ_CHECK(json_is_object(resp->body), "status %u: body is not an object", resp->status);
    FUZZ_CHECK(json_object_size(resp->body) == 1, "status %u: body has %zu members, want 1",
               resp->status, json_object_size(resp->body));
    json_t *err = json_object_get(resp->body, "error");
    FUZZ_CHECK(json_is_object(err), "status %u: no \"error\" object", resp->status);
    FUZZ_CHECK(json_object_size(err) == 2, "status %u: error has %zu members, want 2", resp->status,
               json_object_size(err));
    json_t *code = json_object_get(err, "code");
    json_t *message = json_object_get(err, "message");
    FUZZ_CHECK(json_is_string(code), "status %u: error.code is not a string", resp->status);
    FUZZ_CHECK(json_is_string(message), "status %u: error.message is not a string", resp->status);
    const char *want = fuzz_expected_code(resp->status);
    FUZZ_CHECK(want && strcmp(want, json_string_value(code)) == 0,
               "status %u answered with code '%s'", resp->status, json_string_value(code));
    FUZZ_CHECK(json_string_length(message) > 0, "status %u: empty error message", resp->status);
    char *text = json_dumps(resp->body, JSON_COMPACT);
    FUZZ_CHECK(text != NULL, "status %u: error body does not serialize", resp->status);
    free(text);
}
