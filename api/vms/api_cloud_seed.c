/* Building a create's cloud-init seed (see api_cloud_seed.h). */
#include "api/vms/api_cloud_seed.h"
#include "api/vms/api_cidata.h"
#include "api/vms/api_cidata_iso.h"
#include "api/vms/api_guest_password.h"

#include <string.h>

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        g_free(s);
    }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(char, free_secret)

static GBytes *build(const ApiCloudInit *ci, const char *instance_id, GError **error)
{
    g_autoptr(char) hash = ci->password ? api_guest_password_hash(ci->password, error)
                                        : g_strdup(ci->password_hash);
    if (ci->password && !hash)
        return NULL;
    g_autofree char *meta = api_cidata_meta_data(instance_id, ci->hostname);
    g_autoptr(char) user = api_cidata_user_data(ci, hash);
    ApiCidataFile files[] = {
        {"meta-data", meta},
        {"user-data", user},
        {"network-config", ci->network_config},
    };
    return api_cidata_iso(files, ci->network_config ? 3 : 2, error);
}

gboolean api_cloud_seed_build(ApiVmSpec *spec, const char *instance_id, GError **error)
{
    if (!spec->cloud_init)
        return TRUE;
    spec->seed = build(spec->cloud_init, instance_id, error);
    api_cloud_init_forget(spec->cloud_init);
    if (!spec->seed)
        return FALSE;
    for (guint i = 0; i < spec->volumes->len; i++) {
        VirtVmVolume *v = &g_array_index(spec->volumes, VirtVmVolume, i);
        if (v->kind == VIRT_VM_VOL_DATA)
            v->data = g_bytes_get_data(spec->seed, &v->data_len);
    }
    return TRUE;
}
