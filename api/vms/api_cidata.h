/* The files of a NoCloud seed (cloud-init's "cidata" medium): meta-data,
 * user-data and network-config as text. Every value Vireo writes into
 * YAML is a double-quoted scalar with everything YAML could read as
 * structure escaped, so no host name, user name or key can add keys. */
#pragma once
#include <glib.h>

#include "api/vms/api_cloud_init.h"

/* `s` as a YAML double-quoted scalar, quotes included. */
char *api_cidata_yaml_quote(const char *s);

/* instance-id and local-hostname. */
char *api_cidata_meta_data(const char *instance_id, const char *hostname);

/* The caller's own user-data as it is, or a #cloud-config that makes
 * `ci->user` (sudo without a password, like a cloud image's default user)
 * with `password_hash` (NULL: password login stays locked) and the SSH
 * keys. */
char *api_cidata_user_data(const ApiCloudInit *ci, const char *password_hash);
