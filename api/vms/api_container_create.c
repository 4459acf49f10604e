/* POST /api/vms with {"type": "container"}: a system container on a host
 * whose driver runs them (LXC), from a root directory of the host.
 * A root directory is host filesystem access (the container's root can
 * read and write it), so only admins may name one. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "api/host/api_driver.h"
#include "api/vms/api_vms.h"
#include "db/db.h"
#include "db/db_auth.h"
#include "virt/virt_container_xml.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_host.h"

#include <libvirt/virterror.h>

#include <unistd.h>

/* The root directory and the init program in it exist: a typo is a 400
 * now, not a container that fails at its first start. */
static gboolean check_root(const char *root, const char *init, GError **error)
{
    if (g_strcmp0(root, "/") == 0)
        return api_invalid(error, "field 'root_dir' must not be the host's own root");
    if (!g_file_test(root, G_FILE_TEST_IS_DIR))
        return api_invalid(error, "field 'root_dir': '%s' is not a directory on the host", root);
    g_autofree char *program = g_build_filename(root, init, NULL);
    if (!g_file_test(program, G_FILE_TEST_EXISTS) || access(program, X_OK) != 0)
        return api_invalid(error, "field 'init': '%s' is not an executable under '%s'", init, root);
    return TRUE;
}

gboolean api_container_create(ApiContext *ctx, const ApiRequest *req, json_t *body,
                              ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"type",  "name", "root_dir", "memory_mib",
                                          "vcpus", "init", "start",    NULL};
    static const char *const required[] = {"name", "root_dir", "memory_mib", NULL};
    const char *name = NULL, *root = NULL, *init = "/sbin/init";
    json_int_t memory = 0, vcpus = 1;
    int start = 0;
    if (!api_json_only_members(body, allowed, error) || !api_json_require(body, required, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_string(body, "root_dir", 1024, &root, error) ||
        !api_json_opt_string(body, "init", 1024, &init, error) ||
        !api_json_opt_int(body, "memory_mib", 16, 1024 * 1024, &memory, error) ||
        !api_json_opt_int(body, "vcpus", 1, 256, &vcpus, error) ||
        !api_json_opt_bool(body, "start", &start, error))
        return FALSE;
    if (!req->auth || req->auth->role != API_ROLE_ADMIN)
        return api_fail(error, API_ERROR_FORBIDDEN,
                        "only admins may create containers: a container's root directory is "
                        "host filesystem access");
    if (!api_driver_has(ctx, req, API_FEATURE_CONTAINERS, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(VirtHostInfo) host = conn ? virt_host_info(conn, error) : NULL;
    if (!host)
        return FALSE;
    VirtContainerSpec spec = {.name = name,
                              .domain_type = host->default_domain_type,
                              .root_dir = root,
                              .init = init,
                              .memory_mib = (guint64)memory,
                              .vcpus = (guint)vcpus};
    GError *why = NULL;
    g_autofree char *xml = virt_container_xml(&spec, &why);
    if (!xml) {
        g_propagate_error(error, why);
        return FALSE;
    }
    if (!check_root(root, init, error))
        return FALSE;
    virDomainPtr clash = virDomainLookupByName(conn, name);
    virResetLastError();
    if (clash) {
        virDomainFree(clash);
        return api_fail(error, API_ERROR_CONFLICT, "a VM or container named '%s' exists", name);
    }
    g_autoptr(virDomain) dom = virDomainDefineXML(conn, xml);
    if (!dom) {
        virt_error_from_libvirt(error, "defining the container");
        return FALSE;
    }
    char uuid[VIR_UUID_STRING_BUFLEN];
    virDomainGetUUIDString(dom, uuid);
    const char *uuids[] = {uuid, NULL};
    /* Nothing half-done: a container whose row or start fails is removed. */
    if (!db_vm_meta_touch_all(ctx->db, uuids, error) ||
        !db_vm_set_owner(ctx->db, uuid, req->auth->user_id, error) ||
        (start == 1 && !virt_domain_act(dom, VIRT_ACTION_START, error))) {
        virDomainUndefine(dom);
        virResetLastError();
        return FALSE;
    }
    api_vm_changed(ctx, req->virt_host, dom, VIRT_DOMAIN_EVENT_EDITED);
    json_t *obj = api_vm_detail(ctx, conn, uuid, NULL, error);
    if (!obj)
        return FALSE;
    g_autofree char *location = g_strconcat("/api/vms/", name, NULL);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}
