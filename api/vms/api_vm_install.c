/* POST /api/vms/{vm}/eject-installer: once the guest's OS is installed,
 * its CD-ROM drives are emptied (in the running guest and in its
 * definition) and the disk goes first in the boot order, in one request
 * under the VM's lock, so a reboot starts the installed system instead of
 * the installer. */
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/vms/api_vms.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_installer.h"

gboolean api_vm_eject_installer(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                                GError **error)
{
    if (!api_request_empty(req, error))
        return FALSE;
    g_auto(ApiVmChange) c = {0};
    g_auto(GStrv) ejected = NULL;
    gboolean boot_changed = FALSE;
    if (!api_vm_change_begin(ctx, req, NULL, &c, error) ||
        !virt_domain_eject_installer(c.dom, &ejected, &boot_changed, error))
        return FALSE;
    json_t *updated = api_vm_detail(ctx, c.conn, c.uuid, NULL, error);
    if (!updated)
        return FALSE;
    if (ejected[0] || boot_changed)
        api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    json_t *list = json_array();
    for (guint i = 0; ejected[i]; i++)
        json_array_append_new(list, json_string(ejected[i]));
    api_vm_answer(resp, 200, updated,
                  json_pack("{s:o,s:b}", "ejected", list, "boot_changed", boot_changed));
    return TRUE;
}
