/* PAM conversation that answers the password prompt and nothing else. */
#include "api/auth/api_pam.h"

#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

static int converse(int n, const struct pam_message **msg, struct pam_response **out, void *data)
{
    const char *password = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
            r[i].resp = strdup(password);
        } else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            /* Only a password is known: any other question fails. */
            for (int j = 0; j < i; j++)
                free(r[j].resp);
            free(r);
            return PAM_CONV_ERR;
        }
    }
    *out = r;
    return PAM_SUCCESS;
}

gboolean api_pam_check(const char *service, const char *user, const char *password)
{
    struct pam_conv conv = {converse, (void *)password};
    pam_handle_t *pamh = NULL;
    if (pam_start(service, user, &conv, &pamh) != PAM_SUCCESS)
        return FALSE;
    int rc = pam_authenticate(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    if (rc == PAM_SUCCESS)
        rc = pam_acct_mgmt(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    pam_end(pamh, rc);
    return rc == PAM_SUCCESS;
}

static gboolean in_group(const char *user, gid_t primary, const char *group)
{
    if (!group || !*group)
        return FALSE;
    struct group gr, *found = NULL;
    char buf[4096];
    if (getgrnam_r(group, &gr, buf, sizeof(buf), &found) != 0 || !found)
        return FALSE;
    gid_t wanted = found->gr_gid;
    int n = 64;
    g_autofree gid_t *gids = g_new(gid_t, n);
    if (getgrouplist(user, primary, gids, &n) < 0) {
        gids = g_renew(gid_t, gids, n);
        if (getgrouplist(user, primary, gids, &n) < 0)
            return FALSE;
    }
    for (int i = 0; i < n; i++)
        if (gids[i] == wanted)
            return TRUE;
    return FALSE;
}

ApiRole api_pam_role(const ApiPamConfig *cfg, const char *user)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || !found)
        return API_ROLE_NONE;
    if (in_group(user, found->pw_gid, cfg->admin_group))
        return API_ROLE_ADMIN;
    if (in_group(user, found->pw_gid, cfg->operator_group))
        return API_ROLE_OPERATOR;
    if (in_group(user, found->pw_gid, cfg->viewer_group))
        return API_ROLE_VIEWER;
    return API_ROLE_NONE;
}
