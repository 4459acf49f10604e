/* The route table: every REST route Vireo serves and the permission it
 * needs. The gate (api_gate.c) checks the permission before any handler
 * runs; the OpenAPI document (api/openapi.json) must list exactly these
 * routes, which a unit test checks. */
#include "api/api_handlers.h"

const ApiRoute api_routes[] = {
    {"GET", "/api/openapi.json", api_openapi_get, API_PERM_PUBLIC, NULL},
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
    {"GET", "/api/events", api_events_get, API_PERM_USER, NULL},
    {"GET", "/api/host", api_host_get, API_PERM_USER, NULL},
    {"GET", "/api/vms", api_vms_list, API_PERM_USER, NULL},
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
    {NULL, NULL, NULL, API_PERM_PUBLIC, NULL},
};
