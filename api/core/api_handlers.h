/* Every route handler, for the route table in api_routes.c. */
#pragma once
#include "api/core/api.h"

#define API_HANDLER(name)                                                                   \
    gboolean name(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)

API_HANDLER(api_openapi_get);
API_HANDLER(api_host_get);
API_HANDLER(api_vms_list);
API_HANDLER(api_vm_get);
API_HANDLER(api_vm_patch);
API_HANDLER(api_vm_delete);
API_HANDLER(api_vm_action);
API_HANDLER(api_vm_disks_list);
API_HANDLER(api_vm_disks_attach);
API_HANDLER(api_vm_disk_get);
API_HANDLER(api_vm_disk_patch);
API_HANDLER(api_vm_disk_detach);
API_HANDLER(api_vm_nics_list);
API_HANDLER(api_vm_nics_attach);
API_HANDLER(api_vm_nic_get);
API_HANDLER(api_vm_nic_patch);
API_HANDLER(api_vm_nic_detach);
API_HANDLER(api_vms_create);
API_HANDLER(api_os_list);
API_HANDLER(api_os_get);
API_HANDLER(api_templates_list);
API_HANDLER(api_templates_create);
API_HANDLER(api_template_get);
API_HANDLER(api_template_patch);
API_HANDLER(api_template_delete);
API_HANDLER(api_session_login);
API_HANDLER(api_session_get);
API_HANDLER(api_session_logout);
API_HANDLER(api_session_password);
API_HANDLER(api_sessions_list);
API_HANDLER(api_sessions_revoke);
API_HANDLER(api_tokens_list);
API_HANDLER(api_tokens_create);
API_HANDLER(api_tokens_revoke);
API_HANDLER(api_users_list);
API_HANDLER(api_users_create);
API_HANDLER(api_users_get);
API_HANDLER(api_users_patch);
API_HANDLER(api_users_delete);
API_HANDLER(api_grants_list);
API_HANDLER(api_grants_add);
API_HANDLER(api_grants_remove);
API_HANDLER(api_resource_grant_remove);
API_HANDLER(api_audit_list);
API_HANDLER(api_events_get);
API_HANDLER(api_pools_list);
API_HANDLER(api_pools_create);
API_HANDLER(api_pool_get);
API_HANDLER(api_pool_patch);
API_HANDLER(api_pool_delete);
API_HANDLER(api_pool_action);
API_HANDLER(api_volumes_list);
API_HANDLER(api_volumes_create);
API_HANDLER(api_volume_get);
API_HANDLER(api_volume_delete);
API_HANDLER(api_volume_resize);
API_HANDLER(api_volume_wipe);
API_HANDLER(api_networks_list);
API_HANDLER(api_networks_create);
API_HANDLER(api_network_get);
API_HANDLER(api_network_patch);
API_HANDLER(api_network_delete);
API_HANDLER(api_network_action);
API_HANDLER(api_tasks_list);
API_HANDLER(api_task_get);
API_HANDLER(api_task_cancel);
API_HANDLER(api_volume_clone);
API_HANDLER(api_volume_upload);
API_HANDLER(api_volume_download);
