/* The route table: every REST route Vireo serves. The OpenAPI document
 * (api/openapi.json) must list exactly these; a unit test checks it. */
#include "api/api_handlers.h"

const ApiRoute api_routes[] = {
    {"GET", "/api/host", api_host_get, NULL},
    {"GET", "/api/vms", api_vms_list, NULL},
    {"GET", "/api/vms/{vm}", api_vm_get, NULL},
    {"PATCH", "/api/vms/{vm}", api_vm_patch, NULL},
    {"DELETE", "/api/vms/{vm}", api_vm_delete, NULL},
    {"POST", "/api/vms/{vm}/start", api_vm_action, "start"},
    {"POST", "/api/vms/{vm}/shutdown", api_vm_action, "shutdown"},
    {"POST", "/api/vms/{vm}/poweroff", api_vm_action, "poweroff"},
    {"POST", "/api/vms/{vm}/reboot", api_vm_action, "reboot"},
    {"POST", "/api/vms/{vm}/reset", api_vm_action, "reset"},
    {"POST", "/api/vms/{vm}/suspend", api_vm_action, "suspend"},
    {"POST", "/api/vms/{vm}/resume", api_vm_action, "resume"},
    {"GET", "/api/openapi.json", api_openapi_get, NULL},
    {NULL, NULL, NULL, NULL},
};
