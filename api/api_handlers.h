/* Every route handler, for the route table in api_routes.c. */
#pragma once
#include "api/api.h"

void api_host_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
void api_vms_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
void api_vm_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
void api_vm_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
void api_vm_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
void api_vm_action(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
void api_openapi_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp);
