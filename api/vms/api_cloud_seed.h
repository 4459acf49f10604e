/* A create's cloud-init seed: the password hashed, the seed's files
 * written (api_cidata) into a cidata ISO (api_cidata_iso), and the bytes
 * handed to the spec's seed volume, which the create makes, attaches as a
 * CD-ROM and undoes like any volume it makes. */
#pragma once
#include "api/vms/api_vm_spec.h"

/* Nothing to do for a spec without "cloud_init". `instance_id` is the
 * VM's UUID. The secrets are wiped from the spec once the image is built,
 * whether or not that worked. */
gboolean api_cloud_seed_build(ApiVmSpec *spec, const char *instance_id, GError **error);
