/* Console tickets and what a console may do (see api_consoles.h). A ticket
 * is a random 256-bit string, kept in memory with an expiry; using it
 * removes it, whatever the outcome, so it can never be tried twice. */
#include "api/core/api_host_resolve.h"
#include "api/vms/api_consoles.h"
#include "api/core/api_crypto.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/host/api_driver.h"
#include "db/db_audit.h"
#include "db/db_auth.h"
#include "virt/virt_console.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"

#include <string.h>

/* Unused tickets a user may hold, and all users together. */
#define TICKETS_PER_USER 16
#define TICKETS_MAX 4096

typedef struct {
    ApiConsole *console; /* what the ticket will open */
    gint64 expires;      /* monotonic µs */
} Ticket;

struct ApiConsoles {
    GMutex lock;
    GHashTable *tickets; /* ticket -> Ticket* */
};

void api_console_free(ApiConsole *c)
{
    if (!c)
        return;
    g_free(c->vm_name);
    g_clear_pointer(&c->host, virt_host_unref);
    api_auth_free(c->auth);
    g_free(c);
}

static void ticket_free(gpointer p)
{
    Ticket *t = p;
    api_console_free(t->console);
    g_free(t);
}

ApiConsoles *api_consoles_new(void)
{
    ApiConsoles *cs = g_new0(ApiConsoles, 1);
    g_mutex_init(&cs->lock);
    cs->tickets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ticket_free);
    return cs;
}

void api_consoles_free(ApiConsoles *cs)
{
    if (!cs)
        return;
    g_hash_table_unref(cs->tickets);
    g_mutex_clear(&cs->lock);
    g_free(cs);
}

static const char *type_name(ApiConsoleType type)
{
    return type == API_CONSOLE_SERIAL ? "serial" : "vnc";
}

static ApiAuth *auth_copy(const ApiAuth *a)
{
    ApiAuth *c = g_new0(ApiAuth, 1);
    c->user_id = a->user_id;
    c->username = g_strdup(a->username);
    c->role = a->role;
    c->token_id = a->token_id;
    c->session_hash = g_strdup(a->session_hash);
    return c;
}

/* Drops expired tickets and says whether `user_id` may hold one more. */
static gboolean room_for(ApiConsoles *cs, gint64 user_id, gint64 now)
{
    guint mine = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, cs->tickets);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Ticket *t = value;
        if (t->expires <= now)
            g_hash_table_iter_remove(&it);
        else if (t->console->auth->user_id == user_id)
            mine++;
    }
    return mine < TICKETS_PER_USER && g_hash_table_size(cs->tickets) < TICKETS_MAX;
}

/* The device the console needs is there: a VNC display, or a serial port. */
static gboolean has_device(virDomainPtr dom, ApiConsoleType type, GError **error)
{
    g_autoptr(VirtDomainDetail) d = virt_domain_detail(dom, error);
    if (!d)
        return FALSE;
    if (d->summary.state != VIR_DOMAIN_RUNNING && d->summary.state != VIR_DOMAIN_PAUSED)
        return virt_fail(error, VIRT_ERROR_INVALID_STATE,
                         "VM '%s' is not running (%s): start "
                         "it first",
                         virDomainGetName(dom), virt_domain_state_name(d->summary.state));
    if (type == API_CONSOLE_VNC) {
        for (guint i = 0; i < d->config->graphics->len; i++)
            if (g_strcmp0(((VirtGraphics *)g_ptr_array_index(d->config->graphics, i))->type,
                          "vnc") == 0)
                return TRUE;
        return virt_fail(error, VIRT_ERROR_NOT_SUPPORTED,
                         "VM '%s' has no graphical display "
                         "(VNC); use its serial console",
                         virDomainGetName(dom));
    }
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    if (xml && (strstr(xml, "<serial") || strstr(xml, "<console")))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_NOT_SUPPORTED,
                     "VM '%s' has no serial device; use its "
                     "graphical console",
                     virDomainGetName(dom));
}

gboolean api_vm_console_ticket(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                               GError **error)
{
    static const char *const allowed[] = {"type", NULL};
    const char *type = "vnc";
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "type", 16, &type, error))
        return FALSE;
    if (strcmp(type, "vnc") != 0 && strcmp(type, "serial") != 0)
        return api_invalid(error, "field 'type' must be 'vnc' or 'serial', not '%s'", type);
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    g_autoptr(ApiConsole) c = g_new0(ApiConsole, 1);
    c->type = strcmp(type, "serial") == 0 ? API_CONSOLE_SERIAL : API_CONSOLE_VNC;
    if (!dom ||
        !api_driver_has(ctx, req,
                        c->type == API_CONSOLE_SERIAL ? API_FEATURE_SERIAL : API_FEATURE_VNC,
                        error) ||
        !has_device(dom, c->type, error))
        return FALSE;
    virDomainGetUUIDString(dom, c->uuid);
    c->host = api_req_host(ctx, req);
    c->vm_name = g_strdup(virDomainGetName(dom));
    c->auth = auth_copy(req->auth);
    g_autofree char *ticket = api_crypto_random_secret();
    gint64 now = g_get_monotonic_time();
    ApiConsoles *cs = ctx->consoles;
    g_mutex_lock(&cs->lock);
    gboolean room = room_for(cs, req->auth->user_id, now);
    if (room) {
        Ticket *t = g_new0(Ticket, 1);
        t->console = g_steal_pointer(&c);
        t->expires = now + API_CONSOLE_TICKET_S * G_USEC_PER_SEC;
        g_hash_table_insert(cs->tickets, g_strdup(ticket), t);
    }
    g_mutex_unlock(&cs->lock);
    if (!room)
        return api_fail(error, API_ERROR_TOO_MANY_REQUESTS,
                        "too many console tickets waiting "
                        "to be used; open the ones you have first");
    g_autofree char *url = g_strconcat("/api/consoles/", ticket, NULL);
    gint64 expires_at = g_get_real_time() / G_USEC_PER_SEC + API_CONSOLE_TICKET_S;
    resp->audit_detail = g_strdup_printf("%s console ticket", type);
    api_response_json(resp, 201,
                      json_pack("{s:s,s:s,s:o}", "type", type, "url", url, "expires_at",
                                api_time_json(expires_at)));
    return TRUE;
}

/* The ticket's console, removed from the table whatever happens next. */
static ApiConsole *take_ticket(ApiConsoles *cs, const char *ticket)
{
    ApiConsole *c = NULL;
    g_mutex_lock(&cs->lock);
    gpointer key = NULL, value = NULL;
    if (g_hash_table_steal_extended(cs->tickets, ticket, &key, &value)) {
        Ticket *t = value;
        if (t->expires > g_get_monotonic_time())
            c = g_steal_pointer(&t->console);
        ticket_free(t);
        g_free(key);
    }
    g_mutex_unlock(&cs->lock);
    return c;
}

gboolean api_console_still_allowed(ApiContext *ctx, ApiConsole *c)
{
    g_autoptr(DbUser) user = db_user_by_id(ctx->db, c->auth->user_id, NULL);
    if (!user || !api_auth_still_valid(ctx, c->auth))
        return FALSE;
    c->auth->role = api_role_from_name(user->role);
    if (c->auth->role < API_ROLE_OPERATOR)
        return FALSE;
    g_autoptr(ApiScope) scope = api_scope_new(ctx, c->auth);
    return api_scope_sees_vm(scope, c->uuid, NULL);
}

gboolean api_console_open(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    /* Spent now, whatever follows: a ticket is tried once. */
    g_autoptr(ApiConsole) c = take_ticket(ctx->consoles, req->params[0]);
    if (!c)
        return api_fail(error, API_ERROR_NOT_FOUND,
                        "no such console ticket: it was used, "
                        "it expired (after %d s), or it never was",
                        API_CONSOLE_TICKET_S);
    /* A page of another site must not open a console with a ticket it
     * somehow learnt. */
    if (!api_origin_matches(req->origin, req->host, ctx->tls))
        return api_fail(error, API_ERROR_FORBIDDEN,
                        "a console opens only from vireod's own "
                        "pages (Origin)");
    if (!api_console_still_allowed(ctx, c))
        return api_fail(error, API_ERROR_FORBIDDEN,
                        "the ticket's user may no longer open "
                        "this console");
    resp->console = g_steal_pointer(&c);
    resp->console_free = api_console_free;
    resp->status = 101;
    return TRUE;
}

static virDomainPtr lookup(ApiContext *ctx, const ApiConsole *c, GError **error)
{
    g_autoptr(virConnect) conn = api_host_conn(ctx, c->host, error);
    return conn ? virt_domain_lookup(conn, c->uuid, error) : NULL;
}

int api_console_open_display(ApiContext *ctx, const ApiConsole *c, GError **error)
{
    g_autoptr(virDomain) dom = lookup(ctx, c, error);
    return dom ? virt_console_open_display(dom, error) : -1;
}

virStreamPtr api_console_open_serial(ApiContext *ctx, const ApiConsole *c, gboolean force,
                                     GError **error)
{
    g_autoptr(virDomain) dom = lookup(ctx, c, error);
    return dom ? virt_console_open_serial(dom, force, error) : NULL;
}

gboolean api_console_held_elsewhere(const GError *error)
{
    return g_error_matches(error, VIRT_ERROR, VIRT_ERROR_BUSY);
}

GBytes *api_console_serial_tail(ApiContext *ctx, const ApiConsole *c, gsize max)
{
    g_autoptr(virDomain) dom = lookup(ctx, c, NULL);
    g_autofree char *path = dom ? virt_console_serial_log(dom) : NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!path || !g_file_get_contents(path, &text, &len, NULL))
        return g_bytes_new(NULL, 0);
    gsize from = len > max ? len - max : 0;
    return g_bytes_new(text + from, len - from);
}

void api_console_began(ApiContext *ctx, ApiConsole *c, const char *address)
{
    c->opened_at = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *path = g_strdup_printf("/api/vms/%s/console", c->vm_name);
    DbAuditEntry e = {.username = c->auth->username,
                      .address = (char *)address,
                      .method = (char *)"GET",
                      .path = path,
                      .target = c->vm_name,
                      .action = (char *)"vm.console"};
    g_autoptr(GError) error = NULL;
    if (!(c->audit_id = db_audit_add(ctx->db, &e, &error)))
        g_warning("console of %s: audit log write failed: %s", c->vm_name, error->message);
}

void api_console_ended(ApiContext *ctx, ApiConsole *c, guint64 to_browser, guint64 from_browser,
                       const char *why)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc(c->opened_at);
    g_autofree char *from = start ? g_date_time_format_iso8601(start) : g_strdup("?");
    g_autofree char *sent = g_format_size(to_browser);
    g_autofree char *got = g_format_size(from_browser);
    g_autofree char *detail = g_strdup_printf(
        "%s console from %s for %" G_GINT64_FORMAT " s: %s to the browser, %s from it; %s",
        type_name(c->type), from, now - c->opened_at, sent, got, why);
    g_autoptr(GError) error = NULL;
    if (c->audit_id && !db_audit_finish(ctx->db, c->audit_id, 200, detail, 0, &error))
        g_warning("console of %s: audit log write failed: %s", c->vm_name, error->message);
    g_message("console: %s (%s, %s)", detail, c->auth->username, c->vm_name);
}
