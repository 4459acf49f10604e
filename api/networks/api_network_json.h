/* JSON shapes of virtual networks: the answer for one network and the
 * strictly validated body of POST /api/networks. */
#pragma once
#include <jansson.h>

#include "virt/virt_network.h"

json_t *api_network_json(const VirtNetwork *n);

typedef struct {
    VirtNetworkConfig *config;
    gboolean start;     /* default TRUE */
    gboolean autostart; /* default FALSE */
} ApiNetworkCreate;

void api_network_create_clear(ApiNetworkCreate *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ApiNetworkCreate, api_network_create_clear)

/* 400 for unknown members, wrong types, missing name/mode and addresses
 * that do not parse; the engine checks the rest against libvirt. */
gboolean api_network_create_parse(json_t *body, ApiNetworkCreate *out, GError **error);
