/* The route table: every REST route Vireo serves and the permission it
 * needs. The gate (api_gate.c) checks the permission before any handler
 * runs; the OpenAPI document (api/openapi.json) must list exactly these
 * routes, which a unit test checks. */
#include "api/api_handlers.h"

/* Most routes have no flags: a row may leave the last field out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* Transitional: an old-style handler has answered its own error, so the
 * wrapper reports success and the dispatcher adds nothing. */
#define LEGACY(name)                                                                        \
    static API_HANDLER(legacy_##name)                                                      \
    {                                                                                      \
        (void)error;                                                                       \
        name(ctx, req, resp);                                                              \
        return TRUE;                                                                       \
    }
LEGACY(api_openapi_get)
LEGACY(api_host_get)
LEGACY(api_events_get)
LEGACY(api_networks_list)
LEGACY(api_networks_create)
LEGACY(api_network_get)
LEGACY(api_network_patch)
LEGACY(api_network_delete)
LEGACY(api_network_action)

const ApiRoute api_routes[] = {
    {"GET", "/api/openapi.json", legacy_api_openapi_get, API_PERM_PUBLIC, NULL},
    {"POST", "/api/session", api_session_login, API_PERM_PUBLIC, NULL},
    {"GET", "/api/session", api_session_get, API_PERM_USER, NULL},
    {"DELETE", "/api/session", api_session_logout, API_PERM_USER, NULL},
    {"POST", "/api/session/password", api_session_password, API_PERM_USER, NULL},
    {"GET", "/api/sessions", api_sessions_list, API_PERM_USER, NULL},
    {"DELETE", "/api/sessions/{session}", api_sessions_revoke, API_PERM_USER, NULL},
    {"GET", "/api/tokens", api_tokens_list, API_PERM_USER, NULL},
    {"POST", "/api/tokens", api_tokens_create, API_PERM_USER, NULL},
    {"DELETE", "/api/tokens/{token}", api_tokens_revoke, API_PERM_USER, NULL},
    {"GET", "/api/users", api_users_list, API_PERM_ADMIN, NULL},
    {"POST", "/api/users", api_users_create, API_PERM_ADMIN, NULL},
    {"GET", "/api/users/{user}", api_users_get, API_PERM_ADMIN, NULL},
    {"PATCH", "/api/users/{user}", api_users_patch, API_PERM_ADMIN, NULL},
    {"DELETE", "/api/users/{user}", api_users_delete, API_PERM_ADMIN, NULL},
    {"GET", "/api/users/{user}/grants", api_grants_list, API_PERM_ADMIN, NULL},
    {"POST", "/api/users/{user}/grants", api_grants_add, API_PERM_ADMIN, NULL},
    {"DELETE", "/api/users/{user}/grants/{vm}", api_grants_remove, API_PERM_ADMIN, NULL},
    {"GET", "/api/audit", api_audit_list, API_PERM_ADMIN, NULL},
    {"GET", "/api/events", legacy_api_events_get, API_PERM_USER, NULL},
    {"GET", "/api/host", legacy_api_host_get, API_PERM_USER, NULL},
    {"GET", "/api/vms", api_vms_list, API_PERM_USER, NULL},
    {"POST", "/api/vms", api_vms_create, API_PERM_VM_CREATE, NULL},
    {"GET", "/api/vms/{vm}", api_vm_get, API_PERM_VM_READ, NULL},
    {"PATCH", "/api/vms/{vm}", api_vm_patch, API_PERM_VM_OPERATE, NULL},
    {"DELETE", "/api/vms/{vm}", api_vm_delete, API_PERM_VM_OPERATE, NULL},
    {"POST", "/api/vms/{vm}/start", api_vm_action, API_PERM_VM_OPERATE, "start"},
    {"POST", "/api/vms/{vm}/shutdown", api_vm_action, API_PERM_VM_OPERATE, "shutdown"},
    {"POST", "/api/vms/{vm}/poweroff", api_vm_action, API_PERM_VM_OPERATE, "poweroff"},
    {"POST", "/api/vms/{vm}/reboot", api_vm_action, API_PERM_VM_OPERATE, "reboot"},
    {"POST", "/api/vms/{vm}/reset", api_vm_action, API_PERM_VM_OPERATE, "reset"},
    {"POST", "/api/vms/{vm}/suspend", api_vm_action, API_PERM_VM_OPERATE, "suspend"},
    {"POST", "/api/vms/{vm}/resume", api_vm_action, API_PERM_VM_OPERATE, "resume"},
    {"GET", "/api/vms/{vm}/disks", api_vm_disks_list, API_PERM_VM_READ, NULL},
    {"POST", "/api/vms/{vm}/disks", api_vm_disks_attach, API_PERM_VM_OPERATE, NULL},
    {"GET", "/api/vms/{vm}/disks/{target}", api_vm_disk_get, API_PERM_VM_READ, NULL},
    {"PATCH", "/api/vms/{vm}/disks/{target}", api_vm_disk_patch, API_PERM_VM_OPERATE, NULL},
    {"DELETE", "/api/vms/{vm}/disks/{target}", api_vm_disk_detach, API_PERM_VM_OPERATE, NULL},
    {"GET", "/api/vms/{vm}/nics", api_vm_nics_list, API_PERM_VM_READ, NULL},
    {"POST", "/api/vms/{vm}/nics", api_vm_nics_attach, API_PERM_VM_OPERATE, NULL},
    {"GET", "/api/vms/{vm}/nics/{mac}", api_vm_nic_get, API_PERM_VM_READ, NULL},
    {"PATCH", "/api/vms/{vm}/nics/{mac}", api_vm_nic_patch, API_PERM_VM_OPERATE, NULL},
    {"DELETE", "/api/vms/{vm}/nics/{mac}", api_vm_nic_detach, API_PERM_VM_OPERATE, NULL},
    {"GET", "/api/os", api_os_list, API_PERM_USER, NULL},
    {"GET", "/api/os/{os}", api_os_get, API_PERM_USER, NULL},
    {"GET", "/api/templates", api_templates_list, API_PERM_USER, NULL},
    {"POST", "/api/templates", api_templates_create, API_PERM_ADMIN, NULL},
    {"GET", "/api/templates/{template}", api_template_get, API_PERM_USER, NULL},
    {"PATCH", "/api/templates/{template}", api_template_patch, API_PERM_ADMIN, NULL},
    {"DELETE", "/api/templates/{template}", api_template_delete, API_PERM_ADMIN, NULL},
    {"GET", "/api/pools", api_pools_list, API_PERM_USER, NULL},
    {"POST", "/api/pools", api_pools_create, API_PERM_ADMIN, NULL},
    {"GET", "/api/pools/{pool}", api_pool_get, API_PERM_USER, NULL},
    {"PATCH", "/api/pools/{pool}", api_pool_patch, API_PERM_ADMIN, NULL},
    {"DELETE", "/api/pools/{pool}", api_pool_delete, API_PERM_ADMIN, NULL},
    {"POST", "/api/pools/{pool}/start", api_pool_action, API_PERM_ADMIN, "start"},
    {"POST", "/api/pools/{pool}/stop", api_pool_action, API_PERM_ADMIN, "stop"},
    {"POST", "/api/pools/{pool}/refresh", api_pool_action, API_PERM_ADMIN, "refresh"},
    {"GET", "/api/pools/{pool}/volumes", api_volumes_list, API_PERM_USER, NULL},
    {"POST", "/api/pools/{pool}/volumes", api_volumes_create, API_PERM_ADMIN, NULL},
    {"GET", "/api/pools/{pool}/volumes/{volume}", api_volume_get, API_PERM_USER, NULL},
    {"DELETE", "/api/pools/{pool}/volumes/{volume}", api_volume_delete, API_PERM_ADMIN, NULL},
    {"POST", "/api/pools/{pool}/volumes/{volume}/resize", api_volume_resize, API_PERM_ADMIN, NULL},
    {"POST", "/api/pools/{pool}/volumes/{volume}/wipe", api_volume_wipe, API_PERM_ADMIN, NULL},
    {"POST", "/api/pools/{pool}/volumes/{volume}/clone", api_volume_clone, API_PERM_ADMIN, NULL},
    {"PUT", "/api/pools/{pool}/volumes/{volume}/content", api_volume_upload, API_PERM_ADMIN, NULL,
     API_ROUTE_STREAM_BODY},
    {"GET", "/api/pools/{pool}/volumes/{volume}/content", api_volume_download, API_PERM_ADMIN, NULL},
    {"GET", "/api/tasks", api_tasks_list, API_PERM_USER, NULL},
    {"GET", "/api/tasks/{task}", api_task_get, API_PERM_USER, NULL},
    {"POST", "/api/tasks/{task}/cancel", api_task_cancel, API_PERM_USER, NULL},
    {"GET", "/api/networks", legacy_api_networks_list, API_PERM_USER, NULL},
    {"POST", "/api/networks", legacy_api_networks_create, API_PERM_ADMIN, NULL},
    {"GET", "/api/networks/{network}", legacy_api_network_get, API_PERM_USER, NULL},
    {"PATCH", "/api/networks/{network}", legacy_api_network_patch, API_PERM_ADMIN, NULL},
    {"DELETE", "/api/networks/{network}", legacy_api_network_delete, API_PERM_ADMIN, NULL},
    {"POST", "/api/networks/{network}/start", legacy_api_network_action, API_PERM_ADMIN, "start"},
    {"POST", "/api/networks/{network}/stop", legacy_api_network_action, API_PERM_ADMIN, "stop"},
    {NULL, NULL, NULL, API_PERM_PUBLIC, NULL},
};
