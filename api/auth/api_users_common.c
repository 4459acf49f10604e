/* User name and password rules, password changes, the first admin. */
#include "api/auth/api_users_common.h"
#include "api/core/api_crypto.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

gboolean api_check_username(const char *name, GError **error)
{
    gsize n = name ? strlen(name) : 0;
    gboolean ok = n >= 1 && n <= API_USERNAME_MAX && (g_ascii_islower(name[0]) || name[0] == '_');
    for (gsize i = 0; ok && i < n; i++)
        ok = g_ascii_islower(name[i]) || g_ascii_isdigit(name[i]) || strchr("_.-", name[i]);
    if (!ok)
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "username must be 1-%d characters: lowercase letters, digits, _ . -, "
                    "starting with a letter or _",
                    API_USERNAME_MAX);
    return ok;
}

gboolean api_check_password(const char *password, GError **error)
{
    if (!password || g_utf8_strlen(password, -1) < API_PASSWORD_MIN ||
        strlen(password) > API_PASSWORD_MAX) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "password must be %d to %d characters", API_PASSWORD_MIN, API_PASSWORD_MAX);
        return FALSE;
    }
    return TRUE;
}

gboolean api_set_password(ApiContext *ctx, gint64 user_id, const char *password,
                          const char *keep_session, gboolean keep_tokens, GError **error)
{
    g_autofree char *hash = api_crypto_hash_password(password);
    if (!hash) {
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "cannot hash password (out of memory?)");
        return FALSE;
    }
    /* Anyone who knew the old password may hold a session or have made a
     * token: end them all (the caller's own session stays). */
    if (!db_user_set_password(ctx->db, user_id, hash, keep_session, keep_tokens, error))
        return FALSE;
    api_auth_changed(ctx, user_id);
    return TRUE;
}

DbUser *api_user_from_path(ApiContext *ctx, const char *segment, GError **error)
{
    guint64 id;
    DbUser *u = NULL;
    if (g_ascii_string_to_unsigned(segment, 10, 1, G_MAXINT64, &id, NULL))
        u = db_user_by_id(ctx->db, (gint64)id, error);
    else
        u = db_user_by_name(ctx->db, segment, error);
    if (!u && !(error && *error))
        g_set_error(error, API_ERROR, API_ERROR_NOT_FOUND, "no user '%s'", segment);
    return u;
}

static char *read_password_file(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    g_strchomp(text);
    if (!api_check_password(text, error)) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    return g_steal_pointer(&text);
}

static gboolean write_private(const char *path, const char *text, GError **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    gboolean ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) && write(fd, "\n", 1) == 1;
    close(fd);
    if (!ok)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: short write", path);
    return ok;
}

gboolean api_bootstrap_admin(ApiContext *ctx, const char *password_file, const char *fallback_file,
                             GError **error)
{
    int users = db_user_count(ctx->db, NULL, error);
    if (users != 0)
        return users > 0;
    g_autofree char *password = password_file ? read_password_file(password_file, error)
                                              : api_crypto_random_secret();
    if (!password)
        return FALSE;
    g_autofree char *hash = api_crypto_hash_password(password);
    if (!hash || !db_user_create(ctx->db, "admin", hash, "admin", "local", error))
        return FALSE;
    if (password_file) {
        g_message("created user 'admin' with the password from %s", password_file);
        return TRUE;
    }
    if (!write_private(fallback_file, password, error))
        return FALSE;
    /* Printed once, on the very first start, so the owner can log in. */
    g_message("created user 'admin' with password %s (also in %s; change it after logging in)",
              password, fallback_file);
    return TRUE;
}
