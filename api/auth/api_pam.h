/* Optional login of system accounts through PAM (--auth pam). A system
 * user's role comes from their groups; one in none of the configured
 * groups may not log in. */
#pragma once
#include "api/core/api.h"

struct ApiPamConfig {
    const char *service; /* PAM service name, /etc/pam.d/<service> */
    const char *admin_group;
    const char *operator_group;
    const char *viewer_group;
};

/* TRUE when PAM accepts `user` with `password` (authentication and
 * account checks). Blocks for as long as the PAM stack takes. */
gboolean api_pam_check(const char *service, const char *user, const char *password);
/* The role `user`'s groups give, or API_ROLE_NONE. */
ApiRole api_pam_role(const ApiPamConfig *cfg, const char *user);
