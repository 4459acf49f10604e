/* Hosts from the inventory into the engine's registry, and what a
 * connection needs from the inventory (credentials, the host UUID). */
#include "api/hosts/api_hosts.h"
#include "api/core/api_error.h"
#include "virt/virt_hosts.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean api_host_check_credential(const char *field, const char *path, GError **error)
{
    struct stat st;
    if (!g_path_is_absolute(path))
        return api_invalid(error, "%s must be an absolute path", field);
    if (stat(path, &st) != 0)
        return api_invalid(error, "%s: %s: %s", field, path, g_strerror(errno));
    if (!S_ISREG(st.st_mode))
        return api_invalid(error, "%s: %s is not a regular file", field, path);
    if (st.st_uid != 0)
        return api_invalid(error, "%s: %s must be owned by root", field, path);
    if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP))
        return api_invalid(error,
                           "%s: %s must not be readable by others nor writable by group or "
                           "others (chmod 600)",
                           field, path);
    return TRUE;
}

static void append_param(GString *uri, const char *name, const char *value)
{
    g_autofree char *escaped = g_uri_escape_string(value, "/", FALSE);
    g_string_append_c(uri, strchr(uri->str, '?') ? '&' : '?');
    g_string_append_printf(uri, "%s=%s", name, escaped);
}

/* libvirt takes a directory holding cacert.pem, clientcert.pem and
 * clientkey.pem: one per set of files, named by their paths' hash, with
 * links to where the admin keeps them. */
static char *pki_dir(ApiContext *ctx, const DbHost *h, GError **error)
{
    g_autofree char *key = g_strjoin("\n", h->tls_ca, h->tls_cert, h->tls_key, NULL);
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
    hash[16] = '\0';
    g_autofree char *dir = g_build_filename(ctx->state_dir ? ctx->state_dir : "/var/lib/vireo",
                                            "pki", hash, NULL);
    if (g_mkdir_with_parents(dir, 0700) != 0)
        return api_fail(error, API_ERROR_INTERNAL, "making %s: %s", dir, g_strerror(errno)), NULL;
    const char *names[] = {"cacert.pem", "clientcert.pem", "clientkey.pem"};
    const char *targets[] = {h->tls_ca, h->tls_cert, h->tls_key};
    for (int i = 0; i < 3; i++) {
        g_autofree char *link = g_build_filename(dir, names[i], NULL);
        unlink(link);
        if (symlink(targets[i], link) != 0)
            return api_fail(error, API_ERROR_INTERNAL, "linking %s: %s", link, g_strerror(errno)),
                   NULL;
    }
    return g_steal_pointer(&dir);
}

char *api_host_connect_uri(ApiContext *ctx, const DbHost *h, GError **error)
{
    g_autoptr(GString) uri = g_string_new(h->uri);
    if (h->ssh_key)
        append_param(uri, "keyfile", h->ssh_key);
    if (h->tls_cert) {
        g_autofree char *dir = pki_dir(ctx, h, error);
        if (!dir)
            return NULL;
        append_param(uri, "pkipath", dir);
    }
    return g_string_free(g_steal_pointer(&uri), FALSE);
}

static VirtHost *add_to_registry(ApiContext *ctx, const DbHost *row, GError **error)
{
    g_autofree char *connect_uri = api_host_connect_uri(ctx, row, error);
    if (!connect_uri)
        return NULL;
    VirtHostSpec spec = {.id = row->id,
                         .name = row->name,
                         .uri = row->uri,
                         .connect_uri = strcmp(connect_uri, row->uri) ? connect_uri : NULL,
                         .uuid = row->uuid,
                         .local = row->local};
    return virt_hosts_add(ctx->hosts, &spec);
}

/* The local host's row: made at first start, its URI kept to --connect. */
static gboolean local_row(ApiContext *ctx, const char *local_uri, GPtrArray *rows, GError **error)
{
    for (guint i = 0; i < rows->len; i++) {
        DbHost *h = g_ptr_array_index(rows, i);
        if (!h->local)
            continue;
        if (strcmp(h->uri, local_uri) == 0)
            return TRUE;
        /* Another --connect may reach another host: its UUID is learnt again. */
        g_free(h->uri);
        h->uri = g_strdup(local_uri);
        g_clear_pointer(&h->uuid, g_free);
        return db_host_update(ctx->db, h, error);
    }
    DbHost h = {.name = (char *)g_get_host_name(), .uri = (char *)local_uri, .local = TRUE};
    g_autoptr(GError) taken = NULL;
    gint64 id = db_host_create(ctx->db, &h, &taken);
    if (!id) {
        /* A remote host already has this machine's name. */
        g_autofree char *name = g_strdup_printf("%s-local", g_get_host_name());
        h.name = name;
        id = db_host_create(ctx->db, &h, error);
    }
    if (!id)
        return FALSE;
    DbHost *made = db_host_get(ctx->db, id, error);
    if (!made)
        return FALSE;
    g_ptr_array_insert(rows, 0, made);
    return TRUE;
}

gboolean api_hosts_load(ApiContext *ctx, const char *local_uri, GError **error)
{
    g_autoptr(GPtrArray) rows = db_host_list(ctx->db, error);
    if (!rows || !local_row(ctx, local_uri, rows, error))
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        const DbHost *row = g_ptr_array_index(rows, i);
        g_autoptr(GError) why = NULL;
        g_autoptr(VirtHost) h = add_to_registry(ctx, row, &why);
        if (!h && row->local) {
            g_propagate_error(error, g_steal_pointer(&why));
            return FALSE;
        }
        if (!h) {
            g_warning("host %s (%s) left out: %s", row->name, row->uri, why->message);
            continue;
        }
        /* Set before it connects: the callbacks of a connect use them. */
        if (row->local) {
            ctx->virt = virt_host_conn(h);
            ctx->vm_model = virt_host_model(h);
        }
        virt_host_start(h);
    }
    return TRUE;
}

void api_hosts_connected(ApiContext *ctx, VirtHost *h)
{
    virt_host_refresh_figures(h);
    g_autofree char *known = virt_host_uuid(h);
    if (known)
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = virt_conn_get(virt_host_conn(h), NULL);
    if (!conn)
        return;
    g_autofree char *uuid = virt_host_read_uuid(conn, &error);
    g_autoptr(DbHost) row = uuid ? db_host_get(ctx->db, virt_host_id(h), &error) : NULL;
    if (!row) {
        if (error)
            g_warning("host %" G_GINT64_FORMAT ": its libvirt UUID: %s", virt_host_id(h),
                      error->message);
        return;
    }
    g_free(row->uuid);
    row->uuid = g_strdup(uuid);
    if (!db_host_update(ctx->db, row, &error)) {
        g_warning("host %s is %s, already registered under another name: %s", row->name, uuid,
                  error->message);
        return;
    }
    virt_host_set_uuid(h, uuid);
}
