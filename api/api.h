/* The REST layer: a request parsed by server/ comes in, engine and
 * inventory are called, and a status + JSON (or raw) answer goes out.
 * Nothing here knows libmicrohttpd, so handlers are testable without HTTP. */
#pragma once
#include <glib.h>
#include <jansson.h>

#include "db/db.h"
#include "virt/virt_conn.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

#define API_MAX_PARAMS 4
#define API_MAX_BODY (1024 * 1024)

typedef struct {
    VirtConn *virt;
    Db *db;
    GMutex edit_lock;   /* serializes read-check-write edits (If-Match) */
} ApiContext;

typedef struct {
    const char *method;
    const char *path;          /* decoded, without the query string */
    GHashTable *query;         /* name -> value; may be NULL */
    const char *content_type;  /* may be NULL */
    const char *if_match;      /* may be NULL */
    const char *if_none_match; /* may be NULL */
    const char *body;
    gsize body_len;
    guint64 id;                /* request id, for logs */
    /* filled by the router */
    const char *params[API_MAX_PARAMS];
    const char *route_arg;
} ApiRequest;

typedef struct {
    unsigned status;
    json_t *body;              /* JSON answer, or NULL */
    GBytes *raw;               /* or a raw answer with raw_type */
    const char *raw_type;
    GPtrArray *headers;        /* name, value, name, value ... (owned strings) */
} ApiResponse;

void api_response_init(ApiResponse *resp);
void api_response_clear(ApiResponse *resp);
void api_response_header(ApiResponse *resp, const char *name, const char *value);
const char *api_response_get_header(const ApiResponse *resp, const char *name);
/* Sets a JSON answer (stealing `body`). */
void api_response_json(ApiResponse *resp, unsigned status, json_t *body);

typedef void (*ApiHandler)(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);

typedef struct {
    const char *method;
    const char *pattern;   /* "/api/vms/{vm}": {x} matches one path segment */
    ApiHandler handler;
    const char *arg;       /* handler-specific, e.g. the action name */
} ApiRoute;

/* The route table, terminated by an entry with a NULL method. */
extern const ApiRoute api_routes[];

/* Routes one request: 404/405 for unknown paths and methods, 415 and 400
 * for bodies that are not a JSON object, then the handler. */
void api_dispatch(ApiContext *ctx, ApiRequest *req, ApiResponse *resp);

/* Matching alone (for tests and the OpenAPI check): the route for method +
 * path with its captures in req->params, or NULL. `allow` (may be NULL)
 * receives the methods that the path does accept, comma-separated. */
const ApiRoute *api_route_match(const char *method, const char *path, ApiRequest *req,
                                GString *allow);
