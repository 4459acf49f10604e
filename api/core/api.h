/* The REST layer: a request parsed by server/ comes in, engine and
 * inventory are called, and a status + JSON (or raw) answer goes out.
 * Nothing here knows libmicrohttpd, so handlers are testable without HTTP. */
#pragma once
#include <gio/gio.h>
#include <jansson.h>

#include "db/db.h"
#include "virt/virt_conn.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

#define API_MAX_PARAMS 4
#define API_MAX_BODY (1024 * 1024)

typedef struct LoginThrottle LoginThrottle;
typedef struct ApiScope ApiScope;
typedef struct ApiLocks ApiLocks;
typedef struct ApiConsole ApiConsole;
typedef struct ApiConsoles ApiConsoles;
typedef struct ApiPamConfig ApiPamConfig;
typedef struct TaskEngine TaskEngine;
typedef struct ApiShotCache ApiShotCache;
typedef struct ApiSampler ApiSampler;
typedef struct ApiCounters ApiCounters;
typedef struct ApiBackups ApiBackups;
typedef struct ApiQuotas ApiQuotas;

/* What server/ alone knows, for /metrics. */
typedef struct {
    guint event_subscribers;
    guint consoles;
} ApiServerCounts;
typedef struct VirtModel VirtModel;
typedef struct ApiVmList ApiVmList;
typedef struct VirtHost VirtHost;
typedef struct VirtHosts VirtHosts;

typedef struct {
    /* The local host's (--connect) connection and VM model; a request's
     * own host is api_conn's (api/core/api_host_resolve.h). */
    VirtConn *virt;
    VirtModel *vm_model; /* the host's domains, for the VM list (virt_model.h); may be NULL */
    VirtHosts *hosts;    /* every libvirt host (virt/virt_hosts.h); may be NULL: the local alone */
    char *state_dir;     /* the inventory's directory (hosts' TLS key links); may be NULL */
    ApiVmList *vm_list;  /* its answers, kept while they hold (api_vm_list.h); may be NULL */
    Db *db;
    ApiLocks *locks;       /* per-object locks for read-check-write edits (api_locks.h) */
    ApiQuotas *quotas;     /* what quota-checked requests hold (api_quota.h); may be NULL */
    ApiConsoles *consoles; /* console tickets not yet used (api/vms/api_consoles.h) */
    LoginThrottle *throttle;
    gboolean tls;                /* served over HTTPS: Secure cookies, HSTS */
    gint64 session_idle_s;       /* a session unused this long ends */
    gint64 session_max_s;        /* and none lives longer than this */
    guint max_sessions_per_user; /* the oldest end beyond this many */
    gint64 audit_retention_s;    /* audit entries older than this are pruned */
    gint64 audit_max_rows;       /* and the newest this many are kept */
    gint audit_writes;           /* atomic: entries written, to bound the table now and then */
    const ApiPamConfig *pam;     /* NULL: local users only; else --auth pam */
    GMutex os_lock;              /* guards os_catalogue and os_media */
    json_t *os_catalogue;        /* libosinfo's OS list, fetched on first use; NULL before */
    GHashTable *os_media;        /* "path\nsize\nmtime" -> the OS on that ISO, or null */
    TaskEngine *tasks;           /* long work (clones, uploads) */
    gint64 task_retention_s;     /* finished tasks older than this are pruned */
    guint64 max_upload;          /* largest volume upload, bytes */
    guint host_open_timeout_s;   /* a host being added must answer within this */
    ApiShotCache *screenshots;   /* VM screenshots kept a moment; may be NULL */
    /* Tells the event stream that a VM changed where libvirt raises no
     * event (e.g. a disk added to a shut-off VM's definition); `event` as
     * for VirtDomainEventFunc; `h` the VM's host (NULL: the local one).
     * May be NULL. */
    void (*vm_changed)(VirtHost *h, const char *uuid, const char *name, int event, gpointer data);
    gpointer vm_changed_data;
    /* Tells long-lived answers (the event stream) that what user `user_id`
     * may do or see changed (0: any user): role, grants, ownership,
     * password, sessions, tokens. May be NULL. */
    void (*auth_changed)(gint64 user_id, gpointer data);
    gpointer auth_changed_data;
    ApiSampler *sampler;   /* live figures and their history (api/stats/); may be NULL */
    ApiCounters *counters; /* requests and errors, for /metrics (api_counters.h) */
    ApiBackups *backups;   /* backup jobs' scheduler and runs (api_backups.h); may be NULL */
    /* Fills what server/ counts (event streams, consoles). May be NULL. */
    void (*server_counts)(ApiServerCounts *out, gpointer data);
    gpointer server_counts_data;
} ApiContext;

typedef enum {
    API_ROLE_NONE,
    API_ROLE_VIEWER,
    API_ROLE_OPERATOR,
    API_ROLE_ADMIN,
} ApiRole;

/* Who is asking, once the gate has let a request through. */
typedef struct {
    gint64 user_id;
    char *username;
    ApiRole role;
    char *session_hash;    /* set when authenticated by session cookie */
    gint64 token_id;       /* set when authenticated by API token */
    gboolean metrics_only; /* a token that may only read /metrics */
} ApiAuth;

/* What a route needs; the gate checks it before the handler runs. */
typedef enum {
    API_PERM_PUBLIC,       /* no credentials: login, the API description */
    API_PERM_USER,         /* any logged-in user */
    API_PERM_VM_READ,      /* see the VM in {vm}: admin, or its owner/grantee */
    API_PERM_VM_OPERATE,   /* act on the VM in {vm}: admin, or operator owner/grantee */
    API_PERM_VM_CREATE,    /* operators and admins */
    API_PERM_POOL_READ,    /* see the pool in {pool}: admin, or a grant of it */
    API_PERM_VOLUME_READ,  /* see {pool}/{volume}: admin, or a volume the user may see */
    API_PERM_NETWORK_READ, /* see the network in {network}: admin, or a grant of it */
    API_PERM_ADMIN,
} ApiPerm;

typedef struct {
    const char *method;
    const char *path;            /* decoded, without the query string */
    GHashTable *query;           /* name -> value; may be NULL */
    const char *content_type;    /* may be NULL */
    const char *if_match;        /* may be NULL */
    const char *if_none_match;   /* may be NULL */
    const char *last_event_id;   /* Last-Event-ID: where an event stream resumes; may be NULL */
    const char *accept_encoding; /* Accept-Encoding: gzip answers (api_encoding.h); may be NULL */
    const char *body;
    gsize body_len;
    guint64 content_length;    /* announced body size (Content-Length), 0 if none */
    guint64 id;                /* request id, for logs */
    const char *cookie;        /* the session cookie's value, if sent */
    const char *authorization; /* Authorization header */
    const char *origin;        /* Origin header */
    const char *host;          /* Host header */
    const char *csrf_header;   /* X-Vireo-CSRF header */
    const char *address;       /* client address, for audit and throttling */
    const char *user_agent;
    /* filled by the router */
    const char *params[API_MAX_PARAMS];
    const char *route_arg;
    VirtHost *virt_host; /* the libvirt host it is about (a reference), set by the router
                          * when ?host= or the VM in the path names one; NULL: the local */
    ApiAuth *auth;       /* set by the gate for non-public routes */
    ApiScope *scope;     /* with auth: what the caller may use (api_scope.h) */
} ApiRequest;

typedef struct ApiResponse ApiResponse;
typedef struct ApiTransfer ApiTransfer;

/* A body streamed in (upload) or out (download) by server/, chunk by chunk,
 * without knowing what is behind it. server/ calls `write` for each body
 * chunk then `finish`, or `read` until it answers 0; `abort` when the
 * connection ends early; `free` always, last. */
struct ApiTransfer {
    /* upload: one chunk of the body; FALSE (with `error`) stops it. */
    gboolean (*write)(ApiTransfer *t, const char *data, gsize len, GError **error);
    /* upload: the whole body arrived; fills the answer and answers TRUE,
     * or FALSE with `error` (never NULL) once the upload is undone. */
    gboolean (*finish)(ApiTransfer *t, ApiResponse *resp, GError **error);
    /* download, optional: slow work before the first byte (an OVA's disks
     * converted), run on a thread of server/'s own while the connection
     * waits; sets `length`. `stop` is cancelled when the server stops.
     * FALSE with `error`: the answer is that error. */
    gboolean (*prepare)(ApiTransfer *t, GCancellable *stop, GError **error);
    /* download: up to `max` bytes into `buf`; 0 at the end, -1 on error. */
    gssize (*read)(ApiTransfer *t, char *buf, gsize max);
    /* the transfer ended early (client gone, error, shutdown): undo. */
    void (*abort)(ApiTransfer *t, const char *why);
    void (*free)(ApiTransfer *t);
    guint64 length; /* download: the body's size in bytes */
};

struct ApiResponse {
    unsigned status;
    json_t *body; /* JSON answer, or NULL */
    GBytes *raw;  /* or a raw answer with raw_type */
    const char *raw_type;
    GBytes *raw_gzip;             /* optional: `raw` gzip-compressed, kept by the handler */
    const char *content_encoding; /* "gzip" once `raw` holds the compressed body */
    GPtrArray *headers;           /* name, value, name, value ... (owned strings) */
    ApiAuth *stream;              /* set: answer with the event stream for this user */
    char *stream_resume;          /* and resume it after this event id (may be NULL) */
    ApiConsole *console;          /* set (status 101): upgrade to a WebSocket for this console;
                                * server/ takes it and frees it with console_free */
    void (*console_free)(ApiConsole *console);
    char *audit_user;      /* for the audit log: the user a login tried */
    char *audit_detail;    /* for the audit log: what else to record */
    ApiTransfer *transfer; /* set: stream the body in or out (see above) */
    char *log_note;        /* an error answer's "code: message", for the
                                * request's one log line (api_response_error) */
};

void api_response_init(ApiResponse *resp);
void api_response_clear(ApiResponse *resp);
void api_response_header(ApiResponse *resp, const char *name, const char *value);
const char *api_response_get_header(const ApiResponse *resp, const char *name);
/* Sets a JSON answer (stealing `body`). */
void api_response_json(ApiResponse *resp, unsigned status, json_t *body);

/* A route handler fills `resp` and answers TRUE, or answers FALSE with
 * `error` set (an API, engine or inventory GError); the dispatcher turns
 * the error into the JSON error answer and logs it once. Headers the
 * handler added (Allow, WWW-Authenticate, Retry-After ...) go out with the
 * error answer. `error` is never NULL. */
typedef gboolean (*ApiHandler)(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                               GError **error);

/* Route flags. */
enum {
    /* The body is not collected: the handler runs once the headers are in
     * (req->content_length says how much follows) and answers with an
     * ApiTransfer that takes the body chunk by chunk. No 1 MiB cap. */
    API_ROUTE_STREAM_BODY = 1 << 0,
    /* A metrics-only API token may use this route (and no other). */
    API_ROUTE_METRICS_TOKEN = 1 << 1,
    /* The audit entry's object is "{first}/{second}" of the path (a VM
     * and its snapshot), not only the first. */
    API_ROUTE_AUDIT_SUBOBJECT = 1 << 2,
    /* The audit entry's object adds the body's "name", as for a create
     * (a clone names its new VM). */
    API_ROUTE_AUDIT_BODY_NAME = 1 << 3,
};

typedef struct {
    const char *method;
    const char *pattern; /* "/api/vms/{vm}": {x} matches one path segment */
    ApiHandler handler;
    ApiPerm perm;
    const char *arg;    /* handler-specific, e.g. the action name */
    unsigned flags;     /* API_ROUTE_* */
    const char *action; /* what the audit log calls it ("vm.start"); NULL for reads */
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
/* TRUE when method + path is a route whose body is streamed, not collected
 * (API_ROUTE_STREAM_BODY). */
gboolean api_route_streams_body(const char *method, const char *path);
